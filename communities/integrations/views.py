"""Webhook pages (owners, under the community's settings) and the member's feed links.
Thin: access, then a selector or service, then a template."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.integrations import egress, selectors, services
from communities.integrations.forms import WebhookForm
from communities.integrations.models import MAX_ATTEMPTS
from config.errors import too_many_requests
from members import access
from members.models import User
from members.selectors import join_state, member_count
from moderation import ratelimit

NEW_FEED_SESSION_KEY = "integrations.new_feed_link"


def _context(request: HttpRequest, acc: access.CommunityAccess, **extra: object) -> dict:
    return {
        "community": acc.community,
        "access": acc,
        "member_count": member_count(acc.community),
        "join": join_state(request.user, acc),
        "nav": "settings",
        **extra,
    }


def _form_errors(form: WebhookForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require_GET
def webhook_list(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_webhooks(request.user, slug)
    hooks = selectors.community_webhooks(acc.community)
    return render(request, "integrations/webhooks.html", _context(request, acc, webhooks=hooks))


@require_http_methods(["GET", "POST"])
def webhook_new(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_webhooks(request.user, slug)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hook = services.webhook_create(
                community=acc.community,
                actor=cast(User, request.user),  # an owner: signed in
                url=data["url"],
                chosen_events=data["events"],
                description=data["description"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "Webhook added. Copy its secret to verify the signatures.")
            return redirect("webhook-detail", slug=slug, webhook_id=hook.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "integrations/webhook_form.html", _context(request, acc, form=form), status=status)


@require_http_methods(["GET", "POST"])
def webhook_detail(request: HttpRequest, slug: str, webhook_id: int) -> HttpResponse:
    hook, acc = access.webhook_for_owner(request.user, slug, webhook_id)
    initial = {
        "url": hook.url,
        "description": hook.description,
        "events": hook.events,
        "is_active": hook.is_active,
    }
    form = WebhookForm(request.POST or None, initial=initial, with_active=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.webhook_update(
                webhook=hook,
                url=data["url"],
                chosen_events=data["events"],
                description=data["description"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "Webhook saved.")
            return redirect("webhook-detail", slug=slug, webhook_id=hook.pk)
    recent = selectors.delivery_page(hook, 1)
    status = 400 if request.method == "POST" else 200
    ctx = _context(
        request,
        acc,
        webhook=hook,
        form=form,
        recent=recent.object_list[:5],
        signature_header=egress.SIGNATURE_HEADER,
        max_attempts=MAX_ATTEMPTS,
    )
    return render(request, "integrations/webhook_detail.html", ctx, status=status)


@require_POST
def webhook_rotate(request: HttpRequest, slug: str, webhook_id: int) -> HttpResponse:
    hook, _ = access.webhook_for_owner(request.user, slug, webhook_id)
    services.webhook_rotate_secret(webhook=hook)
    messages.success(request, "New secret made. Deliveries from now on are signed with it.")
    return redirect("webhook-detail", slug=slug, webhook_id=hook.pk)


@require_POST
def webhook_test(request: HttpRequest, slug: str, webhook_id: int) -> HttpResponse:
    hook, _ = access.webhook_for_owner(request.user, slug, webhook_id)
    try:
        services.webhook_send_test(webhook=hook)
    except ratelimit.RateLimited as exc:
        return too_many_requests(request, " ".join(exc.messages), exc.retry_after)
    messages.success(request, "Test delivery queued. Its result shows in the log below.")
    return redirect("webhook-deliveries", slug=slug, webhook_id=hook.pk)


@require_POST
def webhook_delete(request: HttpRequest, slug: str, webhook_id: int) -> HttpResponse:
    hook, _ = access.webhook_for_owner(request.user, slug, webhook_id)
    services.webhook_delete(webhook=hook)
    messages.success(request, "Webhook deleted.")
    return redirect("webhook-list", slug=slug)


@require_GET
def delivery_log(request: HttpRequest, slug: str, webhook_id: int) -> HttpResponse:
    hook, acc = access.webhook_for_owner(request.user, slug, webhook_id)
    page = selectors.delivery_page(hook, request.GET.get("page"))
    ctx = _context(request, acc, webhook=hook, page=page, max_attempts=MAX_ATTEMPTS)
    return render(request, "integrations/deliveries.html", ctx)


@require_GET
def delivery_detail(request: HttpRequest, slug: str, webhook_id: int, delivery_id: int) -> HttpResponse:
    delivery, hook, acc = access.delivery_for_owner(request.user, slug, webhook_id, delivery_id)
    attempts = selectors.delivery_attempts(delivery)
    ctx = _context(
        request, acc, webhook=hook, delivery=delivery, attempts=attempts, max_attempts=MAX_ATTEMPTS
    )
    return render(request, "integrations/delivery_detail.html", ctx)


# --- The member's feed links (settings) --------------------------------------------------------


@require_GET
def feed_settings(request: HttpRequest) -> HttpResponse:
    access.require_login(request.user)
    new_link = request.session.pop(NEW_FEED_SESSION_KEY, None)
    rows = selectors.feed_tokens_of(cast(User, request.user))
    return render(
        request,
        "integrations/settings_feeds.html",
        {"section": "feeds", "rows": rows, "new_link": new_link},
    )


@require_POST
def feed_link_new(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.membership_for_feed_link(request.user, slug)
    token = services.feed_token_create(membership=membership)
    # Shown once, on the next page: only a digest of the token is kept.
    request.session[NEW_FEED_SESSION_KEY] = {
        "community": membership.community.name,
        "atom": selectors.absolute(reverse("feed-personal-atom", args=[token])),
        "rss": selectors.absolute(reverse("feed-personal-rss", args=[token])),
    }
    return redirect("settings-feeds")


@require_POST
def feed_link_revoke(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.membership_for_feed_link(request.user, slug)
    services.feed_token_revoke(user=membership.user, community=membership.community)
    messages.success(request, f"Your feed link for {membership.community.name} no longer works.")
    return redirect("settings-feeds")
