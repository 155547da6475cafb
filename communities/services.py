"""Writes about communities and conversations. Each runs in one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from communities.markdown import MarkdownTooComplex, render_markdown
from communities.models import Community, Post, Space, Thread
from members.models import STAFF_ROLES, Membership, Role, User
from members.services import membership_join
from moderation.services import moderation_check_post, moderation_post_created

MENTION_URL = "/u/{handle}/"
MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 32_000


def render_user_markdown(source: str) -> str:
    """Render member-written Markdown (posts, guidelines, welcome messages) with @mention links."""
    try:
        return render_markdown(source, mention_url=MENTION_URL)
    except MarkdownTooComplex as exc:
        raise ValidationError(str(exc)) from exc


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


def _validate_body(body_md: str) -> str:
    body_md = (body_md or "").strip()
    if not body_md:
        raise ValidationError("Write something before posting.")
    if len(body_md) > MAX_BODY_CHARS:
        raise ValidationError(
            f"Posts are limited to {MAX_BODY_CHARS:,} characters (this one has {len(body_md):,})."
        )
    return body_md


@transaction.atomic
def thread_create(
    *,
    author: Membership | User,
    space: Space,
    title: str,
    body_md: str,
    kind: str = "discussion",
    at: object = None,
    pinned: bool = False,
) -> Thread:
    """Start a thread with its opening post. ``author`` is a Membership, or a system User (bot)."""
    now = at or timezone.now()
    title = (title or "").strip()
    if not title:
        raise ValidationError("Give the thread a title.")
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError(f"Titles are limited to {MAX_TITLE_CHARS} characters.")
    body_md = _validate_body(body_md)
    body_html = render_user_markdown(body_md)
    user_id, staff = _author_fields(author)
    decision = moderation_check_post(
        author=author, community_id=space.community_id, body_md=body_md, title=title, is_thread=True, at=at
    )
    thread = Thread.objects.create(
        community_id=space.community_id,
        space=space,
        author_id=user_id,
        title=title,
        kind=kind,
        created_at=now,
        last_post_at=now,
        pinned=pinned,
    )
    post = Post.objects.create(
        thread=thread,
        community_id=space.community_id,
        author_id=user_id,
        author_staff=staff,
        is_opening=True,
        body_md=body_md,
        body_html=body_html,
        created_at=now,
        status=decision.status,
        published_at=now if decision.published else None,
    )
    moderation_post_created(post, decision)
    return thread


@transaction.atomic
def post_create(
    *,
    author: Membership | User,
    thread: Thread,
    body_md: str,
    reply_to: Post | None = None,
    at: object = None,
) -> Post:
    """Reply in a thread."""
    now = at or timezone.now()
    if thread.locked and not (isinstance(author, Membership) and author.role in STAFF_ROLES):
        raise ValidationError("This thread is locked.")
    body_md = _validate_body(body_md)
    body_html = render_user_markdown(body_md)
    user_id, staff = _author_fields(author)
    decision = moderation_check_post(
        author=author, community_id=thread.community_id, body_md=body_md, is_thread=False, at=at
    )
    post = Post.objects.create(
        thread=thread,
        community_id=thread.community_id,
        author_id=user_id,
        author_staff=staff,
        reply_to=reply_to if reply_to is not None and reply_to.thread_id == thread.pk else None,
        body_md=body_md,
        body_html=body_html,
        created_at=now,
        status=decision.status,
        published_at=now if decision.published else None,
    )
    if decision.published:
        Thread.objects.filter(pk=thread.pk).update(last_post_at=now, reply_count=F("reply_count") + 1)
    moderation_post_created(post, decision)
    return post


def _author_fields(author: Membership | User) -> tuple[int, bool]:
    if isinstance(author, Membership):
        return author.user_id, author.role in STAFF_ROLES
    return author.pk, False


def post_url(post: Post) -> str:
    thread = post.thread
    return (
        reverse("thread-detail", args=[thread.community.slug, thread.pk, thread.slug or "thread"])
        + f"#post-{post.pk}"
    )


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
)


def validate_visibility_policy(visibility: str, join_policy: str) -> None:
    """A secret community is always invite-only (anything else would reveal it)."""
    from communities.models import JoinPolicy, Visibility

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
    from moderation.models import AuditAction, AuditLogEntry

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
    AuditLogEntry.objects.create(
        community=community,
        actor=actor,
        action=AuditAction.SETTINGS_CHANGED,
        data={"changed": changed},
    )
    return changed
