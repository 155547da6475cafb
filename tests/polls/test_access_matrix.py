"""Every URL of polls, tags, needs-reply and highlights against the SECURITY.md answers:
secret community → 404 for outsiders and anonymous visitors alike; listed → 403 for logged-in
outsiders, log in first for anonymous ones; restricted space → 404 below its role; an id of another
community through this community's URL → 404. Nothing changes on any refused request."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.discussions.services import post_create, space_create, thread_create
from communities.highlights.models import Highlight
from communities.polls.models import PollBallot
from communities.polls.services import poll_close, poll_create
from communities.tags.models import Tag, ThreadTag
from communities.tags.services import tag_create
from members.models import Membership

pytestmark = pytest.mark.django_db


def _world(community):
    owner = Membership.objects.get(community=community, role="owner")
    thread = thread_create(
        author=owner, space=community.spaces.get(slug="general"), title="Plans", body_md="Hello"
    )
    poll = poll_create(author=owner, thread=thread, question="Q?", choices=["A", "B"])
    poll_close(actor=owner, poll=poll)
    tag = tag_create(community=community, actor=owner, name="Topic")
    return {"thread": thread, "poll": poll, "tag": tag, "post": thread.posts.get(), "owner": owner}


def _requests(slug, w):
    """(method, url, data) for every URL, pointed at objects of ``w``."""
    poll, thread, post, tag = w["poll"], w["thread"], w["post"], w["tag"]
    return [
        ("get", reverse("poll-new", args=[slug, thread.pk]), None),
        ("post", reverse("poll-new", args=[slug, thread.pk]), {"question": "X?", "choices": "a\nb"}),
        ("post", reverse("poll-vote", args=[slug, poll.pk]), {"choice": poll.choices.first().pk}),
        ("post", reverse("poll-close", args=[slug, poll.pk]), {}),
        ("get", reverse("poll-voters", args=[slug, poll.pk]), None),
        ("get", reverse("thread-tags", args=[slug, thread.pk]), None),
        ("post", reverse("thread-tags", args=[slug, thread.pk]), {"tags": [str(tag.pk)]}),
        ("post", reverse("post-feature", args=[slug, post.pk]), {}),
        ("post", reverse("post-unfeature", args=[slug, post.pk]), {}),
        ("get", reverse("tag-edit", args=[slug, tag.pk]), None),
        ("post", reverse("tag-edit", args=[slug, tag.pk]), {"name": "Renamed"}),
        ("post", reverse("tag-delete", args=[slug, tag.pk]), {}),
    ]


def _community_requests(slug):
    return [
        ("get", reverse("tag-list", args=[slug]), None),
        ("post", reverse("tag-list", args=[slug]), {"name": "New"}),
        ("post", reverse("tag-settings", args=[slug]), {"members_may_add_tags": "on"}),
        ("get", reverse("highlights", args=[slug]), None),
        ("get", reverse("needs-reply", args=[slug]), None),
    ]


def _landing_requests(slug):
    """The community home with the tag and "no reply yet" filters: a listed community's landing
    page (200) shows outsiders nothing of its threads or tags."""
    home = reverse("community-home", args=[slug])
    return [("get", home + "?tag=topic", None), ("get", home + "?filter=unanswered", None)]


def _check_landing(client, community, visibility):
    for method, url, data in _landing_requests(community.slug):
        resp = _call(client, method, url, data)
        if visibility == "secret":
            assert resp.status_code == 404, url
        else:
            html = resp.content.decode()
            assert resp.status_code == 200 and "Plans" not in html and "#Topic" not in html, url


def _snapshot():
    return (
        PollBallot.objects.count(),
        Highlight.objects.count(),
        ThreadTag.objects.count(),
        sorted(Tag.objects.values_list("name", flat=True)),
        Membership.objects.count(),
    )


def _call(client, method, url, data):
    return client.post(url, data or {}) if method == "post" else client.get(url)


@pytest.mark.parametrize(
    ("visibility", "who", "expected"),
    [("secret", "outsider", {404}), ("secret", "anonymous", {404}), ("listed", "outsider", {403})],
)
def test_outsiders(client, make_community, outsider, visibility, who, expected):
    community = make_community(visibility=visibility)
    w = _world(community)
    before = _snapshot()
    if who == "outsider":
        client.force_login(outsider)
    for method, url, data in _requests(community.slug, w) + _community_requests(community.slug):
        resp = _call(client, method, url, data)
        assert resp.status_code in expected, (method, url, resp.status_code)
    _check_landing(client, community, visibility)
    assert _snapshot() == before


def test_anonymous_visitor_of_a_listed_community_logs_in_first(client, make_community):
    community = make_community(visibility="listed")
    w = _world(community)
    before = _snapshot()
    for method, url, data in _requests(community.slug, w) + _community_requests(community.slug):
        resp = _call(client, method, url, data)
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"], (method, url)
    _check_landing(client, community, "listed")
    assert _snapshot() == before


def test_restricted_space_is_404_below_its_role(client, community, make_member):
    owner = Membership.objects.get(community=community, role="owner")
    owners_only = space_create(community=community, name="Owners", min_role="owner")
    thread = thread_create(author=owner, space=owners_only, title="Owners only", body_md="x")
    poll = poll_create(author=owner, thread=thread, question="Q?", choices=["A", "B"])
    poll_close(actor=owner, poll=poll)
    tag = tag_create(community=community, actor=owner, name="Topic")
    reply = post_create(author=owner, thread=thread, body_md="more")
    w = {"thread": thread, "poll": poll, "tag": tag, "post": reply}
    moderator = make_member(community, role="moderator")
    client.force_login(moderator.user)
    before = _snapshot()
    for method, url, data in _requests(community.slug, w):
        if "/tags/" in url and "/t/" not in url:
            continue  # the tag itself is not in a space (owners manage it: 403 for a moderator)
        resp = _call(client, method, url, data)
        assert resp.status_code == 404, (method, url, resp.status_code)
    assert _snapshot() == before


def test_ids_of_another_community_are_404(client, make_community, make_member):
    mine = make_community()
    theirs = make_community()
    w = _world(theirs)
    # The owner of "mine", through mine's URL, with every object of "theirs".
    client.force_login(Membership.objects.get(community=mine, role="owner").user)
    before = _snapshot()
    for method, url, data in _requests(mine.slug, w):
        resp = _call(client, method, url, data)
        assert resp.status_code == 404, (method, url, resp.status_code)
    assert _snapshot() == before


def test_members_are_forbidden_staff_actions(client, community, make_member):
    w = _world(community)
    member = make_member(community)
    client.force_login(member.user)
    before = _snapshot()
    staff_only = [
        ("post", reverse("post-feature", args=[community.slug, w["post"].pk]), {}),
        ("post", reverse("poll-close", args=[community.slug, w["poll"].pk]), {}),
        ("get", reverse("poll-new", args=[community.slug, w["thread"].pk]), None),
        ("post", reverse("thread-tags", args=[community.slug, w["thread"].pk]), {"tags": [str(w["tag"].pk)]}),
        ("post", reverse("tag-list", args=[community.slug]), {"name": "New"}),
        ("post", reverse("tag-delete", args=[community.slug, w["tag"].pk]), {}),
        ("get", reverse("needs-reply", args=[community.slug]), None),
    ]
    for method, url, data in staff_only:
        assert _call(client, method, url, data).status_code == 403, (method, url)
    assert _snapshot() == before
