"""Security headers on every page type, and redirects that never leave the site."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD


def _pages(community, thread) -> list[str]:
    return [
        reverse("home"),
        reverse("account_login"),
        reverse("account_signup"),
        community.get_absolute_url(),
        thread.get_absolute_url(),
        reverse("invite-landing", args=["no-such-token-" + "x" * 30]),
        "/no/such/page/",
    ]


@pytest.mark.django_db
def test_headers_on_every_page_type(client, make_community, make_member, make_thread):
    community = make_community(visibility="public", join_policy="open")
    thread = make_thread(make_member(community))
    for url in _pages(community, thread):
        response = client.get(url, secure=True)
        assert response.status_code in {200, 404}, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] in {"same-origin", "no-referrer"}, url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
        assert "max-age=31536000" in response["Strict-Transport-Security"], url
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert "frame-ancestors 'none'" in csp, url


@pytest.mark.django_db
def test_invite_landing_is_not_cached_and_sends_no_referrer(client):
    response = client.get(reverse("invite-landing", args=["y" * 43]))
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


OPEN_REDIRECTS = [
    "//evil.example",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example",
    "http://evil.example@127.0.0.1",
    "//127.0.0.1@evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "\t//evil.example",
    "https://testserver.evil.example/",
    "///evil.example",
]


def _stays_on_site(location: str) -> bool:
    parsed = urlparse(location)
    return (
        parsed.scheme in {"", "http", "https"}
        and parsed.netloc in {"", "testserver"}
        and not location.startswith("//")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_next_never_leaves_the_site(client, make_user, target):
    user = make_user()
    response = client.post(
        reverse("account_login") + "?next=" + target,
        {"login": user.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert _stays_on_site(response["Location"]), response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_logout_next_never_leaves_the_site(client, make_user, target):
    client.force_login(make_user())
    response = client.post(reverse("account_logout"), {"next": target})
    assert response.status_code == 302
    assert _stays_on_site(response["Location"]), response["Location"]
