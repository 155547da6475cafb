"""The member's own data: download it, delete the account; claiming an imported account."""

from __future__ import annotations

import tempfile

from allauth.account.views import LoginView
from django.contrib import messages
from django.contrib.auth import login, logout
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from members import access
from members.account.forms import AccountDeleteForm, ClaimForm
from members.account.services import (
    account_claim,
    account_delete,
    claim_for_token,
    owned_communities_blocking_deletion,
    personal_data_write,
)
from members.services import MembershipError


def _page(request: HttpRequest, form: AccountDeleteForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "members/my_data.html",
        {"form": form, "blocking": owned_communities_blocking_deletion(request.user)},
        status=status,
    )


@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    access.require_login(request.user)
    return _page(request, AccountDeleteForm(user=request.user))


@require_GET
def my_data_download(request: HttpRequest) -> FileResponse:
    access.require_login(request.user)
    # Spooled: small downloads stay in memory, big ones go to a temporary file.
    tmp = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    personal_data_write(request.user, tmp)
    tmp.seek(0)
    name = f"{request.user.handle}-data-{timezone.now():%Y-%m-%d}.zip"
    response = FileResponse(tmp, as_attachment=True, filename=name, content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def account_delete_view(request: HttpRequest) -> HttpResponse:
    access.require_login(request.user)
    form = AccountDeleteForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        account_delete(
            user=request.user, remove_posts=form.cleaned_data["posts"] == AccountDeleteForm.POSTS_REMOVE
        )
    except MembershipError as exc:
        form.add_error(None, str(exc))
        return _page(request, form, status=400)
    logout(request)
    messages.success(request, "Your account was deleted. Thank you for the conversations.")
    return redirect("home")


@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, token: str) -> HttpResponse:
    found = claim_for_token(token)
    if found is None:
        response = render(request, "members/claim.html", {"claim": None}, status=404)
    elif request.user.is_authenticated:
        response = render(request, "members/claim.html", {"claim": found, "logged_in": True})
    else:
        form = ClaimForm(request.POST or None, user=found.user)
        if request.method == "POST" and form.is_valid():
            try:
                user = account_claim(
                    claim=found,
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password1"],
                    request=request,
                )
            except MembershipError as exc:
                form.add_error(None, str(exc))
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome back, @{user.handle}. Please confirm your email address.")
                return redirect(found.community.get_absolute_url() if found.community else "home")
        response = render(
            request, "members/claim.html", {"claim": found, "form": form}, status=400 if form.errors else 200
        )
    # The site-wide Referrer-Policy (same-origin) already keeps the token out of other sites'
    # logs; "no-referrer" here would make Chromium send "Origin: null" with the claim form's POST,
    # which Django's CSRF check rejects.
    response["Cache-Control"] = "no-store"
    return response


# The longer of allauth's two login_failed windows (5/300s per account; 10/m per IP).
LOGIN_FAILED_RETRY_AFTER = 300


class HearthLoginView(LoginView):
    def form_invalid(self, form: Form) -> HttpResponse:
        response = super().form_invalid(form)
        codes = {error.code for error in form.non_field_errors().as_data()}
        if "too_many_login_attempts" in codes:
            response.status_code = 429
            response["Retry-After"] = str(LOGIN_FAILED_RETRY_AFTER)
        return response


hearth_login = HearthLoginView.as_view()
