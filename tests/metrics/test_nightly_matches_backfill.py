"""A nightly run and a backfill agree on every key of every day (docs/metrics.md, "point in time").

Two communities (one in New York across the autumn DST change, one in UTC) live through every
kind of later change the metrics must not be rewritten by: reactions taken back (and given again),
held posts approved days later (opening posts with replies, replies), rejected and undecided
posts, a held post edited and one removed before the decision, authors who leave or are banned
between the hold and the decision, removals and restores, leaves, a ban then an unban and a rejoin,
a role change, invites, visits, a bot, and the account deletion of a moderator and of a person in
both communities.

The history is played through the services in time order; every night at 05:30 UTC (after both
local midnights) the beat job runs as in production: each community gets the day that just ended
and the REFRESH_DAYS before it. At the end all days are recomputed as one backfill and compared.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from communities.discussions.models import PostEvent
from communities.discussions.services import post_create, post_delete, post_edit, thread_create
from communities.models import Space
from communities.services import community_create
from members.account.services import account_delete
from members.models import Membership, MembershipEvent, Role
from members.services import invite_create, membership_join, membership_leave, membership_set_role
from metrics import services, tasks
from metrics.models import METRIC_KEYS, ActiveDay, ContributorDay, DailySnapshot, RetentionCohort
from moderation.sanctions import member_ban, member_unban
from moderation.services import post_approve, post_hide, post_reject, post_restore
from tests.metrics.history import all_values, play, react

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
FIRST, LAST = date(2025, 10, 10), date(2025, 12, 5)


def L(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """New York local time."""
    return datetime(2025, month, day, hour, minute, tzinfo=NY)


def U(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def _history(clock, make_user):
    ny = community_create(
        owner=make_user("ny_o"),
        name="Nightly NY",
        slug="nightly-ny",
        purpose="Every kind of event.",
        time_zone="America/New_York",
        created_at=L(10, 10, 9),
        hold_first_posts=1,
    )
    utc = community_create(
        owner=make_user("utc_o"),
        name="Nightly UTC",
        slug="nightly-utc",
        purpose="Every kind of event.",
        created_at=U(10, 10, 9),
        hold_first_posts=1,
    )
    sp = {c.pk: Space.objects.get(community=c, slug="general") for c in (ny, utc)}
    users = {h: make_user(h) for h in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "m", "x", "p", "q"]}
    bot = make_user("nightly_bot", is_bot=True)
    s: dict = {}  # what the events make, by name
    events: list = []

    def at(when: datetime, label: str):
        def register(fn):
            events.append((when, label, fn))
            return fn

        return register

    def mem(handle: str, c=ny) -> Membership:
        return Membership.objects.get(community=c, user=users[handle])

    def owner(c=ny) -> Membership:
        return Membership.objects.get(community=c, role=Role.OWNER)

    def now() -> datetime:
        return clock.now()

    def thread(key: str, who: Membership, held: bool = False, c=ny) -> None:
        t = thread_create(
            author=who, space=sp[c.pk], title=key, body_md=key, **({} if held else {"at": now()})
        )
        s[key], s[key + ".open"] = t, t.posts.get()

    def reply(key: str, who: Membership, in_thread: str, held: bool = False) -> None:
        s[key] = post_create(author=who, thread=s[in_thread], body_md=key, **({} if held else {"at": now()}))

    def fresh(key: str):
        s[key].refresh_from_db()
        return s[key]

    # --- New York ------------------------------------------------------------------------------
    for handle, when in (("a", L(10, 10, 10)), ("b", L(10, 10, 10, 30)), ("m", L(10, 10, 9, 30))):
        role = Role.MODERATOR if handle == "m" else Role.MEMBER
        at(when, f"{handle} joins")(
            lambda h=handle, r=role: membership_join(user=users[h], community=ny, role=r)
        )
    at(L(10, 10, 9, 40), "x joins as moderator")(
        lambda: membership_join(user=users["x"], community=ny, role=Role.MODERATOR)
    )
    at(L(10, 10, 9, 50), "bot joins")(lambda: membership_join(user=bot, community=ny))
    at(L(10, 10, 11), "a invites")(
        lambda: s.update(inv=invite_create(membership=mem("a"), max_uses=None, at=now()))
    )
    at(L(10, 10, 12), "T0 by the owner")(lambda: thread("T0", owner()))
    at(L(10, 10, 13), "b replies")(lambda: reply("b0", mem("b"), "T0"))
    for handle, hour in (
        ("c", 9),
        ("d", 10),
        ("e", 11),
        ("f", 12),
        ("g", 13),
        ("h", 14),
        ("i", 15),
        ("p", 16),
    ):
        at(L(10, 11, hour), f"{handle} joins by invite")(
            lambda h=handle: membership_join(user=users[h], community=ny, invite=s["inv"])
        )
    at(L(10, 11, 18), "bot thread")(lambda: thread("TB", bot))
    at(L(10, 12, 9), "a visits")(
        lambda: services.visit_record(user_id=users["a"].pk, community_id=ny.pk, day=L(10, 12, 9).date())
    )
    # A reaction that is the day's only action, taken back a week later (after its refreshed days).
    at(L(10, 13, 10), "a reacts")(lambda: react(clock, users["a"].pk, fresh("T0.open"), "heart", now()))
    at(L(10, 20, 14), "a takes it back")(
        lambda: react(clock, users["a"].pk, fresh("T0.open"), "heart", now())
    )
    # A held opening post approved three days later, with a reply.
    at(L(10, 14, 10), "c's held thread")(lambda: thread("TC", mem("c"), held=True))
    at(L(10, 17, 9), "m approves TC")(lambda: post_approve(actor=mem("m"), post=fresh("TC.open")))
    at(L(10, 17, 15), "b replies in TC")(lambda: reply("bC", mem("b"), "TC"))
    # The author leaves between the hold and the decision.
    at(L(10, 15, 10), "d's held reply")(lambda: reply("dR", mem("d"), "T0", held=True))
    at(L(10, 15, 12), "d leaves")(lambda: membership_leave(membership=mem("d")))
    at(L(10, 18, 9), "m approves d's reply")(lambda: post_approve(actor=mem("m"), post=fresh("dR")))
    # The author is banned between the hold and the decision; then unbanned and rejoins (DST day).
    at(L(10, 15, 11), "e's held thread")(lambda: thread("TE", mem("e"), held=True))
    at(L(10, 16, 9), "m bans e")(lambda: member_ban(actor=mem("m"), target=mem("e")))
    at(L(10, 19, 9), "m approves TE")(lambda: post_approve(actor=mem("m"), post=fresh("TE.open")))
    at(L(10, 19, 12), "a replies in TE")(lambda: reply("aE", mem("a"), "TE"))
    at(L(10, 30, 9), "m unbans e")(lambda: member_unban(actor=mem("m"), target=mem("e")))
    at(L(11, 2, 23, 30), "e rejoins")(lambda: membership_join(user=users["e"], community=ny))
    at(L(11, 3, 10), "e replies")(lambda: reply("eR", mem("e"), "TC"))
    # Edited, then approved; removed, then approved; rejected; never decided.
    at(L(10, 20, 10), "f's held reply")(lambda: reply("fR", mem("f"), "T0", held=True))
    at(L(10, 21, 10), "f edits it")(
        lambda: post_edit(editor=mem("f"), post=fresh("fR"), body_md="f, edited", at=now())
    )
    at(L(10, 23, 10), "m approves f's")(lambda: post_approve(actor=mem("m"), post=fresh("fR")))
    at(L(10, 20, 11), "g's held thread")(lambda: thread("TG", mem("g"), held=True))
    at(L(10, 21, 11), "g deletes it")(lambda: post_delete(actor=mem("g"), post=fresh("TG.open"), at=now()))
    at(L(10, 23, 11), "m approves TG")(lambda: post_approve(actor=mem("m"), post=fresh("TG.open")))
    at(L(10, 22, 10), "h's held thread")(lambda: thread("TH", mem("h"), held=True))
    at(L(10, 28, 10), "m rejects TH")(lambda: post_reject(actor=mem("m"), post=fresh("TH.open")))
    at(L(10, 22, 11), "i's held thread, never decided")(lambda: thread("TI", mem("i"), held=True))
    # A moderator's thread and reaction; the moderator deletes their account later.
    at(L(10, 21, 9), "x's thread")(lambda: thread("TX", mem("x")))
    at(L(10, 22, 9), "b replies in TX")(lambda: reply("bX", mem("b"), "TX"))
    at(L(10, 22, 12), "x reacts")(lambda: react(clock, users["x"].pk, fresh("bX"), "bulb", now()))
    at(L(11, 6, 10), "x deletes the account")(lambda: account_delete(user=users["x"], at=now()))
    # Removal and restore of a live reply; a role change.
    at(L(10, 25, 10), "a's thread")(lambda: thread("TA", mem("a")))
    at(L(10, 26, 10), "b replies in TA")(lambda: reply("bA", mem("b"), "TA"))
    at(L(10, 28, 10), "owner hides b's reply")(lambda: post_hide(actor=owner(), post=fresh("bA")))
    at(L(11, 5, 10), "owner restores it")(lambda: post_restore(actor=owner(), post=fresh("bA")))
    at(L(10, 27, 12), "b becomes moderator")(
        lambda: membership_set_role(membership=mem("b"), role=Role.MODERATOR, actor=owner().user, at=now())
    )
    # Reactions given, taken back the same day, given again, taken back later.
    at(L(11, 1, 9), "c reacts")(lambda: react(clock, users["c"].pk, fresh("TA.open"), "tada", now()))
    at(L(11, 1, 20), "c takes it back")(lambda: react(clock, users["c"].pk, fresh("TA.open"), "tada", now()))
    at(L(11, 4, 9), "c reacts again")(lambda: react(clock, users["c"].pk, fresh("TA.open"), "tada", now()))
    at(L(11, 10, 9), "c takes it back again")(
        lambda: react(clock, users["c"].pk, fresh("TA.open"), "tada", now())
    )
    at(L(11, 7, 9), "bot reacts")(lambda: react(clock, bot.pk, fresh("T0.open"), "heart", now()))
    # An opening post removed and restored; visits; a late thread.
    at(L(11, 12, 9), "owner hides T0")(lambda: post_hide(actor=owner(), post=fresh("T0.open")))
    at(L(11, 20, 9), "owner restores T0")(lambda: post_restore(actor=owner(), post=fresh("T0.open")))
    for handle, when in (("c", L(11, 15, 9)), ("f", L(11, 18, 9)), ("a", L(12, 1, 9)), ("e", L(12, 4, 9))):
        at(when, f"{handle} visits")(
            lambda h=handle, w=when: services.visit_record(
                user_id=users[h].pk, community_id=ny.pk, day=w.date(), at=w
            )
        )
    at(L(11, 24, 10), "f's thread")(lambda: thread("TF", mem("f")))
    at(L(11, 25, 10), "c replies in TF")(lambda: reply("cF", mem("c"), "TF"))

    # --- UTC, and the person in both communities --------------------------------------------------
    at(U(10, 10, 10), "p joins utc")(lambda: membership_join(user=users["p"], community=utc))
    at(U(10, 10, 11), "q joins utc")(lambda: membership_join(user=users["q"], community=utc))
    at(U(10, 12, 10), "q's thread")(lambda: thread("UQ", mem("q", utc), c=utc))
    # A held opening post approved three days later, with a reply, then a published thread.
    at(U(10, 14, 10), "p's held thread in utc")(lambda: thread("UH", mem("p", utc), held=True, c=utc))
    at(U(10, 17, 10), "utc owner approves it")(lambda: post_approve(actor=owner(utc), post=fresh("UH.open")))
    at(U(10, 17, 13), "q replies in UH")(lambda: reply("qH", mem("q", utc), "UH"))
    at(U(10, 20, 10), "p's thread in utc")(lambda: thread("UP", mem("p", utc), c=utc))
    at(U(10, 26, 15), "p's reply in ny")(lambda: reply("pR", mem("p"), "TA"))
    at(U(10, 21, 10), "q reacts")(lambda: react(clock, users["q"].pk, fresh("UP.open"), "heart", now()))
    at(U(10, 23, 10), "q takes it back")(
        lambda: react(clock, users["q"].pk, fresh("UP.open"), "heart", now())
    )
    at(U(11, 8, 3), "p deletes the account and posts")(
        lambda: account_delete(user=users["p"], remove_posts=True, at=now())
    )
    at(U(11, 9, 10), "q visits")(
        lambda: services.visit_record(user_id=users["q"].pk, community_id=utc.pk, day=date(2025, 11, 9))
    )
    return ny, utc, events


def _day_tables(c) -> set:
    """The derived day tables: who was active, and the contributor counts, per day."""
    return {("active", *r) for r in ActiveDay.objects.filter(community=c).values_list("user_id", "day")} | {
        ("contrib", *r)
        for r in ContributorDay.objects.filter(community=c).values_list(
            "user_id", "day", "posts", "referred_joins"
        )
    }


def _cohorts(c) -> list:
    return list(
        RetentionCohort.objects.filter(community=c).values(
            "week_start", "size", "retained_30", "retained_60", "retained_90"
        )
    )


def test_nightly_runs_and_a_backfill_agree_on_every_key(clock, make_user):
    ny, utc, events = _history(clock, make_user)
    night = datetime.combine(FIRST + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=5, minutes=30
    )
    while night.date() <= LAST + timedelta(days=1):
        events = play(clock, events, night)
        clock.set(night)
        tasks.compute_due()
        night += timedelta(days=1)
    assert not events, [e[1] for e in events]  # every event happened inside the range

    # The history really has every kind of event.
    kinds = set(PostEvent.objects.values_list("kind", flat=True))
    assert kinds == {"approved", "rejected", "removed", "restored"}
    assert {"left", "banned", "unbanned", "role_changed"} <= set(
        MembershipEvent.objects.values_list("kind", flat=True)
    )

    nightly = {c.pk: all_values(c.pk) for c in (ny, utc)}
    cohorts = {c.pk: _cohorts(c) for c in (ny, utc)}
    tables = {c.pk: _day_tables(c) for c in (ny, utc)}
    for c in (ny, utc):
        assert sorted(nightly[c.pk]) == [FIRST + timedelta(days=k) for k in range((LAST - FIRST).days + 1)]
        services._wipe(c.pk)
        assert services.metrics_compute_range(community_id=c.pk) == len(nightly[c.pk])
        backfilled = all_values(c.pk)
        differing = [
            (day, key, nightly[c.pk][day][key], backfilled[day][key])
            for day in sorted(backfilled)
            for key in METRIC_KEYS
            if nightly[c.pk][day][key] != backfilled[day][key]
        ]
        assert not differing, f"{c.slug}: {len(differing)} values differ, e.g. {differing[:8]}"
        assert _cohorts(c) == cohorts[c.pk]
        assert _day_tables(c) == tables[c.pk]
    # Not vacuous: the figures move.
    ny_values = all_values(ny.pk)
    assert max(v["dau"] for v in ny_values.values()) >= 3
    assert max(v["threads_eligible"] for v in ny_values.values()) >= 4
    assert any(v["ttfr_median_hours"] for v in ny_values.values())
    assert DailySnapshot.objects.filter(community=utc, posts_30d__gt=0).exists()
