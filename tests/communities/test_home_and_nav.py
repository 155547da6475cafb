"""The personal home (communities/home) and the one community navigation (navigation.py)."""

from __future__ import annotations

import re

import pytest

from communities.discussions.services import post_create
from members.models import Role
from members.services import join_request_create
from moderation.selectors import review_queue_counts

pytestmark = pytest.mark.django_db


def test_anonymous_home_is_the_directory(client, community):
    resp = client.get("/")
    assert resp.status_code == 200
    assert community.name in resp.content.decode()
    assert "Your communities" not in resp.content.decode()


def test_member_home_lists_communities_with_unread_counts_and_catch_up(
    client, community, member, make_member, make_thread, make_post, django_capture_on_commit_callbacks
):
    other = make_member(community)
    t = make_thread(other, title="Seed swap in spring")
    client.force_login(member.user)
    body = client.get("/").content.decode()
    assert "Your communities" in body and community.name in body
    assert "1 with new posts" in body
    assert "Seed swap in spring" in body  # a new thread they haven't opened
    # Reading the thread clears it from both.
    client.get(t.get_absolute_url())
    body = client.get("/").content.decode()
    assert "Seed swap in spring" not in body
    assert "all read" in body
    # A mention of them shows under "For you".
    with django_capture_on_commit_callbacks(execute=True):
        post_create(author=other, thread=t, body_md=f"What do you think, @{member.user.handle}?")
    body = client.get("/").content.decode()
    assert "mentioned you" in body


def test_home_hides_secret_and_restricted_things(client, make_community, make_member, make_thread, member):
    from communities.models import Space

    secret = make_community(visibility="secret", name="Quiet Room")
    make_thread(make_member(secret), title="Secret agenda")
    staff_space = Space.objects.create(
        community=member.community, name="Staff", slug="staff", min_role="moderator"
    )
    mod = make_member(member.community, role=Role.MODERATOR)
    make_thread(mod, space=staff_space, title="Staff only talk")
    client.force_login(member.user)
    body = client.get("/").content.decode()
    assert "Quiet Room" not in body and "Secret agenda" not in body
    assert "Staff only talk" not in body
    client.force_login(mod.user)
    assert "Staff only talk" not in client.get("/").content.decode()  # their own thread
    other_mod = make_member(member.community, role=Role.MODERATOR)
    client.force_login(other_mod.user)
    assert "Staff only talk" in client.get("/").content.decode()


def test_home_shows_pending_items_for_staff_matching_the_queue(client, community, owner, make_user, member):
    join_request_create(user=make_user("applicant"), community=community, answers=[])
    client.force_login(owner.user)
    body = client.get("/").content.decode()
    n = review_queue_counts(community, viewer=owner)["all"]
    assert n == 1
    assert re.search(rf"review queue <span class=\"badge\">{n}</span>", body)
    client.force_login(member.user)
    assert "review queue" not in client.get("/").content.decode()


def test_home_discovery_excludes_mine(client, make_community, member):
    other = make_community(name="Bird Watchers", visibility="listed")
    client.force_login(member.user)
    body = client.get("/").content.decode()
    assert "Discover" in body and other.name in body


def test_home_query_count_does_not_grow(
    client, make_community, make_member, make_thread, member, django_assert_max_num_queries
):
    client.force_login(member.user)
    client.get("/")
    with django_assert_max_num_queries(12) as small:
        client.get("/")
    for _ in range(4):
        c = make_community()
        m = make_member(c, user=member.user)
        make_thread(make_member(c), title="Hello")
        make_thread(m, title="Mine")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/")


def _nav(html: str) -> str:
    return re.search(r'<nav class="community-nav".*?</nav>', html, re.S).group(0)


def test_member_nav_is_few_tabs_without_manage(client, community, member):
    client.force_login(member.user)
    nav = _nav(client.get(community.get_absolute_url()).content.decode())
    tabs = re.findall(r"<li><a href", nav.split('<div class="nav-menus">')[0])
    assert 2 <= len(tabs) <= 4
    assert "Manage" not in nav and "More" in nav


def test_owner_top_level_nav_is_at_most_seven_and_manage_badges_agree_with_queue(
    client, community, owner, make_user
):
    join_request_create(user=make_user("applicant2"), community=community, answers=[])
    client.force_login(owner.user)
    html = client.get(community.get_absolute_url()).content.decode()
    nav = _nav(html)
    top = len(re.findall(r"<li><a href", nav.split('<div class="nav-menus">')[0])) + nav.count(
        '<details class="menu'
    )
    assert top <= 7
    counts = review_queue_counts(community, viewer=owner)
    assert f'aria-label="{counts["all"]} waiting in the review queue">{counts["all"]}</span>' in nav
    for label in ("Review queue", "Join requests", "Dashboard", "Settings", "Export", "Audit log"):
        assert label in nav
    # On a Manage page the sub-navigation is shown with the badges the htmx updates target.
    page = client.get(f"/c/{community.slug}/requests/").content.decode()
    assert '<nav class="subnav" aria-label="Manage">' in page
    assert 'id="join-requests-badge"' in page and 'id="mod-nav-badge"' in page


def test_ritual_titles_render_with_values(client, community, owner, make_ritual):
    make_ritual(community, title_template="Weekly Q&A — {date}")
    client.force_login(owner.user)
    body = client.get(f"/c/{community.slug}/rituals/").content.decode()
    assert "{date}" not in body.split("<main")[1].split("Title template")[0]
    assert "Weekly Q&amp;A — " in body
