"""A small community whose every metric is computed by hand (in the comments) and compared with the job.

Community "Hand" in America/New_York, created 2025-09-01 (a Monday). DST ends on 2025-11-02
(01:59 EDT -> 01:00 EST, UTC-4 -> UTC-5), so 2025-11-02 has 25 hours and ends at 05:00 UTC.

People: O owner; A, B, C, D, L, E members; M member promoted to moderator on 10-15;
R a bot (system account) that joins, starts a thread and the ritual thread, replies and reacts.

Timeline (local times):
  09-01 09:00 community created, O joins (owner)       09-01 09:05 bot R joins
  09-01 10:00 A joins                                  09-01 11:00 A creates multi-use invite I1
  09-02 09:00 A visits                                 09-02 12:00 B joins via I1
  09-02 13:00 C joins via I1                           09-03 09:00 M joins
  09-04 09:00 O creates invite I2 (staff)              09-05 10:00 D joins via I2
  09-10 10:00 L joins
  09-24 10:00 T13 by C, held for review; approved 09-29 09:00 (its thread is created then, for
        the thread metrics); 09-29 15:00 A replies in T13
  10-01 09:00 T1 by A; L visits; 10:00 A replies in T1 and L leaves; 12:00 B replies in T1
  10-02 09:00 bot thread T6; 12:00 C replies in T6; 15:00 D replies in T1 (rejected later)
  10-05 10:00 L's visit row while not a member (must not count)
  10-05 20:00 T2 by B; 21:00 bot reply in T2           10-06 06:00 O replies in T2
  10-06 09:00 ritual thread TR by the bot; 19:00 A replies   10-07 08:00 B replies in TR
  10-10 08:00 T3 by C; 10:00 M creates invite I3 (as a member)
  10-11 14:00 D replies in T3                          10-12 10:00 T4 by D
  10-13 10:00 A replies in T4 (removed 10-20 12:00, restored 11-05 09:00)
  10-15 12:00 M becomes moderator
  10-20 09:00 T7 by M (staff); 10:00 L rejoins; 11:00 B replies in T7
  10-21 09:00 C replies in T7, held; approved 10-22 09:00
  10-25 12:00 L reacts to T7 and visits; the bot reacts too
  10-27 10:00 T8 by A
  11-02 23:30 EST (11-03 04:30 UTC) E joins via I3    11-02 23:40 EST B replies in T8
  11-05 10:00 T9 by E; 16:00 A replies                 11-10 L visits
  11-20 10:00 T10 by C; 11:00 C replies in T10         11-21 10:00 E replies in T10
  11-25 10:00 T11 by B                                 12-01 10:00 T12 by A; 12:00 B replies
  12-03 A and B visit                                  12-05 T12's opening post removed (thread gone)
  12-08 E visits                                       12-10 D visits; M reacts to T10; bot reacts
  12-10 08:00 L reacts to T11 (L's only action that day) and takes it back later: activity stands

Active dates per person (joins, invites, posts incl. rejected/held ones, reactions, visits):
  O: 09-01 09-04 10-06
  A: 09-01 09-02 09-29 10-01 10-06 10-13 10-27 11-05 12-01 12-03
  B: 09-02 10-01 10-05 10-07 10-20 11-02 11-25 12-01 12-03
  C: 09-02 09-24 10-02 10-10 10-21 11-20
  M: 09-03 10-10 10-20 12-10
  D: 09-05 10-02 10-11 10-12 12-10
  L: 09-10 10-01 10-20 10-25 11-10 12-10
  E: 11-02 11-05 11-21 12-08
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from communities.discussions.models import Post, PostEvent, PostStatus, Reaction, Thread
from communities.discussions.services import post_create, reaction_toggle, thread_create
from communities.models import Space
from communities.services import community_create
from members.models import Invite, InviteRedemption, Membership, Role, User
from members.services import membership_join, membership_leave, membership_set_role
from metrics import events as metrics_events
from metrics import services
from metrics import sql as metrics_sql
from metrics.models import METRIC_KEYS, DailySnapshot, RetentionCohort, RitualSnapshot, Visit
from tests.metrics import reference as metrics_reference

NY = ZoneInfo("America/New_York")
D0, D1, D2 = date(2025, 9, 3), date(2025, 11, 2), date(2025, 12, 10)


def L(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A local New York time."""
    return datetime(2025, month, day, hour, minute, tzinfo=NY)


