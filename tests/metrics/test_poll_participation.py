"""poll_voters_30d and poll_participation_30d computed by hand, and the range computation agrees
with the one-day reference (tests/metrics/reference.py).

Community "Polls" in UTC, created 2026-01-01. A, B, C, D join 01-01 (joining is activity),
the bot R too. A starts thread T on 01-02 (active) with poll P.
  01-02 A votes; 01-10 A changes the vote (not a new ballot, not activity)
  01-05 B votes; the bot votes (ignored)
  01-20 C votes in an anonymous poll Q; C visits 02-21 (active)
  02-10 B visits                      02-20 E joins; 02-21 E votes in Q
Day 01-20: window 12-22..01-20: voters A B C, active O A B C D (joins 01-01) -> 3 / mau 5 = 0.6.
Day 02-09: window 01-11..02-09: voters C (01-20); active: nobody (joins and T are 01-01/01-02;
  votes are not activity) -> 0 voters, mau 0 -> participation null.
Day 02-10: window 01-12..02-10: voters C; active B (visit) -> C not active -> 0 / mau 1 = 0.0.
Day 02-21: window 01-23..02-21: voters E (02-21; C's 01-20 is out); active B (02-10), E (join
  02-20), C (visit) -> E counts: 1 / mau 3.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from communities.discussions.services import thread_create
from communities.models import Space
from communities.polls.services import poll_create, poll_vote
from communities.services import community_create
from members.models import Membership, Role
from members.services import membership_join
from metrics import services
from metrics.models import DailySnapshot, Visit

pytestmark = pytest.mark.django_db


def T(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def polls_world(make_user):
    users = {h: make_user(h) for h in ("pol_o", "pol_a", "pol_b", "pol_c", "pol_d", "pol_e")}
    bot = make_user("pol_bot", is_bot=True)
    c = community_create(
        owner=users["pol_o"], name="Polls", slug="polls", purpose="P.", created_at=T(1, 1, 0)
    )
    m = {}
    for h in ("pol_a", "pol_b", "pol_c", "pol_d"):
        m[h] = membership_join(user=users[h], community=c, role=Role.MEMBER, at=T(1, 1, 1))
    rb = membership_join(user=bot, community=c, role=Role.MEMBER, at=T(1, 1, 1))
    space = Space.objects.get(community=c, slug="general")
    thread = thread_create(author=m["pol_a"], space=space, title="T", body_md="Vote!", at=T(1, 2, 9))
    p = poll_create(author=m["pol_a"], thread=thread, question="P?", choices=["x", "y"], at=T(1, 2, 9))
    q = poll_create(
        author=m["pol_a"], thread=thread, question="Q?", choices=["x", "y"], anonymous=True, at=T(1, 2, 9)
    )
    px, py = list(p.choices.order_by("position"))
    qx = q.choices.order_by("position").first()
    poll_vote(voter=m["pol_a"], poll=p, choice_ids=[px.pk], at=T(1, 2))
    poll_vote(voter=m["pol_a"], poll=p, choice_ids=[py.pk], at=T(1, 10))
    poll_vote(voter=m["pol_b"], poll=p, choice_ids=[px.pk], at=T(1, 5))
    poll_vote(voter=rb, poll=p, choice_ids=[px.pk], at=T(1, 5))
    poll_vote(voter=m["pol_c"], poll=q, choice_ids=[qx.pk], at=T(1, 20))
    Visit.objects.create(user=users["pol_b"], community=c, day=date(2026, 2, 10), at=T(2, 10))
    e = membership_join(user=users["pol_e"], community=c, role=Role.MEMBER, at=T(2, 20))
    poll_vote(voter=e, poll=q, choice_ids=[qx.pk], at=T(2, 21))
    Visit.objects.create(user=users["pol_c"], community=c, day=date(2026, 2, 21), at=T(2, 21, 13))
    assert Membership.objects.filter(community=c).count() == 7
    return c


EXPECTED = {
    date(2026, 1, 20): (3, 0.6),
    date(2026, 2, 9): (0, None),
    date(2026, 2, 10): (0, 0.0),
    date(2026, 2, 21): (1, 1 / 3),
}


def test_poll_participation_by_hand(polls_world):
    c = polls_world
    services.metrics_compute_range(community_id=c.pk, start=date(2026, 1, 1), end=date(2026, 2, 21))
    for day, (voters, share) in EXPECTED.items():
        s = DailySnapshot.objects.get(community=c, day=day)
        assert s.poll_voters_30d == voters, day
        if share is None:
            assert s.poll_participation_30d is None, day
        else:
            assert s.poll_participation_30d == pytest.approx(share), day
    # Re-running a day changes nothing (a later change of vote never rewrites the past).
    services.metrics_compute_range(community_id=c.pk, start=date(2026, 1, 20), end=date(2026, 1, 20))
    assert DailySnapshot.objects.get(community=c, day=date(2026, 1, 20)).poll_voters_30d == 3


@pytest.mark.parametrize("chunk", [services.CHUNK_DAYS, 3])
def test_range_matches_the_reference(polls_world, monkeypatch, chunk):
    from members.models import User
    from metrics import sql as metrics_sql
    from tests.metrics import reference

    c = polls_world
    monkeypatch.setattr(services, "CHUNK_DAYS", chunk)
    services.metrics_compute_range(community_id=c.pk, start=date(2026, 1, 1), end=date(2026, 2, 21))
    got = {
        s.day: (s.poll_voters_30d, s.poll_participation_30d)
        for s in DailySnapshot.objects.filter(community=c)
    }
    bots = tuple(User.objects.filter(is_bot=True).values_list("pk", flat=True))
    for day, (voters, share) in got.items():
        w = metrics_sql.DayWindow(c.pk, day, c.tz, bots)
        mau = DailySnapshot.objects.get(community=c, day=day).mau
        want = reference.polls(w, mau)
        assert (voters, share) == (want["poll_voters_30d"], want["poll_participation_30d"]), day
    assert any(v for v, _ in got.values())


def test_exported_after_the_existing_keys(client, polls_world):
    from django.urls import reverse

    from metrics.models import (
        CONTENT_KEYS,
        ENGAGEMENT_KEYS,
        EVENT_KEYS,
        GROWTH_KEYS,
        METRIC_KEYS,
        RETENTION_KEYS,
        THREAD_KEYS,
    )

    c = polls_world
    # The keys that were there before polls (and the event keys, added in the same wave) keep their
    # names and their order; the poll keys come last.
    before = ENGAGEMENT_KEYS + CONTENT_KEYS + THREAD_KEYS + GROWTH_KEYS + RETENTION_KEYS + EVENT_KEYS
    assert METRIC_KEYS[:-2] == before
    services.metrics_compute_range(community_id=c.pk, start=date(2026, 1, 1), end=date(2026, 2, 21))
    client.force_login(c.memberships.get(role="owner").user)
    csv_text = client.get(reverse("metrics-export-csv", args=[c.slug])).content.decode()
    assert "poll_voters_30d" in csv_text and "poll_participation_30d" in csv_text
    data = client.get(reverse("metrics-export-json", args=[c.slug])).json()
    rows = data["days"] if isinstance(data, dict) and "days" in data else data
    assert any(
        isinstance(r, dict) and r.get("date") == "2026-01-20" and r.get("poll_voters_30d") == 3
        for r in (rows if isinstance(rows, list) else [])
    ), str(data)[:500]
