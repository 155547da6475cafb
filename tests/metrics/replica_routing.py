"""The read-replica router on a real configuration (run by ``test_replica.py`` in a process started
with ``DATABASE_REPLICA_URL``; not collected on its own: the name does not start with ``test_``).

The ``replica`` alias mirrors the test database (``TEST: {"MIRROR": "default"}``): another
connection to the same database, so what the router sends there is seen in that connection's
captured queries, and committed rows (``transaction=True``) are there to read.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.models import Community
from config.replica import REPLICA, replica_reads
from metrics.models import DailySnapshot
from metrics.services import metrics_compute_range

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(autouse=True)
def _replica_configured() -> None:
    if REPLICA not in settings.DATABASES:
        pytest.fail("run with DATABASE_REPLICA_URL set (tests/metrics/test_replica.py does)")
    assert settings.DATABASE_ROUTERS == ["config.replica.ReplicaRouter"]


class Captured:
    def __init__(self) -> None:
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections[REPLICA])

    def __enter__(self) -> Captured:
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def sql(ctx: CaptureQueriesContext) -> list[str]:
        return [q["sql"] for q in ctx.captured_queries]

    def tables(self, ctx: CaptureQueriesContext, prefix: str = "metrics_") -> set[str]:
        import re

        return {t for sql in self.sql(ctx) for t in re.findall(r'"(' + prefix + r'[a-z_]+)"', sql)}


@pytest.fixture
def computed(community, owner, make_member, make_thread):
    """A community five days old with activity, its days computed by the real job."""
    Community.objects.filter(pk=community.pk).update(created_at=timezone.now() - timedelta(days=5))
    make_thread(make_member(community))
    with Captured() as cap:
        days = metrics_compute_range(community_id=community.pk)
    assert days >= 1
    # The job writes and reads the snapshot tables on the primary only.
    assert cap.sql(cap.replica) == []
    assert {"metrics_dailysnapshot"} <= cap.tables(cap.primary)
    return community


def test_the_replica_is_another_connection_to_the_same_database():
    assert connections[REPLICA] is not connections["default"]
    assert connections[REPLICA].settings_dict["NAME"] == connections["default"].settings_dict["NAME"]


def test_dashboard_snapshot_reads_go_to_the_replica_and_nothing_else(client, computed, owner):
    client.force_login(owner.user)
    with Captured() as cap:
        page = client.get(reverse("metrics-dashboard", args=[computed.slug]))
    assert page.status_code == 200 and b"Health dashboard" in page.content
    replica_sql = cap.sql(cap.replica)
    assert replica_sql, "the dashboard read nothing from the replica"
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in replica_sql), replica_sql
    # Cohorts and contributors are read only when there are snapshots: the replica had them.
    assert {"metrics_dailysnapshot", "metrics_retentioncohort", "metrics_contributorday"} <= cap.tables(
        cap.replica
    )
    # The access check, the session and the rest of the page read the primary; no snapshot read there.
    assert cap.tables(cap.primary) & {"metrics_dailysnapshot", "metrics_retentioncohort"} == set()
    assert any('"members_membership"' in sql for sql in cap.sql(cap.primary))
    assert not any('"members_membership"' in sql for sql in replica_sql)


def test_the_export_reads_the_replica(client, computed, owner):
    client.force_login(owner.user)
    with Captured() as cap:
        answer = client.get(reverse("metrics-export-csv", args=[computed.slug]))
    assert answer.status_code == 200 and b"dau" in answer.content
    assert "metrics_dailysnapshot" in cap.tables(cap.replica)
    assert "metrics_dailysnapshot" not in cap.tables(cap.primary)


def test_other_pages_and_writes_stay_on_the_primary(client, computed, owner, make_thread):
    client.force_login(owner.user)
    thread = make_thread(owner)
    with Captured() as cap:
        assert client.get(computed.get_absolute_url()).status_code == 200
        assert client.get(thread.get_absolute_url()).status_code == 200
        url = reverse("thread-reply", args=[computed.slug, thread.pk])
        reply = client.post(url, {"body": "On the primary."})
        assert reply.status_code == 302
        assert client.get(reverse("notifications")).status_code == 200
    assert cap.sql(cap.replica) == []
    assert any(sql.lstrip().upper().startswith("INSERT") for sql in cap.sql(cap.primary))


def test_snapshot_reads_outside_the_dashboard_or_in_a_transaction_stay_on_the_primary(computed):
    with Captured() as cap:
        assert DailySnapshot.objects.filter(community=computed).exists()  # not in replica_reads()
        with transaction.atomic(), replica_reads():
            assert DailySnapshot.objects.filter(community=computed).exists()  # a writer's read
    assert cap.sql(cap.replica) == []
    with Captured() as cap, replica_reads():
        assert DailySnapshot.objects.filter(community=computed).exists()
    assert len(cap.sql(cap.replica)) == 1 and cap.sql(cap.primary) == []
