"""The metrics rules that depend on what happens to content after the day it counts for
(docs/metrics.md): activity stands when a reaction is taken back; a held post counts from its
approval, and a held opening post's thread is created, for the thread metrics, when it is approved;
and the corners around holds (the author leaves or is banned before the decision, the post is
edited or removed before it) and account deletion (a moderator; a person in two communities).

Each history is played through the real services at chosen times (the ``clock`` fixture), then
computed; expected values are worked out in the comments. All times are UTC unless stated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from communities.discussions import selectors
from communities.discussions.models import Post, PostStatus, Reaction
from communities.discussions.services import post_create, post_delete, post_edit, thread_create
from communities.models import Space
from communities.services import community_create
from members.account.services import account_delete
from members.models import Membership, Role, User
from members.services import membership_join, membership_leave
from metrics import services, tasks
from moderation.sanctions import member_ban
from moderation.services import post_approve, post_reject
from tests.metrics.history import check, react, values

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def T(month: int, day: int, hour: int = 12, minute: int = 0, tz: ZoneInfo | None = None) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=tz or UTC)


def d(month: int, day: int) -> date:
    return date(2025, month, day)


def _community(make_user, slug: str, *, tz: str = "UTC", hold: int = 0, created: datetime | None = None):
    owner = make_user(f"{slug}_owner")
    c = community_create(
        owner=owner,
        name=slug.title(),
        slug=slug,
        purpose="A place to test the metrics.",
        time_zone=tz,
        created_at=created or T(3, 1, 9),
        hold_first_posts=hold,
    )
    return c, Space.objects.get(community=c, slug="general"), Membership.objects.get(community=c, user=owner)


def _join(make_user, c, handle: str, at: datetime, role: str = Role.MEMBER) -> Membership:
    return membership_join(user=make_user(handle), community=c, role=role, at=at)


def _backfill(clock, c, now: datetime) -> None:
    """Compute every day from creation to the day before ``now``, as a backfill does."""
    clock.set(now)
    services.metrics_compute_range(community_id=c.pk)


def _nightly(clock, at: datetime) -> None:
    """The beat job at ``at``: each community's day that just ended and the days before it."""
    clock.set(at)
    tasks.compute_due()


# --- Activity stands when a reaction is taken back -----------------------------------------------


def test_a_reaction_taken_back_keeps_its_day_active(clock, make_user):
    c, space, owner = _community(make_user, "rx")
    a = _join(make_user, c, "rx_a", T(3, 1, 10))
    opening = thread_create(
        author=owner, space=space, title="Hello", body_md="hi", at=T(3, 1, 11)
    ).posts.get()

    assert react(clock, a.user_id, opening, "heart", T(3, 10, 12))  # A's only action on 03-10
    _nightly(clock, T(3, 11, 0, 30))
    nightly = values(c.pk, d(3, 10))
    assert not react(clock, a.user_id, opening, "heart", T(3, 12, 9))  # taken back two days later
    # React, take back, react again (the same kind): one reaction on the page at the end.
    assert react(clock, a.user_id, opening, "heart", T(3, 15, 9))
    assert not react(clock, a.user_id, opening, "heart", T(3, 16, 9))
    assert react(clock, a.user_id, opening, "heart", T(3, 17, 9))
    assert Reaction.objects.filter(post=opening).count() == 1
    heart = next(
        r for r in selectors.reaction_summary([opening.pk], a.user_id)[opening.pk] if r["kind"] == "heart"
    )
    assert (heart["count"], heart["mine"]) == (1, True)

    _backfill(clock, c, T(4, 2, 1))
    # 03-10: A reacted (taken back on 03-12: the activity stands). WAU 03-04..03-10: A. MAU
    # 03-01..03-10: the owner (created the community and T on 03-01) and A (joined 03-01, 03-10).
    expected = {"dau": 1, "wau": 1, "mau": 2, "stickiness": 0.5, "members": 2, "regular_members": 1}
    check(values(c.pk, d(3, 10)), expected, "03-10")
    assert values(c.pk, d(3, 10)) == nightly  # the backfill agrees with the nightly run
    # Taking a reaction back is not activity; reacting again is.
    for day, dau in ((d(3, 12), 0), (d(3, 15), 1), (d(3, 16), 0), (d(3, 17), 1)):
        check(values(c.pk, day), {"dau": dau}, str(day))
    # 03-16: WAU over 03-10..03-16 is A (03-10 and 03-15); stickiness 0 / 2.
    check(values(c.pk, d(3, 16)), {"wau": 1, "mau": 2, "stickiness": 0.0})


