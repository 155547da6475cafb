"""Access policy for private messages.

Every message URL answers 404 to anyone who may not see it: non-participants, people who left,
staff of another community, and a person blocked in a one-to-one conversation trying to write.
A conversation exists only for its active participants (and a moderator note also for the
moderators and owners of its community).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils import timezone

from communities.models import Community
from members.access.core import CommunityAccess, _is_authenticated, community_landing, is_staff
from members.messages.models import (
    Block,
    Conversation,
    ConversationKind,
    Message,
    MessageReport,
    MessagingPreference,
    Participant,
    WhoMayMessage,
)
from members.models import STAFF_ROLES, Membership, MembershipStatus, User

EDIT_WINDOW = timedelta(minutes=15)


def _signed_in(user: object) -> User:
    """The signed-in person; anyone else gets 404 (an id in a URL reveals nothing)."""
    if not _is_authenticated(user) or not isinstance(user, User):
        raise Http404
    return user


def is_blocked_between(a_id: int, b_id: int) -> bool:
    """Whether either person blocked the other."""
    return Block.objects.filter(
        Q(user_id=a_id, blocked_user_id=b_id) | Q(user_id=b_id, blocked_user_id=a_id)
    ).exists()


def blocked_by_me(user: User) -> QuerySet:
    """Ids of people ``user`` blocked (a subquery: their messages are hidden from ``user``)."""
    return Block.objects.filter(user_id=user.pk).values("blocked_user_id")


def shared_active_communities(user_ids: list[int]) -> QuerySet[Community]:
    """Communities where every one of ``user_ids`` is an active member."""
    qs = Community.objects.all()
    for uid in set(user_ids):
        qs = qs.filter(
            pk__in=Membership.objects.filter(user_id=uid, status=MembershipStatus.ACTIVE).values(
                "community_id"
            )
        )
    return qs.order_by("name")


def is_staff_of(user_id: int, community_id: int) -> bool:
    return Membership.objects.filter(
        user_id=user_id, community_id=community_id, status=MembershipStatus.ACTIVE, role__in=STAFF_ROLES
    ).exists()


def has_written_to(author_id: int, other_id: int) -> bool:
    """Whether ``author`` ever sent a message in a conversation ``other`` takes part in (used for
    "only people I have replied to" and for "is the sender new to the recipient")."""
    return Message.objects.filter(
        sender_id=author_id, conversation__participants__user_id=other_id, deleted_at__isnull=True
    ).exists()


def who_may_message_of(user_id: int) -> str:
    pref = (
        MessagingPreference.objects.filter(user_id=user_id).values_list("who_may_message", flat=True).first()
    )
    return pref or WhoMayMessage.EVERYONE


def accepts_messages_from(recipient_id: int, sender_id: int, community_id: int) -> bool:
    """The recipient's "who may message me" setting, for a new conversation in this community."""
    setting = who_may_message_of(recipient_id)
    if setting == WhoMayMessage.EVERYONE:
        return True
    if setting == WhoMayMessage.NOBODY:
        return False
    return is_staff_of(sender_id, community_id) or has_written_to(recipient_id, sender_id)


def recipient_for_sender(user: object, handle: str) -> User:
    """Someone ``user`` may try to start a conversation with: an active person sharing an active
    community, not blocked either way. Anyone else is 404 (like their profile)."""
    user = _signed_in(user)
    person = User.objects.filter(handle__iexact=handle, is_active=True, is_bot=False).first()
    if person is None or person.pk == user.pk:
        raise Http404
    if not shared_active_communities([user.pk, person.pk]).exists():
        raise Http404
    if is_blocked_between(user.pk, person.pk):
        raise Http404
    return person


def conversation_for_participant(user: object, conversation_id: int) -> tuple[Conversation, Participant]:
    """The conversation and the viewer's participation, or 404 (outsiders, people who left)."""
    user = _signed_in(user)
    participant = (
        Participant.objects.select_related("conversation", "conversation__community")
        .filter(conversation_id=conversation_id, user_id=user.pk, left_at__isnull=True)
        .first()
    )
    if participant is None:
        raise Http404
    return participant.conversation, participant


def can_write_in(user: User, conversation: Conversation) -> bool:
    """Participants write unless this is a one-to-one with a block either way, or nobody is left
    to read. Members of a moderator note write while they have a membership of its community."""
    if conversation.is_modnote:
        return Membership.objects.filter(
            user_id=user.pk,
            community_id=conversation.community_id,
            status__in=[MembershipStatus.ACTIVE, MembershipStatus.BANNED],
        ).exists()
    others = list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .exclude(user_id=user.pk)
        .values_list("user_id", flat=True)
    )
    if not others:
        return False
    if conversation.kind == ConversationKind.DIRECT and is_blocked_between(user.pk, others[0]):
        return False
    # Writing needs a community still shared with someone in the conversation.
    mine = Membership.objects.filter(user_id=user.pk, status=MembershipStatus.ACTIVE).values("community_id")
    return Membership.objects.filter(
        user_id__in=others, status=MembershipStatus.ACTIVE, community_id__in=mine
    ).exists()


