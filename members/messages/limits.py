"""The limits on private messages, checked by the services in this order: the text (word
filter, identical text to many people), then the daily cap on new conversations, and the per-minute
rate limits last, so a refused attempt uses up nothing.

Counting limits read rows, so every send first locks the sender's ``MessagingPreference`` row
(:func:`lock_sender`): two requests of the same person are counted one after the other and the
daily cap and the identical-text check are exact under concurrency (PostgreSQL
``SELECT ... FOR UPDATE``; SQLite serialises writers anyway).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Min

from members.messages.models import (
    CommunityMessaging,
    Conversation,
    ConversationKind,
    Message,
    MessagingPreference,
)
from members.models import Membership
from moderation import ratelimit
from moderation.models import WordFilter

IDENTICAL_WINDOW = timedelta(hours=24)
# The same text may go to this many different conversations a day; the next one is refused.
IDENTICAL_MAX_CONVERSATIONS = 3
NEWCOMER_CAP_DAYS = 30
DAY = timedelta(hours=24)
SEND_LIMITS = (
    ratelimit.Limit("pm-send", 1, 2),
    ratelimit.Limit("pm-minute", 20, 60),
)


class MessagingRefused(ValidationError):
    """This message may not be sent (or this conversation started). The text is for the person."""


def normalised_digest(text: str) -> str:
    """Digest of the text ignoring case and spacing: "identical" means identical to a reader."""
    return ratelimit.digest(" ".join(text.lower().split()))


def lock_sender(user_id: int) -> MessagingPreference:
    MessagingPreference.objects.bulk_create([MessagingPreference(user_id=user_id)], ignore_conflicts=True)
    return MessagingPreference.objects.select_for_update().get(user_id=user_id)


def _phrase_matches(phrase: str, text: str) -> bool:
    pattern = r"(?<!\w)" + re.escape(phrase.strip()) + r"(?!\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def check_word_filter(community_id: int, text: str) -> None:
    """The community's word filter applies to messages in its context. A message can't be held
    for review (its moderators never read conversations), so every filtered phrase refuses it."""
    for wf in WordFilter.objects.filter(community_id=community_id).order_by("pk")[:500]:
        if _phrase_matches(wf.phrase, text):
            raise MessagingRefused(
                f"Your message contains “{wf.phrase}”, which this community doesn't allow. "
                "Edit it and try again — your text is kept below.",
                code="blocked_word",
            )


def check_identical(sender_id: int, digest: str, conversation_id: int | None, now: datetime) -> None:
    """Refuse the text if the sender already sent it to IDENTICAL_MAX_CONVERSATIONS other
    conversations today (``conversation_id``: the one being written in, None for a new one)."""
    sent = Message.objects.filter(sender_id=sender_id, digest=digest, created_at__gte=now - IDENTICAL_WINDOW)
    if conversation_id is not None:
        sent = sent.exclude(conversation_id=conversation_id)
    others = sent.values("conversation_id").distinct().count()
    if others >= IDENTICAL_MAX_CONVERSATIONS:
        raise MessagingRefused(
            "You already sent this exact message to several people today. Write to each person "
            "in your own words, or start a thread in the community instead.",
            code="identical",
        )


def check_daily_cap(sender: Membership, settings: CommunityMessaging, now: datetime) -> None:
    new = now - sender.joined_at < timedelta(days=NEWCOMER_CAP_DAYS)
    cap = settings.newcomer_daily_cap if new else settings.daily_cap
    started = Conversation.objects.filter(created_by_id=sender.user_id, created_at__gte=now - DAY).exclude(
        kind=ConversationKind.MODNOTE
    )
    row = started.aggregate(n=Count("pk"), first=Min("created_at"))
    if row["n"] >= cap:
        retry = int((row["first"] + DAY - now).total_seconds()) + 1
        raise ratelimit.RateLimited(
            f"You can start {cap} new conversation{'s' if cap != 1 else ''} a day"
            + (" while you're new here" if new else "")
            + f". You can start another {ratelimit.describe_wait(retry)}; replies are not limited.",
            retry_after=retry,
        )


def hit_rate_limits(sender_id: int) -> None:
    for limit in SEND_LIMITS:
        ratelimit.hit(
            limit,
            str(sender_id),
            message="You're sending messages faster than this site allows. You can send again {when}.",
        )
