"""Private message pages. Thin: access first (404 for anyone who may not see the object), then
one selector or service, then a response. Refused sends re-render the form with the person's
text and the reason (400, or 429 with Retry-After for rate limits)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.models import Community
from communities.onboarding.services import onboarding_mark_greeted
from members import access
from members.messages import selectors, services
from members.messages.forms import (
    CommunityMessagingForm,
    MessageForm,
    ModNoteForm,
    NewConversationForm,
    PreferenceForm,
    ReportForm,
    ReportResolveForm,
)
from members.messages.models import Conversation, Participant
from members.models import Membership, User
from moderation import message_reports
from moderation.ratelimit import RateLimited
from moderation.services import AlreadyHandled


def _refused(response: HttpResponse, exc: ValidationError) -> HttpResponse:
    if isinstance(exc, RateLimited):
        response.status_code = 429
        response["Retry-After"] = str(exc.retry_after)
    return response


def _me(request: HttpRequest) -> User:
    """The signed-in person (anonymous visitors log in first; views taking an id have already
    answered them 404 through their access function)."""
    access.require_login(request.user)
    return cast(User, request.user)


def _membership(acc: access.CommunityAccess) -> Membership:
    if acc.membership is None:  # the access functions used here never return one without
        raise Http404
    return acc.membership


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


# --- Inbox and conversations -------------------------------------------------------------------------


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    access.require_login(request.user)
    page = selectors.inbox_page(_me(request), request.GET.get("page"))
    return render(request, "messages/inbox.html", {"page": page})


@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    access.require_login(request.user)
    services.inbox_mark_all_read(user=_me(request))
    flash.success(request, "All conversations marked read.")
    return redirect("messages-inbox")


def _mark_greeted(welcomer: User, newcomer: User, community: Community) -> None:
    """A welcome message sent from the newcomers page counts as greeting the newcomer."""
    by = access.active_membership(welcomer, community)
    target = access.active_membership(newcomer, community)
    if by is not None and target is not None and access.can_welcome(by):
        onboarding_mark_greeted(newcomer=target, by=by)


def _recipients_and_contexts(user: User, handles: list[str]) -> tuple[list[User], list]:
    recipients = [access.recipient_for_sender(user, h) for h in handles]
    communities = list(access.shared_active_communities([user.pk, *[r.pk for r in recipients]]))
    if not communities:
        raise Http404
    return recipients, communities


@require_http_methods(["GET", "POST"])
def conversation_new(request: HttpRequest) -> HttpResponse:
    """Start a conversation: ``?to=<handle>`` (repeatable), ``&c=<community slug>`` to preselect
    the context, ``&welcome=1`` to prefill the community's welcome template (newcomers page)."""
    access.require_login(request.user)
    exc: ValidationError | None = None
    if request.method == "POST":
        probe = NewConversationForm(request.POST, communities=[])
        probe.is_valid()
        handles = probe.cleaned_data.get("to") or []
        recipients, communities, unknown = [], [], ""
        for handle in handles:
            try:
                recipients.append(access.recipient_for_sender(request.user, handle))
            except Http404:
                unknown = handle
                break
        if recipients and not unknown:
            communities = list(
                access.shared_active_communities([_me(request).pk, *[r.pk for r in recipients]])
            )
        form = NewConversationForm(request.POST, communities=communities)
        if unknown:
            form.add_error("to", f"@{unknown} isn't someone you can message.")
        elif recipients and not communities:
            form.add_error("to", "You don't all share a community, so this conversation can't start.")
        if form.is_valid():
            community = next(c for c in communities if c.slug == form.cleaned_data["community"])
            try:
                conversation = services.conversation_start(
                    sender=_me(request),
                    recipients=recipients,
                    community=community,
                    body_md=form.cleaned_data["body"],
                    subject=form.cleaned_data["subject"],
                )
            except ValidationError as e:
                exc = e
                for msg in e.messages:
                    form.add_error(None, msg)
            else:
                if request.POST.get("welcome") == "1" and len(recipients) == 1:
                    _mark_greeted(_me(request), recipients[0], community)
                return redirect(conversation)
        status = 429 if isinstance(exc, RateLimited) else 400
        response = render(
            request,
            "messages/new.html",
            {"form": form, "recipients": recipients, "welcome": request.POST.get("welcome") == "1"},
            status=status,
        )
        return _refused(response, exc) if exc else response
    handles = [h for h in request.GET.getlist("to") if h][: services.MAX_PARTICIPANTS - 1]
    recipients, communities = _recipients_and_contexts(_me(request), handles) if handles else ([], [])
    if not handles:
        communities = []
    initial = {"to": " ".join(r.handle for r in recipients)}
    chosen = next((c for c in communities if c.slug == request.GET.get("c")), None)
    if chosen is not None:
        initial["community"] = chosen.slug
        if request.GET.get("welcome") == "1" and len(recipients) == 1:
            initial["body"] = services.welcome_text(community=chosen, newcomer=recipients[0])
    form = NewConversationForm(initial=initial, communities=communities)
    welcome = request.GET.get("welcome") == "1"
    existing = selectors.existing_direct(_me(request), recipients[0]) if len(recipients) == 1 else None
    return render(
        request,
        "messages/new.html",
        {"form": form, "recipients": recipients, "welcome": welcome, "existing": existing},
    )