def _remove(post: Post, at: datetime) -> None:
    PostEvent.objects.create(post=post, kind="removed", at=at, by_moderator=True)
    Post.objects.filter(pk=post.pk).update(removed_at=at)
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(removed_at=at)


def _restore(post: Post, at: datetime) -> None:
    PostEvent.objects.create(post=post, kind="restored", at=at, by_moderator=True)
    Post.objects.filter(pk=post.pk).update(removed_at=None)
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(removed_at=None)


def _join(user: User, community, at: datetime, invite: Invite | None = None, role: str = Role.MEMBER):
    m = membership_join(user=user, community=community, role=role, invite=invite, at=at)
    if invite is not None:
        InviteRedemption.objects.create(invite=invite, user=user, at=at)
        Invite.objects.filter(pk=invite.pk).update(uses=invite.uses + 1)
    return m


def _visit(user: User, community, at: datetime) -> None:
    Visit.objects.create(user=user, community=community, day=at.astimezone(NY).date(), at=at)


@pytest.fixture
def hand(db, make_user):
    u = {h: make_user(h) for h in ("owner_o", "alice", "bob", "carol", "mod_m", "dave", "lea", "eve")}
    bot = make_user("ritual_bot", is_bot=True)
    O, A, B, C, M, D, Lu, E = u.values()  # noqa: E741 - the cast by initial
    c = community_create(
        owner=O,
        name="Hand",
        slug="hand",
        purpose="Hand-computed.",
        time_zone="America/New_York",
        created_at=L(9, 1, 9),
    )
    space = Space.objects.get(community=c, slug="general")
    mem = lambda user: Membership.objects.get(user=user, community=c)  # noqa: E731

    _join(bot, c, L(9, 1, 9, 5))
    _join(A, c, L(9, 1, 10))
    i1 = Invite.objects.create(
        community=c, created_by=A, created_by_staff=False, token="i1", max_uses=None, created_at=L(9, 1, 11)
    )
    _visit(A, c, L(9, 2, 9))
    _join(B, c, L(9, 2, 12), invite=i1)
    i1.refresh_from_db()
    _join(C, c, L(9, 2, 13), invite=i1)
    _join(M, c, L(9, 3, 9))
    i2 = Invite.objects.create(
        community=c, created_by=O, created_by_staff=True, token="i2", created_at=L(9, 4, 9)
    )
    _join(D, c, L(9, 5, 10), invite=i2)
    _join(Lu, c, L(9, 10, 10))
    # T13: held for review when written, approved five days later, then answered.
    t13 = thread_create(author=mem(C), space=space, title="T13 held", body_md="t13", at=L(9, 24, 10))
    Post.objects.filter(thread=t13).update(published_at=L(9, 29, 9))
    PostEvent.objects.create(post=t13.posts.get(), kind="approved", at=L(9, 29, 9))
    post_create(author=mem(A), thread=t13, body_md="a", at=L(9, 29, 15))

    t1 = thread_create(author=mem(A), space=space, title="T1", body_md="t1", at=L(10, 1, 9))
    _visit(Lu, c, L(10, 1, 9))
    post_create(author=mem(A), thread=t1, body_md="own", at=L(10, 1, 10))
    membership_leave(membership=mem(Lu), at=L(10, 1, 10))
    post_create(author=mem(B), thread=t1, body_md="b", at=L(10, 1, 12))
    t6 = thread_create(author=bot, space=space, title="T6 bot", body_md="bot", at=L(10, 2, 9))
    post_create(author=mem(C), thread=t6, body_md="c in bot thread", at=L(10, 2, 12))
    rejected = post_create(author=mem(D), thread=t1, body_md="spam", at=L(10, 2, 15))
    Post.objects.filter(pk=rejected.pk).update(status=PostStatus.REJECTED, published_at=None)
    PostEvent.objects.create(post=rejected, kind="rejected", at=L(10, 2, 16))
    Visit.objects.create(user=Lu, community=c, day=date(2025, 10, 5), at=L(10, 5, 10))  # not a member then
    t2 = thread_create(author=mem(B), space=space, title="T2", body_md="t2", at=L(10, 5, 20))
    post_create(author=bot, thread=t2, body_md="bot reply", at=L(10, 5, 21))
    post_create(author=mem(O), thread=t2, body_md="o", at=L(10, 6, 6))
    tr = thread_create(
        author=bot, space=space, title="Weekly wins", body_md="wins?", kind="ritual", at=L(10, 6, 9)
    )
    post_create(author=mem(A), thread=tr, body_md="a win", at=L(10, 6, 19))
    post_create(author=mem(B), thread=tr, body_md="b win", at=L(10, 7, 8))
    t3 = thread_create(author=mem(C), space=space, title="T3", body_md="t3", at=L(10, 10, 8))
    Invite.objects.create(
        community=c, created_by=M, created_by_staff=False, token="i3", max_uses=None, created_at=L(10, 10, 10)
    )
    i3 = Invite.objects.get(token="i3")
    post_create(author=mem(D), thread=t3, body_md="d", at=L(10, 11, 14))
    t4 = thread_create(author=mem(D), space=space, title="T4", body_md="t4", at=L(10, 12, 10))
    a_in_t4 = post_create(author=mem(A), thread=t4, body_md="a", at=L(10, 13, 10))
    membership_set_role(membership=mem(M), role=Role.MODERATOR, actor=O, at=L(10, 15, 12))
    t7 = thread_create(author=mem(M), space=space, title="T7", body_md="t7", at=L(10, 20, 9))
    _join(Lu, c, L(10, 20, 10))
    post_create(author=mem(B), thread=t7, body_md="b", at=L(10, 20, 11))
    _remove(a_in_t4, L(10, 20, 12))
    held = post_create(author=mem(C), thread=t7, body_md="held", at=L(10, 21, 9))
    Post.objects.filter(pk=held.pk).update(status=PostStatus.PUBLISHED, published_at=L(10, 22, 9))
    PostEvent.objects.create(post=held, kind="approved", at=L(10, 22, 9))
    t7_open = Post.objects.get(thread=t7, is_opening=True)
    Reaction.objects.create(post=t7_open, user=Lu, kind="heart", created_at=L(10, 25, 12))
    Reaction.objects.create(post=t7_open, user=bot, kind="heart", created_at=L(10, 25, 12))
    _visit(Lu, c, L(10, 25, 13))
    t8 = thread_create(author=mem(A), space=space, title="T8", body_md="t8", at=L(10, 27, 10))
    e_join = datetime(2025, 11, 3, 4, 30, tzinfo=UTC)  # 11-02 23:30 EST
    assert e_join.astimezone(NY).date() == D1
    _join(E, c, e_join, invite=i3)
    post_create(author=mem(B), thread=t8, body_md="late", at=datetime(2025, 11, 3, 4, 40, tzinfo=UTC))
    t9 = thread_create(author=mem(E), space=space, title="T9", body_md="t9", at=L(11, 5, 10))
    _restore(a_in_t4, L(11, 5, 9))
    post_create(author=mem(A), thread=t9, body_md="a", at=L(11, 5, 16))
    _visit(Lu, c, L(11, 10, 9))
    t10 = thread_create(author=mem(C), space=space, title="T10", body_md="t10", at=L(11, 20, 10))
    post_create(author=mem(C), thread=t10, body_md="own", at=L(11, 20, 11))
    post_create(author=mem(E), thread=t10, body_md="e", at=L(11, 21, 10))
    t11 = thread_create(author=mem(B), space=space, title="T11", body_md="t11", at=L(11, 25, 10))
    t12 = thread_create(author=mem(A), space=space, title="T12", body_md="t12", at=L(12, 1, 10))
    post_create(author=mem(B), thread=t12, body_md="b", at=L(12, 1, 12))
    _visit(A, c, L(12, 3, 9))
    _visit(B, c, L(12, 3, 9))
    _remove(Post.objects.get(thread=t12, is_opening=True), L(12, 5, 9))
    _visit(E, c, L(12, 8, 9))
    _visit(D, c, L(12, 10, 9))
    t10_open = Post.objects.get(thread=t10, is_opening=True)
    Reaction.objects.create(post=t10_open, user=M, kind="tada", created_at=L(12, 10, 15))
    Reaction.objects.create(post=t10_open, user=bot, kind="tada", created_at=L(12, 10, 15))
    # L's lone reaction of 12-10, taken back (now, through the service).
    t11_open = Post.objects.get(thread=t11, is_opening=True)
    Reaction.objects.create(post=t11_open, user=Lu, kind="heart", created_at=L(12, 10, 8))
    assert reaction_toggle(user_id=Lu.pk, post=t11_open, kind="heart") is False
    assert not Reaction.objects.filter(post=t11_open).exists()
    return {"community": c, "users": u, "t2": t2, "tr": tr}


