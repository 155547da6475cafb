"""Fuzz the REST API against its own OpenAPI schema with schemathesis (in process, on the WSGI app).

For every operation of /api/v1/openapi.json, schemathesis generates requests from the schema
(bounded: EXAMPLES per operation, derandomized so a CI failure replays, and an overall time
budget), half of them aimed at real seeded objects (a public community, its thread and post),
sent with an owner's token or anonymously, and checks each answer: never a 5xx, a documented
status code and content type, and a body that matches the schema. Runs on SQLite and PostgreSQL
alike (it is a plain test, not an integration test: nothing to skip on either leg).
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from communities.discussions.services import post_create, thread_create
from communities.models import Space
from members.models import Membership, Role
from moderation.models import Flag

EXAMPLES = 12
TIME_BUDGET_SECONDS = 150

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def seeded(make_community, make_member, make_token, settings):
    settings.ALLOWED_HOSTS = ["*"]
    community = make_community(visibility="public", join_policy="open", slug="fuzz")
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    member = make_member(community)
    thread = thread_create(
        author=member, space=Space.objects.get(community=community, slug="general"), title="Fuzz", body_md="x"
    )
    post = post_create(author=member, thread=thread, body_md="a reply")
    Flag.objects.create(community=community, post=post, flagger=owner.user, reason="spam")
    return {
        "slug": community.slug,
        "ids": [thread.pk, post.pk],
        "token": make_token(owner.user),
    }


def _aim(case, aimed: bool, seeded: dict, use_token: bool, pick: int):
    """Point half the cases at real objects, so the fuzzing reaches past the 404s."""
    params = case.path_parameters or {}
    if aimed:
        if "slug" in params:
            params["slug"] = seeded["slug"]
        for name in ("thread_id", "post_id", "item_id"):
            if name in params:
                params[name] = seeded["ids"][pick % 2]
    headers = {"Authorization": f"Bearer {seeded['token']}"} if use_token else {}
    return case, headers


@pytest.fixture
def wsgi_app():
    """Django's WSGI app, minus its end-of-request connection closing: the test's transaction
    holds the seeded rows (Django's own test client disconnects the same two receivers)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_api_matches_its_schema_and_never_fails(seeded, wsgi_app):
    app = wsgi_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    started = time.monotonic()
    calls = {"n": 0}
    statuses: dict[int, int] = {}

    for operation in operations:
        if time.monotonic() - started > TIME_BUDGET_SECONDS:
            break

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(),
            aimed=st.booleans(),
            use_token=st.booleans(),
            pick=st.integers(min_value=0, max_value=1),
        )
        def run(case, aimed, use_token, pick):
            case, headers = _aim(case, aimed, seeded, use_token, pick)
            response = case.call(headers=headers)
            calls["n"] += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        run()

    print(f"{len(operations)} operations, {calls['n']} calls, statuses {sorted(statuses.items())}")
    assert calls["n"] >= len(operations)
    # The aimed half really reached the data: successes as well as refusals.
    assert any(200 <= code < 300 for code in statuses), statuses
    assert not any(code >= 500 for code in statuses), statuses
