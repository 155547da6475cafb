"""Twenty people answering "going" at the same moment for five seats, on real concurrent
connections: exactly five go, fifteen wait, and a cancellation promotes exactly one.

PostgreSQL only (SQLite serialises writers per database file, so there is no race to test)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection

from communities.events import services
from communities.events.models import Rsvp, RsvpStatus

pytestmark = [
    pytest.mark.skipif(settings.DB_VENDOR != "postgresql", reason="needs PostgreSQL for concurrent writers"),
    pytest.mark.django_db(transaction=True),
]


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", call())
        except Exception as exc:  # surfaced by the assertions
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_twenty_rsvps_for_five_seats_then_promotion(community, make_member, make_event):
    event = make_event(community, capacity=5)
    people = [make_member(community) for _ in range(20)]
    results = _race(
        [lambda m=m: services.rsvp_set(membership=m, event=event, status="going") for m in people]
    )
    assert all(kind == "ok" for kind, _ in results), results
    assert Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).count() == 5
    assert Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED).count() == 15
    first_waiting = Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED).order_by(
        "waitlisted_at", "pk"
    )[:2]
    first_ids = [r.user_id for r in first_waiting]

    # Two of the five drop at the same moment: exactly two promoted, in queue order.
    going = [r.user_id for r in Rsvp.objects.filter(event=event, status=RsvpStatus.GOING)]
    droppers = [m for m in people if m.user_id in going[:2]]
    results = _race(
        [lambda m=m: services.rsvp_set(membership=m, event=event, status="not_going") for m in droppers]
    )
    assert all(kind == "ok" for kind, _ in results), results
    assert Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).count() == 5
    assert Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED).count() == 13
    assert set(Rsvp.objects.filter(event=event, user_id__in=first_ids).values_list("status", flat=True)) == {
        "going"
    }


def test_twenty_double_clicks_one_rsvp(community, make_member, make_event):
    event = make_event(community, capacity=5)
    person = make_member(community)
    results = _race(
        [lambda: services.rsvp_set(membership=person, event=event, status="going") for _ in range(20)]
    )
    assert all(kind == "ok" for kind, _ in results), results
    assert Rsvp.objects.filter(event=event, user=person.user).count() == 1


def test_twenty_concurrent_votes_one_vote(community, make_member, make_event):
    event = make_event(community, kind="ama")
    question = services.question_ask(membership=make_member(community), event=event, body_md="Q?")
    voter = make_member(community)
    results = _race([lambda: services.question_vote(membership=voter, question=question) for _ in range(20)])
    assert all(kind == "ok" for kind, _ in results), results
    assert question.votes.count() == 1