def _values(community, day: date) -> dict:
    return DailySnapshot.objects.get(community=community, day=day).values()


def _check(actual: dict, expected: dict) -> None:
    assert set(expected) == set(METRIC_KEYS)
    for key, want in expected.items():
        got = actual[key]
        if want is None:
            assert got is None, f"{key}: expected null, got {got}"
        else:
            assert got == pytest.approx(want), f"{key}: expected {want}, got {got}"


# 09-03 — the third day.
EXPECTED_D0 = {
    # Active: 09-01 {O, A} (bot excluded), 09-02 {A visit, B, C}, 09-03 {M}.
    "dau": 1,
    "wau": 5,  # O A B C M
    "mau": 5,
    "stickiness": 1 / 5,
    # 09-01: 2/2, 09-02: 3/4, 09-03: 1/5 (no days before creation)
    "stickiness_avg_30d": (1 + 0.75 + 0.2) / 3,
    "members": 5,  # O A B C M (not the bot)
    "regular_members": 4,
    "posts_30d": 0,
    "member_posts_30d": 0,
    "posts_per_active_member_30d": 0.0,  # 0 / 5
    "member_content_share_30d": None,  # 0 / 0
    "threads_eligible": 0,
    "replies_per_thread": None,
    "no_reply_share": None,
    "ttfr_median_hours": None,
    "new_members_30d": 4,  # A B C M (O is staff, R a bot)
    "referred_joins_30d": 2,  # B and C through A's multi-use invite I1
    "referral_rate_30d": 0.5,
    "invites_sent_30d": 1,  # I1 (I2 is the owner's, and later)
    "invites_per_member_30d": 0.25,  # 1 / 4
    "invite_conversion_30d": 2.0,  # 2 / 1: a flow ratio, may exceed 1
    "k_factor_30d": 0.5,  # 2 / 4
    "retention_30": None,
    "retention_30_eligible": 0,
    "retention_60": None,
    "retention_60_eligible": 0,
    "retention_90": None,
    "retention_90_eligible": 0,
    # No events in this community (the event keys are checked in test_event_metrics.py).
    "events_held_30d": 0,
    "event_rsvps_30d": 0,
    "event_attendance_rate_30d": None,
    # No polls in this community (tests/metrics/test_poll_participation.py computes those).
    "poll_voters_30d": 0,
    "poll_participation_30d": 0.0,
}