# --- Held opening posts: the thread is created when it is approved -------------------------------


@pytest.fixture
def held_threads(clock, make_user):
    """Holds of first posts are on. O (owner) starts T0 on 03-01 11:00 and B (member) replies at
    12:00 (both written back-dated, so published at once; B then has a published post and is no
    longer held). N, N2, N3 each start a thread at 03-05 10:00 / 10:10 / 10:20: all held. The
    moderator M rejects N2's on 03-06 09:00 and approves N's on 03-09 10:00; N3's is never decided.
    B replies in N's thread at 03-09 16:00."""
    c, space, owner = _community(make_user, "held", hold=1)
    m = _join(make_user, c, "held_m", T(3, 1, 9, 30), role=Role.MODERATOR)
    b, n, n2, n3 = (_join(make_user, c, f"held_{h}", T(3, 1, 10)) for h in ("b", "n", "n2", "n3"))
    t0 = thread_create(author=owner, space=space, title="T0", body_md="t0", at=T(3, 1, 11))
    post_create(author=b, thread=t0, body_md="b", at=T(3, 1, 12))
    held = {}
    for who, minute in ((n, 0), (n2, 10), (n3, 20)):
        clock.set(T(3, 5, 10, minute))
        held[who.user_id] = thread_create(author=who, space=space, title="Mine", body_md="please")
    openers = {k: t.posts.get() for k, t in held.items()}
    assert {p.status for p in openers.values()} == {PostStatus.HELD}
    clock.set(T(3, 6, 9))
    post_reject(actor=m, post=openers[n2.user_id])
    clock.set(T(3, 9, 10))
    post_approve(actor=m, post=openers[n.user_id])
    clock.set(T(3, 9, 16))
    reply = post_create(author=b, thread=held[n.user_id], body_md="welcome!")
    assert reply.status == PostStatus.PUBLISHED
    _backfill(clock, c, T(4, 21, 1))
    return c


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Judged: created 02-06..03-07 -> T0 only (N's thread was created 03-09, when approved;
        # N2's was rejected, N3's is still held). T0: B's reply 1 h after.
        (
            d(3, 14),
            {
                "threads_eligible": 1,
                "replies_per_thread": 1.0,
                "no_reply_share": 0.0,
                "ttfr_median_hours": 1.0,
            },
        ),
        # 02-08..03-09: T0 and N's thread (B replied 16:00, 6 h after the approval at 10:00).
        (
            d(3, 16),
            {
                "threads_eligible": 2,
                "replies_per_thread": 1.0,
                "no_reply_share": 0.0,
                "ttfr_median_hours": 3.5,
            },
        ),
        # 03-07..04-05: N's thread only (T0's 03-01 is out).
        (
            d(4, 12),
            {
                "threads_eligible": 1,
                "replies_per_thread": 1.0,
                "no_reply_share": 0.0,
                "ttfr_median_hours": 6.0,
            },
        ),
        # 03-09..04-07: still N's thread (its creation date is 03-09, not 03-05).
        (d(4, 14), {"threads_eligible": 1, "ttfr_median_hours": 6.0}),
        # 03-10..04-08: none.
        (
            d(4, 15),
            {
                "threads_eligible": 0,
                "replies_per_thread": None,
                "no_reply_share": None,
                "ttfr_median_hours": None,
            },
        ),
    ],
)
def test_a_held_opening_post_creates_its_thread_when_approved(held_threads, day, expected):
    check(values(held_threads.pk, day), expected, str(day))


def test_held_posts_count_from_approval_and_writing_them_is_activity(held_threads):
    c = held_threads
    # Posts on 03-08: T0's opening and B's reply. On 03-09: + N's opening (approved) and B's
    # reply in it; member posts: B's two and N's (T0 is the owner's).
    check(values(c.pk, d(3, 8)), {"posts_30d": 2, "member_posts_30d": 1})
    check(values(c.pk, d(3, 9)), {"posts_30d": 4, "member_posts_30d": 3})
    # Writing a held thread is creating one (N, N2, N3 on 03-05); a rejection (03-06) and an
    # approval (03-09: only B's reply) are moderators' actions, not activity.
    check(values(c.pk, d(3, 5)), {"dau": 3})
    check(values(c.pk, d(3, 6)), {"dau": 0})
    check(values(c.pk, d(3, 9)), {"dau": 1})
    # The rejected and the undecided threads are never judged, on any day.
    assert max(s["threads_eligible"] for s in _all(c)) == 2


