"""Idempotent writes (Idempotency-Key), and errors: the pages' messages, rate limits with 429 +
Retry-After, schema errors, muted members."""

from __future__ import annotations

import pytest
from django.db import connection

from communities.discussions.models import Post, Reaction, Thread, ThreadSubscription
from members.tokens.models import IdempotentRequest
from moderation.sanctions import member_mute

pytestmark = pytest.mark.django_db


def _thread_body(title="Idempotent thread"):
    return {"space": "general", "title": title, "body": "Sent once, maybe twice"}


def test_repeat_with_the_same_key_returns_the_first_answer(api, member, make_token):
    token = make_token(member.user)
    path = f"/communities/{member.community.slug}/threads"
    first = api.post(path, _thread_body(), token=token, HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(path, _thread_body(), token=token, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Thread.objects.filter(title="Idempotent thread").count() == 1
    # A new key acts again (and is refused by nothing: rate limits are off in tests).
    third = api.post(path, _thread_body(), token=token, HTTP_IDEMPOTENCY_KEY="k-2")
    assert third.status_code == 201 and third.json()["id"] != first.json()["id"]


def test_same_key_with_another_body_is_422(api, member, make_token):
    token = make_token(member.user)
    path = f"/communities/{member.community.slug}/threads"
    api.post(path, _thread_body("One"), token=token, HTTP_IDEMPOTENCY_KEY="k")
    response = api.post(path, _thread_body("Two"), token=token, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert "different request body" in response.json()["detail"]
    assert not Thread.objects.filter(title="Two").exists()


def test_keys_are_per_person_and_per_endpoint(api, member, make_member, thread, make_token):
    token = make_token(member.user)
    other = make_member(member.community)
    other_token = make_token(other.user)
    slug = member.community.slug
    a = api.post(
        f"/communities/{slug}/threads/{thread.pk}/posts",
        {"body": "mine"},
        token=token,
        HTTP_IDEMPOTENCY_KEY="same",
    )
    b = api.post(
        f"/communities/{slug}/threads/{thread.pk}/posts",
        {"body": "theirs"},
        token=other_token,
        HTTP_IDEMPOTENCY_KEY="same",
    )
    c = api.post(f"/communities/{slug}/threads", _thread_body(), token=token, HTTP_IDEMPOTENCY_KEY="same")
    assert a.status_code == b.status_code == c.status_code == 201
    assert IdempotentRequest.objects.count() == 3


def test_replies_reactions_edits_and_follows_are_idempotent(api, member, thread, make_token):
    token = make_token(member.user)
    slug = member.community.slug
    for _ in range(2):
        reply = api.post(
            f"/communities/{slug}/threads/{thread.pk}/posts",
            {"body": "only once"},
            token=token,
            HTTP_IDEMPOTENCY_KEY="r",
        )
        assert reply.status_code == 201
    assert Post.objects.filter(body_md="only once").count() == 1
    post_id = reply.json()["id"]
    # PUT/DELETE of a reaction are idempotent by themselves: twice on is still one reaction.
    for _ in range(2):
        on = api.call("put", f"/communities/{slug}/posts/{post_id}/reactions/heart", token=token)
        assert on.status_code == 200
    assert Reaction.objects.filter(post_id=post_id, kind="heart").count() == 1
    assert next(r for r in on.json() if r["kind"] == "heart") == {
        "kind": "heart",
        "emoji": "❤️",
        "count": 1,
        "mine": True,
    }
    for _ in range(2):
        assert (
            api.call(
                "delete", f"/communities/{slug}/posts/{post_id}/reactions/heart", token=token
            ).status_code
            == 200
        )
    assert not Reaction.objects.filter(post_id=post_id).exists()
    for _ in range(2):
        edited = api.call(
            "patch",
            f"/communities/{slug}/posts/{post_id}",
            {"body": "edited once"},
            token=token,
            HTTP_IDEMPOTENCY_KEY="e",
        )
        assert edited.status_code == 200
    assert Post.objects.get(pk=post_id).revisions.count() == 1
    for level in ("muted", "muted", "following", "default"):
        resp = api.call(
            "put", f"/communities/{slug}/threads/{thread.pk}/subscription", {"level": level}, token=token
        )
        assert resp.status_code == 200 and resp.json() == {"level": level}
    assert not ThreadSubscription.objects.filter(user=member.user, thread=thread).exists()


def test_refused_request_is_not_kept_so_a_retry_can_succeed(api, member, make_token, settings):
    token = make_token(member.user)
    path = f"/communities/{member.community.slug}/threads"
    empty = api.post(
        path, {"space": "general", "title": "T", "body": "  "}, token=token, HTTP_IDEMPOTENCY_KEY="x"
    )
    assert empty.status_code == 400
    assert not IdempotentRequest.objects.exists()


def test_bad_idempotency_key_is_400(api, member, make_token):
    token = make_token(member.user)
    path = f"/communities/{member.community.slug}/threads"
    response = api.post(path, _thread_body(), token=token, HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]


# --- The pages' messages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"space": "general", "title": "T", "body": ""}, "Write something before posting."),
        ({"space": "general", "title": "   ", "body": "x"}, "Give the thread a title."),
        (
            {"space": "general", "title": "T" * 201, "body": "x"},
            "Titles are limited to 200 characters (this one has 201).",
        ),
        (
            {"space": "general", "title": "T", "body": "x" * 32_001},
            "Posts are limited to 32,000 characters (this one has 32,001).",
        ),
    ],
)
def test_validation_messages_are_the_pages(api, member, make_token, body, message):
    response = api.post(f"/communities/{member.community.slug}/threads", body, token=make_token(member.user))
    assert response.status_code == 400
    assert response.json()["detail"] == message


def test_schema_errors_are_422_with_a_message(api, member, make_token):
    token = make_token(member.user)
    path = f"/communities/{member.community.slug}/threads"
    missing = api.post(path, {"space": "general"}, token=token)
    assert missing.status_code == 422 and "title" in missing.json()["detail"]
    nul = api.post(path, {"space": "general", "title": "a\x00b", "body": "x"}, token=token)
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
    huge_id = api.get(f"/communities/{member.community.slug}/threads/{2**70}", token=token)
    assert huge_id.status_code == 422
    assert api.get("/communities/bad%20slug", token=token).status_code == 422


def test_unknown_reaction_is_the_pages_message(api, member, thread, make_token):
    post = thread.posts.get()
    response = api.call(
        "put",
        f"/communities/{member.community.slug}/posts/{post.pk}/reactions/fire",
        token=make_token(member.user),
    )
    assert response.status_code == 400 and response.json()["detail"] == "Unknown reaction."


def test_bad_cursor_is_400(api, member, make_token):
    response = api.get(
        f"/communities/{member.community.slug}/threads?cursor=forged", token=make_token(member.user)
    )
    assert (
        response.status_code == 400 and response.json()["detail"] == "This cursor is not valid for this list."
    )


def test_muted_member_can_read_but_not_post_or_react(api, member, owner, thread, make_token):
    member_mute(actor=owner, target=member, days=2, reason="cool off")
    token = make_token(member.user)
    slug = member.community.slug
    assert api.get(f"/communities/{slug}/threads", token=token).status_code == 200
    reply = api.post(f"/communities/{slug}/threads/{thread.pk}/posts", {"body": "still here"}, token=token)
    assert reply.status_code == 403 and "You are muted in this community until" in reply.json()["detail"]
    post = thread.posts.get()
    react = api.call("put", f"/communities/{slug}/posts/{post.pk}/reactions/heart", token=token)
    assert react.status_code == 403 and "so you can't react" in react.json()["detail"]


# --- Rate limits: the same limits as the pages, 429 + Retry-After ----------------------------------


@pytest.fixture
def limits_on(settings):
    settings.RATE_LIMITS_ENABLED = True


def test_reply_rate_limit_is_429_with_retry_after(api, member, thread, make_token, limits_on):
    from datetime import timedelta

    from django.utils import timezone

    member.joined_at = timezone.now() - timedelta(days=30)
    member.save(update_fields=["joined_at"])
    token = make_token(member.user)
    path = f"/communities/{member.community.slug}/threads/{thread.pk}/posts"
    assert api.post(path, {"body": "first"}, token=token).status_code == 201
    limited = api.post(path, {"body": "second"}, token=token)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 5
    assert limited.json()["detail"].startswith("You're posting faster than this community allows.")
    assert not Post.objects.filter(body_md="second").exists()


def test_page_and_api_share_one_limit(client, api, member, thread, make_token, limits_on):
    """A reply on the page and one through the API count against the same limit."""
    token = make_token(member.user)
    client.force_login(member.user)
    client.post(f"/c/{member.community.slug}/t/{thread.pk}/reply/", {"body": "from the page"})
    assert Post.objects.filter(body_md="from the page").exists()
    limited = api.post(
        f"/communities/{member.community.slug}/threads/{thread.pk}/posts", {"body": "api"}, token=token
    )
    assert limited.status_code == 429 and "Retry-After" in limited


# --- Two identical requests racing ------------------------------------------------------------------


def test_racing_repeats_with_one_key_post_once(transactional_db, make_community, make_member):
    """Needs concurrent connections to one database. The SQLite test database is one in-memory
    connection, so there it is skipped; on the PostgreSQL leg (HEARTH_REQUIRE_SERVICES=true) a
    missing PostgreSQL is a failure, never a silent skip."""
    import os
    import threading

    if connection.vendor != "postgresql":
        if os.environ.get("HEARTH_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}:
            pytest.fail("HEARTH_REQUIRE_SERVICES=true but the test database is not PostgreSQL")
        pytest.skip("needs concurrent connections: the SQLite test database is one in-memory connection")

    from django.db import connections
    from django.test import Client

    from members.tokens.services import token_create

    community = make_community(visibility="public", join_policy="open")
    member = make_member(community)
    token = token_create(user=member.user, name="race", scopes=["write"]).secret
    barrier = threading.Barrier(2)
    answers: list = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            response = Client().post(
                f"/api/v1/communities/{community.slug}/threads",
                '{"space": "general", "title": "Raced", "body": "Twice at once"}',
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IDEMPOTENCY_KEY="race-1",
            )
            answers.append((response.status_code, response.content))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=send) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    assert Thread.objects.filter(title="Raced").count() == 1
    assert [a[0] for a in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]


def test_edge_refusals_on_api_paths_are_json(api, member, make_token):
    """The input guard in front of every view answers the API in its own error shape."""
    response = api.get(
        f"/communities/{member.community.slug}/threads?cursor=a%00b", token=make_token(member.user)
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]
