"""One-click decisions from the review queue: each resolves a queue item, may sanction, and audits."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from communities.discussions.models import Post
from members.models import (
    JoinRequest,
    Membership,
)
from members.services import JoinRequestDecided, join_request_approve, join_request_reject
from moderation.audit import audit
from moderation.models import (
    AuditAction,
    Flag,
)
from moderation.sanctions import sanction_author
from moderation.services import (
    AlreadyHandled,
    _check_post_target,
    _lock_post,
    _staff_or_403,
    flags_dismiss,
    post_approve,
    post_erase,
    post_hide,
    post_reject,
)

# --- Queue handlers (one click each) ---------------------------------------------------------------


@transaction.atomic
def queue_resolve_flags(
    *,
    actor: Membership,
    post: Post,
    action: str,
    reason: str = "",
    sanction: str = "",
    mute_days: int | None = None,
) -> Post:
    """keep / hide / delete a flagged post, and optionally sanction its author, in one step.

    The post row is locked first and its open flags re-checked, so of two moderators acting
    on the same item the second gets AlreadyHandled whatever each chose."""
    if action not in ("keep", "hide", "delete"):
        raise ValidationError("Choose keep, hide or delete.")
    _check_post_target(actor, post)
    post = _lock_post(post)
    if not Flag.objects.filter(post=post, resolved_at__isnull=True).exists():
        last = Flag.objects.filter(post=post).select_related("resolved_by").order_by("-resolved_at").first()
        raise AlreadyHandled(last.resolved_by if last else None, "These flags")
    if action == "keep":
        post = flags_dismiss(actor=actor, post=post, reason=reason)
    elif action == "hide":
        post = post_hide(actor=actor, post=post, reason=reason)
    elif action == "delete":
        post = post_erase(actor=actor, post=post, reason=reason)
    sanction_author(actor=actor, post=post, sanction=sanction, reason=reason, mute_days=mute_days)
    return post


@transaction.atomic
def queue_decide_held(
    *,
    actor: Membership,
    post: Post,
    approve: bool,
    reason: str = "",
    sanction: str = "",
    mute_days: int | None = None,
) -> Post:
    if approve:
        post = post_approve(actor=actor, post=post, reason=reason)
    else:
        post = post_reject(actor=actor, post=post, reason=reason)
    sanction_author(actor=actor, post=post, sanction=sanction, reason=reason, mute_days=mute_days)
    return post


@transaction.atomic
def queue_decide_join(
    *, actor: Membership, join_request: JoinRequest, approve: bool, reason: str = ""
) -> JoinRequest:
    """Approve or reject a join request and record it in the audit log."""

    _staff_or_403(actor)
    if join_request.community_id != actor.community_id:
        raise PermissionDenied("That request belongs to another community.")
    try:
        if approve:
            decided = join_request_approve(join_request=join_request, actor=actor.user, reason=reason)
        else:
            decided = join_request_reject(join_request=join_request, actor=actor.user, reason=reason)
    except JoinRequestDecided as exc:
        raise AlreadyHandled(exc.decided_by, "This request") from None
    audit(
        community_id=decided.community_id,
        actor=actor.user,
        action=AuditAction.JOIN_APPROVED if approve else AuditAction.JOIN_REJECTED,
        reason=reason,
        target_user_id=decided.user_id,
        data={"join_request": decided.pk},
    )
    return decided
