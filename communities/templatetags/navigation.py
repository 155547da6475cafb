"""The community navigation, defined in one place.

``{% community_nav %}`` (in ``communities/base_community.html``) renders three groups built here
from the page's ``access`` (a ``members.access.CommunityAccess``) and the current URL name:

* ``TABS``   — the few top-level tabs every reader sees (threads, members, guidelines, rituals…);
* ``MORE``   — member conveniences in a "More" menu (start here, invites, spaces, search…);
* ``MANAGE`` — moderator/owner pages under one "Manage" entry; on those pages the same list is
  also shown as a sub-navigation row. Count badges come from the review queue's own counter
  (``moderation.selectors.review_queue_counts``: one query, only for staff), so they always agree
  with the queue.

To add a page, append a ``NavItem`` to the right list: a key, a label, the URL name (called with
the community slug), a predicate on the ``CommunityAccess`` and the URL names that mark it
current. Nothing else changes (templates just loop). Visibility predicates only use properties
of ``access`` (the one access policy); they never run queries of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import template
from django.urls import reverse

register = template.Library()

Predicate = Callable[[object], bool]


def _reader(acc: object) -> bool:
    return bool(getattr(acc, "can_read", False))


def _member(acc: object) -> bool:
    return bool(getattr(acc, "is_member", False))


def _staff(acc: object) -> bool:
    return bool(getattr(acc, "is_staff", False))


def _owner(acc: object) -> bool:
    return bool(getattr(acc, "is_owner", False))


def _welcomer(acc: object) -> bool:
    return _staff(acc) or getattr(acc, "role", None) == "welcomer"


def _reviews_requests(acc: object) -> bool:
    """Join requests exist only where joining is by approval (an open community has none)."""
    return _staff(acc) and getattr(acc.community, "join_policy", "") != "open"  # type: ignore[attr-defined]


def _dashboard(acc: object) -> bool:
    return bool(getattr(acc, "can_see_dashboard", False))


def _guidelines(acc: object) -> bool:
    return _reader(acc) and bool(getattr(acc.community, "guidelines_html", ""))  # type: ignore[attr-defined]


def _transparency(acc: object) -> bool:
    return _member(acc) and bool(getattr(acc.community, "transparency_log_enabled", False))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    visible: Predicate
    current_on: tuple[str, ...] = ()
    badge: str = ""  # a key of the review-queue counts ("all", "join", …) shown as a count
    query: str = ""  # appended to the URL (e.g. "?space=")
    extra: dict = field(default_factory=dict)


TABS: list[NavItem] = [
    NavItem(
        "threads",
        "Threads",
        "community-home",
        lambda acc: True,
        ("community-home", "thread-detail", "thread-detail-short", "thread-new", "post-edit", "post-history"),
    ),
    NavItem("members", "Members", "members-list", _reader, ("members-list",)),
    NavItem("guidelines", "Guidelines", "community-guidelines", _guidelines, ("community-guidelines",)),
    NavItem(
        "rituals",
        "Rituals",
        "ritual-list",
        _reader,
        ("ritual-list", "ritual-detail", "ritual-library", "ritual-new", "ritual-edit"),
    ),
    NavItem(
        "events",
        "Events",
        "event-list",
        _reader,
        ("event-list", "event-detail", "event-new", "event-edit"),
    ),
]

MORE: list[NavItem] = [
    NavItem("highlights", "Highlights", "highlights", _reader, ("highlights",)),
    NavItem("welcome", "Start here", "welcome", _member, ("welcome",)),
    NavItem("invites", "Invite people", "invites", _member, ("invites", "invite-detail")),
    NavItem("search", "Search", "community-search", _reader, ("community-search",)),
    NavItem("spaces", "Spaces", "space-list", _reader, ("space-list", "space-new", "space-edit")),
    NavItem("tags", "Tags", "tag-list", _reader, ("tag-list", "tag-edit")),
    NavItem("transparency", "Transparency log", "transparency-log", _transparency, ("transparency-log",)),
]

MANAGE: list[NavItem] = [
    NavItem(
        "queue",
        "Review queue",
        "mod-queue",
        _staff,
        ("mod-queue", "mod-queue-join", "mod-queue-flag", "mod-queue-held"),
        badge="all",
    ),
    NavItem(
        "requests", "Join requests", "join-requests", _reviews_requests, ("join-requests",), badge="join"
    ),
    NavItem("newcomers", "Newcomers", "newcomers", _welcomer, ("newcomers",)),
    NavItem("sanctions", "Sanctions", "mod-members", _staff, ("mod-members", "mod-member")),
    NavItem("filters", "Word filter", "mod-word-filters", _staff, ("mod-word-filters",)),
    NavItem("needs-reply", "Needs a reply", "needs-reply", _staff, ("needs-reply",)),
    NavItem(
        "notes",
        "Moderator notes",
        "messages-staff-inbox",
        _staff,
        ("messages-staff-inbox", "messages-staff-conversation", "messages-modnote-new"),
    ),
    NavItem("log", "Audit log", "mod-log", _staff, ("mod-log",)),
    NavItem(
        "dashboard",
        "Dashboard",
        "metrics-dashboard",
        _dashboard,
        ("metrics-dashboard", "metrics-definitions"),
    ),
    NavItem(
        "settings", "Settings", "community-settings", _owner, ("community-settings", "community-hand-over")
    ),
    NavItem("mod-settings", "Moderation settings", "mod-settings", _owner, ("mod-settings",)),
    NavItem("onboarding", "Onboarding", "onboarding-settings", _owner, ("onboarding-settings",)),
    NavItem(
        "messaging",
        "Private messages",
        "messages-community-settings",
        _owner,
        ("messages-community-settings",),
    ),
    NavItem("export", "Export", "community-export", _owner, ("community-export",)),
    NavItem(
        "webhooks",
        "Webhooks",
        "webhook-list",
        _owner,
        ("webhook-list", "webhook-new", "webhook-detail", "webhook-deliveries", "webhook-delivery"),
    ),
]


@dataclass
class Link:
    key: str
    label: str
    url: str
    current: bool
    badge: int | None
    badge_id: str


BADGE_IDS = {"all": "mod-nav-badge", "join": "join-requests-badge"}


def _links(items: list[NavItem], acc: object, slug: str, here: str, counts: dict | None) -> list[Link]:
    out = []
    for item in items:
        if not item.visible(acc):
            continue
        badge = None
        if item.badge:
            badge = (counts or {}).get(item.badge, 0)
        out.append(
            Link(
                key=item.key,
                label=item.label,
                url=reverse(item.url_name, args=[slug]) + item.query,
                current=here in item.current_on,
                badge=badge,
                badge_id=BADGE_IDS.get(item.badge, ""),
            )
        )
    return out


def nav_context(acc: object, here: str, queue_counts: dict | None = None) -> dict:
    """The three link groups for a community page (no queries except the staff queue count)."""
    community = acc.community  # type: ignore[attr-defined]
    counts = None
    if _staff(acc):
        if queue_counts is None:
            from moderation import selectors as moderation_selectors

            queue_counts = moderation_selectors.review_queue_counts(
                community, viewer=getattr(acc, "membership", None)
            )
        counts = queue_counts
    tabs = _links(TABS, acc, community.slug, here, counts)
    more = _links(MORE, acc, community.slug, here, counts)
    manage = _links(MANAGE, acc, community.slug, here, counts)
    return {
        "community": community,
        "tabs": tabs,
        "more": more,
        "manage": manage,
        "more_current": any(link.current for link in more),
        "manage_current": any(link.current for link in manage),
        "manage_total": (counts or {}).get("all", 0),
    }


@register.inclusion_tag("communities/_community_nav.html", takes_context=True)
def community_nav(context: template.Context) -> dict:
    acc = context.get("access")
    request = context.get("request")
    if acc is None or not hasattr(acc, "community"):
        return {"tabs": [], "more": [], "manage": []}
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match is not None else ""
    return nav_context(acc, here or "", context.get("queue_counts"))
