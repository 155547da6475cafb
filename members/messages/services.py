"""Private message writes. Each runs in one transaction; notifications are created in it and
their emails leave after commit (``members.notifications.services.notification_create``).

A send checks who may talk to whom (membership, blocks, settings, sanctions) here, then the limits
of ``members.messages.limits`` (word filter, identical text to many, daily cap, rate limits) with
the sender's row locked, so they count exactly under concurrency.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from communities.markdown import render_user_markdown
from communities.models import Community
from members import access
from members.messages import limits
from members.messages.limits import MessagingRefused
from members.messages.models import (
    Block,
    CommunityMessaging,
    Conversation,
    ConversationKind,
    Message,
    MessagingPreference,
    Participant,
    WhoMayMessage,
)
from members.messages.selectors import unread_conversations_key
from members.models import STAFF_ROLES, Membership, MembershipStatus, User
from members.notifications.models import Notification
from members.notifications.services import notification_create, unread_count_forget
from moderation.audit import audit
from moderation.models import AuditAction

MESSAGE_KIND = "message"  # the notification kind (per-kind email preference)
MAX_PARTICIPANTS = 10  # the starter included
MAX_BODY_CHARS = 10_000
MAX_SUBJECT_CHARS = 120


# --- Helpers ---------------------------------------------------------------------------------------


def excerpt(message: Message, chars: int = 80) -> str:
    return Truncator(message.plain_text).chars(chars)


def community_messaging(community: Community | int) -> CommunityMessaging:
    community_id = community if isinstance(community, int) else community.pk
    return CommunityMessaging.objects.filter(community_id=community_id).first() or CommunityMessaging(
        community_id=community_id
    )


def welcome_text(*, community: Community, newcomer: User) -> str:
    """The community's welcome template for this newcomer ({name} and {community} replaced)."""
    template = community_messaging(community).welcome_template
    return template.replace("{name}", newcomer.name).replace("{community}", community.name)


def _clean_body(body_md: str) -> tuple[str, str]:
    body = (body_md or "").strip()
    if not body:
        raise MessagingRefused("Write a message first.", code="empty")
    if len(body) > MAX_BODY_CHARS:
        raise MessagingRefused(f"Messages are limited to {MAX_BODY_CHARS:,} characters.", code="too_long")
    try:
        return body, render_user_markdown(body)
    except ValidationError as exc:
        raise MessagingRefused(" ".join(exc.messages), code="too_complex") from None


def _notify(message: Message, conversation: Conversation, *, recipient_ids: list[int], url: str) -> None:
    """One unread notification per conversation and recipient (the next messages join it).
    The text carries an excerpt only when the recipient has written to the sender before: a
    stranger's text never reaches an inbox or an email (spam, phishing)."""
    if not recipient_ids:
        return
    already = set(
        Notification.objects.filter(
            recipient_id__in=recipient_ids, kind=MESSAGE_KIND, url=url, read_at__isnull=True
        ).values_list("recipient_id", flat=True)
    )
    community = conversation.community
    sender = message.sender
    for rid in recipient_ids:
        if rid in already:
            continue
        if message.as_moderators:
            text = f"The moderators of {community.name} sent you a note."
        elif sender is not None and access.has_written_to(rid, sender.pk):
            text = f"@{sender.handle}: {excerpt(message)}"
        else:
            who = f"@{sender.handle}" if sender is not None else "Someone"
            text = f"{who} sent you a private message."
        notification_create(
            recipient_id=rid,
            kind=MESSAGE_KIND,
            text=text,
            url=url,
            community_id=conversation.community_id,
            actor_id=None if message.as_moderators else message.sender_id,
        )


def _notify_participants(message: Message, conversation: Conversation) -> None:
    sender_id = message.sender_id or 0  # a message being sent always has its sender
    recipients = list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True, muted=False)
        .exclude(user_id=sender_id)
        .exclude(user_id__in=Block.objects.filter(blocked_user_id=sender_id).values("user_id"))
        .values_list("user_id", flat=True)
    )
    _notify(message, conversation, recipient_ids=recipients, url=conversation.get_absolute_url())


def _notify_staff(message: Message, conversation: Conversation) -> None:
    """A member answered a moderator note: every moderator and owner of the community hears."""
    staff = list(
        Membership.objects.filter(
            community_id=conversation.community_id, status=MembershipStatus.ACTIVE, role__in=STAFF_ROLES
        )
        .exclude(user_id=message.sender_id or 0)
        .values_list("user_id", flat=True)
    )
    url = reverse("messages-staff-conversation", args=[conversation.community.slug, conversation.pk])
    _notify(message, conversation, recipient_ids=staff, url=url)