def test_a_reply_given_during_review_waited_zero_hours(clock, make_user):
    """Staff can read a held thread and answer it before approving it: M replies to N's held thread
    (03-05 10:00) at 03-05 12:00 and approves it 03-06 10:00. The thread is created at 10:00 on
    03-06 and was answered when it appeared: a wait of 0 hours, not -22."""
    c, space, _owner = _community(make_user, "review", hold=1)
    m = _join(make_user, c, "review_m", T(3, 1, 9, 30), role=Role.MODERATOR)
    n = _join(make_user, c, "review_n", T(3, 1, 10))
    clock.set(T(3, 5, 10))
    tn = thread_create(author=n, space=space, title="Mine", body_md="please")
    clock.set(T(3, 5, 12))
    assert post_create(author=m, thread=tn, body_md="welcome").status == PostStatus.PUBLISHED
    clock.set(T(3, 6, 10))
    post_approve(actor=m, post=tn.posts.get(is_opening=True))
    _backfill(clock, c, T(4, 21, 1))
    # 03-13 judges 02-05..03-06: N's thread, with M's reply.
    check(
        values(c.pk, d(3, 13)),
        {"threads_eligible": 1, "replies_per_thread": 1.0, "no_reply_share": 0.0, "ttfr_median_hours": 0.0},
    )


def test_top_contributors_count_held_posts_from_approval(held_threads):
    """The contributor table (dashboard "top contributors") counts a post on the day it counts for:
    the approval day for a held one; rejected and undecided posts never."""
    from metrics.models import ContributorDay

    rows = set(
        ContributorDay.objects.filter(community=held_threads, posts__gt=0).values_list(
            "user__handle", "day", "posts"
        )
    )
    # 03-01: T0 (owner) and B's reply; 03-09: N's thread (approved) and B's reply in it.
    # Nothing on 03-05 (N2's was rejected, N3's is undecided, N's counts on 03-09).
    assert rows == {
        ("held_owner", d(3, 1), 1),
        ("held_b", d(3, 1), 1),
        ("held_n", d(3, 9), 1),
        ("held_b", d(3, 9), 1),
    }


def _all(c) -> list[dict]:
    from metrics.models import DailySnapshot

    return [s.values() for s in DailySnapshot.objects.filter(community=c)]


# --- Corners of holds ----------------------------------------------------------------------------


def test_author_who_leaves_or_is_banned_before_the_decision(clock, make_user):
    """P's held reply (03-05 10:00) and Q's held thread (03-05 11:00); P leaves 03-06 10:00, M bans
    Q 03-06 11:00; M approves P's reply 03-08 10:00 and Q's thread 03-08 11:00; B replies in Q's
    thread 03-08 12:00. Both were written by members, so both count from approval."""
    c, space, _owner = _community(make_user, "gone", hold=1)
    m = _join(make_user, c, "gone_m", T(3, 1, 9, 30), role=Role.MODERATOR)
    b, p, q = (_join(make_user, c, f"gone_{h}", T(3, 1, 10)) for h in ("b", "p", "q"))
    t0 = thread_create(author=b, space=space, title="T0", body_md="t0", at=T(3, 1, 11))
    clock.set(T(3, 5, 10))
    p_reply = post_create(author=p, thread=t0, body_md="p")
    clock.set(T(3, 5, 11))
    tq = thread_create(author=q, space=space, title="TQ", body_md="q")
    assert p_reply.status == PostStatus.HELD and tq.posts.get().status == PostStatus.HELD
    membership_leave(membership=p, at=T(3, 6, 10))
    clock.set(T(3, 6, 11))
    member_ban(actor=m, target=q)
    clock.set(T(3, 8, 10))
    post_approve(actor=m, post=p_reply)
    clock.set(T(3, 8, 11))
    post_approve(actor=m, post=tq.posts.get())
    post_create(author=b, thread=tq, body_md="b", at=T(3, 8, 12))
    _backfill(clock, c, T(4, 21, 1))

    # Members: O M B P Q until 03-05; P left and Q was banned on 03-06.
    check(values(c.pk, d(3, 5)), {"members": 5, "regular_members": 3, "dau": 2})  # P, Q wrote
    check(values(c.pk, d(3, 6)), {"members": 3, "regular_members": 1, "dau": 0})
    # 03-07: T0 only; 03-08: + P's reply, Q's opening post and B's reply, all by non-staff.
    check(values(c.pk, d(3, 7)), {"posts_30d": 1, "member_posts_30d": 1})
    check(values(c.pk, d(3, 8)), {"posts_30d": 4, "member_posts_30d": 4, "dau": 1})  # B only
    # 03-15 judges 02-07..03-08: T0 (P's reply, published 03-08 10:00, 167 h after T0) and Q's
    # thread created 03-08 11:00 (B after 1 h): median (167 + 1) / 2.
    check(
        values(c.pk, d(3, 15)),
        {"threads_eligible": 2, "replies_per_thread": 1.0, "no_reply_share": 0.0, "ttfr_median_hours": 84.0},
    )
    # 04-13 judges 03-08..04-06: Q's thread only (its last day); 04-14 judges 03-09..04-07: none.
    check(values(c.pk, d(4, 13)), {"threads_eligible": 1, "ttfr_median_hours": 1.0})
    check(values(c.pk, d(4, 14)), {"threads_eligible": 0})