# 11-02 — the DST day (ends 11-03 05:00 UTC; E's join and B's reply at 04:30/04:40 UTC belong to it).
EXPECTED_D1 = {
    "dau": 2,  # E (join), B (reply in T8)
    "wau": 3,  # 10-27..11-02: A, E, B
    # 10-04..11-02: B O A C M D L E (L's 10-05 visit while not a member does not count)
    "mau": 8,
    "stickiness": 2 / 8,
    # Daily DAU/MAU over 10-04..11-02. MAU: 10-04,05 = 5 (A B C D L); 10-06..09 = 6 (+O);
    # 10-10..11-01 = 7 (+M); 11-02 = 8 (+E). DAU: 10-05 1, 10-06 2, 10-07 1, 10-10 2, 10-11 1,
    # 10-12 1, 10-13 1, 10-20 3, 10-21 1, 10-25 1, 10-27 1, 11-02 2, other days 0.
    "stickiness_avg_30d": (1 / 5 + 3 / 6 + (2 + 1 + 1 + 1 + 3 + 1 + 1 + 1) / 7 + 2 / 8) / 30,
    "members": 8,  # O A B C M D L(rejoined) E
    "regular_members": 6,  # minus O and M (moderator now)
    # Live posts dated 10-04..11-02: T2 open, O in T2, A and B in TR, T3 open, D in T3, T4 open,
    # T7 open, B in T7, C in T7 (held, approved 10-22), T8 open, B in T8 (23:40 EST) = 12.
    # Not: bot posts, A in T4 (removed 10-20, restored only 11-05), posts before 10-04.
    "posts_30d": 12,
    "member_posts_30d": 10,  # minus O's reply and M's T7 (M was staff on 10-20)
    "posts_per_active_member_30d": 12 / 8,
    "member_content_share_30d": 10 / 12,
    # Judged (created 09-27..10-26, discussion, by a person): T1 T2 T3 T4 T7 and T13, whose held
    # opening post was written 09-24 but approved 09-29: a held thread is created when approved
    # (T6 is the bot's, TR a ritual, T8 too recent).
    "threads_eligible": 6,
    # Replies: T1 2 (A's own, B; D's rejected one never counts), T2 1 (O; not the bot), T3 1,
    # T4 0 (A's reply removed at the end of 11-02), T7 2 (B, C approved), T13 1 (A) = 7.
    "replies_per_thread": 7 / 6,
    "no_reply_share": 1 / 6,  # T4
    # First replies: T7 2 h, T1 3 h (B at 12:00; A's own 10:00 is not a first reply), T13 6 h
    # (A at 15:00, counted from the approval at 09:00, not from 09-24), T2 10 h, T3 30 h.
    "ttfr_median_hours": 6,
    "new_members_30d": 1,  # E (L's rejoin is not new)
    "referred_joins_30d": 1,  # I3 was created by M while a regular member; M is staff now, still referred
    "referral_rate_30d": 1.0,
    "invites_sent_30d": 1,  # I3 (10-10)
    "invites_per_member_30d": 1 / 6,
    "invite_conversion_30d": 1.0,
    "k_factor_30d": 1 / 6,
    # J in 08-31..09-27: A B C M D L. Active in J+30..J+36: A (10-01) yes, B (10-05) yes,
    # C (10-02) yes, M (window 10-03..10-09) no, D (10-11 in 10-05..10-11) yes, L (10-10..10-16) no.
    "retention_30": 4 / 6,
    "retention_30_eligible": 6,
    "retention_60": None,  # J in 08-01..08-28: nobody
    "retention_60_eligible": 0,
    "retention_90": None,
    "retention_90_eligible": 0,
    # No events in this community (the event keys are checked in test_event_metrics.py).
    "events_held_30d": 0,
    "event_rsvps_30d": 0,
    "event_attendance_rate_30d": None,
    # No polls in this community (tests/metrics/test_poll_participation.py computes those).
    "poll_voters_30d": 0,
    "poll_participation_30d": 0.0,
}

