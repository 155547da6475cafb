"""Invite pages: the community's invites (create, list, revoke, who joined) and the public
invite landing page at /invite/<token>/."""

from __future__ import annotations

import math
import time

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.clientip import client_ip
from members import access
from members.adapter import INVITE_SESSION_KEY
from members.forms import InviteCreateForm
from members.models import Invite, MembershipStatus
from members.selectors import (
    invite_list,
    invite_redemptions,
    inviter_totals,
    join_state,
    member_count,
    membership_of,
)
from members.services import InviteError, invite_create, invite_redeem, invite_revoke
from moderation.ratelimit import describe_wait

INVITES_PAGE_SIZE = 20
REDEMPTIONS_PAGE_SIZE = 50
# Failed token lookups allowed per IP address per window (guessing tokens is hopeless anyway:
# they carry 256 random bits; this keeps scanners from hammering the database).
BAD_TOKEN_LIMIT = 30
BAD_TOKEN_WINDOW = 600


def _context(request: HttpRequest, acc: access.CommunityAccess, **extra: object) -> dict:
    return {
        "community": acc.community,
        "access": acc,
        "member_count": member_count(acc.community),
        "join": join_state(request.user, acc),
        **extra,
    }


@require_http_methods(["GET", "POST"])
def invites_page(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the viewer's invites (owners: all, with per-inviter totals). POST: create one."""
    acc = access.community_for_invites(request.user, slug)
    form = InviteCreateForm(request.POST if request.method == "POST" else None)
    status = 200
    retry_after = None
    if request.method == "POST":
        if not acc.can_invite:
            access.community_for_inviter(request.user, slug)  # raises the 403
        if form.is_valid():
            try:
                invite = invite_create(
                    membership=acc.membership,
                    max_uses=form.cleaned_data["max_uses"],
                    expires_at=form.expires_at(),
                    note=form.cleaned_data["note"],
                )
            except InviteError as exc:
                form.add_error(None, str(exc))
                retry_after = getattr(exc, "retry_after", None)
            else:
                link = request.build_absolute_uri(invite.get_absolute_url())
                messages.success(request, f"Invite link created: {link}")
                return redirect("invites", slug=slug)
        status = 429 if retry_after else 400
    page = Paginator(invite_list(acc), INVITES_PAGE_SIZE).get_page(request.GET.get("page"))
    totals = None
    if access.can_see_all_invites(acc.membership):
        totals = Paginator(inviter_totals(acc.community), 20).get_page(request.GET.get("tpage"))
    response = render(
        request,
        "members/invites.html",
        _context(request, acc, form=form, page=page, totals=totals, nav="invites"),
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_GET
def invite_detail(request: HttpRequest, slug: str, invite_id: int) -> HttpResponse:
    invite, acc = access.invite_for_manager(request.user, slug, invite_id)
    page = Paginator(invite_redemptions(invite), REDEMPTIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "members/invite_detail.html", _context(request, acc, invite=invite, page=page, nav="invites")
    )


@require_POST
def invite_revoke_view(request: HttpRequest, slug: str, invite_id: int) -> HttpResponse:
    invite, _acc = access.invite_for_manager(request.user, slug, invite_id)
    invite_revoke(invite=invite, actor=request.user)
    messages.success(request, "The invite link was revoked; it can't be used any more.")
    return redirect("invites", slug=slug)


# --- The public landing page --------------------------------------------------------------------


def _bad_token_key(request: HttpRequest) -> str:
    return f"invite-bad:{client_ip(request)}"


def _bad_token_retry_after(request: HttpRequest) -> int | None:
    """Seconds until this IP may try invite links again, or None if it isn't throttled."""
    key = _bad_token_key(request)
    if (cache.get(key) or 0) < BAD_TOKEN_LIMIT:
        return None
    started = cache.get(f"{key}:start") or time.time()
    return max(1, math.ceil(started + BAD_TOKEN_WINDOW - time.time()))


def _count_bad_token(request: HttpRequest) -> None:
    key = _bad_token_key(request)
    cache.add(f"{key}:start", time.time(), BAD_TOKEN_WINDOW)
    if cache.add(key, 1, BAD_TOKEN_WINDOW):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, BAD_TOKEN_WINDOW)


def _private(response: HttpResponse) -> HttpResponse:
    """The token is a secret: don't leak it through Referer headers or caches."""
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def _unusable(request: HttpRequest) -> HttpResponse:
    """One page and status for invalid, expired, revoked, used-up links (and for banned people)."""
    _count_bad_token(request)
    return _private(render(request, "members/invite_landing.html", {"invite": None}, status=404))


def _usable_invite(request: HttpRequest, token: str) -> Invite | None:
    invite = Invite.objects.select_related("community", "created_by").filter(token=token).first()
    if invite is None or not invite.is_usable():
        return None
    return invite


def _throttled(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 with ``Retry-After``: too many bad invite tokens from this IP (token guessing)."""
    context = {"invite": None, "throttled": True, "retry_when": describe_wait(retry_after)}
    response = render(request, "members/invite_landing.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return _private(response)


@require_GET
def invite_landing(request: HttpRequest, token: str) -> HttpResponse:
    """/invite/<token>/: the link people receive. Sends ``Referrer-Policy: no-referrer``.

    The token goes into the session and logged-in visitors continue on /invite/accept/, a page
    without the token in its address. That page holds the accept form: a POST from a
    no-referrer page carries ``Origin: null``, which CSRF protection rightly refuses.
    """
    if (retry_after := _bad_token_retry_after(request)) is not None:
        return _throttled(request, retry_after)
    invite = _usable_invite(request, token)
    if invite is None:
        return _unusable(request)
    if request.user.is_authenticated:
        membership = membership_of(request.user, invite.community)
        if membership is not None and membership.status == MembershipStatus.BANNED:
            return _unusable(request)
    # Also lets an invite-only site accept this visitor's sign-up, and brings them back to the
    # accept page after logging in or confirming their email (see members.adapter).
    request.session[INVITE_SESSION_KEY] = token
    if request.user.is_authenticated:
        return _private(redirect("invite-accept"))
    return _private(render(request, "members/invite_landing.html", _landing_context(invite, "anonymous")))


def _landing_context(invite: Invite, state: str) -> dict:
    after = reverse("invite-accept")
    return {
        "invite": invite,
        "community": invite.community,
        "state": state,
        "signup_url": f"{reverse('account_signup')}?{urlencode({'next': after})}",
        "login_url": f"{reverse('account_login')}?{urlencode({'next': after})}",
    }


@require_http_methods(["GET", "POST"])
def invite_accept(request: HttpRequest) -> HttpResponse:
    """/invite/accept/: the invite from the session. GET shows the community and the accept
    button (or "already a member"); POST redeems it."""
    if (retry_after := _bad_token_retry_after(request)) is not None:
        return _throttled(request, retry_after)
    token = request.session.get(INVITE_SESSION_KEY, "")
    invite = _usable_invite(request, token) if token else None
    if invite is None:
        return _unusable(request)
    if not request.user.is_authenticated:
        return _private(render(request, "members/invite_landing.html", _landing_context(invite, "anonymous")))
    if request.method == "GET":
        membership = membership_of(request.user, invite.community)
        if membership is not None and membership.status == MembershipStatus.BANNED:
            return _unusable(request)
        state = "member" if membership is not None and membership.is_active else "accept"
        response = render(request, "members/invite_landing.html", _landing_context(invite, state))
        response["Cache-Control"] = "no-store"
        return response
    try:
        result = invite_redeem(token=token, user=request.user)
    except InviteError:
        return _unusable(request)
    del request.session[INVITE_SESSION_KEY]
    community = result.membership.community
    if result.already_member:
        messages.info(request, f"You're already a member of {community.name}.")
    else:
        messages.success(request, f"Welcome to {community.name}!")
    return redirect(community.get_absolute_url())