def test_held_post_edited_or_removed_before_the_decision(clock, make_user):
    """E's held reply (03-05 10:00) is edited by E 03-06 10:00 and approved 03-08 10:00: it counts
    from 03-08. R's held reply (03-05 11:00) and S's held thread (03-05 12:00) are deleted by their
    authors 03-06 11:00 / 12:00 and approved afterwards (03-08 11:00 / 12:00): removed, they never
    count and S's thread is never judged."""
    c, space, _owner = _community(make_user, "edit", hold=1)
    m = _join(make_user, c, "edit_m", T(3, 1, 9, 30), role=Role.MODERATOR)
    b, e, r, s = (_join(make_user, c, f"edit_{h}", T(3, 1, 10)) for h in ("b", "e", "r", "s"))
    t0 = thread_create(author=b, space=space, title="T0", body_md="t0", at=T(3, 1, 11))
    clock.set(T(3, 5, 10))
    e_reply = post_create(author=e, thread=t0, body_md="e")
    clock.set(T(3, 5, 11))
    r_reply = post_create(author=r, thread=t0, body_md="r")
    clock.set(T(3, 5, 12))
    s_opening = thread_create(author=s, space=space, title="TS", body_md="s").posts.get()
    assert {x.status for x in (e_reply, r_reply, s_opening)} == {PostStatus.HELD}
    post_edit(editor=e, post=e_reply, body_md="e, better", at=T(3, 6, 10))
    post_delete(actor=r, post=r_reply, at=T(3, 6, 11))
    post_delete(actor=s, post=s_opening, at=T(3, 6, 12))
    for post, hour in ((e_reply, 10), (r_reply, 11), (s_opening, 12)):
        clock.set(T(3, 8, hour))
        post_approve(actor=m, post=Post.objects.get(pk=post.pk))
    _backfill(clock, c, T(4, 21, 1))

    # Writing held posts is activity (03-05: E, R, S); editing and deleting them is not (03-06).
    check(values(c.pk, d(3, 5)), {"dau": 3})
    check(values(c.pk, d(3, 6)), {"dau": 0})
    # Posts: T0; from 03-08 E's reply too. R's and S's were removed before their approval.
    check(values(c.pk, d(3, 7)), {"posts_30d": 1})
    for day in (d(3, 8), d(3, 20)):
        check(values(c.pk, day), {"posts_30d": 2, "member_posts_30d": 2}, str(day))
    # 03-15 judges 02-07..03-08: T0 (E's reply, published 03-08 10:00: 167 h). S's thread never.
    check(
        values(c.pk, d(3, 15)),
        {"threads_eligible": 1, "replies_per_thread": 1.0, "no_reply_share": 0.0, "ttfr_median_hours": 167.0},
    )
    assert max(v["threads_eligible"] for v in _all(c)) == 1


# --- Account deletion ------------------------------------------------------------------------------


