"""Checks run when members post, react or flag: mutes, rate limits, word filters, holds for review."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from communities.discussions.models import Post, PostStatus, Thread
from communities.integrations import events
from communities.models import Community
from config.cache import degraded as cache_degraded
from members import access
from members.models import (
    Membership,
    User,
)
from members.notifications.models import Notification
from members.notifications.services import notification_create
from moderation import ratelimit
from moderation.models import (
    Flag,
    FlagReason,
    WordFilter,
    WordFilterAction,
)
from moderation.selectors import community_limits
from moderation.services import _lock_post, _post_link, _set_removed

FLAGS_PER_DAY = 20
IDENTICAL_POST_WINDOW = 5 * 60
SAME_POST_MESSAGE = "You posted exactly this a moment ago. You can post the same text again {when}."


class PostingRefused(ValidationError):
    """The member may not post this now (muted, a blocked word). The message is for the person."""


class FlagError(ValidationError):
    """A flag that can't be accepted (own post, already flagged...)."""


# --- Posting hooks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostDecision:
    status: str = PostStatus.PUBLISHED
    hold_reason: str = ""  # "first_posts" / "word_filter"

    @property
    def published(self) -> bool:
        return self.status == PostStatus.PUBLISHED


PUBLISH = PostDecision()


def _phrase_matches(phrase: str, text: str) -> bool:
    pattern = r"(?<!\w)" + re.escape(phrase.strip()) + r"(?!\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def _check_rate_limits(
    membership: Membership, *, community: Community, body_md: str, is_thread: bool
) -> None:
    """Order matters: a refused attempt must not use up a later limit. An identical repeat is
    looked for first (a double submit says so), then the interval is counted (refused: nothing
    else is recorded, so sending the same text after the wait works), then the text is recorded
    and the daily thread cap counted."""
    limits = community_limits(community)
    now = timezone.now()
    age = now - membership.joined_at
    is_new = age < timedelta(days=limits.new_member_days)
    ident = f"{community.pk}:{membership.user_id}"
    same_message = SAME_POST_MESSAGE
    ratelimit.check_once(
        "same-post", f"{ident}:{ratelimit.digest(body_md)}", IDENTICAL_POST_WINDOW, message=same_message
    )
    if is_thread:
        interval = limits.new_member_thread_interval_seconds if is_new else limits.thread_interval_seconds
        name = "thread"
    else:
        interval = limits.new_member_post_interval_seconds if is_new else limits.post_interval_seconds
        name = "post"
    if interval > 0:
        ratelimit.hit(
            ratelimit.Limit(name, 1, interval),
            ident,
            message="You're posting faster than this community allows"
            + (" for new members" if is_new else "")
            + ". You can post again {when}.",
        )
    ratelimit.once(
        "same-post", f"{ident}:{ratelimit.digest(body_md)}", IDENTICAL_POST_WINDOW, message=same_message
    )
    first_day = age < timedelta(days=1)
    per_day = limits.threads_first_day if first_day else limits.threads_per_day
    day_message = (
        f"You can start {per_day} thread{'s' if per_day != 1 else ''} a day here"
        + (" on your first day" if first_day else "")
        + ". You can start another {when}."
    )
    if is_thread:
        ratelimit.hit(ratelimit.Limit("thread-day", per_day, 24 * 3600), ident, message=day_message)
    if ratelimit.enabled() and cache_degraded():
        # Redis is failing: the cache said yes to everything above. Check the truth instead.
        _limits_from_database(
            membership,
            body_md=body_md,
            is_thread=is_thread,
            interval=interval,
            interval_message="You're posting faster than this community allows"
            + (" for new members" if is_new else "")
            + ". You can post again {when}.",
            per_day=per_day if is_thread else None,
            day_message=day_message,
        )


def _refuse(message: str, seconds: float) -> None:
    wait = max(1, math.ceil(seconds))
    raise ratelimit.RateLimited(message.format(when=ratelimit.describe_wait(wait)), retry_after=wait)


