"""Shared fixtures: factories and the three-person cast (owner, member, outsider)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from communities.discussions.models import Post, Thread
from communities.discussions.services import post_create, thread_create
from communities.models import Community, Space
from communities.services import community_create
from members.models import Membership, Role, User
from members.services import membership_join
from tests.worker import celery_worker_proc  # noqa: F401 - the one real-worker fixture

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(handle: str | None = None, *, email: str | None = None, verified: bool = True, **extra) -> User:
        n = next(_seq)
        handle = handle or f"user{n}"
        user = User.objects.create_user(
            handle=handle, email=email or f"{handle}@example.com", password=PASSWORD, **extra
        )
        if verified:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def make_community(db, make_user) -> Callable[..., Community]:
    def make(
        *, owner: User | None = None, visibility: str = "listed", join_policy: str = "approval", **fields
    ) -> Community:
        n = next(_seq)
        owner = owner or make_user(f"owner{n}")
        fields.setdefault("name", f"Community {n}")
        fields.setdefault("slug", f"community-{n}")
        fields.setdefault("purpose", "A place to talk about things that matter to us.")
        if visibility == "secret":
            join_policy = "invite_only"
        return community_create(owner=owner, visibility=visibility, join_policy=join_policy, **fields)

    return make


@pytest.fixture
def make_member(db, make_user, make_community) -> Callable[..., Membership]:
    def make(
        community: Community | None = None, *, role: str = Role.MEMBER, user: User | None = None
    ) -> Membership:
        community = community or make_community()
        user = user or make_user()
        return membership_join(user=user, community=community, role=role)

    return make


@pytest.fixture
def community(make_community) -> Community:
    return make_community()


@pytest.fixture
def owner(community) -> Membership:
    return Membership.objects.get(community=community, role=Role.OWNER)


@pytest.fixture
def member(make_member, community) -> Membership:
    return make_member(community)


@pytest.fixture
def moderator(make_member, community) -> Membership:
    return make_member(community, role=Role.MODERATOR)


@pytest.fixture
def outsider(make_user) -> User:
    """A logged-in person who belongs to no community of the test."""
    return make_user()


@pytest.fixture
def general_space(community) -> Space:
    return Space.objects.get(community=community, slug="general")


@pytest.fixture
def make_thread(db) -> Callable[..., Thread]:
    def make(
        author: Membership,
        *,
        space: Space | None = None,
        title: str | None = None,
        body: str = "Hello **there**",
    ) -> Thread:
        space = space or Space.objects.get(community_id=author.community_id, slug="general")
        return thread_create(author=author, space=space, title=title or f"Thread {next(_seq)}", body_md=body)

    return make


@pytest.fixture
def thread(make_thread, member) -> Thread:
    return make_thread(member)


@pytest.fixture
def make_post(db) -> Callable[..., Post]:
    def make(author: Membership, thread: Thread, body: str = "A reply") -> Post:
        return post_create(author=author, thread=thread, body_md=body)

    return make


# --- Integration tests must really run where the services are required ----------------------
# .ci/run sets HEARTH_REQUIRE_SERVICES=true on the PostgreSQL+Redis leg: there, a skipped
# `integration` test is turned into a failure, and a run that executed no integration test at
# all fails too, so the real-worker tests can never be skipped silently.
import os  # noqa: E402

_REQUIRE_SERVICES = os.environ.get("HEARTH_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}
_integration_ran: list[str] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if item.get_closest_marker("integration") is None or not _REQUIRE_SERVICES:
        return
    if report.skipped:
        report.outcome = "failed"
        report.longrepr = (
            f"HEARTH_REQUIRE_SERVICES=true but integration test {item.nodeid} was skipped: {report.longrepr}"
        )
    elif report.when == "call" and report.passed:
        _integration_ran.append(item.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _REQUIRE_SERVICES and not _integration_ran and exitstatus == 0:
        session.exitstatus = 1
        print("\nHEARTH_REQUIRE_SERVICES=true but no integration test ran and passed.")


# --- Rituals (rituals engineer) ------------------------------------------------------------------


@pytest.fixture
def make_ritual(db):
    """A ritual in the community's General space; keyword arguments override the defaults."""
    import datetime as dt

    from communities.rituals.services import ritual_create

    def make(community: Community, *, created_by: User | None = None, now=None, **fields):
        created_by = created_by or Membership.objects.get(community=community, role=Role.OWNER).user
        fields.setdefault("kind", "wins")
        fields.setdefault("space", Space.objects.get(community=community, slug="general"))
        fields.setdefault("title_template", "Weekly wins (week {week})")
        fields.setdefault("body_template", "What is one small win you had this week, {community}?")
        fields.setdefault("frequency", "weekly")
        fields.setdefault("weekday", 4)
        fields.setdefault("local_time", dt.time(17, 0))
        fields.setdefault("starts_on", dt.date(2026, 1, 1))
        now = now or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        return ritual_create(community=community, created_by=created_by, now=now, **fields)

    return make
