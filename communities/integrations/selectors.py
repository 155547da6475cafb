"""Reads for webhooks (payloads, delivery log) and feeds.

Payloads are what an ordinary member of the community may see (``members.access`` decides
with a reference member): nothing from restricted spaces, nothing held or removed, no email
addresses, no screening answers, no flag notes or flaggers. An event that would show something
a member may not see is not sent at all (``event_payload`` returns None).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse

from communities.discussions.models import Post, PostStatus, Thread
from communities.events.models import Event, Rsvp
from communities.integrations import events
from communities.integrations.models import FeedToken, Webhook, WebhookAttempt, WebhookDelivery
from communities.models import Community, Space
from members import access
from members.models import JoinRequest, Membership, MembershipStatus, User
from moderation.models import Flag

DELIVERIES_PER_PAGE = 25
FEED_ITEMS = 30


def absolute(path: str) -> str:
    return settings.SITE_URL + path


# --- Webhooks: owner pages ---------------------------------------------------------------------


def community_webhooks(community: Community) -> list[Webhook]:
    return list(Webhook.objects.filter(community=community).order_by("created_at", "id"))


def delivery_page(webhook: Webhook, page_number: str | int | None) -> Page:
    """One page of a webhook's delivery log, newest first (a fixed number of queries)."""
    qs = WebhookDelivery.objects.filter(webhook=webhook).defer("body").order_by("-created_at", "-id")
    return Paginator(qs, DELIVERIES_PER_PAGE).get_page(page_number)


def delivery_body_pretty(delivery: WebhookDelivery) -> str:
    """The stored body, indented for reading (the raw body is what was signed and sent)."""
    try:
        return json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return delivery.body


def delivery_attempts(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(delivery.attempt_log.order_by("number", "id")[:20])


# --- Webhooks: payloads ----------------------------------------------------------------------


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"handle": user.handle, "name": user.name, "url": absolute(user.get_absolute_url())}


def _space(space: Space) -> dict[str, Any]:
    return {"id": space.pk, "slug": space.slug, "name": space.name}


def _thread(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.pk,
        "title": thread.title,
        "url": absolute(thread.get_absolute_url()),
        "space": _space(thread.space),
    }


def _post_url(post: Post, community: Community) -> str:
    return absolute(reverse("post-permalink", args=[community.slug, post.pk]))


def _post(post: Post, community: Community, *, with_body: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": post.pk,
        "url": _post_url(post, community),
        "thread": _thread(post.thread),
    }
    if with_body:
        data.update(
            {
                "author": _person(post.author),
                "created_at": post.created_at.isoformat(),
                "is_opening": post.is_opening,
                "reply_to_id": post.reply_to_id,
                "body_markdown": post.body_md,
                "body_html": post.body_html,
            }
        )
    return data


def ref_id(refs: dict[str, Any], key: str) -> int | None:
    """An object id named in an event's refs (ints survive the JSON round trip through Celery)."""
    value = refs.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _load_post(community: Community, post_id: int | None) -> Post | None:
    if post_id is None:
        return None
    return (
        Post.objects.select_related("thread", "thread__space", "thread__community", "author")
        .filter(pk=post_id, community_id=community.pk)
        .first()
    )


def _payload_data(event: str, community: Community, refs: dict[str, Any]) -> dict[str, Any] | None:
    """The ``data`` of an event, or None when it must not be sent."""
    if event == events.PING:
        return {"message": "A test delivery from Hearth. Your endpoint is reachable."}

    if event in (events.THREAD_CREATED, events.POST_CREATED):
        post = _load_post(community, ref_id(refs, "post_id"))
        if post is None or not access.webhook_may_show_post(post):
            return None
        if event == events.THREAD_CREATED:
            if not post.is_opening:
                return None
            return {
                "thread": {**_thread(post.thread), "created_at": post.thread.created_at.isoformat()},
                "post": _post(post, community),
            }
        return {"post": _post(post, community)}

    if event == events.POST_HIDDEN:
        post = _load_post(community, ref_id(refs, "post_id"))
        if post is None or not access.webhook_may_show_space(post.thread.space):
            return None
        data = _post(post, community, with_body=False)
        if post.thread.removed_at is not None:
            data["thread"] = {"id": post.thread_id}  # the whole thread went with its opening post
        return {"post": data, "hidden_at": post.removed_at.isoformat() if post.removed_at else None}

    if event == events.FLAG_CREATED:
        flag = (
            Flag.objects.select_related(
                "post", "post__thread", "post__thread__space", "post__thread__community"
            )
            .filter(pk=ref_id(refs, "flag_id") or 0, community_id=community.pk)
            .first()
        )
        if flag is None or not access.webhook_may_show_space(flag.post.thread.space):
            return None
        post_data = _post(flag.post, community, with_body=False)
        if flag.post.thread.removed_at is not None:
            post_data["thread"] = {"id": flag.post.thread_id}
        return {
            "flag": {
                "id": flag.pk,
                "reason": flag.reason,
                "created_at": flag.created_at.isoformat(),
                "review_url": absolute(reverse("mod-queue", args=[community.slug])),
            },
            "post": post_data,
        }

    if event in (events.MEMBER_JOINED, events.MEMBER_LEFT):
        membership = (
            Membership.objects.select_related("user")
            .filter(pk=ref_id(refs, "membership_id") or 0, community_id=community.pk)
            .first()
        )
        if membership is None or membership.user.is_bot:
            return None
        member: dict[str, Any] = {"handle": membership.user.handle, "name": membership.user.name}
        if event == events.MEMBER_JOINED:
            if membership.status != MembershipStatus.ACTIVE:
                return None  # left again before we got to it: say nothing about a non-member
            member.update(
                {
                    "url": absolute(membership.user.get_absolute_url()),
                    "role": membership.role,
                    "joined_at": membership.joined_at.isoformat(),
                }
            )
            return {"member": member}
        left_at = membership.left_at.isoformat() if membership.left_at else None
        return {"member": member, "left_at": left_at}

    if event == events.JOIN_REQUEST_CREATED:
        join_request = (
            JoinRequest.objects.select_related("user")
            .filter(pk=ref_id(refs, "join_request_id") or 0, community_id=community.pk)
            .first()
        )
        if join_request is None:
            return None
        return {
            "join_request": {
                "id": join_request.pk,
                "created_at": join_request.created_at.isoformat(),
                "applicant": {"handle": join_request.user.handle, "name": join_request.user.name},
                "review_url": absolute(reverse("join-requests", args=[community.slug])),
            }
        }

    if event in (events.EVENT_CREATED, events.EVENT_UPDATED, events.EVENT_CANCELLED, events.RSVP_CHANGED):
        return _event_data(event, community, refs)

    extra = events.payload_builder(event)
    if extra is not None:
        return extra(community, refs)
    return None