def conversation_for_sender(user: object, conversation_id: int) -> tuple[Conversation, Participant]:
    user = _signed_in(user)
    conversation, participant = conversation_for_participant(user, conversation_id)
    if not can_write_in(user, conversation):
        raise Http404
    return conversation, participant


def message_for_author(user: object, conversation_id: int, message_id: int) -> tuple[Message, Participant]:
    """One's own, not deleted message in a conversation one still takes part in."""
    user = _signed_in(user)
    conversation, participant = conversation_for_participant(user, conversation_id)
    message = Message.objects.filter(
        pk=message_id, conversation=conversation, sender_id=user.pk, deleted_at__isnull=True
    ).first()
    if message is None:
        raise Http404
    message.conversation = conversation
    return message, participant


def can_edit_message(message: Message, at: datetime | None = None) -> bool:
    return message.deleted_at is None and (at or timezone.now()) - message.created_at <= EDIT_WINDOW


def message_for_reporter(user: object, conversation_id: int, message_id: int) -> tuple[Message, Participant]:
    """Someone else's message the participant can see (not a blocked person's, not deleted)."""
    user = _signed_in(user)
    conversation, participant = conversation_for_participant(user, conversation_id)
    message = (
        Message.objects.select_related("sender")
        .filter(pk=message_id, conversation=conversation, deleted_at__isnull=True)
        .exclude(sender_id=user.pk)
        .exclude(sender_id__in=blocked_by_me(user))
        .first()
    )
    if message is None or message.sender_id is None:
        raise Http404
    message.conversation = conversation
    return message, participant


def report_communities(reporter: User, message: Message) -> list[Community]:
    """Where a message may be reported: communities both the reporter and its sender are in
    (the sender may be banned since: their moderators still decide)."""
    if message.as_moderators or message.sender_id is None:
        return []
    mine = Membership.objects.filter(user_id=reporter.pk, status=MembershipStatus.ACTIVE).values(
        "community_id"
    )
    ids = Membership.objects.filter(
        user_id=message.sender_id,
        status__in=[MembershipStatus.ACTIVE, MembershipStatus.BANNED],
        community_id__in=mine,
    ).values("community_id")
    return list(Community.objects.filter(pk__in=ids).order_by("name"))


# --- Staff: moderator notes and reports ---------------------------------------------------------


def community_for_message_staff(user: object, slug: str) -> CommunityAccess:
    """The community's shared staff inbox: its moderators and owners; anyone else 404."""
    user = _signed_in(user)
    access = community_landing(user, slug)
    if not is_staff(access.membership):
        raise Http404
    return access


def modnote_for_staff(user: object, slug: str, conversation_id: int) -> tuple[Conversation, CommunityAccess]:
    """A moderator note of this community (checked against its own community)."""
    access = community_for_message_staff(user, slug)
    conversation = (
        Conversation.objects.select_related("community")
        .filter(pk=conversation_id, community_id=access.community.pk, kind=ConversationKind.MODNOTE)
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation, access


def member_for_modnote(access: CommunityAccess, handle: str) -> Membership:
    """An active member of the community a moderator may write a note to (not themselves)."""
    target = (
        Membership.objects.select_related("user")
        .filter(
            community_id=access.community.pk,
            user__handle__iexact=handle,
            status=MembershipStatus.ACTIVE,
            user__is_active=True,
        )
        .first()
    )
    if target is None or access.membership is None or target.user_id == access.membership.user_id:
        raise Http404
    return target


def message_report_for_staff(
    user: object, slug: str, report_id: int
) -> tuple[MessageReport, CommunityAccess]:
    access = community_for_message_staff(user, slug)
    report = (
        MessageReport.objects.select_related("reported_user", "reporter")
        .filter(pk=report_id, community_id=access.community.pk)
        .first()
    )
    if report is None:
        raise Http404
    return report, access


def message_notice_still_visible(user: object, *, actor_id: int | None, url: str) -> bool:
    """May a private-message notification still be emailed (or put in a digest)? Only while the
    recipient takes part in the conversation (for a moderator note answered by the member: while
    they are staff of its community), hasn't muted it, and hasn't blocked the sender since."""
    if not _is_authenticated(user) or not isinstance(user, User) or not user.is_active:
        return False
    if actor_id is not None and Block.objects.filter(user_id=user.pk, blocked_user_id=actor_id).exists():
        return False
    try:
        match = resolve(url)
    except Resolver404:
        return False
    conversation_id = int(match.kwargs.get("conversation_id") or 0)
    if match.url_name == "messages-conversation":
        return Participant.objects.filter(
            conversation_id=conversation_id, user_id=user.pk, left_at__isnull=True, muted=False
        ).exists()
    if match.url_name == "messages-staff-conversation":
        conversation = Conversation.objects.filter(pk=conversation_id, kind=ConversationKind.MODNOTE).first()
        return conversation is not None and is_staff_of(user.pk, conversation.community_id)
    return False
