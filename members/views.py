"""Membership pages: invites (create, list, revoke, who joined, the public landing), joining and
join requests, the members list, roles and leaving."""

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

from communities.models import JoinPolicy
from config.clientip import client_ip
from members import access
from members.adapter import INVITE_SESSION_KEY
from members.forms import DecisionForm, InviteCreateForm, JoinRequestForm, RoleForm
from members.models import Invite, JoinRequest, MembershipStatus, Role
from members.selectors import (
    community_page_context,
    invite_list,
    invite_redemptions,
    inviter_totals,
    join_state,
    latest_join_request,
    member_list,
    membership_of,
    pending_requests,
)
from members.services import (
    InviteError,
    JoinError,
    MembershipError,
    community_join_open,
    invite_create,
    invite_redeem,
    invite_revoke,
    join_request_create,
    join_request_withdraw,
    membership_change_role,
    membership_leave,
)
from members.submissions.services import SubmissionInProgress, submit_once
from moderation.queue import queue_decide_join
from moderation.ratelimit import describe_wait
from moderation.selectors import review_queue_counts
from moderation.services import AlreadyHandled

INVITES_PAGE_SIZE = 20
REDEMPTIONS_PAGE_SIZE = 50
# Failed token lookups allowed per IP address per window (guessing tokens is hopeless anyway:
# they carry 256 random bits; this keeps scanners from hammering the database).
BAD_TOKEN_LIMIT = 30
BAD_TOKEN_WINDOW = 600


def _context(request: HttpRequest, acc: access.CommunityAccess, **extra: object) -> dict:
    return community_page_context(request.user, acc, **extra)


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
                # Four parallel submissions of one form make one invite (the first).
                invite, _ = submit_once(
                    user_id=request.user.pk,
                    key=form.cleaned_data["submission_key"],
                    scope="invite",
                    create=lambda: invite_create(
                        membership=acc.membership,
                        max_uses=form.cleaned_data["max_uses"],
                        expires_at=form.expires_at(),
                        note=form.cleaned_data["note"],
                    ),
                    load=lambda pk: Invite.objects.filter(pk=pk).first(),
                )
            except (InviteError, SubmissionInProgress) as exc:
                form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
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


REQUESTS_PAGE_SIZE = 20


@require_http_methods(["GET", "POST"])
def community_join(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the join button (open) or the application form (approval); POST: join or apply."""
    acc = access.community_for_joiner(request.user, slug)
    community = acc.community
    state = join_state(request.user, acc)
    if state.kind == "member":
        messages.info(request, f"You're already a member of {community.name}.")
        return redirect(community.get_absolute_url())
    if state.kind == "pending":
        return redirect("join-pending", slug=slug)
    form = JoinRequestForm(
        request.POST if request.method == "POST" else None, questions=community.screening_questions or []
    )
    status = 200
    if request.method == "POST":
        try:
            if community.join_policy == JoinPolicy.OPEN:
                community_join_open(user=request.user, community=community)
                messages.success(request, f"Welcome to {community.name}!")
                return redirect(community.get_absolute_url())
            if community.join_policy == JoinPolicy.APPROVAL and form.is_valid():
                submit_once(
                    user_id=request.user.pk,
                    key=form.cleaned_data["submission_key"],
                    scope="join-request",
                    create=lambda: join_request_create(
                        user=request.user, community=community, answers=form.answers()
                    ),
                    load=lambda pk: JoinRequest.objects.filter(pk=pk).first(),
                )
                messages.success(request, "Your request was sent. A moderator will look at it soon.")
                return redirect("join-pending", slug=slug)
        except (JoinError, SubmissionInProgress) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        if community.join_policy == JoinPolicy.INVITE_ONLY:
            form.add_error(None, "This community is invite-only: ask a member for an invite link.")
        status = 400
    return render(request, "members/join.html", _context(request, acc, form=form, nav="join"), status=status)


@require_GET
def join_pending(request: HttpRequest, slug: str) -> HttpResponse:
    """The applicant's view of their latest request: pending (with withdraw), or decided."""
    acc = access.community_for_joiner(request.user, slug)
    join_request = latest_join_request(request.user, acc.community)
    if join_request is None:
        return redirect("community-join", slug=slug)
    return render(
        request, "members/join_pending.html", _context(request, acc, join_request=join_request, nav="join")
    )


@require_POST
def join_withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_joiner(request.user, slug)
    if join_request_withdraw(user=request.user, community=acc.community):
        messages.success(request, "Your request was withdrawn.")
    return redirect(acc.community.get_absolute_url())


@require_GET
def join_requests(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_staff(request.user, slug)
    page = Paginator(pending_requests(acc.community), REQUESTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "members/join_requests.html",
        _context(request, acc, page=page, decision_form=DecisionForm(), nav="requests"),
    )


def _decide(request: HttpRequest, slug: str, request_id: int, approve: bool) -> HttpResponse:
    """Approve or reject through the moderation queue's service (one code path, audited)."""

    join_request, acc = access.join_request_for_staff(request.user, slug, request_id)
    form = DecisionForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "The reason is too long (2,000 characters at most)."
        text = error
    else:
        try:
            queue_decide_join(
                actor=acc.membership,
                join_request=join_request,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
        except AlreadyHandled as exc:
            text = str(exc)
        except MembershipError as exc:
            error = text = str(exc)
        else:
            outcome = "approved" if approve else "rejected"
            text = f"{join_request.user.name}'s request was {outcome}."
    join_request.refresh_from_db()
    if request.htmx:
        return render(
            request,
            "members/partials/join_request_row.html",
            {
                "community": acc.community,
                "r": join_request,
                "decision_form": form if error else DecisionForm(),
                "result": text,
                "error": bool(error),
                # Refresh the nav badge in place (htmx out-of-band swap).
                "oob_pending": acc.pending_join_requests,
                "oob_queue": review_queue_counts(acc.community, viewer=acc.membership),
            },
            # htmx swaps only 2xx answers; the row itself shows the error.
            status=200,
        )
    (messages.error if error else messages.success)(request, text)
    return redirect("join-requests", slug=slug)


@require_POST
def join_request_approve_view(request: HttpRequest, slug: str, request_id: int) -> HttpResponse:
    return _decide(request, slug, request_id, approve=True)


@require_POST
def join_request_reject_view(request: HttpRequest, slug: str, request_id: int) -> HttpResponse:
    return _decide(request, slug, request_id, approve=False)


MEMBERS_PAGE_SIZE = 50


@require_GET
def members_list(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_reader(request.user, slug)
    page = Paginator(member_list(acc.community), MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "members/members.html",
        {
            "community": acc.community,
            "access": acc,
            "member_count": page.paginator.count,
            "join": join_state(request.user, acc),
            "page": page,
            "role_choices": Role.choices,
            "nav": "members",
        },
    )


@require_POST
def member_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    target, acc = access.membership_for_owner(request.user, slug, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("members-list", slug=slug)
    try:
        membership_change_role(actor=acc.membership, target=target, role=form.cleaned_data["role"])
    except MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{target.user.name} is now {Role(form.cleaned_data['role']).label.lower()}."
        )
    return redirect("members-list", slug=slug)


@require_POST
def community_leave(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_member(request.user, slug)
    try:
        membership_leave(membership=acc.membership)
    except MembershipError as exc:
        messages.error(request, str(exc))
        return redirect(acc.community.get_absolute_url())
    messages.success(request, f"You left {acc.community.name}.")
    return redirect("community-directory")
