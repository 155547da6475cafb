"""Event pages: list, create, detail (RSVP, attendees, AMA questions), edit, cancel, the .ics
download, and the personal calendar feed with its settings page. Views are thin: access, then a
selector or service, then a template."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.discussions.selectors import visible_spaces
from communities.events import ics, selectors, services
from communities.events.forms import AnswerForm, EventForm, NewEventForm, QuestionForm, RsvpForm
from communities.events.models import Event
from members import access
from members.models import User
from members.selectors import community_page_context
from moderation.ratelimit import RateLimited

PAGE_SIZE = 20


def _context(request: HttpRequest, acc: access.CommunityAccess, **extra: object) -> dict:
    return community_page_context(
        request.user, acc, nav="events", zone=selectors.viewer_zone(request.user, acc.community), **extra
    )


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _with_retry(response: HttpResponse, exc: Exception) -> HttpResponse:
    if isinstance(exc, RateLimited):
        response.status_code = 429
        response["Retry-After"] = str(exc.retry_after)
    return response


@require_GET
def event_list(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_reader(request.user, slug)
    past = request.GET.get("when") == "past"
    finder = selectors.past_events if past else selectors.upcoming_events
    page = Paginator(finder(community=acc.community, membership=acc.membership), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "communities/events/list.html",
        _context(request, acc, page=page, past=past, can_create=access.can_create_event(acc.membership)),
    )


@require_http_methods(["GET", "POST"])
def event_new(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_event_creator(request.user, slug)
    spaces = visible_spaces(acc.community, acc.membership)
    form = NewEventForm(request.POST or None, community=acc.community, spaces=spaces)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            ritual = form.cleaned_data.get("ritual")
            try:
                if ritual is not None:
                    events = services.event_series_from_ritual(
                        author=access.member_of(acc),
                        space=form.cleaned_data["space"],
                        fields=form.event_fields(),
                        ritual=ritual,
                        count=form.cleaned_data.get("repeat_count") or 1,
                    )
                    event = events[0]
                    messages.success(request, f"{len(events)} events created on the ritual's schedule.")
                else:
                    event = services.event_create(
                        author=access.member_of(acc),
                        space=form.cleaned_data["space"],
                        fields=form.event_fields(),
                    )
                    messages.success(request, "Event created.")
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
                response = render(
                    request, "communities/events/form.html", _context(request, acc, form=form), status=400
                )
                return _with_retry(response, exc)
            event.community = acc.community
            return redirect(event.get_absolute_url())
    return render(request, "communities/events/form.html", _context(request, acc, form=form), status=status)


def _detail(
    request: HttpRequest,
    event: Event,
    acc: access.CommunityAccess,
    *,
    question_form: QuestionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    page = selectors.event_page(event=event, membership=acc.membership)
    now = timezone.now()
    ctx = _context(
        request,
        acc,
        event=event,
        page=page,
        can_manage=access.can_manage_event(acc.membership, event),
        questions_open=event.is_ama and not event.is_cancelled and now < event.starts_at,
        is_over=event.ends_at <= now,
        question_form=question_form or QuestionForm(),
        answer_form=AnswerForm(),
        event_zone=event.tz,
    )
    return render(request, "communities/events/detail.html", ctx, status=status)


@require_GET
def event_detail(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    event, acc = access.event_for_reader(request.user, slug, event_id)
    return _detail(request, event, acc)


@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    event, acc = access.event_for_manager(request.user, slug, event_id)
    spaces = visible_spaces(acc.community, acc.membership)
    if request.method == "POST":
        form = EventForm(request.POST, community=acc.community, spaces=spaces)
        if form.is_valid():
            try:
                services.event_update(editor=access.member_of(acc), event=event, fields=form.event_fields())
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(request, "Event saved.")
                return redirect(event.get_absolute_url())
        return render(
            request,
            "communities/events/form.html",
            _context(request, acc, form=form, event=event),
            status=400,
        )
    opening = selectors.event_description(event=event, membership=acc.membership)
    initial = {**EventForm.initial_for(event), "description": opening.body_md if opening else ""}
    form = EventForm(initial=initial, community=acc.community, spaces=spaces)
    form.fields["space"].disabled = True
    return render(request, "communities/events/form.html", _context(request, acc, form=form, event=event))


@require_POST
def event_cancel(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    event, acc = access.event_for_manager(request.user, slug, event_id)
    services.event_cancel(actor=access.member_of(acc), event=event)
    messages.success(request, "The event is cancelled; everyone who answered was told.")
    return redirect(event.get_absolute_url())


@require_POST
def event_rsvp(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    event, acc = access.event_for_member(request.user, slug, event_id)
    form = RsvpForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose going, maybe or not going.")
        return _detail(request, event, acc, status=400)
    try:
        rsvp = services.rsvp_set(
            membership=access.member_of(acc), event=event, status=form.cleaned_data["status"]
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _detail(request, event, acc, status=400)
    text = {
        "going": "You're going.",
        "maybe": "You answered maybe.",
        "not_going": "You're not going.",
        "waitlisted": "The event is full: you're on the waiting list and will be told if a seat opens.",
    }[rsvp.status]
    messages.success(request, text)
    return redirect(event.get_absolute_url() + "#rsvp")


@require_GET
def event_ics(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    event, acc = access.event_for_reader(request.user, slug, event_id)
    description = selectors.event_description(event=event, membership=acc.membership)
    body = ics.event_ics(
        event,
        description_html=description.body_html if description else "",
        with_link=acc.membership is not None,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def question_ask(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    event, acc = access.event_for_member(request.user, slug, event_id)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return _detail(request, event, acc, question_form=form, status=400)
    try:
        question = services.question_ask(
            membership=access.member_of(acc), event=event, body_md=form.cleaned_data["body"]
        )
    except ValidationError as exc:
        form.add_error(None, _error_text(exc))
        return _with_retry(_detail(request, event, acc, question_form=form, status=400), exc)
    if question.post.is_visible:
        messages.success(request, "Question added. Others can upvote it now.")
    else:
        messages.success(request, "Question sent: a moderator will look at it before it shows.")
    return redirect(event.get_absolute_url() + "#questions")


@require_POST
def question_vote(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question, event, acc = access.question_for_member(request.user, slug, question_id)
    try:
        services.question_vote(
            membership=access.member_of(acc), question=question, vote=request.POST.get("vote") != "0"
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _with_retry(_detail(request, event, acc, status=400), exc)
    return redirect(event.get_absolute_url() + f"#question-{question.pk}")


@require_POST
def question_answer(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question, event, acc = access.question_for_member(request.user, slug, question_id)
    if not access.can_answer_questions(acc.membership, event):
        raise PermissionDenied("Only the host and moderators answer questions.")
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The answer is too long.")
        return _detail(request, event, acc, status=400)
    try:
        services.question_answer(
            host=access.member_of(acc),
            question=question,
            body_md=form.cleaned_data["body"] or "",
            answered=request.POST.get("answered") != "0",
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _with_retry(_detail(request, event, acc, status=400), exc)
    return redirect(event.get_absolute_url() + f"#question-{question.pk}")


# --- The personal calendar feed --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(user=cast(User, request.user))
            messages.success(request, "Your calendar link is turned off. Calendars using it stop updating.")
        else:
            had_one = selectors.current_feed(cast(User, request.user)) is not None
            services.calendar_feed_reset(user=cast(User, request.user))
            messages.success(
                request,
                "New calendar link made; the old one no longer works."
                if had_one
                else "Your calendar link is ready: add it to your calendar app.",
            )
        return redirect("calendar-settings")
    feed = selectors.current_feed(cast(User, request.user))
    url = request.build_absolute_uri(reverse("calendar-feed", args=[feed.token])) if feed else ""
    return render(
        request, "communities/events/calendar_settings.html", {"feed_url": url, "section": "calendar"}
    )


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = access.feed_owner(token)
    body = ics.feed_ics(selectors.feed_events(user), name=f"Hearth events of {user.name}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