# 12-10
EXPECTED_D2 = {
    # D (visit), M (reaction), L (reaction, taken back later: activity stands); not the bot
    "dau": 3,
    "wau": 4,  # 12-04..12-10: E D M L
    "mau": 7,  # 11-11..12-10: C E B A D M L (L's 11-10 visit is out, its 12-10 reaction in)
    "stickiness": 3 / 7,
    # MAU: 11-11..11-18 = 6 (A B C M L E), 11-19..12-09 = 5 (A B C L E), 12-10 = 7 (A B C M D E L).
    # DAU: 11-20 1, 11-21 1, 11-25 1, 12-01 2, 12-03 2, 12-08 1, 12-10 3, other days 0.
    "stickiness_avg_30d": ((1 + 1 + 1 + 2 + 2 + 1) / 5 + 3 / 7) / 30,
    "members": 8,
    "regular_members": 6,
    # 11-11..12-10: T10 open, C's own reply, E's reply, T11 open = 4 (T12 and its reply are gone
    # with T12's opening post, removed 12-05).
    "posts_30d": 4,
    "member_posts_30d": 4,
    "posts_per_active_member_30d": 4 / 7,
    "member_content_share_30d": 1.0,
    "threads_eligible": 3,  # created 11-04..12-03: T9 T10 T11 (T12 removed)
    "replies_per_thread": 3 / 3,  # T9 1, T10 2 (own + E), T11 0
    "no_reply_share": 1 / 3,
    "ttfr_median_hours": (6 + 24) / 2,  # T9 6 h, T10 24 h: even count
    "new_members_30d": 0,
    "referred_joins_30d": 0,
    "referral_rate_30d": None,
    "invites_sent_30d": 0,
    "invites_per_member_30d": 0.0,
    "invite_conversion_30d": None,
    "k_factor_30d": 0.0,
    # 30: J in 10-08..11-04 -> E (J = 11-02), window 12-02..12-08, visit 12-08: retained.
    "retention_30": 1.0,
    "retention_30_eligible": 1,
    # 60: J in 09-08..10-05 -> L (09-10), window 11-09..11-15, visit 11-10: retained.
    "retention_60": 1.0,
    "retention_60_eligible": 1,
    # 90: J in 08-10..09-06 -> A B C M D. Windows: A 11-30..12-06 (12-01) yes, B 12-01..12-07 yes,
    # C 12-01..12-07 no, M 12-02..12-08 no (active 12-10), D 12-04..12-10 (12-10) yes.
    "retention_90": 3 / 5,
    "retention_90_eligible": 5,
    # No events in this community (the event keys are checked in test_event_metrics.py).
    "events_held_30d": 0,
    "event_rsvps_30d": 0,
    "event_attendance_rate_30d": None,
    # No polls in this community (tests/metrics/test_poll_participation.py computes those).
    "poll_voters_30d": 0,
    "poll_participation_30d": 0.0,
}


