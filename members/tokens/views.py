"""Settings → API tokens: create (the secret is shown once, on this answer only), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from members.tokens import selectors, services
from members.tokens.forms import TokenForm

TOKENS_PER_PAGE = 30


@require_http_methods(["GET", "POST"])
@login_required
def tokens_page(request: HttpRequest) -> HttpResponse:
    communities = selectors.token_communities(request.user)
    form = TokenForm(request.POST or None, communities=communities)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    community=form.cleaned_data["community"],
                    expires_at=form.expires_at(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                form = TokenForm(communities=communities)
                status = 201
        if form.errors:
            status = 400
    page = Paginator(selectors.tokens_of(request.user), TOKENS_PER_PAGE).get_page(request.GET.get("page"))
    response = render(
        request,
        "members/settings_tokens.html",
        {"form": form, "page": page, "created": created, "section": "tokens"},
        status=status,
    )
    # The page may show a secret: never keep it in a cache or the browser's history.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if services.token_revoke(user=request.user, token_id=token_id):
        messages.success(request, "Token revoked. Anything using it is refused from now on.")
    else:
        messages.error(request, "That token is already revoked, or isn't yours.")
    return redirect("settings-tokens")
