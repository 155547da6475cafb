"""``{% onboarding_panel community access %}``: the newcomer's first-30-days checklist, or the
owner's setup nudges (first ritual, welcome message). Included on the community home."""

from __future__ import annotations

from django import template

from communities.onboarding.selectors import onboarding_checklist
from communities.onboarding.services import find_introductions_thread
from communities.rituals.models import Ritual
from members.access import CommunityAccess
from members.models import Role

register = template.Library()


@register.inclusion_tag("communities/onboarding/_panel.html", takes_context=True)
def onboarding_panel(context: template.Context, community: object, access: CommunityAccess | None) -> dict:
    membership = getattr(access, "membership", None)
    out = {"community": community, "checklist": None, "setup": None, "csrf_token": context.get("csrf_token")}
    if membership is None:
        return out
    if membership.role == Role.OWNER:
        no_rituals = not Ritual.objects.filter(community=community).exists()
        no_welcome = not community.welcome_message_md
        if no_rituals or no_welcome:
            out["setup"] = {"no_rituals": no_rituals, "no_welcome": no_welcome}
        return out

    def intro_url() -> str:
        intro = find_introductions_thread(community)
        return intro.get_absolute_url() if intro else f"/c/{community.slug}/welcome/"

    # The introductions thread is looked up only if the checklist applies (a newcomer).
    out["checklist"] = onboarding_checklist(membership=membership, intro_url=intro_url)
    return out
