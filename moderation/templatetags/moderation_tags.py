"""Community-page pieces owned by moderation: nav links with the queue badge, and notices
(warnings to acknowledge, a running mute) for the member viewing the page."""

from __future__ import annotations

from django import template

from members import access as access_policy
from moderation import selectors

register = template.Library()


def _membership(context: template.Context) -> object:
    acc = context.get("access")
    if acc is not None and hasattr(acc, "membership"):
        return acc.membership
    request = context.get("request")
    community = context.get("community")
    if request is None or community is None:
        return None
    return access_policy.active_membership(request.user, community)


@register.inclusion_tag("moderation/_nav.html", takes_context=True)
def moderation_nav(context: template.Context) -> dict:
    """Staff: "Review queue (N)" (one query) and the audit log; members: the transparency log
    when the owner has turned it on."""
    community = context.get("community")
    membership = _membership(context)
    is_staff = access_policy.is_staff(membership)
    counts = None
    if community is not None and is_staff:
        # The queue page already computed them; elsewhere this is the one query.
        counts = context.get("queue_counts") or selectors.review_queue_counts(community, viewer=membership)
    return {
        "community": community,
        "is_staff": is_staff,
        "is_owner": is_staff and membership.role == "owner",
        "is_member": membership is not None,
        "counts": counts,
        "nav_active": context.get("nav_active", ""),
    }


@register.inclusion_tag("moderation/_notices.html", takes_context=True)
def moderation_notices(context: template.Context) -> dict:
    community = context.get("community")
    membership = _membership(context)
    request = context.get("request")
    if community is None or membership is None or request is None:
        return {"warnings": [], "muted_until": None}
    return {
        "community": community,
        "warnings": selectors.pending_warnings(request.user, community, membership),
        "muted_until": selectors.active_mute(membership),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def mute_ends(membership: object) -> object:
    """For the composer: when the viewer's mute ends (None if not muted)."""
    return selectors.active_mute(membership)  # type: ignore[arg-type]
