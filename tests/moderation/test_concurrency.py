"""Two moderators handling one queue item at the same moment, on real concurrent connections.

Runs on PostgreSQL only (SQLite serialises writers per database file, so there is no race to
test); skipped on the SQLite leg."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection

from communities.discussions.models import PostEvent, PostStatus
from communities.discussions.services import post_create
from members.models import JoinRequest, Membership, MembershipEvent
from moderation import hooks as moderation_hooks
from moderation import queue as moderation_queue
from moderation import services
from moderation.models import AuditLogEntry, Flag

pytestmark = [
    pytest.mark.skipif(settings.DB_VENDOR != "postgresql", reason="needs PostgreSQL for concurrent writers"),
    pytest.mark.django_db(transaction=True),
]


def _race(calls):
    """Run each call in its own thread and connection, released together; return results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", call())
        except services.AlreadyHandled as exc:
            results[i] = ("already", exc)
        except Exception as exc:  # surfaced by the assertions below
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def _check_one_winner(results, mods):
    kinds = sorted(r[0] for r in results)
    assert kinds == ["already", "ok"], results
    winner = next(i for i, r in enumerate(results) if r[0] == "ok")
    loser = results[1 - winner][1]
    assert loser.by is None or loser.by.pk == mods[winner].user_id
    assert "already handled" in str(loser)


@pytest.mark.parametrize("actions", [("hide", "delete"), ("keep", "hide"), ("hide", "hide")])
def test_flagged_post_handled_once(actions, community, make_member, make_thread):
    mods = [make_member(community, role="moderator") for _ in range(2)]
    post = make_thread(make_member(community)).posts.get()
    moderation_hooks.flag_create(membership=make_member(community), post=post, reason="spam")
    results = _race(
        [
            lambda m=m, a=a: moderation_queue.queue_resolve_flags(
                actor=m, post=post, action=a, sanction="warn", reason="r"
            )
            for m, a in zip(mods, actions, strict=True)
        ]
    )
    _check_one_winner(results, mods)
    # Exactly one action and one warning applied.
    assert (
        AuditLogEntry.objects.filter(action__in=["post_hidden", "post_deleted", "flags_dismissed"]).count()
        == 1
    )
    assert AuditLogEntry.objects.filter(action="warned").count() == 1
    assert PostEvent.objects.filter(post=post).count() <= 1
    assert Flag.objects.filter(resolved_at__isnull=True).count() == 0


def test_join_request_approved_once(community, make_member, make_user):
    mods = [make_member(community, role="moderator") for _ in range(2)]
    request = JoinRequest.objects.create(community=community, user=make_user())
    results = _race(
        [
            lambda m=m: moderation_queue.queue_decide_join(actor=m, join_request=request, approve=True)
            for m in mods
        ]
    )
    _check_one_winner(results, mods)
    assert Membership.objects.filter(user=request.user, community=community).count() == 1
    assert MembershipEvent.objects.filter(user=request.user, kind="joined").count() == 1
    assert AuditLogEntry.objects.filter(action="join_approved").count() == 1


def test_held_post_approve_vs_reject(community, make_member, thread):
    community.hold_first_posts = 1
    community.save()
    mods = [make_member(community, role="moderator") for _ in range(2)]
    held = post_create(author=make_member(community), thread=thread, body_md="wait for me")
    results = _race(
        [
            lambda: moderation_queue.queue_decide_held(actor=mods[0], post=held, approve=True),
            lambda: moderation_queue.queue_decide_held(actor=mods[1], post=held, approve=False),
        ]
    )
    _check_one_winner(results, mods)
    held.refresh_from_db()
    assert held.status in (PostStatus.PUBLISHED, PostStatus.REJECTED)
    assert PostEvent.objects.filter(post=held).count() == 1
    assert AuditLogEntry.objects.count() == 1
    thread.refresh_from_db()
    assert thread.reply_count == (1 if held.status == PostStatus.PUBLISHED else 0)
