"""Anonymous pages of public communities can be kept by a shared cache (#19): no cookie set,
``Cache-Control: public, max-age``; everything else stays uncached or private."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.fixture
def public_thread(make_community, make_member, make_thread):
    community = make_community(visibility="public", join_policy="open")
    return make_thread(make_member(community))


def _urls(thread) -> list[str]:
    return [reverse("community-home", args=[thread.community.slug]), thread.get_absolute_url()]


def test_anonymous_pages_of_a_public_community_are_publicly_cacheable(client, public_thread):
    for url in _urls(public_thread):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=60", url
        assert not response.cookies, f"{url} set {list(response.cookies)}"
        assert "csrfmiddlewaretoken" not in response.content.decode()
        # The page differs for a signed-in member: a cache must key on the cookie.
        assert "Cookie" in response["Vary"]


def test_signed_in_pages_stay_private(client, public_thread, make_member):
    member = make_member(public_thread.community)
    client.force_login(member.user)
    for url in _urls(public_thread):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store", url
        assert 'hx-headers=\'{"X-CSRFToken"' in response.content.decode()  # htmx posts carry the token


def test_anonymous_with_a_session_and_forms_are_not_shared(client, public_thread):
    login = client.get(reverse("account_login"))
    assert "csrftoken" in login.cookies  # a form: the cookie is set
    assert "public" not in login.get("Cache-Control", "")
    client.cookies["sessionid"] = "an-anonymous-session"
    response = client.get(public_thread.get_absolute_url())
    assert response["Cache-Control"] == "private, no-store"


def test_listed_and_secret_communities_are_never_public(client, make_community, make_member, make_thread):
    for visibility in ("listed", "secret"):
        thread = make_thread(make_member(make_community(visibility=visibility)))
        response = client.get(reverse("community-home", args=[thread.community.slug]))
        assert "public" not in response.get("Cache-Control", ""), visibility
        page = client.get(thread.get_absolute_url())
        assert page.status_code in (302, 404) and "public" not in page.get("Cache-Control", "")


def test_max_age_zero_turns_it_off(client, public_thread, settings):
    settings.HEARTH_ANONYMOUS_MAX_AGE = 0
    for url in _urls(public_thread):
        assert "Cache-Control" not in client.get(url), url


# --- The app's own copy (config.middleware.AnonymousPageCacheMiddleware) ------------------------


@pytest.fixture
def page_cache(settings):
    from django.core.cache import cache

    settings.HEARTH_ANONYMOUS_PAGE_CACHE = True
    cache.clear()
    yield
    cache.clear()


def test_anonymous_readers_get_the_stored_page(
    client, public_thread, page_cache, make_post, django_assert_num_queries
):
    url = public_thread.get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200 and first["Cache-Control"] == "public, max-age=60"
    make_post(public_thread.posts.first().author.memberships.first(), public_thread, "Written just now")
    with django_assert_num_queries(0):  # served from the cache: no view, no query
        second = client.get(url)
    assert second.status_code == 200 and second["Cache-Control"] == "public, max-age=60"
    assert "Written just now" not in second.content.decode()  # as a proxy would, for max-age
    assert second.content == first.content and not second.cookies
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert "nonce-" not in second["Content-Security-Policy"]  # never stored with a nonce


def test_members_sessions_and_messages_never_read_or_fill_it(client, public_thread, page_cache, make_member):
    url = public_thread.get_absolute_url()
    member = make_member(public_thread.community)
    client.force_login(member.user)
    signed_in = client.get(url)
    assert signed_in["Cache-Control"] == "private, no-store"
    client.logout()
    anonymous = client.get(url).content.decode()
    assert member.user.handle not in anonymous.split("<main", 1)[0]  # no member header in it
    assert 'hx-headers=\'{"X-CSRFToken"' not in anonymous
    # A visitor with a flash message (messages cookie) is rendered, not served the copy.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.cookies["messages"] = "anything"
    with CaptureQueriesContext(connection) as rendered:
        assert client.get(url).status_code == 200
    assert len(rendered.captured_queries) > 0


def test_page_cache_off_renders_every_time(client, public_thread, page_cache, settings, make_post):
    settings.HEARTH_ANONYMOUS_PAGE_CACHE = False
    url = public_thread.get_absolute_url()
    client.get(url)
    make_post(public_thread.posts.first().author.memberships.first(), public_thread, "Shown at once")
    assert "Shown at once" in client.get(url).content.decode()