def _backfill(c) -> int:
    return services.metrics_compute_range(community_id=c.pk, start=date(2025, 9, 1), end=D2)


def test_every_key_by_hand(hand):
    c = hand["community"]
    assert _backfill(c) == 101  # 09-01 … 12-10
    _check(_values(c, D0), EXPECTED_D0)
    _check(_values(c, D1), EXPECTED_D1)
    _check(_values(c, D2), EXPECTED_D2)
    assert not DailySnapshot.objects.filter(community=c, day__lt=date(2025, 9, 1)).exists()


def test_cohort_table_by_hand(hand):
    c = hand["community"]
    _backfill(c)
    rows = {r.week_start: r for r in RetentionCohort.objects.filter(community=c)}
    assert set(rows) == {
        date(2025, 9, 1),
        date(2025, 9, 8),
        date(2025, 10, 27),
    }  # E's Sunday 11-02 is in 10-27
    assert all(r.as_of == D2 for r in rows.values())
    w1, w2, w3 = rows[date(2025, 9, 1)], rows[date(2025, 9, 8)], rows[date(2025, 10, 27)]
    # Week of 09-01: A B C M D. Day 30: A B C D (see EXPECTED_D1) = 4/5.
    # Day 60 (J+60..J+66): A 10-31..11-06 (11-05) yes, B 11-01..11-07 (11-02) yes, C no, M no,
    # D 11-04..11-10 no = 2/5. Day 90: final only when 09-01+90+12 = 12-12 <= as-of: not yet.
    assert (w1.size, w1.retained_30, w1.retention_30) == (5, 4, pytest.approx(0.8))
    assert (w1.retained_60, w1.retention_60) == (2, pytest.approx(0.4))
    assert (w1.retained_90, w1.retention_90) == (None, None)
    # Week of 09-08: L. Day 30 window 10-10..10-16 (had left) no; day 60 11-09..11-15 (11-10) yes.
    assert (w2.size, w2.retained_30, w2.retention_30, w2.retained_60, w2.retention_60) == (1, 0, 0.0, 1, 1.0)
    assert w2.retention_90 is None
    # Week of 10-27: E. Day 30: 10-27+42 = 12-08 <= 12-10 final; window 12-02..12-08 (12-08) yes.
    assert (w3.size, w3.retained_30, w3.retention_30) == (1, 1, 1.0)
    assert (w3.retention_60, w3.retention_90) == (None, None)


