"""Joining: one-click join, applications with screening questions, the pending page, and the
moderators' join request list with inline (htmx) approve/reject."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.models import JoinPolicy
from members import access
from members.forms import DecisionForm, JoinRequestForm
from members.selectors import join_state, latest_join_request, member_count, pending_requests
from members.services import (
    JoinError,
    MembershipError,
    community_join_open,
    join_request_create,
    join_request_withdraw,
)

REQUESTS_PAGE_SIZE = 20


def _context(request: HttpRequest, acc: access.CommunityAccess, **extra: object) -> dict:
    return {
        "community": acc.community,
        "access": acc,
        "member_count": member_count(acc.community),
        "join": join_state(request.user, acc),
        **extra,
    }


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
                join_request_create(user=request.user, community=community, answers=form.answers())
                messages.success(request, "Your request was sent. A moderator will look at it soon.")
                return redirect("join-pending", slug=slug)
        except JoinError as exc:
            form.add_error(None, str(exc))
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
    from moderation.selectors import review_queue_counts
    from moderation.services import AlreadyHandled, queue_decide_join

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
                "oob_queue": review_queue_counts(acc.community),
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
