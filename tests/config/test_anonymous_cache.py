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
