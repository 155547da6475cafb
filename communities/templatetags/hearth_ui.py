"""Small presentation helpers shared by the templates (no queries)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()

AVATAR_COLOURS = 8


@register.filter
def ago(value: datetime | None) -> str:
    """A short relative time: "now", "5m", "3h", "2d", then "12 Nov" / "12 Nov 2025"."""
    if not value:
        return ""
    now = timezone.now()
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d"
    local = timezone.localtime(value)
    if local.year == timezone.localtime(now).year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b %Y}"


@register.filter
def initials(name: str | None) -> str:
    parts = [p for p in (name or "").replace("_", " ").split() if p]
    if not parts:
        return "?"
    letters = parts[0][0] + (parts[1][0] if len(parts) > 1 else parts[0][1:2])
    return letters.upper()


@register.filter
def colour(pk: int | None) -> int:
    return (pk or 0) % AVATAR_COLOURS


@register.simple_tag
def live_version(thread_id: int) -> str:
    """The open thread's live-update token (from the cache; see config/live.py)."""
    from config.live import thread_version

    return thread_version(thread_id)


@register.simple_tag
def split_rituals(threads: list) -> dict:
    """The page's thread rows split into member threads (with every pinned one) and ritual
    threads, which the list groups under one collapsible heading so they don't crowd the page."""
    main: list = []
    rituals: list = []
    for t in threads:
        (rituals if getattr(t, "kind", "") == "ritual" and not t.pinned else main).append(t)
    unread = len([t for t in rituals if getattr(t, "unread", 0)])
    return {"main": main, "rituals": rituals, "rituals_unread": unread}


@register.simple_tag
def ritual_title(ritual: object, community: object = None) -> str:
    """A ritual's title as its next thread will read ({date}, {week}, {community} filled in;
    {member} reads "a member" until the spotlight is picked at posting time). Pass the
    community when the page has it; otherwise callers select_related it (no query per row)."""
    from communities.rituals.services import render_template, template_values

    when = getattr(ritual, "next_run_at", None) or timezone.now()
    values = template_values(
        community=community or ritual.community,  # type: ignore[attr-defined,arg-type]
        occurrence=when,
        # Only a spotlight member already loaded with the ritual: never a query per row.
        member=ritual._state.fields_cache.get("spotlight_user"),  # type: ignore[attr-defined]
        for_title=True,
    )
    return render_template(ritual.title_template, values)  # type: ignore[attr-defined]


@register.filter
def community_root(path: str) -> str:
    """``/c/<slug>/`` when the path is inside a community, else "" (for error pages' way back;
    it only echoes what the visitor typed, never whether the community exists)."""
    parts = (path or "").split("/")
    if len(parts) > 3 and parts[1] == "c" and parts[2] and parts[3] != "":
        return f"/c/{parts[2]}/"
    return ""


@register.filter
def is_today(value: object) -> bool:
    return value == timezone.now().date()
