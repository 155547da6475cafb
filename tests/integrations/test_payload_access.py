"""What webhook payloads may carry: only what an ordinary member of the community may see."""

from __future__ import annotations

import json

import pytest

from communities.discussions.services import space_create
from communities.integrations.models import WebhookDelivery
from communities.models import Space
from members.models import JoinRequest, Membership, Role
from members.services import join_request_create, membership_join, membership_leave
from moderation.hooks import flag_create
from moderation.sanctions import member_ban
from moderation.services import post_approve, post_hide


def bodies(hook, event: str | None = None) -> list[dict]:
    qs = WebhookDelivery.objects.filter(webhook=hook).order_by("created_at", "id")
    if event:
        qs = qs.filter(event=event)
    return [json.loads(d.body) for d in qs]


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Run a write and its on-commit work (the event, its dispatch and delivery) eagerly."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def test_thread_and_post_payloads_carry_visible_content(
    receiver, make_webhook, community, member, make_member, make_thread, make_post, run_commits
):
    hook = make_webhook(community, receiver)
    thread = run_commits(make_thread, member, title="Hello", body="First **post**")
    replier = make_member(community)
    post = run_commits(make_post, replier, thread, "A *reply*")
    (created,) = bodies(hook, "thread.created")
    assert created["data"]["thread"]["title"] == "Hello"
    assert created["data"]["post"]["body_markdown"] == "First **post**"
    assert "<strong>post</strong>" in created["data"]["post"]["body_html"]
    assert created["data"]["post"]["author"]["handle"] == member.user.handle
    (reply,) = bodies(hook, "post.created")
    assert reply["data"]["post"]["id"] == post.pk
    assert reply["data"]["post"]["thread"]["id"] == thread.pk
    # No email address anywhere.
    for body in bodies(hook):
        assert "@example.com" not in json.dumps(body)


def test_restricted_space_content_is_never_sent(
    receiver, make_webhook, community, owner, member, make_member, make_thread, make_post, run_commits
):
    hook = make_webhook(community, receiver)
    staff_space = space_create(
        community=community, name="Staff room", description="", min_role=Role.MODERATOR
    )
    leads_space = space_create(community=community, name="Leads", description="", min_role=Role.WELCOMER)
    thread = run_commits(make_thread, owner, space=staff_space, title="Secret plans")
    run_commits(make_post, owner, thread, "More secret plans")
    lead = make_member(community, role=Role.WELCOMER)
    run_commits(make_thread, lead, space=leads_space, title="Leads only")
    # A flag and a hide in the restricted space: not sent either.
    moderator = make_member(community, role=Role.MODERATOR)
    staff_post = thread.posts.get(is_opening=True)
    run_commits(flag_create, membership=moderator, post=staff_post, reason="spam")
    run_commits(post_hide, actor=owner, post=staff_post)
    assert bodies(hook) == [b for b in bodies(hook) if b["type"] == "member.joined"]
    assert "Secret plans" not in json.dumps(bodies(hook))
    # The same hook does get the open space's threads.
    run_commits(make_thread, member, title="Open topic")
    assert [b["data"]["thread"]["title"] for b in bodies(hook, "thread.created")] == ["Open topic"]


def test_held_post_is_sent_only_once_approved(
    receiver, make_webhook, community, owner, make_member, make_thread, run_commits
):
    community.hold_first_posts = 1
    community.save(update_fields=["hold_first_posts"])
    hook = make_webhook(community, receiver)
    newcomer = make_member(community)
    thread = run_commits(make_thread, newcomer, title="Held until approved")
    assert bodies(hook, "thread.created") == []
    opening = thread.posts.get(is_opening=True)
    run_commits(post_approve, actor=owner, post=opening)
    (created,) = bodies(hook, "thread.created")
    assert created["data"]["thread"]["title"] == "Held until approved"


def test_hidden_post_payload_has_no_content(
    receiver, make_webhook, community, owner, member, make_member, make_thread, make_post, run_commits
):
    hook = make_webhook(community, receiver)
    thread = make_thread(member)
    post = make_post(make_member(community), thread, "Something rude")
    run_commits(post_hide, actor=owner, post=post, reason="rude")
    (hidden,) = bodies(hook, "post.hidden")
    assert hidden["data"]["post"]["id"] == post.pk
    text = json.dumps(hidden)
    assert "Something rude" not in text and "rude" not in text  # neither body nor reason
    assert "author" not in hidden["data"]["post"]


