"""Atom/RSS feeds: public communities for anyone, personal token links for members."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from communities.discussions.services import space_create
from communities.integrations import services
from communities.integrations.models import FeedToken
from members.models import Membership, Role
from members.services import membership_leave
from moderation.sanctions import member_ban
from moderation.services import post_hide

ATOM = "{http://www.w3.org/2005/Atom}"


def atom_titles(response) -> list[str]:
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed
    return [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]


def rss_titles(response) -> list[str]:
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed
    return [i.findtext("title") for i in root.iter("item")]


@pytest.fixture
def public(make_community):
    return make_community(visibility="public", join_policy="open", name="Open Garden")


@pytest.fixture
def public_owner(public) -> Membership:
    return Membership.objects.get(community=public, role=Role.OWNER)


def test_public_feed_works_anonymously_with_visible_content(
    client, public, public_owner, make_member, make_thread, make_post
):
    member = make_member(public)
    make_thread(member, title="Seed swap", body="Bring **seeds**")
    staff = space_create(community=public, name="Staff", min_role=Role.MODERATOR)
    make_thread(public_owner, space=staff, title="Staff only talk")
    hidden = make_thread(member, title="Hidden by mods")
    post_hide(actor=public_owner, post=hidden.posts.get(is_opening=True))
    public.hold_first_posts = 1
    public.save(update_fields=["hold_first_posts"])
    make_thread(make_member(public), title="Held for review")

    response = client.get(reverse("feed-public-atom", args=[public.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert atom_titles(response) == ["Seed swap"]
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed
    assert root.findtext(f"{ATOM}title") == "Open Garden"
    entry = root.find(f"{ATOM}entry")
    assert "<strong>seeds</strong>" in entry.findtext(f"{ATOM}summary")
    assert entry.find(f"{ATOM}link").get("href").endswith("-seed-swap/")
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == member.user.name
    assert entry.find(f"{ATOM}category").get("term") == "General"

    rss = client.get(reverse("feed-public-rss", args=[public.slug]))
    assert rss.status_code == 200
    assert rss["Content-Type"].startswith("application/rss+xml")
    assert rss_titles(rss) == ["Seed swap"]


def test_public_space_feed(client, public, public_owner, make_member, make_thread):
    member = make_member(public)
    ideas = space_create(community=public, name="Ideas")
    make_thread(member, space=ideas, title="An idea")
    make_thread(member, title="General chat")
    response = client.get(reverse("feed-space-atom", args=[public.slug, ideas.slug]))
    assert atom_titles(response) == ["An idea"]
    assert client.get(reverse("feed-space-rss", args=[public.slug, ideas.slug])).status_code == 200
    staff = space_create(community=public, name="Staff", min_role=Role.MODERATOR)
    assert client.get(reverse("feed-space-atom", args=[public.slug, staff.slug])).status_code == 404
    assert client.get(reverse("feed-space-atom", args=[public.slug, "nope"])).status_code == 404


@pytest.mark.parametrize("visibility", ["listed", "secret"])
def test_private_community_has_no_public_feed(client, make_community, make_member, make_thread, visibility):
    community = make_community(visibility=visibility)
    member = make_member(community)
    make_thread(member, title="Members only")
    for name in ("feed-public-atom", "feed-public-rss"):
        response = client.get(reverse(name, args=[community.slug]))
        assert response.status_code == 404
        assert b"Members only" not in response.content
    # Logged in as a member doesn't change the public URL's answer: members use their link.
    client.force_login(member.user)
    assert client.get(reverse("feed-public-atom", args=[community.slug])).status_code == 404
    # Same answer as a slug that never existed.
    assert client.get(reverse("feed-public-atom", args=["no-such-community"])).status_code == 404


@pytest.fixture
def secret_world(make_community, make_member, make_thread):
    community = make_community(visibility="secret", name="Quiet Room")
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    member = make_member(community)
    moderator = make_member(community, role=Role.MODERATOR)
    staff = space_create(community=community, name="Mods", min_role=Role.MODERATOR)
    make_thread(member, title="Open to members")
    make_thread(owner, space=staff, title="Mods only")
    return community, owner, member, moderator


def test_token_feed_shows_only_what_the_member_may_see(client, secret_world):
    _community, _owner, member, moderator = secret_world
    member_token = services.feed_token_create(membership=member)
    mod_token = services.feed_token_create(membership=moderator)

    response = client.get(reverse("feed-personal-atom", args=[member_token]))
    assert response.status_code == 200
    assert atom_titles(response) == ["Open to members"]
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert sorted(atom_titles(client.get(reverse("feed-personal-atom", args=[mod_token])))) == [
        "Mods only",
        "Open to members",
    ]
    assert rss_titles(client.get(reverse("feed-personal-rss", args=[member_token]))) == ["Open to members"]
    # Per space: the member can't open the moderators' space through the feed either.
    assert client.get(reverse("feed-personal-space-atom", args=[member_token, "mods"])).status_code == 404
    assert atom_titles(client.get(reverse("feed-personal-space-atom", args=[mod_token, "mods"]))) == [
        "Mods only"
    ]
    assert FeedToken.objects.get(user=member.user, revoked_at__isnull=True).last_used_at is not None


def test_only_a_digest_of_the_token_is_stored(secret_world):
    _community, _owner, member, _mod = secret_world
    token = services.feed_token_create(membership=member)
    row = FeedToken.objects.get(user=member.user)
    assert token not in row.digest and len(row.digest) == 64


def test_revoked_replaced_unknown_tokens_are_404(client, secret_world):
    community, _owner, member, _mod = secret_world
    old = services.feed_token_create(membership=member)
    new = services.feed_token_create(membership=member)  # replacing revokes the old one
    assert client.get(reverse("feed-personal-atom", args=[old])).status_code == 404
    assert client.get(reverse("feed-personal-atom", args=[new])).status_code == 200
    services.feed_token_revoke(user=member.user, community=community)
    assert client.get(reverse("feed-personal-atom", args=[new])).status_code == 404
    assert client.get(reverse("feed-personal-atom", args=["x" * 43])).status_code == 404
    assert client.get(reverse("feed-personal-rss", args=["x" * 300])).status_code == 404


def test_left_or_banned_members_token_shows_nothing(client, secret_world):
    _community, owner, member, moderator = secret_world
    token = services.feed_token_create(membership=member)
    membership_leave(membership=member)
    response = client.get(reverse("feed-personal-atom", args=[token]))
    assert response.status_code == 404
    assert b"Open to members" not in response.content

    mod_token = services.feed_token_create(membership=moderator)
    member_ban(actor=owner, target=moderator)
    assert client.get(reverse("feed-personal-atom", args=[mod_token])).status_code == 404


def test_deactivated_account_token_is_404(client, secret_world):
    _community, _owner, member, _mod = secret_world
    token = services.feed_token_create(membership=member)
    member.user.is_active = False
    member.user.save(update_fields=["is_active"])
    assert client.get(reverse("feed-personal-atom", args=[token])).status_code == 404


def test_demoted_member_loses_restricted_items_at_once(client, secret_world):
    _community, _owner, _member, moderator = secret_world
    token = services.feed_token_create(membership=moderator)
    Membership.objects.filter(pk=moderator.pk).update(role=Role.MEMBER)
    assert atom_titles(client.get(reverse("feed-personal-atom", args=[token]))) == ["Open to members"]


@pytest.mark.parametrize("count", [3, 25])
def test_feed_query_budget_constant(
    client, public, make_member, make_thread, count, django_assert_max_num_queries
):
    member = make_member(public)
    for i in range(count):
        make_thread(member, title=f"Thread {i}")
    with django_assert_max_num_queries(2):
        response = client.get(reverse("feed-public-atom", args=[public.slug]))
    assert len(atom_titles(response)) == count


@pytest.mark.parametrize("count", [3, 25])
def test_personal_feed_query_budget_constant(
    client, secret_world, make_thread, count, django_assert_max_num_queries
):
    _community, _owner, member, _mod = secret_world
    for i in range(count):
        make_thread(member, title=f"Thread {i}")
    token = services.feed_token_create(membership=member)
    client.get(reverse("feed-personal-atom", args=[token]))  # first read records last use
    with django_assert_max_num_queries(3):
        response = client.get(reverse("feed-personal-atom", args=[token]))
    assert len(atom_titles(response)) == count + 1


def test_feed_is_capped_at_30_newest(client, public, make_member, make_thread):
    member = make_member(public)
    for i in range(35):
        make_thread(member, title=f"T{i:02d}")
    titles = atom_titles(client.get(reverse("feed-public-atom", args=[public.slug])))
    assert len(titles) == 30
    assert titles[0] == "T34"


def test_public_community_page_links_its_feeds(client, public, make_community):
    body = client.get(public.get_absolute_url()).content.decode()
    atom = reverse("feed-public-atom", args=[public.slug])
    link = f'<link rel="alternate" type="application/atom+xml" title="Open Garden (Atom)" href="{atom}">'
    assert link in body
    assert 'type="application/rss+xml"' in body
    listed = make_community(visibility="listed")
    assert 'rel="alternate"' not in client.get(listed.get_absolute_url()).content.decode()


def test_settings_page_makes_shows_once_and_revokes_a_link(client, secret_world):
    community, _owner, member, _mod = secret_world
    client.force_login(member.user)
    page = client.get(reverse("settings-feeds"))
    assert page.status_code == 200
    assert "Quiet Room" in page.content.decode()
    response = client.post(reverse("feed-link-new", args=[community.slug]))
    assert response.status_code == 302
    shown = client.get(reverse("settings-feeds")).content.decode()
    assert "copy it now" in shown
    match = re.search(r'value="http://[^"]+/feeds/([^/"]+)/atom/"', shown)
    assert match, shown
    token = match.group(1)
    assert client.get(reverse("feed-personal-atom", args=[token])).status_code == 200
    # Shown once only.
    again = client.get(reverse("settings-feeds")).content.decode()
    assert token not in again and "copy it now" not in again
    assert "Personal link made" in again
    client.post(reverse("feed-link-revoke", args=[community.slug]))
    assert client.get(reverse("feed-personal-atom", args=[token])).status_code == 404


def test_feed_link_for_a_community_one_is_not_in_is_404(client, make_community, outsider):
    community = make_community(visibility="secret")
    client.force_login(outsider)
    assert client.post(reverse("feed-link-new", args=[community.slug])).status_code == 404
    assert client.post(reverse("feed-link-revoke", args=[community.slug])).status_code == 404
    assert not FeedToken.objects.exists()


def test_feed_settings_needs_login(client):
    response = client.get(reverse("settings-feeds"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
