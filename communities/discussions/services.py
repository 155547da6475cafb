"""Writes of discussions: spaces, threads, posts, edits, deletes, reactions, read state, follows.

Each runs in one transaction; reply count and last activity always mean "published and not removed"
(held and rejected posts belong to moderation). Side effects are queued after commit."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from communities.discussions.models import (
    Post,
    PostEvent,
    PostEventKind,
    PostRevision,
    PostStatus,
    Reaction,
    ReactionKind,
    RemovedReaction,
    SubscriptionLevel,
    Thread,
    ThreadReadState,
    ThreadSubscription,
)
from communities.integrations import events
from communities.markdown import mentioned_handles, render_user_markdown
from communities.models import Community, Space
from config.inputs import clean_line
from config.jobs import enqueue_on_commit
from members.access import can_see_space
from members.models import STAFF_ROLES, Membership, MembershipStatus, Role, User
from members.notifications.models import Notification
from members.notifications.services import notification_create
from moderation.audit import audit
from moderation.hooks import moderation_check_post, moderation_post_created
from moderation.models import AuditAction

MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 32_000


# --- Discussions: spaces, threads, posts, reactions, read state, follows, notifications -------
# Everything below belongs to the discussions area. Posts' reply_count/last_post_at always mean
# "published and not removed" (held and rejected posts are the moderation area's).

NOTIFY_TEXT_TITLE_CHARS = 80


def _validate_body(body_md: str) -> str:
    body_md = (body_md or "").strip()
    if not body_md:
        raise ValidationError("Write something before posting.")
    if len(body_md) > MAX_BODY_CHARS:
        raise ValidationError(
            f"Posts are limited to {MAX_BODY_CHARS:,} characters (this one has {len(body_md):,})."
        )
    return body_md


def _validate_title(title: str) -> str:
    # Whitespace collapsed; bidi overrides and zero-width characters refused (a title must not
    # read differently from what it is); a title with nothing visible is no title.
    title = clean_line(title, what="The title")
    if not title:
        raise ValidationError("Give the thread a title.")
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError(
            f"Titles are limited to {MAX_TITLE_CHARS} characters (this one has {len(title)})."
        )
    return title


def _author_fields(author: Membership | User) -> tuple[int, bool]:
    if isinstance(author, Membership):
        return author.user_id, author.role in STAFF_ROLES
    return author.pk, False


def _follow(user_id: int, thread_id: int) -> None:
    """Follow a thread unless the person already chose a level (a mute stays a mute)."""
    ThreadSubscription.objects.bulk_create(
        [ThreadSubscription(user_id=user_id, thread_id=thread_id, level=SubscriptionLevel.FOLLOWING)],
        ignore_conflicts=True,
    )


def _space_slug(community_id: int, name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:50] or "space"
    taken = set(
        Space.objects.filter(community_id=community_id, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


def _validate_space(name: str, description: str, min_role: str) -> tuple[str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Give the space a name.")
    if len(name) > 60:
        raise ValidationError("Space names are limited to 60 characters.")
    if len(description or "") > 200:
        raise ValidationError("Descriptions are limited to 200 characters.")
    if min_role and min_role not in Role.values:
        raise ValidationError("Choose who may see this space.")
    return name, (description or "").strip()


@transaction.atomic
def space_create(
    *, community: Community, name: str, description: str = "", position: int = 0, min_role: str = ""
) -> Space:
    """Add a space. Callers check the actor with ``access.community_for_staff`` first."""
    name, description = _validate_space(name, description, min_role)
    return Space.objects.create(
        community=community,
        name=name,
        slug=_space_slug(community.pk, name),
        description=description,
        position=max(0, int(position or 0)),
        min_role=min_role or "",
    )


@transaction.atomic
def space_update(*, space: Space, name: str, description: str, position: int, min_role: str) -> Space:
    name, description = _validate_space(name, description, min_role)
    if name != space.name:
        space.slug = _space_slug(space.community_id, name, exclude_pk=space.pk)
    space.name, space.description = name, description
    space.position, space.min_role = max(0, int(position or 0)), min_role or ""
    space.save(update_fields=["name", "slug", "description", "position", "min_role"])
    return space


@transaction.atomic
def space_delete(*, space: Space) -> None:
    """Delete an empty space; a space with threads must be emptied (threads moved) first."""
    if Thread.objects.filter(space=space).exists():
        raise ValidationError("Move this space's threads to another space before deleting it.")
    if Space.objects.filter(community_id=space.community_id).count() <= 1:
        raise ValidationError("A community needs at least one space.")
    space.delete()


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
    """Start a thread with its opening post. ``author`` is a Membership, or a system User (bot).

    The author follows the thread and has read it; mentions are notified after commit.
    """
    now = at or timezone.now()
    title = _validate_title(title)
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
    _follow(user_id, thread.pk)
    ThreadReadState.objects.create(
        user_id=user_id, thread=thread, last_read_post_id=post.pk, last_read_at=now
    )
    moderation_post_created(post, decision)
    if decision.published and mentioned_handles(body_md):
        _enqueue_notify(post.pk)
    if decision.published:
        events.emit(
            events.THREAD_CREATED, community_id=thread.community_id, thread_id=thread.pk, post_id=post.pk
        )
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
    """Reply in a thread: refuses locked threads (staff excepted), empty and oversized posts;
    moderation decides holds, rate limits and identical repeats (a double click); the replier
    follows the thread; followers, quoted and mentioned people are notified after commit."""
    now = at or timezone.now()
    is_staff_author = isinstance(author, Membership) and author.role in STAFF_ROLES
    # Lock the thread row: concurrent replies update its counters, and a double click
    # must see the first click's post.
    locked_thread = Thread.objects.select_for_update().only("pk", "locked", "removed_at").get(pk=thread.pk)
    if locked_thread.locked and not is_staff_author:
        raise ValidationError("This thread is locked: no new replies.")
    body_md = _validate_body(body_md)
    body_html = render_user_markdown(body_md)
    user_id, staff = _author_fields(author)
    if reply_to is not None and (reply_to.thread_id != thread.pk or not reply_to.is_visible):
        reply_to = None
    decision = moderation_check_post(
        author=author, community_id=thread.community_id, body_md=body_md, is_thread=False, at=at
    )
    post = Post.objects.create(
        thread=thread,
        community_id=thread.community_id,
        author_id=user_id,
        author_staff=staff,
        reply_to=reply_to,
        body_md=body_md,
        body_html=body_html,
        created_at=now,
        status=decision.status,
        published_at=now if decision.published else None,
    )
    if decision.published:
        Thread.objects.filter(pk=thread.pk).update(last_post_at=now, reply_count=F("reply_count") + 1)
    _follow(user_id, thread.pk)
    thread_mark_read(user_id=user_id, thread_id=thread.pk, post_id=post.pk)
    moderation_post_created(post, decision)
    if decision.published:
        _enqueue_notify(post.pk)
        events.emit(
            events.POST_CREATED, community_id=thread.community_id, thread_id=thread.pk, post_id=post.pk
        )
    return post


def _enqueue_notify(post_id: int, mentions_only: bool = False) -> None:
    enqueue_on_commit("communities.tasks.notify_post", post_id, mentions_only)


def _recount_thread(thread_id: int) -> None:
    """Recompute reply_count and last_post_at from the published, not removed posts."""
    live = Post.objects.filter(thread_id=thread_id, status=PostStatus.PUBLISHED, removed_at__isnull=True)
    agg = live.aggregate(replies=Count("id", filter=Q(is_opening=False)), last=Max("created_at"))
    updates: dict[str, object] = {"reply_count": agg["replies"] or 0}
    if agg["last"] is not None:
        updates["last_post_at"] = agg["last"]
    Thread.objects.filter(pk=thread_id).update(**updates)


@transaction.atomic
def post_edit(
    *, editor: Membership, post: Post, body_md: str, title: str | None = None, at: object = None
) -> Post:
    """Replace a post's body (and the thread title for an opening post), keeping the previous
    version as a PostRevision. Callers check ``access.can_edit_post`` first."""
    now = at or timezone.now()
    post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
    body_md = _validate_body(body_md)
    new_title = None
    if post.is_opening and title is not None:
        new_title = _validate_title(title)
    title_changed = new_title is not None and new_title != post.thread.title
    if body_md == post.body_md and not title_changed:
        return post
    before_mentions = mentioned_handles(post.body_md)
    body_html = render_user_markdown(body_md)
    PostRevision.objects.create(
        post=post,
        body_md=post.body_md,
        title=post.thread.title if post.is_opening else "",
        created_at=now,
        editor_id=editor.user_id,
    )
    post.body_md, post.body_html, post.edited_at = body_md, body_html, now
    post.save(update_fields=["body_md", "body_html", "edited_at"])
    if title_changed:
        post.thread.title = new_title
        post.thread.slug = slugify(new_title)[:80] or "thread"
        post.thread.save(update_fields=["title", "slug"])
    if mentioned_handles(body_md) - before_mentions:
        _enqueue_notify(post.pk, True)
    return post


@transaction.atomic
def post_delete(*, actor: Membership, post: Post, at: object = None) -> Post:
    """The author deletes their own post: a placeholder stays, and only the author may undo it
    (``moderation.services.post_restore``). Deleting the opening post removes the whole thread (as
    the metrics define it). Moderators never use this: they hide or erase posts
    (``moderation.services``), which is audited."""
    if post.author_id != actor.user_id:
        raise PermissionDenied("Only the author can delete their post.")
    now = at or timezone.now()
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.removed_at is not None:
        return post
    post.removed_at, post.removed_by_moderator = now, False
    post.save(update_fields=["removed_at", "removed_by_moderator"])
    PostEvent.objects.create(
        post=post, kind=PostEventKind.REMOVED, at=now, actor_id=actor.user_id, by_moderator=False
    )
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(removed_at=now)
    _recount_thread(post.thread_id)
    return post


@transaction.atomic
def thread_set_pinned(*, actor: Membership, thread: Thread, pinned: bool) -> Thread:
    if Thread.objects.filter(pk=thread.pk).exclude(pinned=pinned).update(pinned=pinned):
        audit(
            community_id=thread.community_id,
            actor=actor.user_id,
            action=AuditAction.THREAD_PINNED if pinned else AuditAction.THREAD_UNPINNED,
            target_thread_id=thread.pk,
        )
    thread.pinned = pinned
    return thread


@transaction.atomic
def thread_set_locked(*, actor: Membership, thread: Thread, locked: bool) -> Thread:
    if Thread.objects.filter(pk=thread.pk).exclude(locked=locked).update(locked=locked):
        audit(
            community_id=thread.community_id,
            actor=actor.user_id,
            action=AuditAction.THREAD_LOCKED if locked else AuditAction.THREAD_UNLOCKED,
            target_thread_id=thread.pk,
        )
    thread.locked = locked
    return thread


@transaction.atomic
def thread_move(*, actor: Membership, thread: Thread, space: Space) -> Thread:
    if space.community_id != thread.community_id:
        raise ValidationError("Choose a space of this community.")
    if space.pk == thread.space_id:
        return thread
    old = thread.space
    Thread.objects.filter(pk=thread.pk).update(space=space)
    audit(
        community_id=thread.community_id,
        actor=actor.user_id,
        action=AuditAction.THREAD_MOVED,
        target_thread_id=thread.pk,
        data={"from_space": old.pk, "from": old.name, "to_space": space.pk, "to": space.name},
    )
    thread.space = space
    return thread


def reaction_toggle(*, user_id: int, post: Post, kind: str) -> bool:
    """Add the reaction, or take it back if it is there. Returns True when it is now on.

    Taking a reaction back deletes it (pages and the uniqueness rule only ever see reactions that
    are on) and records it as a ``RemovedReaction``, so the metrics still see the day it was given.
    """
    if kind not in ReactionKind.values:
        raise ValidationError("Unknown reaction.")
    if not post.is_visible:
        raise ValidationError("You can't react to this post.")
    now = timezone.now()
    with transaction.atomic():
        existing = Reaction.objects.select_for_update().filter(post=post, user_id=user_id, kind=kind).first()
        if existing is not None:
            existing.delete()
            RemovedReaction.objects.create(
                post_id=post.pk, user_id=user_id, kind=kind, created_at=existing.created_at, removed_at=now
            )
            return False
        # ignore_conflicts: a double click racing another insert ends with one reaction.
        Reaction.objects.bulk_create(
            [Reaction(post=post, user_id=user_id, kind=kind, created_at=now)], ignore_conflicts=True
        )
        return True


def reaction_set(*, user_id: int, post: Post, kind: str, on: bool) -> None:
    """Put the reaction on (``on``) or take it off; the same call twice changes nothing (the
    API's PUT/DELETE). The same checks and messages as ``reaction_toggle``."""
    if kind not in ReactionKind.values:
        raise ValidationError("Unknown reaction.")
    if not post.is_visible:
        raise ValidationError("You can't react to this post.")
    if on:
        # ignore_conflicts: the unique (post, user, kind) keeps one reaction under any race.
        Reaction.objects.bulk_create([Reaction(post=post, user_id=user_id, kind=kind)], ignore_conflicts=True)
    else:
        Reaction.objects.filter(post=post, user_id=user_id, kind=kind).delete()


def thread_mark_read(*, user_id: int, thread_id: int, post_id: int, known: int | bool | None = False) -> None:
    """Move the reader's marker forward to ``post_id`` (never backwards).

    ``known`` is the marker the caller already read (None: no row yet), which saves a query.
    """
    now = timezone.now()
    if known is None:
        ThreadReadState.objects.bulk_create(
            [
                ThreadReadState(
                    user_id=user_id, thread_id=thread_id, last_read_post_id=post_id, last_read_at=now
                )
            ],
            ignore_conflicts=True,
        )
        return
    if known is not False and known >= post_id:
        return
    updated = ThreadReadState.objects.filter(
        user_id=user_id, thread_id=thread_id, last_read_post_id__lt=post_id
    ).update(last_read_post_id=post_id, last_read_at=now)
    if not updated:
        ThreadReadState.objects.bulk_create(
            [
                ThreadReadState(
                    user_id=user_id, thread_id=thread_id, last_read_post_id=post_id, last_read_at=now
                )
            ],
            ignore_conflicts=True,
        )


@transaction.atomic
def community_mark_all_read(*, user_id: int, community: Community) -> int:
    """Mark every thread of the community read up to its newest post (set-based upsert)."""
    now = timezone.now()
    newest = (
        Post.objects.filter(community=community, status=PostStatus.PUBLISHED, removed_at__isnull=True)
        .values("thread_id")
        .annotate(last=Max("id"))
        .order_by()
    )
    rows = [
        ThreadReadState(
            user_id=user_id, thread_id=r["thread_id"], last_read_post_id=r["last"], last_read_at=now
        )
        for r in newest
    ]
    ThreadReadState.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["user", "thread"],
        update_fields=["last_read_post_id", "last_read_at"],
    )
    return len(rows)


