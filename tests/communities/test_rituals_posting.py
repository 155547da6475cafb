"""Ritual posting: exactly once per occurrence (twice, concurrently, after a crash), downtime
catch-up, pinning, auto-lock, authorship, spotlights, pause/resume."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction

from communities.discussions.models import Thread, ThreadKind
from communities.discussions.services import post_create
from communities.rituals import services as ritual_services
from communities.rituals.models import OccurrenceStatus, Ritual, RitualOccurrence
from communities.rituals.services import (
    SYSTEM_HANDLE,
    ritual_post_due,
    ritual_run_once,
    ritual_set_paused,
    ritual_system_user,
    ritual_update,
    rituals_autolock,
)
from members.models import Role, User
from members.services import membership_leave

FRI_JAN_2 = datetime(2026, 1, 2, 17, 0, tzinfo=UTC)  # first Friday 17:00 UTC after the fixture's now


def posted(ritual: Ritual) -> list[RitualOccurrence]:
    return list(ritual.occurrences.filter(status=OccurrenceStatus.POSTED).order_by("occurrence"))


def test_new_ritual_schedules_its_first_occurrence(community, make_ritual):
    ritual = make_ritual(community)
    assert ritual.next_run_at == FRI_JAN_2
    assert ritual_post_due(now=FRI_JAN_2 - timedelta(seconds=1)) == 0
    assert not RitualOccurrence.objects.exists()


def test_due_ritual_posts_a_pinned_thread_in_its_space(community, make_ritual):
    ritual = make_ritual(community)
    assert ritual_post_due(now=FRI_JAN_2 + timedelta(seconds=20)) == 1
    (occ,) = posted(ritual)
    thread = occ.thread
    assert occ.occurrence == FRI_JAN_2
    assert thread.space_id == ritual.space_id
    assert thread.kind == ThreadKind.RITUAL
    assert thread.pinned is True
    assert thread.title == "Weekly wins (week 1)"
    assert community.name in thread.posts.get(is_opening=True).body_md
    assert thread.author.handle == SYSTEM_HANDLE and thread.author.is_bot
    ritual.refresh_from_db()
    assert ritual.next_run_at == FRI_JAN_2 + timedelta(days=7)


def test_running_the_job_twice_posts_once(community, make_ritual):
    ritual = make_ritual(community)
    now = FRI_JAN_2 + timedelta(seconds=5)
    assert ritual_post_due(now=now) == 1
    assert ritual_post_due(now=now) == 0
    assert ritual_post_due(now=now + timedelta(seconds=60)) == 0
    assert len(posted(ritual)) == 1
    assert Thread.objects.filter(community=community, kind=ThreadKind.RITUAL).count() == 1


def test_stale_reader_loses_the_claim(community, make_ritual):
    """A worker that read next_run_at before another worker's claim committed gets nothing."""
    ritual = make_ritual(community)
    stale_value = ritual.next_run_at
    assert ritual_run_once(ritual_id=ritual.pk, now=FRI_JAN_2) is not None
    # The conditional UPDATE with the value the slow worker read matches no row any more.
    assert Ritual.objects.filter(pk=ritual.pk, next_run_at=stale_value).update(next_run_at=None) == 0
    assert len(posted(ritual)) == 1


def test_unique_constraint_backs_the_claim(community, make_ritual):
    """Even if next_run_at points at an occurrence that exists (e.g. a restored backup), the
    unique (ritual, occurrence) constraint stops a second thread."""
    ritual = make_ritual(community)
    ritual_run_once(ritual_id=ritual.pk, now=FRI_JAN_2)
    Ritual.objects.filter(pk=ritual.pk).update(next_run_at=FRI_JAN_2)  # rewind
    threads_before = Thread.objects.count()
    assert ritual_run_once(ritual_id=ritual.pk, now=FRI_JAN_2) is None
    assert Thread.objects.count() == threads_before
    assert len(posted(ritual)) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        RitualOccurrence.objects.create(ritual=ritual, occurrence=FRI_JAN_2)


def test_crash_between_claim_and_post_loses_nothing_and_posts_once(community, make_ritual, monkeypatch):
    ritual = make_ritual(community)
    real_thread_create = ritual_services.thread_create

    def crash(**kwargs):
        raise RuntimeError("worker died")

    # The claim UPDATE and the occurrence INSERT have run when thread_create is reached.
    monkeypatch.setattr(ritual_services, "thread_create", crash)
    with pytest.raises(RuntimeError):
        ritual_run_once(ritual_id=ritual.pk, now=FRI_JAN_2)
    assert ritual_post_due(now=FRI_JAN_2) == 0  # the job logs it and goes on
    ritual.refresh_from_db()
    assert ritual.next_run_at == FRI_JAN_2  # the claim rolled back with the rest
    assert not RitualOccurrence.objects.exists()
    assert not Thread.objects.filter(kind=ThreadKind.RITUAL).exists()

    monkeypatch.setattr(ritual_services, "thread_create", real_thread_create)
    assert ritual_post_due(now=FRI_JAN_2 + timedelta(minutes=1)) == 1
    assert ritual_post_due(now=FRI_JAN_2 + timedelta(minutes=2)) == 0
    assert len(posted(ritual)) == 1