def _event_data(event: str, community: Community, refs: dict[str, Any]) -> dict[str, Any] | None:
    """An event (meetup, AMA…) as its page shows it to members; none from restricted spaces or
    removed threads. ``rsvp.changed`` adds who answered and what."""
    row = (
        Event.objects.select_related("thread", "thread__space", "thread__community", "host")
        .filter(pk=ref_id(refs, "event_id") or 0, community_id=community.pk)
        .first()
    )
    if (
        row is None
        or row.thread.removed_at is not None
        or not access.webhook_may_show_space(row.thread.space)
    ):
        return None
    data: dict[str, Any] = {
        "event": {
            "id": row.pk,
            "title": row.thread.title,
            "url": absolute(reverse("event-detail", args=[community.slug, row.pk])),
            "kind": row.kind,
            "status": row.status,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
            "time_zone": row.time_zone,
            "location": row.location,
            "online_url": row.online_url,
            "capacity": row.capacity,
            "host": _person(row.host),
            "thread": _thread(row.thread),
        }
    }
    if event == events.RSVP_CHANGED:
        rsvp = Rsvp.objects.select_related("user").filter(pk=ref_id(refs, "rsvp_id") or 0, event=row).first()
        if rsvp is None:
            return None
        data["rsvp"] = {
            "member": {"handle": rsvp.user.handle, "name": rsvp.user.name},
            "status": rsvp.status,
            "updated_at": rsvp.updated_at.isoformat(),
        }
    return data


def event_payload(
    *, event: str, event_id: str, community: Community, occurred_at: datetime, refs: dict[str, Any]
) -> dict[str, Any] | None:
    """The whole JSON document sent for an event, or None when nothing may be sent."""
    data = _payload_data(event, community, refs)
    if data is None:
        return None
    return {
        "id": event_id,
        "type": event,
        "created_at": occurred_at.isoformat(),
        "community": {
            "id": community.pk,
            "slug": community.slug,
            "name": community.name,
            "url": absolute(community.get_absolute_url()),
        },
        "data": data,
    }


# --- Feeds -----------------------------------------------------------------------------------


def feed_threads(
    *,
    community: Community,
    membership: Membership | None,
    space: Space | None = None,
    limit: int = FEED_ITEMS,
) -> list[Thread]:
    """The newest threads the viewer may read (one query, whatever the count), each with its
    opening post's HTML as ``opening_html``. Removed threads and held opening posts never show,
    not even to staff: a feed is what everybody in that role sees."""
    opening = Post.objects.filter(
        thread=OuterRef("pk"), is_opening=True, status=PostStatus.PUBLISHED, removed_at__isnull=True
    ).order_by("id")
    qs: QuerySet[Thread] = (
        Thread.objects.filter(community=community, removed_at__isnull=True)
        .filter(access.visible_spaces_q(membership, prefix="space__"))
        .annotate(opening_html=Subquery(opening.values("body_html")[:1]))
        .filter(opening_html__isnull=False)
        .select_related("space", "author", "community")
        .order_by("-created_at", "-id")
    )
    if space is not None:
        qs = qs.filter(space=space)
    return list(qs[:limit])


@dataclass(frozen=True)
class FeedLinkRow:
    community: Community
    token: FeedToken | None


def feed_tokens_of(user: User) -> list[FeedLinkRow]:
    """One row per community the user is an active member of, with the live feed token (or
    None). Two queries."""
    memberships = list(
        Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE)
        .select_related("community")
        .order_by("community__name")[:200]
    )
    tokens = {
        t.community_id: t
        for t in FeedToken.objects.filter(
            user=user, revoked_at__isnull=True, community_id__in=[m.community_id for m in memberships]
        )
    }
    return [FeedLinkRow(community=m.community, token=tokens.get(m.community_id)) for m in memberships]
