"""API: threads, posts, reactions and follows — the discussion pages' reads and writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from communities.discussions import selectors, services
from communities.discussions.models import Post, ReactionKind, Thread
from members import access
from members.access import CommunityAccess
from members.tokens.auth import community, member_of
from members.tokens.idempotency import idempotent
from members.tokens.models import TokenScope
from members.tokens.paging import DEFAULT_LIMIT, MAX_LIMIT, cursor_page, page_of
from members.tokens.schemas import IdPath, OptionalId, PersonOut, SafeText, SlugPath, responses
from moderation.hooks import moderation_check_react

router = Router(tags=["discussions"])


# --- Schemas ---------------------------------------------------------------------------------------


class SpaceRef(Schema):
    slug: str
    name: str


class ThreadOut(Schema):
    id: int
    title: str
    space: SpaceRef
    author: PersonOut | None
    kind: str
    created_at: datetime
    last_post_at: datetime
    reply_count: int
    pinned: bool
    locked: bool
    url: str
    unread: int | None = Field(None, description="Posts after your read marker (members only).")


class ReactionOut(Schema):
    kind: str
    emoji: str
    count: int
    mine: bool


class PostOut(Schema):
    id: int
    thread_id: int
    author: PersonOut | None
    is_opening: bool
    reply_to_id: int | None
    status: str = Field(description="published, held (awaiting review) or rejected")
    removed: bool
    body_html: str | None = Field(description="Sanitized HTML; null for a removed post you may not see.")
    body_markdown: str | None
    created_at: datetime
    edited_at: datetime | None
    reactions: list[ReactionOut]
    author_muted_by_you: bool
    url: str


class ThreadFilters(Schema):
    space: str | None = Field(None, pattern=r"^[-a-zA-Z0-9_]+$", max_length=60, description="A space's slug.")
    updated_since: datetime | None = Field(
        None, description="Only threads with a post at or after this time."
    )
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class PageFilters(Schema):
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ThreadIn(Schema):
    space: str = Field(pattern=r"^[-a-zA-Z0-9_]+$", max_length=60, description="The space's slug.")
    title: SafeText
    body: SafeText = Field(description="Markdown.")


class ReplyIn(Schema):
    body: SafeText = Field(description="Markdown.")
    reply_to: OptionalId = Field(None, description="The id of a post of this thread you answer.")


class PostEditIn(Schema):
    body: SafeText
    title: SafeText | None = Field(None, description="Opening posts only: the thread's new title.")


class SubscriptionIn(Schema):
    level: str = Field(description="following, muted, or default (back to the default notifications).")


class SubscriptionOut(Schema):
    level: str


# --- Shaping ---------------------------------------------------------------------------------------


def _person(user: Any) -> dict | None:
    return {"handle": user.handle, "name": user.name} if user is not None else None


def _thread_out(t: Thread, request: HttpRequest, slug: str) -> dict:
    return {
        "id": t.pk,
        "title": t.title,
        "space": {"slug": t.space.slug, "name": t.space.name},
        "author": _person(t.author),
        "kind": t.kind,
        "created_at": t.created_at,
        "last_post_at": t.last_post_at,
        "reply_count": t.reply_count,
        "pinned": t.pinned,
        "locked": t.locked,
        "url": request.build_absolute_uri(reverse("thread-detail", args=[slug, t.pk, t.slug or "thread"])),
        "unread": getattr(t, "unread", None),
    }


def _post_out(p: Post, acc: CommunityAccess, request: HttpRequest, reactions: list[dict]) -> dict:
    membership = acc.membership
    show_body = (
        p.removed_at is None
        or access.is_staff(membership)
        or (membership is not None and p.author_id == membership.user_id)
    )
    return {
        "id": p.pk,
        "thread_id": p.thread_id,
        "author": _person(p.author),
        "is_opening": p.is_opening,
        "reply_to_id": p.reply_to_id,
        "status": p.status,
        "removed": p.removed_at is not None,
        "body_html": p.body_html if show_body else None,
        "body_markdown": p.body_md if show_body else None,
        "created_at": p.created_at,
        "edited_at": p.edited_at,
        "reactions": [{k: r[k] for k in ("kind", "emoji", "count", "mine")} for r in reactions],
        "author_muted_by_you": bool(getattr(p, "by_muted", False)),
        "url": request.build_absolute_uri(reverse("post-permalink", args=[acc.community.slug, p.pk])),
    }


def _one_post(post: Post, acc: CommunityAccess, request: HttpRequest) -> dict:
    user_id = acc.membership.user_id if acc.membership else None
    summary = selectors.reaction_summary([post.pk], user_id)[post.pk]
    return _post_out(post, acc, request, summary)


# --- Reads -----------------------------------------------------------------------------------------


@router.get(
    "/communities/{slug}/threads",
    response=responses(page_of(ThreadOut)),
    summary="Threads, newest activity first",
)
def thread_list(request: HttpRequest, slug: SlugPath, filters: Query[ThreadFilters]) -> dict:
    """Threads the caller may see (restricted spaces above their role and removed threads are
    left out), ordered by last activity. ``updated_since`` keeps threads with a post since then."""
    _, acc = community(request, TokenScope.READ, access.community_for_reader, slug)
    space = None
    if filters.space:
        space = access.space_for_reader(acc, filters.space)
    qs = selectors.thread_list(community=acc.community, membership=acc.membership, space=space)
    if filters.updated_since is not None:
        since = filters.updated_since
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        qs = qs.filter(last_post_at__gte=since)
    rows, next_cursor = cursor_page(
        qs, order=["-last_post_at", "-id"], cursor=filters.cursor, limit=filters.limit, salt=f"threads:{slug}"
    )
    return {"items": [_thread_out(t, request, slug) for t in rows], "next_cursor": next_cursor}


@router.get("/communities/{slug}/threads/{thread_id}", response=responses(ThreadOut), summary="One thread")
def thread_detail(request: HttpRequest, slug: SlugPath, thread_id: IdPath) -> dict:
    _, (thread, _acc) = community(request, TokenScope.READ, access.thread_for_reader, slug, thread_id)
    return _thread_out(thread, request, slug)


@router.get(
    "/communities/{slug}/threads/{thread_id}/posts",
    response=responses(page_of(PostOut)),
    summary="A thread's posts, oldest first",
)
def thread_posts(
    request: HttpRequest, slug: SlugPath, thread_id: IdPath, filters: Query[PageFilters]
) -> dict:
    """The posts the caller may see, in order; removed posts appear as placeholders (their body is
    shown only to moderators and the author). Reading through the API moves no read marker."""
    _, (thread, acc) = community(request, TokenScope.READ, access.thread_for_reader, slug, thread_id)
    user_id = acc.membership.user_id if acc.membership else None
    qs = selectors.with_muted_authors(
        selectors.thread_posts(thread=thread, membership=acc.membership), user_id
    )
    rows, next_cursor = cursor_page(
        qs, order=["created_at", "id"], cursor=filters.cursor, limit=filters.limit, salt=f"posts:{thread.pk}"
    )
    reactions = selectors.reaction_summary([p.pk for p in rows], user_id)
    return {
        "items": [_post_out(p, acc, request, reactions[p.pk]) for p in rows],
        "next_cursor": next_cursor,
    }


@router.get("/communities/{slug}/posts/{post_id}", response=responses(PostOut), summary="One post")
def post_detail(request: HttpRequest, slug: SlugPath, post_id: IdPath) -> dict:
    _, (post, acc) = community(request, TokenScope.READ, access.post_for_reader, slug, post_id)
    return _one_post(post, acc, request)


# --- Writes ----------------------------------------------------------------------------------------


@router.post("/communities/{slug}/threads", response=responses(ThreadOut, 201), summary="Start a thread")
@decorate_view(idempotent)
def thread_create(request: HttpRequest, slug: SlugPath, payload: ThreadIn) -> Status:
    """The same checks as the "new thread" page: members only, the same rate limits (429 with
    Retry-After), word filters and held first posts; the same messages for bad input (400)."""
    _, acc = community(request, TokenScope.WRITE, access.community_for_member, slug)
    space = access.space_for_reader(acc, payload.space)
    thread = services.thread_create(
        author=member_of(acc), space=space, title=payload.title, body_md=payload.body
    )
    thread = Thread.objects.select_related("space", "author").get(pk=thread.pk)
    return Status(201, _thread_out(thread, request, slug))


@router.post(
    "/communities/{slug}/threads/{thread_id}/posts", response=responses(PostOut, 201), summary="Reply"
)
@decorate_view(idempotent)
def thread_reply(request: HttpRequest, slug: SlugPath, thread_id: IdPath, payload: ReplyIn) -> Status:
    _, (thread, acc) = community(request, TokenScope.WRITE, access.thread_for_member, slug, thread_id)
    reply_to = None
    if payload.reply_to:
        reply_to = Post.objects.filter(pk=payload.reply_to, thread=thread).first()
    post = services.post_create(author=member_of(acc), thread=thread, body_md=payload.body, reply_to=reply_to)
    post = Post.objects.select_related("author").get(pk=post.pk)
    return Status(201, _one_post(post, acc, request))


@router.patch("/communities/{slug}/posts/{post_id}", response=responses(PostOut), summary="Edit your post")
@decorate_view(idempotent)
def post_edit(request: HttpRequest, slug: SlugPath, post_id: IdPath, payload: PostEditIn) -> dict:
    """Authors edit their own posts (the earlier version is kept in the post's history)."""
    _, (post, acc) = community(request, TokenScope.WRITE, access.post_for_member, slug, post_id)
    if not access.can_edit_post(acc.membership, post):
        raise PermissionDenied("Only the author can edit this post.")
    post = services.post_edit(editor=member_of(acc), post=post, body_md=payload.body, title=payload.title)
    post = Post.objects.select_related("author").get(pk=post.pk)
    return _one_post(post, acc, request)


def _set_reaction(request: HttpRequest, slug: str, post_id: int, kind: str, on: bool) -> list[dict]:
    _, (post, acc) = community(request, TokenScope.WRITE, access.post_for_member, slug, post_id)
    membership = member_of(acc)
    user_id = membership.user_id
    if kind in ReactionKind.values:
        moderation_check_react(membership)  # muted members can read but not react (403)
    services.reaction_set(user_id=user_id, post=post, kind=kind, on=on)
    summary = selectors.reaction_summary([post.pk], user_id)[post.pk]
    return [{k: r[k] for k in ("kind", "emoji", "count", "mine")} for r in summary]


@router.put(
    "/communities/{slug}/posts/{post_id}/reactions/{kind}",
    response=responses(list[ReactionOut]),
    summary="React to a post",
)
@decorate_view(idempotent)
def reaction_add(request: HttpRequest, slug: SlugPath, post_id: IdPath, kind: str) -> list[dict]:
    """Add your reaction (``thumbs_up``, ``heart``, ``tada``, ``bulb``, ``laugh``); adding it
    twice leaves one. Answers the post's reaction bar."""
    return _set_reaction(request, slug, post_id, kind, True)


@router.delete(
    "/communities/{slug}/posts/{post_id}/reactions/{kind}",
    response=responses(list[ReactionOut]),
    summary="Take back a reaction",
)
@decorate_view(idempotent)
def reaction_remove(request: HttpRequest, slug: SlugPath, post_id: IdPath, kind: str) -> list[dict]:
    return _set_reaction(request, slug, post_id, kind, False)


@router.put(
    "/communities/{slug}/threads/{thread_id}/subscription",
    response=responses(SubscriptionOut),
    summary="Follow or mute a thread",
)
@decorate_view(idempotent)
def thread_subscription(
    request: HttpRequest, slug: SlugPath, thread_id: IdPath, payload: SubscriptionIn
) -> dict:
    _, (thread, acc) = community(request, TokenScope.WRITE, access.thread_for_member, slug, thread_id)
    level = None if payload.level == "default" else payload.level
    services.thread_subscribe(user_id=member_of(acc).user_id, thread=thread, level=level)
    return {"level": payload.level}
