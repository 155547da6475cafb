"""Hearth on several machines: two gunicorn web nodes and two Celery workers, one PostgreSQL, one
Redis, driven over real HTTP.

Proves that what must be shared is shared: a session made on node A works on node B; the posting
rate limit (cache) holds across nodes; the review queue's "already handled" holds when two
moderators act on one item from different nodes at once; a due ritual is posted once, and an
event's reminders are sent once per attendee (one notification, one email), when both workers get
the task at the same time; one real ``celery beat`` firing the real schedule's ritual and reminder
entries to both workers gets that work done once; the live-update counters (the bell's unread
count, a thread's new-post poll and their 304s) follow a change made through the other node at
once, including a poll answered while the change is not yet committed.

Runs in the PostgreSQL+Redis leg (``integration``: skipped only when REDIS_URL is unset, and that
skip fails the leg under HEARTH_REQUIRE_SERVICES=true). ``bench/pgbouncer.sh`` runs it again with
the nodes and workers connecting through PgBouncer in transaction-pooling mode
(``HEARTH_TEST_POOLER_URL``, see tests/webnode.py).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post
from communities.discussions.services import post_create
from communities.events import services as events
from communities.events.models import Event, EventReminder
from communities.models import Space
from communities.rituals.models import OccurrenceStatus, RitualOccurrence
from members.models import Membership, Role, User
from members.notifications.models import DeliveryStatus, Notification, NotificationEmail
from moderation.hooks import flag_create
from moderation.models import AuditLogEntry
from tests.conftest import PASSWORD
from tests.webnode import Browser, WebNode, collect_static, node_database_url, pooler_url, start_web_node
from tests.worker import WorkerProcess, _require_redis, _test_database_url, start_beat, start_worker

pytestmark = pytest.mark.integration


@dataclass
class Cluster:
    a: WebNode
    b: WebNode
    worker_1: WorkerProcess
    worker_2: WorkerProcess
    database_url: str
    redis_url: str
    cache_prefix: str
    pooled: dict[str, str]


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker) -> Iterator[Cluster]:
    redis_url = _require_redis()
    with django_db_blocker.unblock():
        database_url = node_database_url(_test_database_url())
    # A cache namespace of this run: nothing cached by an earlier run (same ids) is seen.
    prefix = {"CACHE_KEY_PREFIX": f"hearth-mn-{uuid.uuid4().hex[:8]}"}
    pooled = {"DATABASE_POOLER": "transaction"} if pooler_url() else {}
    var_dir = collect_static(database_url, redis_url)
    with (
        start_worker(database_url, redis_url, extra_env={**prefix, **pooled}) as worker_1,
        start_worker(database_url, redis_url, extra_env={**prefix, **pooled}) as worker_2,
    ):
        # The web nodes publish their after-commit tasks to worker 1's queue.
        extra = {**prefix, "CELERY_TASK_DEFAULT_QUEUE": worker_1.queue}
        with (
            _env(extra),
            start_web_node("a", database_url, redis_url, var_dir) as a,
            start_web_node("b", database_url, redis_url, var_dir) as b,
        ):
            yield Cluster(
                a=a, b=b, worker_1=worker_1, worker_2=worker_2, database_url=database_url,
                redis_url=redis_url, cache_prefix=prefix["CACHE_KEY_PREFIX"], pooled=pooled,
            )  # fmt: skip
    if pooler_url():
        # PgBouncer keeps server connections to the test database open; let it be dropped.
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


class _env:
    """Set environment variables for the processes started inside the block."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        import os

        for key, value in self.values.items():
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value

    def __exit__(self, *exc: object) -> None:
        import os

        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _production_password(user: User) -> None:
    """The nodes run with production hashers (the test process uses MD5 for speed): store a PBKDF2
    hash (few iterations, to keep the test quick) that both can check."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])


def _signed_in(node: WebNode, user: User) -> Browser:
    browser = Browser()
    _production_password(user)
    answer = browser.log_in(node, user.handle, PASSWORD)
    assert answer.status == 302, f"log-in on node {node.name} failed ({answer.status}):\n{answer.text[:800]}"
    assert browser.cookie("sessionid"), "the log-in set a session cookie"
    return browser


def test_a_session_made_on_one_node_works_on_the_other(transactional_db, cluster, member):
    browser = _signed_in(cluster.a, member.user)
    on_b = browser.get(cluster.b.url(reverse("notifications")))
    assert on_b.status == 200, on_b.text[:500]
    assert f"@{member.user.handle}" in on_b.text or member.user.handle in on_b.text
    # Without the cookie node B sends the visitor to log in: the page above was the session's.
    anonymous = Browser().get(cluster.b.url(reverse("notifications")))
    assert anonymous.status == 302 and "/accounts/login/" in anonymous.headers["Location"]
    # Logging out on B ends the session on A too.
    assert browser.post(cluster.b.url("/accounts/logout/"), {}).status == 302
    again = browser.get(cluster.a.url(reverse("notifications")))
    assert again.status == 302 and "/accounts/login/" in again.headers["Location"]


def test_the_posting_rate_limit_holds_across_nodes(transactional_db, cluster, community, member, make_thread):
    thread = make_thread(member)
    reply_url = reverse("thread-reply", args=[community.slug, thread.pk])
    browser = _signed_in(cluster.a, member.user)
    assert browser.get(cluster.a.url(thread.get_absolute_url())).status == 200
    first = browser.post(cluster.a.url(reply_url), {"body": "First reply, from node A."})
    assert first.status == 302, first.text[:800]
    second = browser.post(cluster.b.url(reply_url), {"body": "Second reply, from node B, right after."})
    assert second.status == 429, f"node B accepted a reply within the interval ({second.status})"
    assert "Retry-After" in second.headers
    assert "posting faster than this community allows" in second.text
    assert "Second reply, from node B" in second.text  # the form keeps what was typed
    bodies = list(Post.objects.filter(thread=thread).order_by("pk").values_list("body_md", flat=True))
    assert bodies[1:] == ["First reply, from node A."]


def test_already_handled_holds_when_two_moderators_act_from_two_nodes(
    transactional_db, cluster, community, make_member, make_thread
):
    author = make_member(community)
    post = Post.objects.filter(thread=make_thread(author)).order_by("pk").first()
    flag_create(membership=make_member(community), post=post, reason="spam")
    mods = [make_member(community, role=Role.MODERATOR) for _ in range(2)]
    nodes = [cluster.a, cluster.b]
    browsers = [_signed_in(node, m.user) for node, m in zip(nodes, mods, strict=True)]
    url = reverse("mod-queue-flag", args=[community.slug, post.pk])
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def act(i: int, action: str) -> None:
        barrier.wait(timeout=10)
        answers[i] = browsers[i].post(nodes[i].url(url), {"action": action}, headers={"HX-Request": "true"})

    threads = [threading.Thread(target=act, args=(i, action)) for i, action in enumerate(["keep", "delete"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(a is not None and a.status == 200 for a in answers), answers
    handled = ["already handled by" in a.text for a in answers]
    assert sorted(handled) == [False, True], [a.text[:300] for a in answers]
    winner = handled.index(False)
    loser_text = answers[1 - winner].text
    assert f"already handled by @{mods[winner].user.handle}" in loser_text
    assert AuditLogEntry.objects.filter(community=community).count() == 1
    post.refresh_from_db()
    if winner == 0:  # "keep" won: the delete was not applied
        assert post.removed_at is None and post.body_md
    else:
        assert post.removed_at is not None


def test_a_due_ritual_is_posted_once_when_both_workers_get_the_task(
    transactional_db, cluster, community, make_ritual
):
    ritual = make_ritual(community)
    assert ritual.next_run_at is not None
    offsets = [cluster.worker_1.log_size(), cluster.worker_2.log_size()]
    # Beat fired on two machines (or twice): both workers receive the due task at the same moment.
    barrier = threading.Barrier(2)

    def fire(worker: WorkerProcess) -> None:
        barrier.wait(timeout=10)
        worker.send("communities.post_due_rituals")

    threads = [threading.Thread(target=fire, args=(w,)) for w in (cluster.worker_1, cluster.worker_2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    done = re.compile(r"communities\.post_due_rituals\[[^\]]+\] succeeded in [0-9.]+s: (\d+)")
    results: list[int] = []
    for worker, offset in zip((cluster.worker_1, cluster.worker_2), offsets, strict=True):
        match = worker.wait_for(
            lambda w=worker, o=offset: done.search(w.log_since(o)), message="ritual task ran"
        )
        results.append(int(match.group(1)))
    assert sorted(results) == [0, 1], f"posted counts per worker: {results}"
    posted = RitualOccurrence.objects.filter(ritual=ritual, status=OccurrenceStatus.POSTED)
    assert posted.count() == 1
    assert posted.get().thread_id is not None


# --- Event reminders, beat ------------------------------------------------------------------


def _event_with_attendees(community, owner: Membership, make_member) -> tuple[Event, list[Membership]]:
    """An event starting in 45 minutes (its 1-hour reminder is due) with two going and one maybe."""
    start = timezone.now() + timedelta(minutes=45)
    owner.community = community
    event = events.event_create(
        author=owner,
        space=Space.objects.get(community=community, slug="general"),
        fields=events.EventFields(
            title="Cluster office hours",
            description="Ask the team.",
            kind="meetup",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location="Room 4",
        ),
    )
    people = [make_member(community) for _ in range(3)]
    for m, status in zip(people, ["going", "going", "maybe"], strict=True):
        events.rsvp_set(membership=m, event=event, status=status)
    return event, people


def _to_lines(cluster: Cluster, address: str) -> int:
    """Emails written by either worker (file backend) addressed to ``address``."""
    count = 0
    for worker in (cluster.worker_1, cluster.worker_2):
        for path in worker.mail_dir.glob("*.log") if worker.mail_dir.exists() else []:
            count += sum(
                1
                for line in Path(path).read_text(errors="replace").splitlines()
                if line.startswith("To:") and address in line
            )
    return count


def _assert_reminded_once(cluster: Cluster, event: Event, people: list[Membership]) -> None:
    assert EventReminder.objects.filter(event=event).count() == len(people)
    for m in people:
        mine = Notification.objects.filter(recipient=m.user, kind="event")
        texts = list(mine.values_list("text", flat=True))
        assert len(texts) == 1 and texts[0].startswith("Reminder:"), texts
    # The reminder emails (immediate by default) are sent by a task the reminding worker queued.
    users = [m.user for m in people]
    emails = NotificationEmail.objects.filter(recipient__in=users, notification__kind="event")
    cluster.worker_1.wait_for(
        lambda: emails.filter(status=DeliveryStatus.SENT).count() == len(people),
        message="every reminder email sent",
    )
    for m in people:
        assert _to_lines(cluster, m.user.email) == 1, f"reminder emails to {m.user.email}"


def test_an_event_reminder_is_sent_once_when_both_workers_get_the_task(
    transactional_db, cluster, community, owner, make_member
):
    event, people = _event_with_attendees(community, owner, make_member)
    offsets = [cluster.worker_1.log_size(), cluster.worker_2.log_size()]
    barrier = threading.Barrier(2)

    def fire(worker: WorkerProcess) -> None:
        barrier.wait(timeout=10)
        worker.send("events.send_reminders")

    threads = [threading.Thread(target=fire, args=(w,)) for w in (cluster.worker_1, cluster.worker_2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    done = re.compile(r"events\.send_reminders\[[^\]]+\] succeeded in [0-9.]+s: (\d+)")
    results = []
    for worker, offset in zip((cluster.worker_1, cluster.worker_2), offsets, strict=True):
        match = worker.wait_for(
            lambda w=worker, o=offset: done.search(w.log_since(o)), message="reminders ran"
        )
        results.append(int(match.group(1)))
    assert sorted(results) == [0, len(people)], f"people reminded per worker: {results}"
    _assert_reminded_once(cluster, event, people)


def test_one_beat_fires_the_schedule_to_both_workers_and_the_work_is_done_once(
    transactional_db, cluster, community, owner, make_member, make_ritual
):
    """A real ``celery beat`` runs the real schedule's ritual and reminder entries (every second
    instead of every minute, each tick to both workers' queues): the due ritual is posted once and
    each attendee reminded once, however many ticks both workers run."""
    ritual = make_ritual(community)
    event, people = _event_with_attendees(community, owner, make_member)
    entries = ["rituals-post-due", "events-send-reminders"]
    tasks = {
        "rituals-post-due": "communities.post_due_rituals",
        "events-send-reminders": "events.send_reminders",
    }
    offsets = [cluster.worker_1.log_size(), cluster.worker_2.log_size()]
    ticks = 3

    def runs(worker: WorkerProcess, offset: int, task: str) -> list[int]:
        pattern = re.escape(task) + r"\[[^\]]+\] succeeded in [0-9.]+s: (\d+)"
        return [int(n) for n in re.findall(pattern, worker.log_since(offset))]

    with start_beat(
        cluster.database_url, cluster.redis_url, entries=entries,
        queues=[cluster.worker_1.queue, cluster.worker_2.queue], seconds=1.0,
        extra_env={"CACHE_KEY_PREFIX": cluster.cache_prefix, **cluster.pooled},
    ) as beat:  # fmt: skip
        for worker, offset in zip((cluster.worker_1, cluster.worker_2), offsets, strict=True):
            for task in tasks.values():
                worker.wait_for(
                    lambda w=worker, o=offset, t=task: len(runs(w, o, t)) >= ticks,
                    timeout=60,
                    message=f"{ticks} beat ticks of {task} run by {worker.hostname}",
                )
        assert all(beat.sent(e) >= 2 * ticks for e in entries), beat.log_tail()
    posted = [n for w, o in zip((cluster.worker_1, cluster.worker_2), offsets, strict=True)
              for n in runs(w, o, tasks["rituals-post-due"])]  # fmt: skip
    reminded = [n for w, o in zip((cluster.worker_1, cluster.worker_2), offsets, strict=True)
                for n in runs(w, o, tasks["events-send-reminders"])]  # fmt: skip
    assert sum(posted) == 1, f"rituals posted per tick: {posted}"
    assert sum(reminded) == len(people), f"people reminded per tick: {reminded}"
    occurrences = RitualOccurrence.objects.filter(ritual=ritual, status=OccurrenceStatus.POSTED)
    assert occurrences.count() == 1 and occurrences.get().thread_id is not None
    _assert_reminded_once(cluster, event, people)


# --- Live-update counters -------------------------------------------------------------------


def _bell(browser: Browser, node: WebNode, etag: str | None = None):
    headers = {"If-None-Match": f'"{etag}"'} if etag is not None else {}
    return browser.request(node.url(reverse("live-bell")), headers=headers)


def test_the_bell_follows_notifications_made_and_read_on_the_other_node(
    transactional_db, cluster, community, member, make_member, make_thread
):
    thread = make_thread(member)  # the author follows the thread: a reply notifies them
    replier = make_member(community)
    reader_on_b = _signed_in(cluster.b, member.user)
    replier_on_a = _signed_in(cluster.a, replier.user)
    # The member may already have notifications (the welcome): the count is whatever it is now.
    first = _bell(reader_on_b, cluster.b)
    assert first.status == 200, first.text[:300]
    before = json.loads(first.text)["unread"]
    assert _bell(reader_on_b, cluster.b, str(before)).status == 304  # nothing changed
    # An action on node A: a reply; worker 1 makes the author's notification after commit.
    reply = replier_on_a.post(
        cluster.a.url(reverse("thread-reply", args=[community.slug, thread.pk])), {"body": "A reply from A."}
    )
    assert reply.status == 302, reply.text[:500]
    replies = Notification.objects.filter(recipient=member.user, kind="reply", read_at__isnull=True)
    cluster.worker_1.wait_for(replies.exists, message="the reply notification")
    # Node B's bell shows it on the next poll: no 304 for the old count.
    changed = _bell(reader_on_b, cluster.b, str(before))
    assert changed.status == 200, f"node B answered {changed.status} to the old count"
    assert json.loads(changed.text) == {"unread": before + 1}
    home = reader_on_b.get(cluster.a.url(community.get_absolute_url())).text
    assert f"data-count>{before + 1}</span>" in home  # the header on node A too
    # Marked read on node B: node A's bell drops to 0 at once.
    marked = reader_on_b.post(cluster.b.url(reverse("notifications-mark-read")), {"all": "1"})
    assert marked.status == 302
    on_a = _bell(reader_on_b, cluster.a, str(before + 1))
    assert on_a.status == 200, f"node A answered {on_a.status} to the old count"
    assert json.loads(on_a.text) == {"unread": 0}
    assert _bell(reader_on_b, cluster.a, "0").status == 304


def _thread_live(browser: Browser, node: WebNode, slug: str, thread_id: int, after: int, etag: str):
    url = node.url(reverse("live-thread", args=[slug, thread_id])) + f"?after={after}"
    return browser.request(url, headers={"If-None-Match": f'"{etag}"'})


def test_the_thread_poll_follows_replies_made_on_the_other_node(
    transactional_db, cluster, community, member, make_member, make_thread, settings
):
    thread = make_thread(member)
    replier = make_member(community)
    reader = _signed_in(cluster.b, member.user)
    page = reader.get(cluster.b.url(thread.get_absolute_url()))
    assert page.status == 200
    version = re.search(r'data-live-version="([^"]+)"', page.text).group(1)
    last = Post.objects.filter(thread=thread).order_by("-pk").values_list("pk", flat=True).first()
    assert _thread_live(reader, cluster.b, community.slug, thread.pk, last, version).status == 304
    # A reply through node A: node B's poll with the old token sees it.
    replier_on_a = _signed_in(cluster.a, replier.user)
    url = cluster.a.url(reverse("thread-reply", args=[community.slug, thread.pk]))
    assert replier_on_a.post(url, {"body": "Hello from node A."}).status == 302
    seen = _thread_live(reader, cluster.b, community.slug, thread.pk, last, version)
    assert seen.status == 200, f"node B answered {seen.status} after a reply on node A"
    body = json.loads(seen.text)
    assert body["new"] == 1 and body["version"] != version
    version = body["version"]
    last = Post.objects.filter(thread=thread).order_by("-pk").values_list("pk", flat=True).first()
    assert _thread_live(reader, cluster.b, community.slug, thread.pk, last, version).status == 304
    # A write still inside its transaction (a node mid-request; here, this process on the same
    # Redis): a poll answered now takes the new token but cannot count the uncommitted post. After
    # the commit the token changes again, so the next poll is not a 304 for the stale count.
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": cluster.cache_prefix}}
    with transaction.atomic():
        post_create(author=replier, thread=thread, body_md="Written while a poll is answered.")
        during = _thread_live(reader, cluster.b, community.slug, thread.pk, last, version)
        assert during.status == 200 and json.loads(during.text)["new"] == 0
        version = json.loads(during.text)["version"]
    after = _thread_live(reader, cluster.b, community.slug, thread.pk, last, version)
    assert after.status == 200, f"node B answered {after.status}: the committed post would never show"
    assert json.loads(after.text)["new"] == 1
