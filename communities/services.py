"""Creating and configuring communities. Each write runs in one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from communities.markdown import render_user_markdown
from communities.models import Community, JoinPolicy, Space, Visibility
from members.models import Role, User
from members.services import membership_join
from moderation.audit import audit
from moderation.models import AuditAction


@transaction.atomic
def community_create(
    *,
    owner: User,
    name: str,
    slug: str = "",
    purpose: str,
    **fields: object,
) -> Community:
    """Create a community; its creator becomes its owner and it gets a "General" space."""
    community = Community(
        name=name, slug=slug or slugify(name)[:50], purpose=purpose, created_by=owner, **fields
    )
    community.guidelines_html = (
        render_user_markdown(community.guidelines_md) if community.guidelines_md else ""
    )
    if community.welcome_message_md:
        community.welcome_message_html = render_user_markdown(community.welcome_message_md)
    validate_visibility_policy(community.visibility, community.join_policy)
    community.full_clean()
    community.save()
    Space.objects.create(community=community, name="General", slug="general", position=0)
    membership_join(user=owner, community=community, role=Role.OWNER, actor=owner, at=community.created_at)
    return community


# Owner settings editable on the settings page (the slug is fixed: URLs stay stable).
SETTINGS_FIELDS = (
    "name",
    "purpose",
    "guidelines_md",
    "visibility",
    "join_policy",
    "screening_questions",
    "time_zone",
    "allow_member_invites",
    "moderators_see_dashboard",
    "rejoin_cooldown_days",
    "flag_threshold",
    "hold_first_posts",
    "transparency_log_enabled",
    "transparency_show_moderator",
    "welcome_message_md",
    "members_may_add_tags",
    "needs_reply_hours",
)


def validate_visibility_policy(visibility: str, join_policy: str) -> None:
    """A secret community is always invite-only (anything else would reveal it)."""

    if visibility == Visibility.SECRET and join_policy != JoinPolicy.INVITE_ONLY:
        raise ValidationError(
            "A secret community can only be joined by invite: choose “Invite only”, "
            "or make the community listed or public."
        )


@transaction.atomic
def community_update(*, community: Community, actor: User, **changes: object) -> list[str]:
    """Save owner settings and record what changed in the audit log (same transaction).

    Returns the names of the fields that changed. Markdown is rendered here, once.
    """

    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not a community setting: {', '.join(sorted(unknown))}")
    community = Community.objects.select_for_update().get(pk=community.pk)
    changed = [name for name, value in changes.items() if getattr(community, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(community, name, changes[name])
    validate_visibility_policy(community.visibility, community.join_policy)
    if "guidelines_md" in changed:
        community.guidelines_html = (
            render_user_markdown(community.guidelines_md) if community.guidelines_md else ""
        )
    if "welcome_message_md" in changed:
        community.welcome_message_html = (
            render_user_markdown(community.welcome_message_md) if community.welcome_message_md else ""
        )
    community.full_clean()
    community.save()
    audit(
        community_id=community.pk, actor=actor, action=AuditAction.SETTINGS_CHANGED, data={"changed": changed}
    )
    return changed