def _limits_from_database(
    membership: Membership,
    *,
    body_md: str,
    is_thread: bool,
    interval: int = 0,
    interval_message: str = "",
    per_day: int | None = None,
    day_message: str = "",
) -> None:
    """The posting limits from the member's own posts, for when the cache can't be trusted
    (Redis down or hung: ``config.cache.degraded``). The membership row is locked first, so
    concurrent posts by one member are checked one after the other and each sees the last one
    (on SQLite writers are serialized anyway). Caller is inside the posting transaction."""
    now = timezone.now()
    list(Membership.objects.select_for_update().filter(pk=membership.pk).values_list("pk", flat=True))
    mine = Post.objects.filter(community_id=membership.community_id, author_id=membership.user_id)
    same = (
        mine.filter(created_at__gt=now - timedelta(seconds=IDENTICAL_POST_WINDOW), body_md=body_md)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if same is not None:
        _refuse(SAME_POST_MESSAGE, IDENTICAL_POST_WINDOW - (now - same).total_seconds())
    if interval > 0:
        last = (
            mine.filter(is_opening=is_thread, created_at__gt=now - timedelta(seconds=interval))
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if last is not None:
            _refuse(interval_message, interval - (now - last).total_seconds())
    if per_day is not None:
        day = list(
            mine.filter(is_opening=True, created_at__gt=now - timedelta(days=1))
            .order_by("created_at")
            .values_list("created_at", flat=True)[:per_day]
        )
        if len(day) >= per_day:
            _refuse(day_message, 24 * 3600 - (now - day[0]).total_seconds())


def moderation_check_post(
    *,
    author: Membership | User,
    community_id: int,
    body_md: str,
    title: str = "",
    is_thread: bool = False,
    at: datetime | None = None,
) -> PostDecision:
    """Decide whether a new post may be written, and whether it is published or held.

    Raises :class:`PostingRefused` (muted, a blocked word) or ``ratelimit.RateLimited`` (too
    fast), both ValidationErrors whose message is for the person; the view keeps their text.
    System accounts (a ``User``) and writes back-dated with ``at`` (imports, seeding) skip the
    checks. Staff are never held, filtered or rate-limited except for an identical repeat.
    """
    if not isinstance(author, Membership) or at is not None:
        return PUBLISH
    now = timezone.now()
    if author.muted_until and author.muted_until > now:
        raise PostingRefused(_muted_message(author.muted_until, "post"), code="muted")
    community = Community.objects.only("pk", "hold_first_posts").get(pk=community_id)
    if access.is_staff(author):
        ratelimit.once(
            "same-post",
            f"{community.pk}:{author.user_id}:{ratelimit.digest(body_md)}",
            IDENTICAL_POST_WINDOW,
            message=SAME_POST_MESSAGE,
        )
        if ratelimit.enabled() and cache_degraded():
            _limits_from_database(author, body_md=body_md, is_thread=is_thread)
        return PUBLISH
    text = f"{title}\n{body_md}"
    hold = ""
    for wf in WordFilter.objects.filter(community_id=community_id).order_by("action", "pk")[:500]:
        if _phrase_matches(wf.phrase, text):
            if wf.action == WordFilterAction.BLOCK:
                raise PostingRefused(
                    f"Your post contains “{wf.phrase}”, which this community doesn't allow. "
                    "Edit it and try again — your text is kept below.",
                    code="blocked_word",
                )
            hold = "word_filter"
    _check_rate_limits(author, community=community, body_md=body_md, is_thread=is_thread)
    if not hold and community.hold_first_posts:
        approved = Post.objects.filter(
            community_id=community_id, author_id=author.user_id, status=PostStatus.PUBLISHED
        ).count()
        if approved < community.hold_first_posts:
            hold = "first_posts"
    if hold:
        return PostDecision(status=PostStatus.HELD, hold_reason=hold)
    return PUBLISH


def _muted_message(until: datetime, doing: str) -> str:
    when = timezone.localtime(until).strftime("%-d %b %Y, %H:%M %Z")
    return f"You are muted in this community until {when}, so you can't {doing}. You can still read."


def moderation_check_react(membership: Membership) -> None:
    """Call before adding a reaction: muted members can't react (raises PostingRefused)."""
    if membership.muted_until and membership.muted_until > timezone.now():
        raise PostingRefused(_muted_message(membership.muted_until, "react"), code="muted")


def moderation_post_created(post: Post, decision: PostDecision) -> None:
    """After a post is written: a held opening post keeps its thread hidden until approval
    (``Thread.removed_at``, which every listing already filters), and the author is told."""
    if decision.published:
        return
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(removed_at=post.created_at)
    notification_create(
        recipient_id=post.author_id,
        kind=Notification.Kind.MODERATION,
        text="Your post is awaiting review by a moderator. Others will see it once it's approved.",
        url=_post_link(post),
        community_id=post.community_id,
        thread_id=post.thread_id,
        post_id=post.pk,
    )


# --- Flags -----------------------------------------------------------------------------------------


@transaction.atomic
def flag_create(*, membership: Membership, post: Post, reason: str, note: str = "") -> Flag:
    """A member flags a post they can see (not their own, once). Reaching the community's
    threshold of distinct flaggers hides the post pending review (a system removal)."""
    if not membership.is_active or post.community_id != membership.community_id:
        raise PermissionDenied("Only members can flag posts here.")
    if reason not in FlagReason.values:
        raise FlagError("Choose a reason.")
    note = (note or "").strip()
    if reason == FlagReason.OTHER and not note:
        raise FlagError("Tell the moderators what is wrong (a short note) when the reason is “Other”.")
    if len(note) > 500:
        raise FlagError("Keep the note under 500 characters.")
    if post.author_id == membership.user_id:
        raise FlagError("You can't flag your own post.")
    if not post.is_visible:
        raise FlagError("This post is already waiting for a moderator.")
    if Flag.objects.filter(post=post, flagger_id=membership.user_id).exists():
        raise FlagError("You already flagged this post. Thank you — a moderator will look at it.")
    ratelimit.hit(
        ratelimit.Limit("flag-day", FLAGS_PER_DAY, 24 * 3600),
        str(membership.user_id),
        message=f"You can flag {FLAGS_PER_DAY} posts a day. You can flag again {{when}}.",
    )
    post = _lock_post(post)  # serialises flaggers of one post, so the threshold hides once
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                community_id=post.community_id,
                post=post,
                flagger_id=membership.user_id,
                reason=reason,
                note=note,
            )
    except IntegrityError:
        raise FlagError("You already flagged this post. Thank you — a moderator will look at it.") from None
    events.emit(events.FLAG_CREATED, community_id=post.community_id, flag_id=flag.pk, post_id=post.pk)
    threshold = Community.objects.values_list("flag_threshold", flat=True).get(pk=post.community_id)
    flaggers = (
        Flag.objects.filter(post=post, resolved_at__isnull=True).values("flagger_id").distinct().count()
    )
    if post.removed_at is None and post.status == PostStatus.PUBLISHED and flaggers >= threshold:
        # A moderation removal (not the author's), by the system: PostEvent.actor stays empty.
        _set_removed(post, actor=None, by_moderator=True, now=timezone.now())
        events.emit(events.POST_HIDDEN, community_id=post.community_id, post_id=post.pk)
        if post.author_id:
            notification_create(
                recipient_id=post.author_id,
                kind=Notification.Kind.MODERATION,
                text="Several members flagged your post, so it is hidden until a moderator reviews it.",
                url=_post_link(post),
                community_id=post.community_id,
                thread_id=post.thread_id,
                post_id=post.pk,
            )
    return flag