def test_ritual_participation(hand):
    c = hand["community"]
    _backfill(c)
    ritual = RitualSnapshot.objects.get(community=c)
    assert (ritual.thread_id, ritual.day, ritual.replies, ritual.participants) == (
        hand["tr"].pk,
        date(2025, 10, 6),
        2,
        2,
    )


def test_running_a_day_twice_is_idempotent(hand):
    c = hand["community"]
    _backfill(c)
    before = _values(c, D1)
    services.metrics_compute_day(community_id=c.pk, day=D1)
    services.metrics_compute_day(community_id=c.pk, day=D1)
    assert _values(c, D1) == before
    assert DailySnapshot.objects.filter(community=c, day=D1).count() == 1


def test_backfill_and_day_by_day_agree(hand):
    c = hand["community"]
    _backfill(c)
    backfilled = {s.day: s.values() for s in DailySnapshot.objects.filter(community=c)}
    cohorts = list(
        RetentionCohort.objects.filter(community=c).values(
            "week_start", "size", "retained_30", "retained_60", "retained_90"
        )
    )
    services._wipe(c.pk)
    day = date(2025, 9, 1)
    while day <= D2:
        services.metrics_compute_day(community_id=c.pk, day=day)
        day = date.fromordinal(day.toordinal() + 1)
    nightly = {s.day: s.values() for s in DailySnapshot.objects.filter(community=c)}
    assert nightly == backfilled
    assert (
        list(
            RetentionCohort.objects.filter(community=c).values(
                "week_start", "size", "retained_30", "retained_60", "retained_90"
            )
        )
        == cohorts
    )


def test_point_in_time_later_changes_do_not_rewrite_the_past(hand):
    c = hand["community"]
    _backfill(c)
    # Today: remove T2's opening post (and with it the thread) and make A a moderator.
    _remove(Post.objects.get(thread=hand["t2"], is_opening=True), timezone.now())
    membership_set_role(
        membership=Membership.objects.get(community=c, user=hand["users"]["alice"]),
        role=Role.MODERATOR,
        actor=hand["users"]["owner_o"],
        at=timezone.now(),
    )
    _check(_values(c, D1), EXPECTED_D1)  # stored values untouched
    services.metrics_compute_range(community_id=c.pk, start=date(2025, 10, 30), end=D2)
    _check(_values(c, D1), EXPECTED_D1)  # and recomputing gives the same
    _check(_values(c, D2), EXPECTED_D2)


def test_changing_the_time_zone_recomputes_history(hand):
    c = hand["community"]
    _backfill(c)
    c.time_zone = "UTC"
    c.save(update_fields=["time_zone"])
    services.metrics_compute_range(community_id=c.pk, start=D2, end=D2)
    assert set(DailySnapshot.objects.filter(community=c).values_list("time_zone", flat=True)) == {"UTC"}
    # In UTC, E joined (04:30 UTC) and B replied on 11-03, not 11-02.
    assert _values(c, D1)["dau"] == 0
    assert _values(c, date(2025, 11, 3))["dau"] == 2


# --- The range computation agrees with the one-day reference ---------------------------------------
#
# Backfills compute runs of days at once (metrics.compute.Span); the per-day functions are the
# plain reading of docs/metrics.md. Every key of every day, and the derived day tables, must be equal,
# whatever the chunk size (chunk boundaries here fall on the DST day and around removals).