def test_downtime_posts_only_the_latest_and_records_the_skipped(community, make_ritual):
    ritual = make_ritual(community)
    now = FRI_JAN_2 + timedelta(days=21, hours=3)  # four Fridays have passed: 2, 9, 16, 23 Jan
    assert ritual_post_due(now=now) == 1
    occurrences = list(ritual.occurrences.order_by("occurrence"))
    assert [(o.occurrence.day, o.status) for o in occurrences] == [
        (2, OccurrenceStatus.SKIPPED),
        (9, OccurrenceStatus.SKIPPED),
        (16, OccurrenceStatus.SKIPPED),
        (23, OccurrenceStatus.POSTED),
    ]
    assert all(o.thread_id is None for o in occurrences[:3])
    assert Thread.objects.filter(kind=ThreadKind.RITUAL).count() == 1
    ritual.refresh_from_db()
    assert ritual.next_run_at == datetime(2026, 1, 30, 17, 0, tzinfo=UTC)
    assert ritual_post_due(now=now) == 0


def test_pin_current_unpins_the_previous_occurrence(community, make_ritual):
    ritual = make_ritual(community)
    ritual_post_due(now=FRI_JAN_2)
    ritual_post_due(now=FRI_JAN_2 + timedelta(days=7))
    first, second = posted(ritual)
    assert Thread.objects.get(pk=first.thread_id).pinned is False
    assert Thread.objects.get(pk=second.thread_id).pinned is True


def test_without_pinning_threads_are_not_pinned(community, make_ritual):
    ritual = make_ritual(community, pin_current=False)
    ritual_post_due(now=FRI_JAN_2)
    assert posted(ritual)[0].thread.pinned is False


def test_auto_lock_after_n_days_once(community, make_ritual, owner):
    ritual = make_ritual(community, lock_after_days=2)
    ritual_post_due(now=FRI_JAN_2)
    thread = posted(ritual)[0].thread
    assert rituals_autolock(now=FRI_JAN_2 + timedelta(days=1)) == 0
    assert ritual_post_due(now=FRI_JAN_2 + timedelta(days=2, minutes=1)) == 0  # the job locks too
    thread.refresh_from_db()
    assert thread.locked is True
    # A moderator reopens it: the job doesn't lock it again.
    Thread.objects.filter(pk=thread.pk).update(locked=False)
    assert rituals_autolock(now=FRI_JAN_2 + timedelta(days=3)) == 0
    thread.refresh_from_db()
    assert thread.locked is False


def test_host_authored_ritual_and_fallback_to_system_account(community, make_ritual, make_member):
    host = make_member(community, role=Role.MODERATOR)
    ritual = make_ritual(community, created_by=host.user, author_mode="host")
    ritual_post_due(now=FRI_JAN_2)
    assert posted(ritual)[0].thread.author_id == host.user_id
    membership_leave(membership=host)
    ritual_post_due(now=FRI_JAN_2 + timedelta(days=7))
    assert posted(ritual)[1].thread.author.handle == SYSTEM_HANDLE


def test_system_account_is_single_bot_that_cannot_log_in(db):
    a, b = ritual_system_user(), ritual_system_user()
    assert a.pk == b.pk
    assert a.is_bot is True
    assert a.has_usable_password() is False
    assert User.objects.filter(handle=SYSTEM_HANDLE).count() == 1


def test_spotlight_rotates_through_members(community, make_ritual, make_member):
    members = [make_member(community) for _ in range(2)]
    ritual = make_ritual(
        community, kind="spotlight", title_template="Spotlight: {member}", body_template="Meet {member}!"
    )
    for week in range(3):
        ritual_post_due(now=FRI_JAN_2 + timedelta(days=7 * week))
    featured = [o.spotlight_user_id for o in posted(ritual)]
    owner_id = community.memberships.get(role=Role.OWNER).user_id
    # Owner (joined first), then the two members: everyone once before anyone twice.
    assert featured == [owner_id, members[0].user_id, members[1].user_id]
    third = posted(ritual)[2].thread
    assert third.title == f"Spotlight: {members[1].user.name}"
    assert f"@{members[1].user.handle}" in third.posts.get(is_opening=True).body_md


