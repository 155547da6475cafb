"""The limits that count rows hold under concurrent requests, on real PostgreSQL connections:
the same text sent to many people at once, and the daily cap on new conversations.

PostgreSQL only (SQLite serialises writers per database file, so there is no race to test)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from members.messages import limits, services
from members.messages.models import CommunityMessaging, Conversation, Message
from moderation.ratelimit import RateLimited
from tests.messages.conftest import age

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
        except RateLimited as exc:
            results[i] = ("limited", exc)
        except ValidationError as exc:
            results[i] = ("refused", exc)
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


def test_identical_message_to_many_at_once(pm, make_member):
    people = [age(make_member(pm.community), 60) for _ in range(8)]
    results = _race(
        [
            lambda p=p: services.conversation_start(
                sender=pm.alice.user, recipients=[p.user], community=pm.community, body_md="Join my server!"
            )
            for p in people
        ]
    )
    kinds = sorted(r[0] for r in results)
    assert kinds.count("ok") == limits.IDENTICAL_MAX_CONVERSATIONS, results
    assert kinds.count("refused") == len(people) - limits.IDENTICAL_MAX_CONVERSATIONS, results
    assert all("several people" in str(r[1]) for r in results if r[0] == "refused")
    assert Message.objects.filter(sender=pm.alice.user).count() == limits.IDENTICAL_MAX_CONVERSATIONS


def test_daily_cap_at_once(pm, make_member):
    CommunityMessaging.objects.create(community=pm.community, daily_cap=3)
    people = [age(make_member(pm.community), 60) for _ in range(8)]
    results = _race(
        [
            lambda i=i, p=p: services.conversation_start(
                sender=pm.alice.user, recipients=[p.user], community=pm.community, body_md=f"Hello number {i}"
            )
            for i, p in enumerate(people)
        ]
    )
    kinds = sorted(r[0] for r in results)
    assert kinds.count("ok") == 3, results
    assert kinds.count("limited") == 5, results
    assert Conversation.objects.filter(created_by=pm.alice.user).count() == 3