def test_post_hidden_before_delivery_is_not_sent_as_created(
    receiver,
    make_webhook,
    community,
    owner,
    member,
    make_thread,
    make_post,
    django_capture_on_commit_callbacks,
):
    """The payload is built from fresh rows: a post hidden before the dispatch job ran is not sent."""
    hook = make_webhook(community, receiver, events=["post.created"])
    thread = make_thread(member)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = make_post(member, thread, "Gone soon")
    post_hide(actor=owner, post=post)
    for callback in callbacks:
        callback()
    assert bodies(hook) == []


def test_flag_payload_leaves_out_note_and_flagger(
    receiver, make_webhook, community, member, make_member, make_thread, run_commits
):
    hook = make_webhook(community, receiver)
    thread = make_thread(member)
    flagger = make_member(community)
    run_commits(
        flag_create,
        membership=flagger,
        post=thread.posts.get(is_opening=True),
        reason="other",
        note="my private note",
    )
    (flag,) = bodies(hook, "flag.created")
    assert flag["data"]["flag"]["reason"] == "other"
    text = json.dumps(flag)
    assert "my private note" not in text
    assert flagger.user.handle not in text


def test_member_and_join_request_payloads(receiver, make_webhook, make_user, make_community, run_commits):
    owner_user = make_user()
    community = make_community(
        owner=owner_user, visibility="listed", join_policy="approval", screening_questions=["Why here?"]
    )
    hook = make_webhook(community, receiver)
    joiner = make_user(display_name="Jo Joiner")
    membership = run_commits(membership_join, user=joiner, community=community)
    applicant = make_user()
    run_commits(join_request_create, user=applicant, community=community, answers=["my secret reasons"])
    run_commits(membership_leave, membership=membership)
    banned = run_commits(membership_join, user=make_user(), community=community)
    owner = Membership.objects.get(community=community, user=owner_user)
    run_commits(member_ban, actor=owner, target=banned, reason="spam ring")

    joined = bodies(hook, "member.joined")
    assert joined[0]["data"]["member"]["name"] == "Jo Joiner"
    left = bodies(hook, "member.left")
    assert [b["data"]["member"]["handle"] for b in left] == [joiner.handle, banned.user.handle]
    assert "spam ring" not in json.dumps(left) and "banned" not in json.dumps(left)
    (request,) = bodies(hook, "join_request.created")
    assert request["data"]["join_request"]["applicant"]["handle"] == applicant.handle
    assert request["data"]["join_request"]["id"] == JoinRequest.objects.get(user=applicant).pk
    assert "my secret reasons" not in json.dumps(request)
    for body in bodies(hook):
        assert "@example.com" not in json.dumps(body)


def test_secret_community_events_go_only_to_its_own_webhooks(
    receiver, make_webhook, make_community, make_member, make_thread, run_commits
):
    secret = make_community(visibility="secret", name="Hidden Grove")
    other = make_community(visibility="public", join_policy="open")
    secret_hook = make_webhook(secret, receiver)
    other_hook = make_webhook(other, receiver)
    run_commits(make_thread, make_member(secret), title="Inside the grove")
    # The secret community's own owner gets it (members may see it)...
    assert [b["data"]["thread"]["title"] for b in bodies(secret_hook, "thread.created")] == [
        "Inside the grove"
    ]
    assert bodies(secret_hook, "thread.created")[0]["community"]["name"] == "Hidden Grove"
    # ...no other community's webhook hears anything about it.
    assert "Hidden Grove" not in json.dumps(bodies(other_hook))
    assert "Inside the grove" not in json.dumps(bodies(other_hook))
    assert all(r.json["community"]["slug"] in {secret.slug, other.slug} for r in receiver.requests)


def test_unsubscribed_events_are_not_sent(
    receiver, make_webhook, community, member, make_thread, run_commits
):
    hook = make_webhook(community, receiver, events=["member.joined"])
    run_commits(make_thread, member)
    assert bodies(hook) == []
    assert Space.objects.filter(community=community).exists()
