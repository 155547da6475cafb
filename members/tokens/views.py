"""Settings → API tokens: create (the secret is shown once, on this answer only), list, revoke."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from members.models import User
from members.tokens import selectors, services
from members.tokens.forms import TokenForm

TOKENS_PER_PAGE = 30


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)  # the views are login_required


@require_http_methods(["GET", "POST"])
@login_required
def tokens_page(request: HttpRequest) -> HttpResponse:
    communities = selectors.token_communities(_me(request))
    form = TokenForm(request.POST or None, communities=communities)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.token_create(
                    user=_me(request),
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
    page = Paginator(selectors.tokens_of(_me(request)), TOKENS_PER_PAGE).get_page(request.GET.get("page"))
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
    if services.token_revoke(user=_me(request), token_id=token_id):
        messages.success(request, "Token revoked. Anything using it is refused from now on.")
    else:
        messages.error(request, "That token is already revoked, or isn't yours.")
    return redirect("settings-tokens")
