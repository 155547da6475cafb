"""Moderation pages. Thin: access first, then one selector or service, then a response.

Queue actions answer htmx requests with the handled item's HTML (swapped in place) and plain
form posts with a redirect back to the queue and a message, so everything works without JS.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.discussions.services import post_url
from communities.models import Community
from config.inputs import safe_next
from members import access
from members.models import User
from members.services import MembershipError
from members.submissions.services import submit_once
from moderation import hooks as moderation_hooks
from moderation import queue as moderation_queue
from moderation import sanctions as moderation_sanctions
from moderation import selectors, services
from moderation.forms import (
    AuditFilterForm,
    CommunityModerationForm,
    FlagForm,
    FlagResolveForm,
    HeldDecisionForm,
    JoinDecisionForm,
    LimitsForm,
    PostModerationForm,
    SanctionForm,
    WordFilterForm,
)
from moderation.models import Flag
from moderation.ratelimit import RateLimited


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) or request.headers.get("HX-Request") == "true"


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _queue_url(community: Community, request: HttpRequest) -> str:
    url = reverse("mod-queue", args=[community.slug])
    kind = request.POST.get("type") or request.GET.get("type")
    return f"{url}?type={kind}" if kind in selectors.QUEUE_KINDS else url


def _done(
    request: HttpRequest,
    acc: access.CommunityAccess,
    dom_id: str,
    text: str,
    level: str = "success",
    status: int = 200,
) -> HttpResponse:
    """The answer to a queue action: the item's replacement (htmx) or a redirect with a message."""
    community = acc.community
    if _is_htmx(request):
        # htmx swaps only 2xx answers by default: errors come back as 200 with the message in place.
        return render(
            request,
            "moderation/_queue_item_done.html",
            {
                "dom_id": dom_id,
                "text": text,
                "level": level,
                "counts": selectors.review_queue_counts(community, viewer=acc.membership),
                "community": community,
            },
        )
    getattr(messages, level)(request, text)
    return redirect(_queue_url(community, request))


# --- Review queue ----------------------------------------------------------------------------------


@require_GET
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_staff(request.user, slug)
    kind = request.GET.get("type", "")
    kind = kind if kind in selectors.QUEUE_KINDS else ""
    newest = request.GET.get("order") == "newest"
    page = selectors.review_queue_page(
        acc.community,
        viewer=acc.membership,
        kind=kind or None,
        page=request.GET.get("page", 1),
        newest_first=newest,
    )
    counts = selectors.review_queue_counts(acc.community, viewer=acc.membership)
    return render(
        request,
        "moderation/queue.html",
        {
            "community": acc.community,
            "access": acc,
            "page": page,
            "counts": counts,
            "queue_counts": counts,
            "kind": kind,
            "newest": newest,
            "flag_form": FlagResolveForm(),
            "nav_active": "queue",
        },
    )