def thread_subscribe(*, user_id: int, thread: Thread, level: str | None) -> None:
    """Follow, mute, or go back to the default (None: no subscription row)."""
    if level is None:
        ThreadSubscription.objects.filter(user_id=user_id, thread=thread).delete()
        return
    if level not in SubscriptionLevel.values:
        raise ValidationError("Unknown subscription level.")
    ThreadSubscription.objects.update_or_create(user_id=user_id, thread=thread, defaults={"level": level})


def _short(title: str) -> str:
    return title if len(title) <= NOTIFY_TEXT_TITLE_CHARS else title[: NOTIFY_TEXT_TITLE_CHARS - 1] + "…"


def post_notify(*, post_id: int, mentions_only: bool = False) -> int:
    """Notify the people a post concerns: mentioned (MENTION), quoted (QUOTE), followers (REPLY).

    One notification per person per post, the most specific kind winning. Only active members
    who can see the thread's space are notified; people who muted the thread never are; the
    author never is. Idempotent: people already notified about this post are skipped.
    Returns the number of notifications created.
    """

    post = (
        Post.objects.select_related("thread", "thread__space", "thread__community", "author", "reply_to")
        .filter(pk=post_id)
        .first()
    )
    if post is None or not post.is_visible or post.thread.removed_at is not None:
        return 0
    thread = post.thread
    wanted: dict[int, str] = {}
    if not mentions_only:
        for uid in ThreadSubscription.objects.filter(
            thread=thread, level=SubscriptionLevel.FOLLOWING
        ).values_list("user_id", flat=True):
            wanted[uid] = Notification.Kind.REPLY
        if post.reply_to is not None and post.reply_to.author_id:
            wanted[post.reply_to.author_id] = Notification.Kind.QUOTE
    handles = mentioned_handles(post.body_md)
    if handles:
        for uid in (
            User.objects.annotate(lh=Lower("handle"))
            .filter(lh__in=handles, is_active=True)
            .values_list("pk", flat=True)
        ):
            wanted[uid] = Notification.Kind.MENTION
    wanted.pop(post.author_id, None)
    if not wanted:
        return 0
    muted = set(
        ThreadSubscription.objects.filter(
            thread=thread, level=SubscriptionLevel.MUTED, user_id__in=list(wanted)
        ).values_list("user_id", flat=True)
    )
    already = set(
        Notification.objects.filter(post=post, recipient_id__in=list(wanted)).values_list(
            "recipient_id", flat=True
        )
    )
    # Who can see the thread: active members at or above the space's minimum role.
    memberships = Membership.objects.filter(
        community_id=thread.community_id, status=MembershipStatus.ACTIVE, user_id__in=list(wanted)
    ).only("user_id", "role", "status")
    can_see = {m.user_id for m in memberships if can_see_space(m, thread.space)}
    actor = post.author.name if post.author else "Someone"
    url = reverse("post-permalink", args=[thread.community.slug, post.pk])
    verbs = {
        Notification.Kind.MENTION: "mentioned you in",
        Notification.Kind.QUOTE: "replied to your post in",
        Notification.Kind.REPLY: "replied in",
    }
    created = 0
    for uid, kind in sorted(wanted.items()):
        if uid in muted or uid in already or uid not in can_see:
            continue
        notification_create(
            recipient_id=uid,
            kind=kind,
            text=f"{actor} {verbs[kind]} “{_short(thread.title)}”",
            url=url,
            community_id=thread.community_id,
            actor_id=post.author_id,
            thread_id=thread.pk,
            post_id=post.pk,
        )
        created += 1
    return created


def post_url(post: Post) -> str:
    """The post's permalink (redirects to the right page of its thread)."""
    return reverse("post-permalink", args=[post.thread.community.slug, post.pk])
