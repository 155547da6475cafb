"""Reads for the message pages: each a fixed number of queries whatever the message count."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from communities.models import Community
from members.access import blocked_by_me
from members.messages.models import (
    Block,
    Conversation,
    ConversationKind,
    Message,
    MessageReport,
    Participant,
    ReportedMessage,
)
from members.models import User

INBOX_PAGE_SIZE = 25
NEVER_READ = datetime(2000, 1, 1, tzinfo=UTC)
CONVERSATION_PAGE_SIZE = 50
POLL_MAX = 50


def _visible_messages(user: User) -> QuerySet[Message]:
    """Messages ``user`` may see in their conversations: not from someone they blocked."""
    return Message.objects.exclude(sender_id__in=blocked_by_me(user))


def _unread_for(user: User) -> QuerySet[Message]:
    """Unread messages of the participation row in the outer query."""
    return (
        _visible_messages(user)
        .filter(
            conversation_id=OuterRef("conversation_id"),
            # Never read: everything counts (the first message is written at the same instant
            # the participants join).
            created_at__gt=Coalesce(OuterRef("last_read_at"), Value(NEVER_READ)),
            deleted_at__isnull=True,
        )
        .exclude(sender_id=user.pk)
    )


def _hidden_direct(user: User) -> Exists:
    """One-to-one conversations with someone the user blocked disappear from their inbox."""
    return Exists(
        Participant.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            user_id__in=Block.objects.filter(user_id=user.pk).values("blocked_user_id"),
        )
    )


def unread_conversations_q(user: User) -> QuerySet:
    """For the header: the user's conversations with unread messages, muted ones left out, as
    a queryset grouped by user (the header counts it inside its one query)."""
    return (
        Participant.objects.filter(user_id=user.pk, left_at__isnull=True, muted=False)
        .filter(Exists(_unread_for(user)))
        .exclude(conversation__kind=ConversationKind.DIRECT, pk__in=_hidden_participations(user))
        .values("user_id")
    )


# The header's count of conversations with unread messages is cached per member next to the
# bell's count (members/context_processors.py) and forgotten by every write that can change it
# (``members.messages.services.unread_conversations_forget``); the TTL bounds anything else.
UNREAD_CONVERSATIONS_TTL = 120


def unread_conversations_key(user_id: int) -> str:
    return f"conv-unread:{user_id}"


def unread_conversation_count(user: User) -> int:
    return unread_conversations_q(user).count()


def _hidden_participations(user: User) -> QuerySet:
    return Participant.objects.filter(user_id=user.pk).filter(_hidden_direct(user)).values("pk")


@dataclass
class InboxRow:
    participant: Participant
    conversation: Conversation
    others: list[User]
    last: Message | None
    unread: int


def inbox_page(user: User, page: int | str | None = 1) -> Page:
    """The user's conversations, latest activity first, with the other people, the last visible
    message and the unread count: count + page + last messages + participants = 4 queries."""
    unread = _unread_for(user).order_by().values("conversation_id").annotate(n=Count("pk")).values("n")[:1]
    last = (
        _visible_messages(user)
        .filter(conversation_id=OuterRef("conversation_id"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    qs = (
        Participant.objects.filter(user_id=user.pk, left_at__isnull=True)
        .exclude(conversation__kind=ConversationKind.DIRECT, pk__in=_hidden_participations(user))
        .select_related("conversation", "conversation__community")
        .annotate(
            n_unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
            last_id=Subquery(last, output_field=IntegerField()),
        )
        .order_by("-conversation__last_message_at", "-pk")
    )
    page_obj = Paginator(qs, INBOX_PAGE_SIZE).get_page(page)
    parts: list[Any] = list(page_obj.object_list)  # Participants annotated with n_unread, last_id
    conv_ids = [p.conversation_id for p in parts]
    lasts = {
        m.pk: m
        for m in Message.objects.filter(pk__in=[p.last_id for p in parts if p.last_id]).select_related(
            "sender"
        )
    }
    others: dict[int, list[User]] = {cid: [] for cid in conv_ids}
    if conv_ids:
        for other in (
            Participant.objects.filter(conversation_id__in=conv_ids, left_at__isnull=True)
            .exclude(user_id=user.pk)
            .select_related("user")
            .order_by("pk")
        ):
            others[other.conversation_id].append(other.user)
    rows = [
        InboxRow(
            participant=p,
            conversation=p.conversation,
            others=others.get(p.conversation_id, []),
            last=lasts.get(p.last_id),
            unread=p.n_unread,
        )
        for p in parts
    ]
    return Page(rows, page_obj.number, page_obj.paginator)


@dataclass
class ConversationView:
    messages: list[Message]
    participants: list[Participant]
    has_older: bool
    oldest_id: int | None
    newest_id: int


def conversation_view(
    conversation: Conversation, *, viewer: User | None, before: int | None = None
) -> ConversationView:
    """The latest page of messages (or the page before message ``before``), oldest first, and
    the people in it: 2 queries. ``viewer`` None: a staff member reading a moderator note."""
    qs = Message.objects.filter(conversation=conversation)
    if viewer is not None:
        qs = qs.exclude(sender_id__in=blocked_by_me(viewer))
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.select_related("sender").order_by("-pk")[: CONVERSATION_PAGE_SIZE + 1])
    has_older = len(rows) > CONVERSATION_PAGE_SIZE
    rows = rows[:CONVERSATION_PAGE_SIZE]
    rows.reverse()
    participants = list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .select_related("user")
        .order_by("pk")
    )
    return ConversationView(
        messages=rows,
        participants=participants,
        has_older=has_older,
        oldest_id=rows[0].pk if rows else None,
        newest_id=rows[-1].pk if rows else 0,
    )


def messages_after(conversation: Conversation, *, viewer: User | None, after: int) -> list[Message]:
    """New messages for the live update (one query)."""
    qs = Message.objects.filter(conversation=conversation, pk__gt=after)
    if viewer is not None:
        qs = qs.exclude(sender_id__in=blocked_by_me(viewer))
    return list(qs.select_related("sender").order_by("pk")[:POLL_MAX])


def reportable_context(message: Message, viewer: User, limit: int = 20) -> list[Message]:
    """Messages around the reported one the reporter may choose to include (theirs and others')."""
    qs = (
        _visible_messages(viewer)
        .filter(conversation_id=message.conversation_id, deleted_at__isnull=True)
        .exclude(pk=message.pk)
        .select_related("sender")
    )
    before = list(qs.filter(pk__lt=message.pk).order_by("-pk")[:limit])
    before.reverse()
    return before + list(qs.filter(pk__gt=message.pk).order_by("pk")[:5])


def staff_inbox_page(community: Community, page: int | str | None = 1) -> Page:
    """Moderator notes of the community, latest first, with their member (3 queries)."""
    qs = (
        Conversation.objects.filter(community=community, kind=ConversationKind.MODNOTE)
        .select_related("created_by")
        .order_by("-last_message_at", "-pk")
    )
    page_obj = Paginator(qs, INBOX_PAGE_SIZE).get_page(page)
    convs = list(page_obj.object_list)
    members = {
        p.conversation_id: p.user
        for p in Participant.objects.filter(conversation__in=convs).select_related("user")
    }
    rows = [StaffNoteRow(conversation=c, member=members.get(c.pk)) for c in convs]
    return Page(rows, page_obj.number, page_obj.paginator)


@dataclass
class StaffNoteRow:
    conversation: Conversation
    member: User | None


def existing_direct(user: User, other: User) -> Conversation | None:
    """The latest one-to-one conversation both still take part in (to continue it)."""
    mine = Participant.objects.filter(user_id=user.pk, left_at__isnull=True).values("conversation_id")
    theirs = Participant.objects.filter(user_id=other.pk, left_at__isnull=True).values("conversation_id")
    return (
        Conversation.objects.filter(kind=ConversationKind.DIRECT, pk__in=mine)
        .filter(pk__in=theirs)
        .order_by("-last_message_at", "-pk")
        .first()
    )


def blocked_person(user: User, handle: str) -> User:
    """Someone ``user`` blocked, by handle (404 otherwise)."""
    block = (
        Block.objects.filter(user=user, blocked_user__handle__iexact=handle)
        .select_related("blocked_user")
        .first()
    )
    if block is None:
        raise Http404
    return block.blocked_user


def blocked_people(user: User) -> list[Block]:
    return list(Block.objects.filter(user=user).select_related("blocked_user").order_by("-created_at")[:200])


def open_message_reports(community: Community | int) -> QuerySet[MessageReport]:
    community_id = community if isinstance(community, int) else community.pk
    return MessageReport.objects.filter(community_id=community_id, resolved_at__isnull=True)


def message_reports_by_id(ids: list[int]) -> dict[int, MessageReport]:
    """Reports with their copies, for the review queue page (2 queries)."""
    return {
        r.pk: r
        for r in MessageReport.objects.filter(pk__in=ids)
        .select_related("reporter", "reported_user")
        .prefetch_related(
            Prefetch(
                "items", queryset=ReportedMessage.objects.select_related("sender").order_by("sent_at", "pk")
            )
        )
    }


def messages_for_download(user: User, *, chunk: int = 1000) -> Iterator[dict]:
    """The private messages ``user`` wrote, for their personal data download (Markdown source,
    the conversation and community they were in, edits and deletions)."""
    rows = (
        Message.objects.filter(sender=user)
        .select_related("conversation", "conversation__community")
        .order_by("created_at", "pk")
    )
    for m in rows.iterator(chunk_size=chunk):
        yield {
            "id": m.pk,
            "conversation_id": m.conversation_id,
            "conversation_kind": m.conversation.kind,
            "conversation_subject": m.conversation.subject,
            "community_slug": m.conversation.community.slug,
            "as_moderators": m.as_moderators,
            "body_md": m.body_md,
            "created_at": m.created_at,
            "edited_at": m.edited_at,
            "deleted_at": m.deleted_at,
        }