def _conversation_context(request: HttpRequest, conversation: Conversation, participant: Participant) -> dict:
    before = _int(request.GET.get("before"))
    view = selectors.conversation_view(conversation, viewer=_me(request), before=before)
    return {
        "conversation": conversation,
        "participant": participant,
        "view": view,
        "others": [p.user for p in view.participants if p.user_id != _me(request).pk],
        "latest": before is None,
        "can_write": access.can_write_in(_me(request), conversation),
        "edit_window_minutes": int(access.EDIT_WINDOW.total_seconds() // 60),
        "form": MessageForm(),
    }


@require_GET
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conv, participant = access.conversation_for_participant(request.user, conversation_id)
    ctx = _conversation_context(request, conv, participant)
    if ctx["latest"]:
        # Reading the latest page moves the reader's own marker (like a thread's read state).
        services.conversation_mark_read(participant=participant)
    return render(request, "messages/conversation.html", ctx)


@require_POST
def conversation_send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conv, participant = access.conversation_for_sender(request.user, conversation_id)
    form = MessageForm(request.POST)
    exc: ValidationError | None = None
    if form.is_valid():
        try:
            message = services.message_send(
                sender=_me(request), conversation=conv, body_md=form.cleaned_data["body"]
            )
        except ValidationError as e:
            exc = e
            for msg in e.messages:
                form.add_error(None, msg)
        else:
            return redirect(conv.get_absolute_url() + f"#m-{message.pk}")
    ctx = _conversation_context(request, conv, participant)
    ctx["form"] = form
    response = render(request, "messages/conversation.html", ctx, status=400)
    return _refused(response, exc) if exc else response


@require_GET
def conversation_poll(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The live update: new messages after ``?after=<id>`` as list items, ending with the next
    poller (htmx swaps the old poller for this). Cheap: the participation + one query."""
    conv, participant = access.conversation_for_participant(request.user, conversation_id)
    after = _int(request.GET.get("after")) or 0
    new = selectors.messages_after(conv, viewer=_me(request), after=after)
    if new:
        services.conversation_mark_read(participant=participant)
    return render(
        request,
        "messages/_poll.html",
        {
            "conversation": conv,
            "new_messages": new,
            "after": new[-1].pk if new else after,
            "edit_window_minutes": int(access.EDIT_WINDOW.total_seconds() // 60),
        },
    )


@require_POST
def conversation_read(request: HttpRequest, conversation_id: int) -> HttpResponse:
    _conv, participant = access.conversation_for_participant(request.user, conversation_id)
    services.conversation_mark_read(participant=participant)
    return redirect("messages-inbox")


@require_POST
def conversation_mute(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conv, participant = access.conversation_for_participant(request.user, conversation_id)
    muted = request.POST.get("muted", "1") == "1"
    services.conversation_set_muted(participant=participant, muted=muted)
    flash.success(request, "Conversation muted: no notifications." if muted else "Conversation unmuted.")
    return redirect(conv)


@require_POST
def conversation_leave(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conv, participant = access.conversation_for_participant(request.user, conversation_id)
    try:
        services.conversation_leave(participant=participant)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect(conv)
    flash.success(request, "You left the conversation.")
    return redirect("messages-inbox")


@require_http_methods(["GET", "POST"])
def message_edit(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    message, _participant = access.message_for_author(request.user, conversation_id, message_id)
    if request.method == "POST":
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                services.message_edit(message=message, body_md=form.cleaned_data["body"])
            except ValidationError as exc:
                for msg in exc.messages:
                    form.add_error(None, msg)
            else:
                return redirect(message.conversation.get_absolute_url() + f"#m-{message.pk}")
        return render(request, "messages/edit.html", {"form": form, "message": message}, status=400)
    form = MessageForm(initial={"body": message.body_md})
    return render(
        request,
        "messages/edit.html",
        {"form": form, "message": message, "too_late": not access.can_edit_message(message)},
    )


@require_POST
def message_delete(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    message, _participant = access.message_for_author(request.user, conversation_id, message_id)
    try:
        services.message_delete(message=message)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, "Message deleted.")
    return redirect(message.conversation)


@require_http_methods(["GET", "POST"])
def message_report(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    message, _participant = access.message_for_reporter(request.user, conversation_id, message_id)
    communities = access.report_communities(_me(request), message)
    context = selectors.reportable_context(message, _me(request))
    ctx = {"message": message, "communities": communities, "context_messages": context}
    if request.method == "POST":
        form = ReportForm(request.POST, communities=communities, context=context)
        if form.is_valid():
            try:
                message_reports.message_report_create(
                    reporter=_me(request),
                    message=message,
                    community_id=int(form.cleaned_data["community"]),
                    include_ids=[int(i) for i in form.cleaned_data["include"]],
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                for msg in exc.messages:
                    form.add_error(None, msg)
            else:
                flash.success(request, "Thanks — the moderators will look at it. Only they see your report.")
                return redirect(message.conversation)
        return render(request, "messages/report.html", {**ctx, "form": form}, status=400)
    initial = {"community": str(communities[0].pk)} if len(communities) == 1 else {}
    form = ReportForm(initial=initial, communities=communities, context=context)
    return render(request, "messages/report.html", {**ctx, "form": form})


# --- The person's settings and blocks ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def messaging_settings(request: HttpRequest) -> HttpResponse:
    access.require_login(request.user)
    current = access.who_may_message_of(_me(request).pk)
    form = PreferenceForm(request.POST or None, initial={"who_may_message": current})
    if request.method == "POST" and form.is_valid():
        services.messaging_preference_set(
            user=_me(request), who_may_message=form.cleaned_data["who_may_message"]
        )
        flash.success(request, "Messaging settings saved.")
        return redirect("messages-settings")
    return render(
        request,
        "messages/settings.html",
        {"form": form, "blocks": selectors.blocked_people(_me(request)), "section": "messages"},
        status=400 if form.errors else 200,
    )


@require_POST
def block(request: HttpRequest, handle: str) -> HttpResponse:
    access.require_login(request.user)
    on = request.POST.get("block", "1") == "1"
    if on:
        found, _ = access.person_for_viewer(request.user, handle)
        person = cast(User, found)
    else:
        # Unblocking needs no shared community any more: only one's own block of them.
        person = selectors.blocked_person(_me(request), handle)
    try:
        services.block_set(user=_me(request), blocked=person, on=on)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(
            request,
            f"You blocked @{person.handle}: they can't message you and you won't see their messages."
            if on
            else f"You unblocked @{person.handle}.",
        )
    return redirect("messages-settings")


# --- Owners: the community's messaging settings -----------------------------------------------------


@require_http_methods(["GET", "POST"])
def community_settings(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_landing(request.user, slug)
    if not access.can_manage_community(acc.membership):
        raise Http404
    instance = services.community_messaging(acc.community)
    form = CommunityMessagingForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.community_messaging_update(actor=_membership(acc), values=form.cleaned_data)
        flash.success(request, "Messaging settings saved.")
        return redirect("messages-community-settings", acc.community.slug)
    if not form.is_bound and not instance.welcome_template_md:
        form.initial["welcome_template_md"] = instance.welcome_template
    return render(
        request,
        "messages/community_settings.html",
        {"community": acc.community, "access": acc, "form": form},
        status=400 if form.errors else 200,
    )


# --- Staff: moderator notes (the shared staff inbox) and message reports ------------------------------


@require_GET
def staff_inbox(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_message_staff(request.user, slug)
    page = selectors.staff_inbox_page(acc.community, request.GET.get("page"))
    return render(
        request,
        "messages/staff_inbox.html",
        {"community": acc.community, "access": acc, "page": page, "nav_active": "notes"},
    )


@require_http_methods(["GET", "POST"])
def modnote_new(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_message_staff(request.user, slug)
    handle = request.POST.get("to") or request.GET.get("to") or ""
    target = access.member_for_modnote(acc, handle)
    form = ModNoteForm(request.POST or None)
    exc: ValidationError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            conv = services.modnote_start(
                actor=_membership(acc),
                target=target,
                body_md=form.cleaned_data["body"],
                subject=form.cleaned_data["subject"],
            )
        except ValidationError as e:
            exc = e
            for msg in e.messages:
                form.add_error(None, msg)
        else:
            flash.success(request, f"Note sent to @{target.user.handle}. Every moderator can follow it here.")
            return redirect("messages-staff-conversation", acc.community.slug, conv.pk)
    response = render(
        request,
        "messages/modnote_new.html",
        {"community": acc.community, "access": acc, "form": form, "target": target},
        status=400 if form.errors else 200,
    )
    return _refused(response, exc) if exc else response


@require_http_methods(["GET", "POST"])
def staff_conversation(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    conv, acc = access.modnote_for_staff(request.user, slug, conversation_id)
    form = ModNoteForm(request.POST or None)
    exc: ValidationError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            message = services.modnote_reply(
                actor=_membership(acc), conversation=conv, body_md=form.cleaned_data["body"]
            )
        except ValidationError as e:
            exc = e
            for msg in e.messages:
                form.add_error(None, msg)
        else:
            return redirect(
                reverse("messages-staff-conversation", args=[acc.community.slug, conv.pk])
                + f"#m-{message.pk}"
            )
    view = selectors.conversation_view(conv, viewer=None, before=_int(request.GET.get("before")))
    response = render(
        request,
        "messages/staff_conversation.html",
        {"community": acc.community, "access": acc, "conversation": conv, "view": view, "form": form},
        status=400 if form.errors else 200,
    )
    return _refused(response, exc) if exc else response


@require_POST
def report_resolve(request: HttpRequest, slug: str, report_id: int) -> HttpResponse:
    report, acc = access.message_report_for_staff(request.user, slug, report_id)
    form = ReportResolveForm(request.POST)
    queue = reverse("mod-queue", args=[acc.community.slug])
    if not form.is_valid():
        flash.error(request, "Choose dismiss, warn, mute or ban.")
        return redirect(queue)
    data = form.cleaned_data
    try:
        message_reports.message_report_resolve(
            actor=_membership(acc),
            report=report,
            action=data["action"],
            reason=data["reason"],
            mute_days=data["mute_days"],
        )
    except AlreadyHandled as exc:
        flash.warning(request, str(exc))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        done = {
            "dismiss": "Report dismissed.",
            "warn": "The sender was warned.",
            "mute": "The sender is muted.",
            "ban": "The sender was banned.",
        }
        flash.success(request, done[data["action"]])
    return redirect(queue)