def test_spotlight_chosen_member(community, make_ritual, make_member):
    chosen = make_member(community)
    ritual = make_ritual(
        community,
        kind="spotlight",
        title_template="Spotlight: {member}",
        spotlight_mode="chosen",
        spotlight_user=chosen.user,
    )
    ritual_post_due(now=FRI_JAN_2)
    assert posted(ritual)[0].spotlight_user_id == chosen.user_id


def test_paused_ritual_is_not_posted_and_resume_does_not_catch_up(community, make_ritual):
    ritual = make_ritual(community)
    ritual_set_paused(ritual=ritual, paused=True, now=FRI_JAN_2 - timedelta(hours=1))
    assert ritual_post_due(now=FRI_JAN_2 + timedelta(days=14)) == 0
    ritual_set_paused(ritual=ritual, paused=False, now=FRI_JAN_2 + timedelta(days=15))
    ritual.refresh_from_db()
    assert ritual.next_run_at == FRI_JAN_2 + timedelta(days=21)
    assert not RitualOccurrence.objects.exists()


def test_schedule_edit_recomputes_next_run(community, make_ritual):
    ritual = make_ritual(community)
    ritual_update(ritual=ritual, weekday=0, now=datetime(2026, 1, 1, tzinfo=UTC))  # Mondays
    ritual.refresh_from_db()
    assert ritual.next_run_at == datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


def test_ritual_replies_work_and_locked_threads_refuse_members(community, make_ritual, member):
    ritual = make_ritual(community)
    ritual_post_due(now=FRI_JAN_2)
    thread = posted(ritual)[0].thread
    post_create(author=member, thread=thread, body_md="Shipped my first PR!")
    assert Thread.objects.get(pk=thread.pk).reply_count == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_concurrently_post_once(make_community, make_ritual):
    if connection.vendor != "postgresql":
        pytest.skip("needs two real concurrent connections (PostgreSQL); SQLite serializes writers")
    community = make_community()
    rituals = [make_ritual(community, title_template=f"Ritual {i}") for i in range(5)]
    now = FRI_JAN_2 + timedelta(seconds=30)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(ritual_post_due(now=now))
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(results) == 5
    for ritual in rituals:
        assert ritual.occurrences.count() == 1
    assert Thread.objects.filter(community=community, kind=ThreadKind.RITUAL).count() == 5


@pytest.mark.django_db(transaction=True)
def test_worker_dying_mid_transaction_on_postgresql(make_community, make_ritual):
    """A worker claims an occurrence and dies before committing (its connection drops). A second
    worker waiting on the row lock then posts the occurrence: exactly once, nothing lost."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a second real connection that can die mid-transaction (PostgreSQL)")
    import psycopg

    community = make_community()
    ritual = make_ritual(community)
    db = connection.settings_dict
    dying = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    # The dying worker's claim and occurrence insert, uncommitted (psycopg opens a transaction).
    table = Ritual._meta.db_table
    claimed = dying.execute(
        f"UPDATE {table} SET next_run_at = %s WHERE id = %s AND next_run_at = %s",  # noqa: S608 - test
        [FRI_JAN_2 + timedelta(days=7), ritual.pk, FRI_JAN_2],
    ).rowcount
    assert claimed == 1
    results: list[int] = []

    def second_worker() -> None:
        try:
            results.append(ritual_post_due(now=FRI_JAN_2 + timedelta(seconds=10)))
        finally:
            connections.close_all()

    other = threading.Thread(target=second_worker)
    other.start()
    other.join(timeout=2)
    assert other.is_alive()  # blocked on the dying worker's row lock
    dying.close()  # the worker dies: PostgreSQL rolls its transaction back
    other.join(timeout=30)
    assert results == [1]
    assert ritual.occurrences.filter(status=OccurrenceStatus.POSTED).count() == 1
    assert ritual_post_due(now=FRI_JAN_2 + timedelta(minutes=1)) == 0


def test_a_failing_ritual_does_not_block_the_others(community, make_ritual, monkeypatch):
    broken = make_ritual(community, title_template="Broken")
    fine = make_ritual(community, title_template="Fine")
    real_thread_create = ritual_services.thread_create

    def fail_for_broken(**kwargs):
        if kwargs["title"] == "Broken":
            raise RuntimeError("boom")
        return real_thread_create(**kwargs)

    monkeypatch.setattr(ritual_services, "thread_create", fail_for_broken)
    assert ritual_post_due(now=FRI_JAN_2) == 1
    assert len(posted(fine)) == 1 and not posted(broken)
    broken.refresh_from_db()
    assert broken.next_run_at == FRI_JAN_2  # still due: retried on the next run