def unread_conversations_forget(user_ids: Iterable[int]) -> None:
    """These members' header count of unread conversations changed: recount on their next page
    (forgotten now and again after commit, like the bell's count)."""
    keys = [unread_conversations_key(uid) for uid in user_ids]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def _participant_ids(conversation_id: int) -> list[int]:
    return list(Participant.objects.filter(conversation_id=conversation_id).values_list("user_id", flat=True))


def _write(
    *, conversation: Conversation, sender: User, body: str, body_html: str, now: datetime, as_moderators: bool
) -> Message:
    message = Message.objects.create(
        conversation=conversation,
        sender=sender,
        as_moderators=as_moderators,
        body_md=body,
        body_html=body_html,
        digest=limits.normalised_digest(body),
        created_at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    conversation.last_message_at = now
    Participant.objects.filter(conversation=conversation, user=sender).update(last_read_at=now)
    unread_conversations_forget(_participant_ids(conversation.pk))
    return message


# --- Starting and writing --------------------------------------------------------------------------


@transaction.atomic
def conversation_start(
    *, sender: User, recipients: list[User], community: Community, body_md: str, subject: str = ""
) -> Conversation:
    """Start a one-to-one or group conversation in ``community``'s context (every participant is
    an active member of it). Raises MessagingRefused or RateLimited with a message for the sender."""
    body, body_html = _clean_body(body_md)
    subject = " ".join((subject or "").split())[:MAX_SUBJECT_CHARS]
    people = {r.pk: r for r in recipients if r.pk != sender.pk}
    if not people:
        raise MessagingRefused("Choose who to write to.", code="no_recipients")
    if len(people) + 1 > MAX_PARTICIPANTS:
        raise MessagingRefused(
            f"A conversation has at most {MAX_PARTICIPANTS} people, you included.", code="too_many"
        )
    now = timezone.now()
    limits.lock_sender(sender.pk)
    membership = access.active_membership(sender, community.pk)
    if membership is None:
        raise MessagingRefused(f"You're not a member of {community.name}.", code="not_member")
    if membership.is_muted(now):
        raise MessagingRefused(
            f"You are muted in {community.name}, so you can't start conversations there.", code="muted"
        )
    settings = community_messaging(community)
    sender_staff = access.is_staff(membership)
    members = {
        m.user_id: m
        for m in Membership.objects.filter(
            community=community,
            user_id__in=list(people),
            status=MembershipStatus.ACTIVE,
            user__is_active=True,
        )
    }
    for uid, person in people.items():
        if uid not in members:
            raise MessagingRefused(
                f"@{person.handle} is not a member of {community.name}.", code="not_shared"
            )
    staff_recipients = all(m.role in STAFF_ROLES for m in members.values())
    if (
        not settings.members_may_message
        and not sender_staff
        and not any(m.role in STAFF_ROLES for m in members.values())
    ):
        raise MessagingRefused(
            f"{community.name} has messages between members switched off. You can still write to "
            "its moderators.",
            code="switched_off",
        )
    for uid, person in people.items():
        if access.is_blocked_between(sender.pk, uid):
            raise MessagingRefused(f"You can't message @{person.handle}.", code="blocked")
        if not access.accepts_messages_from(uid, sender.pk, community.pk):
            raise MessagingRefused(
                f"@{person.handle} doesn't accept new messages from you.", code="not_accepting"
            )
    if (
        not sender_staff
        and not staff_recipients
        and now - membership.joined_at < timedelta(days=settings.newcomer_days)
    ):
        raise MessagingRefused(
            f"In your first {settings.newcomer_days} days in {community.name} you can write to its "
            "moderators, and answer anyone who writes to you.",
            code="newcomer",
        )
    if not sender_staff:
        limits.check_word_filter(community.pk, f"{subject}\n{body}")
    limits.check_identical(sender.pk, limits.normalised_digest(body), None, now)
    if not sender_staff:
        limits.check_daily_cap(membership, settings, now)
    limits.hit_rate_limits(sender.pk)

    conversation = Conversation.objects.create(
        kind=ConversationKind.DIRECT if len(people) == 1 else ConversationKind.GROUP,
        community=community,
        subject=subject,
        created_by=sender,
        created_at=now,
        last_message_at=now,
    )
    Participant.objects.bulk_create(
        [Participant(conversation=conversation, user=sender, joined_at=now, last_read_at=now)]
        + [Participant(conversation=conversation, user_id=uid, joined_at=now) for uid in people]
    )
    message = _write(
        conversation=conversation, sender=sender, body=body, body_html=body_html, now=now, as_moderators=False
    )
    _notify_participants(message, conversation)
    return conversation


def _switch_allows(conversation: Conversation, sender: User) -> bool:
    if community_messaging(conversation.community_id).members_may_message:
        return True
    ids = list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    return Membership.objects.filter(
        community_id=conversation.community_id,
        user_id__in=ids,
        status=MembershipStatus.ACTIVE,
        role__in=STAFF_ROLES,
    ).exists()


@transaction.atomic
def message_send(*, sender: User, conversation: Conversation, body_md: str) -> Message:
    """A participant writes in a conversation (the caller checked ``conversation_for_sender``).
    In a moderator note, the member's answer goes to the community's staff inbox."""
    body, body_html = _clean_body(body_md)
    now = timezone.now()
    limits.lock_sender(sender.pk)
    if not conversation.is_modnote:
        if not _switch_allows(conversation, sender):
            raise MessagingRefused(
                f"{conversation.community.name} has messages between members switched off.",
                code="switched_off",
            )
        if not access.is_staff_of(sender.pk, conversation.community_id):
            limits.check_word_filter(conversation.community_id, body)
        limits.check_identical(sender.pk, limits.normalised_digest(body), conversation.pk, now)
    limits.hit_rate_limits(sender.pk)
    message = _write(
        conversation=conversation, sender=sender, body=body, body_html=body_html, now=now, as_moderators=False
    )
    if conversation.is_modnote:
        _notify_staff(message, conversation)
    else:
        _notify_participants(message, conversation)
    return message


@transaction.atomic
def message_edit(*, message: Message, body_md: str) -> Message:
    if not access.can_edit_message(message):
        raise MessagingRefused("Messages can be edited for 15 minutes after sending.", code="too_late")
    body, body_html = _clean_body(body_md)
    conversation = message.conversation
    if not conversation.is_modnote and not access.is_staff_of(
        message.sender_id or 0, conversation.community_id
    ):
        limits.check_word_filter(conversation.community_id, body)
    message.body_md = body
    message.body_html = body_html
    message.digest = limits.normalised_digest(body)
    message.edited_at = timezone.now()
    message.save(update_fields=["body_md", "body_html", "digest", "edited_at"])
    return message


@transaction.atomic
def message_delete(*, message: Message) -> Message:
    """The sender deletes their message within the edit window: its text is erased."""
    if not access.can_edit_message(message):
        raise MessagingRefused("Messages can be deleted for 15 minutes after sending.", code="too_late")
    message.body_md = ""
    message.body_html = ""
    message.deleted_at = timezone.now()
    message.save(update_fields=["body_md", "body_html", "deleted_at"])
    unread_conversations_forget(_participant_ids(message.conversation_id))
    return message


# --- Reading, muting, leaving, blocking, settings ----------------------------------------------------


def conversation_mark_read(*, participant: Participant, at: datetime | None = None) -> None:
    """Mark everything up to now read, and the notifications about this conversation too.
    (Two idempotent updates of the reader's own rows; no transaction needed, and pages that
    read a conversation stay within their query budget.)"""
    now = at or timezone.now()
    Participant.objects.filter(pk=participant.pk).update(last_read_at=now)
    participant.last_read_at = now
    marked = Notification.objects.filter(
        recipient_id=participant.user_id,
        kind=MESSAGE_KIND,
        url=reverse("messages-conversation", args=[participant.conversation_id]),
        read_at__isnull=True,
    ).update(read_at=now)
    unread_conversations_forget([participant.user_id])
    if marked:
        # The bell's cached count (shared by every node) must drop now, not when it expires.
        unread_count_forget(participant.user_id)


@transaction.atomic
def inbox_mark_all_read(*, user: User, at: datetime | None = None) -> None:
    """Every conversation of the user read up to now, and their message notifications too."""
    now = at or timezone.now()
    Participant.objects.filter(user=user, left_at__isnull=True).update(last_read_at=now)
    unread_conversations_forget([user.pk])
    unread = Notification.objects.filter(recipient=user, kind=MESSAGE_KIND, read_at__isnull=True)
    if unread.update(read_at=now):
        unread_count_forget(user.pk)


@transaction.atomic
def conversation_set_muted(*, participant: Participant, muted: bool) -> None:
    Participant.objects.filter(pk=participant.pk).update(muted=muted)
    participant.muted = muted
    unread_conversations_forget([participant.user_id])


@transaction.atomic
def conversation_leave(*, participant: Participant) -> None:
    """Leave a group conversation (it disappears from one's inbox; the others keep it)."""
    if participant.conversation.kind != ConversationKind.GROUP:
        raise MessagingRefused(
            "Only group conversations can be left. Mute or block instead.", code="not_group"
        )
    Participant.objects.filter(pk=participant.pk).update(left_at=timezone.now())
    unread_conversations_forget([participant.user_id])


@transaction.atomic
def block_set(*, user: User, blocked: User, on: bool = True) -> None:
    if blocked.pk == user.pk:
        raise MessagingRefused("You can't block yourself.", code="self")
    if on:
        Block.objects.bulk_create([Block(user=user, blocked_user=blocked)], ignore_conflicts=True)
    else:
        Block.objects.filter(user=user, blocked_user=blocked).delete()
    unread_conversations_forget([user.pk])


@transaction.atomic
def messaging_preference_set(*, user: User, who_may_message: str) -> None:
    if who_may_message not in WhoMayMessage.values:
        raise MessagingRefused("Choose who may message you.", code="invalid")
    limits.lock_sender(user.pk)
    MessagingPreference.objects.filter(user=user).update(who_may_message=who_may_message)


@transaction.atomic
def community_messaging_update(*, actor: Membership, values: dict) -> CommunityMessaging:
    """The owner's messaging settings; recorded in the audit log."""
    if not access.can_manage_community(actor):
        raise PermissionDenied("Only the owner can change messaging settings.")
    fields = (
        "members_may_message",
        "welcome_template_md",
        "newcomer_days",
        "newcomer_daily_cap",
        "daily_cap",
    )
    row, _ = CommunityMessaging.objects.get_or_create(community_id=actor.community_id)
    changed = {f: values[f] for f in fields if f in values and getattr(row, f) != values[f]}
    for f, v in changed.items():
        setattr(row, f, v)
    if changed:
        row.save(update_fields=list(changed))
        audit(
            community_id=actor.community_id,
            actor=actor.user,
            action=AuditAction.SETTINGS_CHANGED,
            data={"messaging": sorted(changed)},
        )
    return row


# --- Moderator notes ------------------------------------------------------------------------------


@transaction.atomic
def modnote_start(*, actor: Membership, target: Membership, body_md: str, subject: str = "") -> Conversation:
    """A note from the community's moderators to one member. Every moderator and owner of the
    community sees it in the staff inbox; the member sees it as from "the moderators"."""
    if not access.is_staff(actor) or target.community_id != actor.community_id:
        raise PermissionDenied("Only moderators can send moderator notes.")
    body, body_html = _clean_body(body_md)
    subject = " ".join((subject or "").split())[:MAX_SUBJECT_CHARS]
    now = timezone.now()
    limits.lock_sender(actor.user_id)
    limits.hit_rate_limits(actor.user_id)
    conversation = Conversation.objects.create(
        kind=ConversationKind.MODNOTE,
        community_id=actor.community_id,
        subject=subject,
        created_by=actor.user,
        created_at=now,
        last_message_at=now,
    )
    Participant.objects.create(conversation=conversation, user_id=target.user_id, joined_at=now)
    message = _write(
        conversation=conversation,
        sender=actor.user,
        body=body,
        body_html=body_html,
        now=now,
        as_moderators=True,
    )
    _notify_participants(message, conversation)
    return conversation


@transaction.atomic
def modnote_reply(*, actor: Membership, conversation: Conversation, body_md: str) -> Message:
    if (
        not access.is_staff(actor)
        or conversation.community_id != actor.community_id
        or not conversation.is_modnote
    ):
        raise PermissionDenied("Only this community's moderators can answer here.")
    body, body_html = _clean_body(body_md)
    now = timezone.now()
    limits.lock_sender(actor.user_id)
    limits.hit_rate_limits(actor.user_id)
    message = _write(
        conversation=conversation,
        sender=actor.user,
        body=body,
        body_html=body_html,
        now=now,
        as_moderators=True,
    )
    _notify_participants(message, conversation)
    return message
