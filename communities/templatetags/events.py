"""``{% upcoming_events community access %}``: the next few events on the community page
(one query; nothing for visitors who may not read the community)."""

from __future__ import annotations

from django import template

from communities.events.selectors import next_events, viewer_zone
from communities.models import Community
from members.access import CommunityAccess

register = template.Library()


@register.inclusion_tag("communities/events/_upcoming.html", takes_context=True)
def upcoming_events(context: template.Context, community: Community, access: CommunityAccess | None) -> dict:
    if access is None or not access.can_read:
        return {"events": []}
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "community": community,
        "events": next_events(community=community, membership=access.membership),
        "zone": viewer_zone(user, community),
    }
