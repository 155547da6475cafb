"""Poll pages: add a poll to a thread, vote (plain form, htmx-enhanced), close, see who voted.

Thin views: access (``members.access``), then a selector or a service, then a template.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.discussions.models import Thread
from communities.polls import selectors, services
from communities.polls.forms import PollForm
from communities.polls.models import Poll
from config.errors import too_many_requests
from config.inputs import is_htmx
from members import access
from moderation.ratelimit import RateLimited


def _poll_url(thread: Thread, poll: Poll) -> str:
    return f"{thread.get_absolute_url()}#poll-{poll.pk}"


@require_http_methods(["GET", "POST"])
def poll_new(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    thread, acc = access.thread_for_poll_author(request.user, slug, thread_id)
    form = PollForm(request.POST or None, tz=acc.community.tz)
    if request.method == "POST" and form.is_valid():
        try:
            poll = services.poll_create(author=acc.member, thread=thread, **form.poll_kwargs())
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            messages.success(request, "Your poll is up.")
            return redirect(_poll_url(thread, poll))
    return render(
        request,
        "communities/polls/new.html",
        {"community": acc.community, "access": acc, "thread": thread, "form": form},
        status=400 if form.errors else 200,
    )


def _poll_partial(
    request: HttpRequest, poll: Poll, thread: Thread, acc: access.CommunityAccess
) -> HttpResponse:
    membership = acc.membership
    view = selectors.thread_polls(
        thread_id=thread.pk,
        poll_id=poll.pk,
        user_id=membership.user_id if membership else None,
        is_member=membership is not None,
        manager_id=membership.user_id if membership else None,
        is_staff=access.is_staff(membership),
        thread_locked=thread.locked,
    )[0]
    return render(
        request, "communities/polls/_poll.html", {"pv": view, "community": acc.community, "thread": thread}
    )


@require_POST
def poll_vote(request: HttpRequest, slug: str, poll_id: int) -> HttpResponse:
    poll, thread, acc = access.poll_for_voter(request.user, slug, poll_id)
    choice_ids = [int(v) for v in request.POST.getlist("choice") if v.strip().isdigit()]
    had_voted = bool(selectors.my_choices(user_id=acc.member.user_id, poll_ids=[poll.pk]))
    try:
        services.poll_vote(voter=acc.member, poll=poll, choice_ids=choice_ids)
    except RateLimited as exc:
        # 429 with Retry-After: a short text for htmx (shown next to the poll), a page otherwise.
        return too_many_requests(request, exc.messages[0], exc.retry_after)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if is_htmx(request):
            return HttpResponse(message, status=400, content_type="text/plain")
        messages.error(request, message)
        return redirect(_poll_url(thread, poll))
    if is_htmx(request):
        return _poll_partial(request, poll, thread, acc)
    messages.success(request, "Your vote is changed." if had_voted else "Your vote is in.")
    return redirect(_poll_url(thread, poll))


@require_POST
def poll_close(request: HttpRequest, slug: str, poll_id: int) -> HttpResponse:
    poll, thread, acc = access.poll_for_closer(request.user, slug, poll_id)
    services.poll_close(actor=acc.member, poll=poll)
    if is_htmx(request):
        return _poll_partial(request, poll, thread, acc)
    messages.success(request, "Poll closed: the results are visible to everyone who can read the thread.")
    return redirect(_poll_url(thread, poll))


@require_GET
def poll_voters(request: HttpRequest, slug: str, poll_id: int) -> HttpResponse:
    poll, thread, acc = access.poll_for_voters_page(request.user, slug, poll_id)
    membership = acc.membership
    voted = membership is not None and bool(
        selectors.my_choices(user_id=membership.user_id, poll_ids=[poll.pk])
    )
    if not selectors.results_visible(poll, voted=voted):
        raise PermissionDenied("Who voted shows with the results: after you vote, or once the poll closes.")
    page = Paginator(selectors.poll_voters(poll), selectors.VOTERS_PER_PAGE).get_page(request.GET.get("page"))
    labels = selectors.poll_choice_labels(poll)
    rows = [{"user": b.user, "choices": [labels.get(v.choice_id, "") for v in b.votes.all()]} for b in page]
    return render(
        request,
        "communities/polls/voters.html",
        {
            "community": acc.community,
            "access": acc,
            "thread": thread,
            "poll": poll,
            "page": page,
            "rows": rows,
        },
    )