@require_POST
def queue_join(request: HttpRequest, slug: str, request_id: int) -> HttpResponse:
    join_request, acc = access.join_request_for_staff(request.user, slug, request_id)
    dom_id = f"queue-join-{join_request.pk}"
    form = JoinDecisionForm(request.POST)
    if not form.is_valid():
        return _done(request, acc, dom_id, "Choose approve or reject.", "error", 400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        moderation_queue.queue_decide_join(
            actor=acc.membership,
            join_request=join_request,
            approve=approve,
            reason=form.cleaned_data["reason"],
        )
    except services.AlreadyHandled as exc:
        return _done(request, acc, dom_id, str(exc), "warning")
    except MembershipError as exc:
        return _done(request, acc, dom_id, str(exc), "error", 400)
    who = f"@{join_request.user.handle}"
    return _done(request, acc, dom_id, f"{who} {'is now a member' if approve else 'was not approved'}.")


def _sanction_note(form_data: dict) -> str:
    sanction = form_data.get("sanction")
    if sanction == "mute":
        return f" The author is muted for {form_data.get('mute_days') or 1} day(s)."
    if sanction == "warn":
        return " The author was warned."
    if sanction == "ban":
        return " The author was banned."
    return ""


@require_POST
def queue_flag(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_staff(request.user, slug, post_id)
    dom_id = f"queue-flag-{post.pk}"
    form = FlagResolveForm(request.POST)
    if not form.is_valid():
        return _done(request, acc, dom_id, "Choose keep, hide or delete.", "error", 400)
    data = form.cleaned_data
    try:
        moderation_queue.queue_resolve_flags(
            actor=acc.membership,
            post=post,
            action=data["action"],
            reason=data["reason"],
            sanction=data["sanction"],
            mute_days=data["mute_days"],
        )
    except services.AlreadyHandled as exc:
        return _done(request, acc, dom_id, str(exc), "warning")
    except ValidationError as exc:
        return _done(request, acc, dom_id, _error_text(exc), "error", 400)
    except PermissionDenied as exc:
        if not _is_htmx(request):
            raise
        return _done(request, acc, dom_id, str(exc), "error", 403)
    done = {"keep": "Flags dismissed; the post stays.", "hide": "Post hidden.", "delete": "Post deleted."}
    return _done(request, acc, dom_id, done[data["action"]] + _sanction_note(data))


@require_POST
def queue_held(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_staff(request.user, slug, post_id)
    dom_id = f"queue-held-{post.pk}"
    form = HeldDecisionForm(request.POST)
    if not form.is_valid():
        return _done(request, acc, dom_id, "Choose approve or reject.", "error", 400)
    data = form.cleaned_data
    approve = data["decision"] == "approve"
    try:
        moderation_queue.queue_decide_held(
            actor=acc.membership,
            post=post,
            approve=approve,
            reason=data["reason"],
            sanction=data["sanction"],
            mute_days=data["mute_days"],
        )
    except services.AlreadyHandled as exc:
        return _done(request, acc, dom_id, str(exc), "warning")
    except ValidationError as exc:
        return _done(request, acc, dom_id, _error_text(exc), "error", 400)
    except PermissionDenied as exc:
        if not _is_htmx(request):
            raise
        return _done(request, acc, dom_id, str(exc), "error", 403)
    text = "Post approved and published." if approve else "Post rejected."
    return _done(request, acc, dom_id, text + _sanction_note(data))


# --- Posts: flag, and staff actions from the thread page --------------------------------------------


def _safe_next(request: HttpRequest, fallback: str) -> str:
    return safe_next(request, fallback)


@require_http_methods(["GET", "POST"])
def post_flag(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_member(request.user, slug, post_id)

    back = post_url(post)
    context = {"community": acc.community, "access": acc, "post": post, "back": back}
    if post.author_id == acc.membership.user_id:
        context["refusal"] = "You can't flag your own post."
        return render(request, "moderation/flag.html", context, status=403)
    form = FlagForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            # The same form sent twice answers like the first time (one flag).
            submit_once(
                user_id=acc.membership.user_id,
                key=form.cleaned_data["submission_key"],
                scope="flag",
                create=lambda: moderation_hooks.flag_create(
                    membership=acc.membership,
                    post=post,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                ),
                load=lambda pk: Flag.objects.filter(pk=pk).first(),
            )
        except RateLimited as exc:
            form.add_error(None, exc)
            status = 429
        except ValidationError as exc:
            form.add_error(None, exc)
            status = 400
        else:
            text = "Thank you. The moderators will look at this post."
            post.refresh_from_db(fields=["removed_at"])
            if post.removed_at is not None:
                text = (
                    "Thank you. Enough members flagged this post, "
                    "so it is hidden until a moderator reviews it."
                )
                back = acc.community.get_absolute_url()  # the thread may be hidden with it
            if _is_htmx(request):
                return render(request, "moderation/_flag_done.html", {"post": post, "text": text})
            messages.success(request, text)
            return HttpResponseRedirect(back)
    elif request.method == "POST":
        status = 400
    context["form"] = form
    response = render(request, "moderation/flag.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(form.non_field_errors().data[0].retry_after)
    return response


@require_POST
def post_moderate(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    """Hide / restore / delete a post from the thread page (staff)."""
    post, acc = access.post_for_staff(request.user, slug, post_id)

    back = _safe_next(request, post_url(post))
    form = PostModerationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose hide, restore or delete.")
        return HttpResponseRedirect(back)
    action = {"hide": services.post_hide, "restore": services.post_restore, "delete": services.post_erase}
    try:
        action[form.cleaned_data["action"]](
            actor=acc.membership, post=post, reason=form.cleaned_data["reason"]
        )
    except services.AlreadyHandled as exc:
        messages.warning(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            {"hide": "Post hidden.", "restore": "Post restored.", "delete": "Post deleted."}[
                form.cleaned_data["action"]
            ],
        )
    return HttpResponseRedirect(back)


# --- Members: sanctions ----------------------------------------------------------------------------


@require_GET
def members(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_staff(request.user, slug)
    handle = (request.GET.get("handle") or "").strip().lstrip("@")
    if handle:
        membership = (
            acc.community.memberships.filter(user__handle__iexact=handle).select_related("user").first()
        )
        if membership is not None:
            return redirect("mod-member", slug=acc.community.slug, handle=membership.user.handle)
        messages.error(request, f"No member @{handle} in this community.")
    paginator = Paginator(selectors.sanctioned_members(acc.community), 50)
    return render(
        request,
        "moderation/members.html",
        {
            "community": acc.community,
            "access": acc,
            "page": paginator.get_page(request.GET.get("page")),
            "handle": handle,
            "nav_active": "members",
        },
    )


@require_http_methods(["GET", "POST"])
def member(request: HttpRequest, slug: str, handle: str) -> HttpResponse:
    target, acc = access.member_for_staff(request.user, slug, handle)
    can_act = access.can_moderate_member(acc.membership, target)
    form = SanctionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied("Moderators can't sanction the owner or other moderators.")
        if form.is_valid():
            data = form.cleaned_data
            kwargs = {"actor": acc.membership, "target": target, "reason": data["reason"]}
            try:
                if data["action"] == "warn":
                    moderation_sanctions.member_warn(**kwargs)
                elif data["action"] == "mute":
                    moderation_sanctions.member_mute(**kwargs, days=data["mute_days"] or 1)
                elif data["action"] == "unmute":
                    moderation_sanctions.member_unmute(**kwargs)
                elif data["action"] == "ban":
                    moderation_sanctions.member_ban(**kwargs)
                else:
                    moderation_sanctions.member_unban(**kwargs)
            except services.AlreadyHandled as exc:
                messages.warning(request, str(exc))
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 400
            else:
                done = {
                    "warn": "warned",
                    "mute": "muted",
                    "unmute": "unmuted",
                    "ban": "banned",
                    "unban": "unbanned",
                }[data["action"]]
                messages.success(request, f"@{target.user.handle} was {done}.")
                return redirect("mod-member", slug=acc.community.slug, handle=target.user.handle)
        else:
            status = 400
    return render(
        request,
        "moderation/member.html",
        {
            "community": acc.community,
            "access": acc,
            "target": target,
            "can_act": can_act,
            "form": form,
            "muted_until": selectors.active_mute(target),
            "history": selectors.member_sanction_history(acc.community, target.user),
            "nav_active": "members",
        },
        status=status,
    )


@require_POST
def warning_ack(request: HttpRequest, slug: str, sanction_id: int) -> HttpResponse:
    acc = access.community_for_member(request.user, slug)
    moderation_sanctions.warning_acknowledge(user=request.user, sanction_id=sanction_id)
    if _is_htmx(request):
        return HttpResponse("")
    return HttpResponseRedirect(_safe_next(request, acc.community.get_absolute_url()))


# --- Word filters and settings ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def word_filters(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_staff(request.user, slug)
    form = WordFilterForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.word_filter_add(
                    actor=acc.membership,
                    phrase=form.cleaned_data["phrase"],
                    action=form.cleaned_data["action"],
                )
            except ValidationError as exc:
                form.add_error("phrase", exc)
                status = 400
            else:
                messages.success(request, "Added to the word filter.")
                return redirect("mod-word-filters", slug=acc.community.slug)
        else:
            status = 400
    return render(
        request,
        "moderation/word_filters.html",
        {
            "community": acc.community,
            "access": acc,
            "form": form,
            "filters": selectors.word_filters(acc.community.pk),
            "nav_active": "filters",
        },
        status=status,
    )


@require_POST
def word_filter_delete(request: HttpRequest, slug: str, filter_id: int) -> HttpResponse:
    word_filter, acc = access.word_filter_for_staff(request.user, slug, filter_id)
    services.word_filter_remove(actor=acc.membership, word_filter_id=word_filter.pk)
    messages.success(request, "Removed from the word filter.")
    return redirect("mod-word-filters", slug=acc.community.slug)


@require_http_methods(["GET", "POST"])
def moderation_settings(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_owner(request.user, slug)
    limits = selectors.community_limits(acc.community)
    community_form = CommunityModerationForm(request.POST or None, instance=acc.community, prefix="c")
    limits_form = LimitsForm(request.POST or None, instance=limits, prefix="l")
    status = 200
    if request.method == "POST":
        if community_form.is_valid() and limits_form.is_valid():
            services.moderation_settings_update(
                actor=acc.membership,
                community_values=community_form.cleaned_data,
                limit_values=limits_form.cleaned_data,
            )
            messages.success(request, "Moderation settings saved.")
            return redirect("mod-settings", slug=acc.community.slug)
        status = 400
        acc.community.refresh_from_db()
    return render(
        request,
        "moderation/settings.html",
        {
            "community": acc.community,
            "access": acc,
            "community_form": community_form,
            "limits_form": limits_form,
            "nav_active": "settings",
        },
        status=status,
    )


# --- Logs ------------------------------------------------------------------------------------------


def _user_by_handle(handle: str) -> User | None:
    handle = (handle or "").strip().lstrip("@")
    return User.objects.filter(handle__iexact=handle).first() if handle else None


@require_GET
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_staff(request.user, slug)
    form = AuditFilterForm(request.GET or None)
    action, actor, target = "", None, None
    empty = False
    if form.is_valid():
        action = form.cleaned_data["action"]
        if form.cleaned_data["actor"]:
            actor = _user_by_handle(form.cleaned_data["actor"])
            empty = empty or actor is None
        if form.cleaned_data["target"]:
            target = _user_by_handle(form.cleaned_data["target"])
            empty = empty or target is None
    entries = selectors.audit_log(acc.community, action=action, actor=actor, target=target)
    if empty:
        entries = entries.none()
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/audit_log.html",
        {
            "community": acc.community,
            "access": acc,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "nav_active": "log",
        },
    )


@require_GET
def transparency(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_member(request.user, slug)
    if not acc.community.transparency_log_enabled and not acc.is_staff:
        raise Http404
    page = Paginator(selectors.transparency_log(acc.community), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/transparency.html",
        {
            "community": acc.community,
            "access": acc,
            "page": page,
            "nav_active": "transparency",
            "show_moderator": acc.community.transparency_show_moderator,
        },
    )