def _reference_day_by_day(c) -> tuple[dict, set]:

    services._wipe(c.pk)
    metrics_sql.rebuild_periods(c.pk)
    bots = tuple(User.objects.filter(is_bot=True).values_list("pk", flat=True))
    out, stickiness = {}, []
    day = date(2025, 9, 1)
    while day <= D2:
        w = metrics_sql.DayWindow(c.pk, day, c.tz, bots)
        metrics_reference.materialize_day(w)
        v: dict = {}
        v.update(metrics_reference.engagement(w, stickiness[-29:]))
        v.update(metrics_reference.content(w, v["mau"]))
        v.update(metrics_reference.threads(w))
        v.update(metrics_reference.growth(w, v["regular_members"]))
        v.update(metrics_reference.retention(w))
        v.update(metrics_events.events_span(metrics_sql.Span(c.pk, day, day, c.tz, bots))[day])
        v.update(metrics_reference.polls(w, v["mau"]))
        stickiness.append(v["stickiness"])
        out[day] = {k: v[k] for k in METRIC_KEYS}
        day = date.fromordinal(day.toordinal() + 1)
    return out, _day_tables(c)


def _day_tables(c) -> set:
    from metrics.models import ActiveDay, ContributorDay, Entrant

    return (
        {("active", *r) for r in ActiveDay.objects.filter(community=c).values_list("user_id", "day")}
        | {
            ("entrant", *r)
            for r in Entrant.objects.filter(community=c).values_list("user_id", "day", "referred")
        }
        | {
            ("contrib", *r)
            for r in ContributorDay.objects.filter(community=c).values_list(
                "user_id", "day", "posts", "referred_joins"
            )
        }
    )


@pytest.mark.parametrize("chunk", [services.CHUNK_DAYS, 4, 1])
def test_range_computation_matches_the_one_day_reference(hand, monkeypatch, chunk):
    c = hand["community"]
    reference, reference_tables = _reference_day_by_day(c)
    services._wipe(c.pk)
    monkeypatch.setattr(services, "CHUNK_DAYS", chunk)
    assert _backfill(c) == 101
    backfilled = {s.day: s.values() for s in DailySnapshot.objects.filter(community=c)}
    assert backfilled == reference
    assert _day_tables(c) == reference_tables
    assert backfilled[D1]["dau"] == 2  # not vacuous: the hand values are in there


@pytest.mark.parametrize(
    "zone", ["America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia"]
)
def test_local_day_sql_matches_python_around_offset_changes(db, make_user, make_community, zone):
    """``local_day_sql`` buckets timestamps by local date on both databases, exactly at DST
    transitions (Santiago's fall at midnight, Lord Howe's half hour, Apia's 2011 dateline jump is
    outside the range and its later DST changes inside)."""
    from django.db import connection

    tz = ZoneInfo(zone)
    community = make_community(time_zone=zone)
    user = make_user("clock")
    first, last = date(2021, 1, 1), date(2021, 12, 31)
    span = metrics_sql.Span(community.pk, first, last, tz)
    lo = span.start_of(first) - timezone.timedelta(days=3)
    instants = []
    for until, _ in metrics_sql._utc_offsets(tz, lo, span.start_of(last)):
        if until is not None:
            instants += [until + timezone.timedelta(seconds=s) for s in (-3601, -1, 0, 1, 3600)]
    instants += [span.start_of(first + timezone.timedelta(days=k)) for k in range(0, 365, 7)]
    instants += [i - timezone.timedelta(microseconds=1) for i in instants[-20:]]
    for k, at in enumerate(instants):
        day = date(2000, 1, 1) + timezone.timedelta(days=k)  # any distinct date: only ``at`` is read
        Visit.objects.create(user=user, community=community, day=day, at=at)
    params: dict = {"c": community.pk}
    bucket = metrics_sql.local_day_sql("v.at", span, params)
    sql = f"SELECT v.at, {bucket} FROM metrics_visit v WHERE community_id = %(c)s"  # noqa: S608 - constant
    with connection.cursor() as cursor:
        cursor.execute(sql, {k: v for k, v in params.items() if not k.startswith("_")})
        rows = cursor.fetchall()
    assert len(rows) == len(instants) > 50
    for at, ordinal in rows:
        assert int(ordinal) == metrics_sql._parse_dt(at).astimezone(tz).date().toordinal(), at