def test_account_deletion_of_a_moderator(clock, make_user):
    """M (moderator since joining 03-01 09:30) starts TM 03-02 10:00; A's held reply in it (03-02
    12:00) is approved by M 03-03 09:00; M reacts to it 03-04 10:00 and takes it back 03-05 10:00;
    M deletes their account 03-06 10:00 (posts kept)."""
    c, space, _owner = _community(make_user, "modgone", hold=1)
    m = _join(make_user, c, "modgone_m", T(3, 1, 9, 30), role=Role.MODERATOR)
    a = _join(make_user, c, "modgone_a", T(3, 1, 10))
    tm = thread_create(author=m, space=space, title="TM", body_md="tm", at=T(3, 2, 10))
    clock.set(T(3, 2, 12))
    a_reply = post_create(author=a, thread=tm, body_md="a")
    assert a_reply.status == PostStatus.HELD
    clock.set(T(3, 3, 9))
    post_approve(actor=m, post=a_reply)
    assert react(clock, m.user_id, Post.objects.get(pk=a_reply.pk), "bulb", T(3, 4, 10))
    assert not react(clock, m.user_id, Post.objects.get(pk=a_reply.pk), "bulb", T(3, 5, 10))
    _nightly(clock, T(3, 6, 0, 30))
    before = {day: values(c.pk, day) for day in (d(3, 2), d(3, 4), d(3, 5))}
    clock.set(T(3, 6, 10))
    account_delete(user=User.objects.get(pk=m.user_id), at=T(3, 6, 10))
    _backfill(clock, c, T(4, 21, 1))

    for day, snapshot in before.items():
        assert values(c.pk, day) == snapshot, day  # deletion rewrites no earlier day
    check(values(c.pk, d(3, 2)), {"dau": 2})  # M (TM), A (held reply)
    check(values(c.pk, d(3, 4)), {"dau": 1})  # M's reaction, taken back the next day
    check(values(c.pk, d(3, 5)), {"dau": 0, "members": 3, "regular_members": 1})  # O M A
    check(values(c.pk, d(3, 6)), {"dau": 0, "members": 2, "regular_members": 1})  # O A
    # 03-10: TM (by staff) and A's approved reply; judged 02-02..03-03: TM, A's reply published
    # 03-03 09:00, 23 h after TM. M's posts stay: a deleted account's posts count while not removed.
    check(
        values(c.pk, d(3, 10)),
        {
            "posts_30d": 2,
            "member_posts_30d": 1,
            "threads_eligible": 1,
            "replies_per_thread": 1.0,
            "ttfr_median_hours": 23.0,
            "mau": 3,  # O (03-01), M, A: their past activity stands
        },
    )


def test_account_deletion_of_a_person_in_two_communities(clock, make_user):
    """P joins C1 (UTC) and C2 (New York) on 03-01 and starts a thread in each on 03-02 15:00 UTC,
    then deletes the account with its posts at 03-10 03:00 UTC: 03-10 in C1 but 03-09 23:00 EDT
    (DST began 03-09) in C2. Each community sees the leave and the removal on its own local date."""
    c1, s1, _ = _community(make_user, "one")
    c2, s2, _ = _community(make_user, "two", tz="America/New_York", created=T(3, 1, 9, tz=NY))
    p_user = make_user("both_p")
    p1 = membership_join(user=p_user, community=c1, at=T(3, 1, 15))
    p2 = membership_join(user=p_user, community=c2, at=T(3, 1, 15))
    thread_create(author=p1, space=s1, title="P in one", body_md="p", at=T(3, 2, 15))
    thread_create(author=p2, space=s2, title="P in two", body_md="p", at=T(3, 2, 15))
    deleted_at = datetime(2025, 3, 10, 3, tzinfo=UTC)
    assert deleted_at.astimezone(NY).date() == d(3, 9)
    clock.set(deleted_at)
    account_delete(user=p_user, remove_posts=True, at=deleted_at)
    _backfill(clock, c1, T(4, 21, 1))
    _backfill(clock, c2, T(4, 21, 1))

    for c, last_day, gone_day in ((c1, d(3, 9), d(3, 10)), (c2, d(3, 8), d(3, 9))):
        check(values(c.pk, d(3, 2)), {"dau": 1})  # P's thread (activity stands)
        # Judged on last_day: P's thread (created 03-02, 7 days given) while it is live.
        judged = 1 if last_day >= d(3, 9) else 0
        check(values(c.pk, last_day), {"members": 2, "posts_30d": 1, "threads_eligible": judged})
        check(values(c.pk, gone_day), {"members": 1, "posts_30d": 0, "threads_eligible": 0, "mau": 2})
