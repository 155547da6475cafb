"""Template helpers for showing people: avatars (uploaded, or generated initials)."""

from __future__ import annotations

from django import template

from members.models import User
from members.profiles.models import Profile

register = template.Library()

AVATAR_COLOURS = 8


def initials(name: str) -> str:
    parts = [p for p in name.replace("_", " ").split() if p]
    if not parts:
        return "?"
    letters = parts[0][0] + (parts[1][0] if len(parts) > 1 else parts[0][1:2])
    return letters.upper()


@register.inclusion_tag("members/_avatar.html")
def avatar(person: User, show: bool = True, size: str = "md") -> dict:
    """The person's picture if they have one and it may be shown, else their initials on a
    colour picked from their id (classes in hearth.css: no inline styles under our CSP)."""
    try:
        profile = person.profile
    except Profile.DoesNotExist:
        profile = None
    url = profile.avatar.url if (show and profile is not None and profile.avatar) else ""
    return {
        "url": url,
        "initials": initials(person.name),
        "colour": person.pk % AVATAR_COLOURS,
        "size": size,
        "name": person.name,
    }
