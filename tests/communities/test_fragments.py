"""Cached page fragments (config/fragments.py): post blocks and thread rows are served from the
cache, yet every change shows on the next page, no viewer ever sees another's block, and no
cached block carries anyone's CSRF token."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from communities.discussions import services
from communities.models import Visibility
from members.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def block_renders():
    """How many post blocks the template engine rendered (the test runner's template signal)."""
    from django.test.signals import template_rendered

    seen: list[str] = []

    def record(sender, template, context, **kwargs):
        if template.name == "communities/_post_block.html":
            seen.append(template.name)

    template_rendered.connect(record)
    yield seen
    template_rendered.disconnect(record)


@pytest.fixture
def stored(monkeypatch):
    """Every fragment written to the cache (whatever the cache backend)."""
    from config import fragments

    written: dict[str, str] = {}
    real = fragments.cache

    class Spy:
        def get_many(self, keys):
            return real.get_many(keys)

        def set_many(self, data, timeout=None):
            written.update(data)
            return real.set_many(data, timeout)

    monkeypatch.setattr(fragments, "cache", Spy())
    return written


def _page(client: Client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200
    return resp.content.decode()


def test_blocks_are_cached_and_reused(client, thread, member, make_post, block_renders):
    for i in range(3):
        make_post(member, thread, f"Reply {i}")
    client.force_login(member.user)
    url = thread.get_absolute_url()
    first = _page(client, url)
    assert len(block_renders) == 4  # the opening post and three replies
    assert _unmasked(_page(client, url)) == _unmasked(first)  # the same page again
    assert len(block_renders) == 4  # nothing rendered again


def _unmasked(page: str) -> str:
    """The page without its CSRF tokens (masked differently on every request) and its composer's
    one-time submission key."""
    page = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", page)
    return re.sub(r'(name="submission_key" value=")[^"]+', r"\1KEY", page)


def test_every_change_shows_on_the_next_page(client, thread, member, moderator, make_post):
    reply = make_post(moderator, thread, "The original words")
    client.force_login(member.user)
    url = thread.get_absolute_url()
    assert "The original words" in _page(client, url)
    # An edit.
    services.post_edit(editor=moderator, post=reply, body_md="Words changed later")
    page = _page(client, url)
    assert "Words changed later" in page and "The original words" not in page
    # A reaction by someone else: the count moves.
    services.reaction_toggle(user_id=moderator.user_id, post=reply, kind="heart")
    assert re.search(r'value="heart" class="reaction"[^>]*>[^<]*<span class="count">1<', _page(client, url))
    # The viewer's own reaction: shown as theirs.
    services.reaction_toggle(user_id=member.user_id, post=reply, kind="heart")
    assert re.search(
        r'value="heart" class="reaction mine"[^>]*>[^<]*<span class="count">2<', _page(client, url)
    )
    # The author renames themselves.
    User.objects.filter(pk=moderator.user_id).update(display_name="Renamed Person")
    assert "Renamed Person" in _page(client, url)


def test_viewers_never_see_each_others_blocks(client, thread, member, moderator, make_post):
    mine = make_post(member, thread, "Written by the member")
    url = thread.get_absolute_url()
    staff = Client()
    staff.force_login(moderator.user)
    staff_page = _page(staff, url)  # cached first, with the staff menu
    assert f"/mod/posts/{mine.pk}/" in staff_page
    client.force_login(member.user)
    page = _page(client, url)
    assert "/mod/posts/" not in page  # no moderation items for a member
    assert f"/p/{mine.pk}/edit/" in page  # but their own post's edit link
    assert f"/p/{mine.pk}/edit/" not in staff_page  # which the moderator's page never had


def test_cached_blocks_carry_the_viewers_own_csrf_token(thread, member, make_member, make_post, stored):
    other = make_member(thread.community)
    make_post(member, thread, "Something to react to")
    url = thread.get_absolute_url()
    a = Client(enforce_csrf_checks=True)
    a.force_login(member.user)
    _page(a, url)  # fills the cache
    b = Client(enforce_csrf_checks=True)
    b.force_login(other.user)
    page = _page(b, url)
    forms = re.findall(r'action="([^"]+/react/)".*?name="csrfmiddlewaretoken" value="([^"]+)"', page, re.S)
    assert forms
    action, token = forms[-1]
    # Nothing in the cache holds a real token: only the placeholder the view swaps.
    tokens = {
        t for html in stored.values() for t in re.findall(r'csrfmiddlewaretoken" value="([^"]+)"', html)
    }
    assert tokens == {"csrf-token-of-the-viewer"}
    resp = b.post(action, {"kind": "tada", "csrfmiddlewaretoken": token})
    assert resp.status_code == 302


def test_anonymous_page_sets_no_cookie_after_member_blocks_were_cached(client, thread, member, make_post):
    type(thread.community).objects.filter(pk=thread.community_id).update(visibility=Visibility.PUBLIC)
    make_post(member, thread, "Public words")
    member_client = Client()
    member_client.force_login(member.user)
    _page(member_client, thread.get_absolute_url())
    resp = client.get(thread.get_absolute_url())
    assert resp.status_code == 200 and "Public words" in resp.content.decode()
    assert "csrftoken" not in resp.cookies and "csrfmiddlewaretoken" not in resp.content.decode()


def test_thread_rows_show_unread_and_new_activity(
    client, community, member, make_member, make_thread, make_post
):
    writer = make_member(community, role=Role.MODERATOR)
    thread = make_thread(writer, title="A row to watch")
    client.force_login(member.user)
    home = community.get_absolute_url()
    _page(client, thread.get_absolute_url())  # read it
    page = _page(client, home)
    assert "A row to watch" in page and "1 new" not in page
    make_post(writer, thread, "Something new")
    page = _page(client, home)
    assert "1 new" in page  # the row's values changed: another fragment


def test_moderation_links_whatever_the_slug_ends_with(client, make_community, make_member, make_thread):
    """The blocks build moderation URLs from prefixes: a slug ending in "0" or "x" stays intact."""
    for slug in ("studio-10", "linux"):
        community = make_community(slug=slug)
        writer = make_member(community)
        thread = make_thread(writer)
        opening = thread.posts.get(is_opening=True)
        staff = make_member(community, role=Role.MODERATOR)
        client.force_login(staff.user)
        page = _page(client, thread.get_absolute_url())
        assert f'action="/c/{slug}/mod/posts/{opening.pk}/"' in page
        assert f'href="/c/{slug}/mod/members/{writer.user.handle}/"' in page
