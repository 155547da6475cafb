"""The one audit-log writer. Every moderator or owner action goes through ``audit()``.

A leaf module: it imports only models, so every app may use it without an import cycle."""

from __future__ import annotations

from communities.discussions.models import Post
from members.models import User
from moderation.models import AuditLogEntry


def audit(
    *,
    community_id: int,
    actor: User | int | None,
    action: str,
    reason: str = "",
    target_user_id: int | None = None,
    target_post: Post | None = None,
    target_thread_id: int | None = None,
    data: dict | None = None,
) -> AuditLogEntry:
    """Record a moderator or owner action. Call inside the action's transaction.

    ``actor`` is the person (or their id; ``None`` for the system). The reason is trimmed and capped,
    and an entry about a post also names its thread, so the log can be filtered by either.
    """
    return AuditLogEntry.objects.create(
        community_id=community_id,
        actor_id=actor.pk if isinstance(actor, User) else actor,
        action=action,
        reason=(reason or "").strip()[:2000],
        target_user_id=target_user_id,
        target_post=target_post,
        target_thread_id=target_thread_id
        if target_thread_id
        else (target_post.thread_id if target_post else None),
        data=data or {},
    )
