"""Search counts matches only up to a cap: a common word says "N+ results" instead of counting
every match (a second of database time on a large community); the best matches still come
first and every page up to the cap works. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.discussions.services import post_create
from communities.search import selectors as search_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_cap(monkeypatch, settings):
    monkeypatch.setattr(search_selectors, "SEARCH_COUNT_CAP", 4)
    monkeypatch.setattr(search_selectors, "SEARCH_PER_PAGE", 2)


def _search(client, community, q: str, page: int = 1) -> str:
    resp = client.get(reverse("community-search", args=[community.slug]), {"q": q, "page": page})
    assert resp.status_code == 200
    return resp.content.decode()


def test_many_matches_are_capped(client, member, make_thread, small_cap):
    thread = make_thread(member, title="Notes", body="lantern one")
    for i in range(6):
        post_create(author=member, thread=thread, body_md=f"lantern number {i}")
    client.force_login(member.user)
    page = _search(client, member.community, "lantern")
    assert "4+ results, best matches first" in page
    assert "Page 1 of 2" in page  # 4 counted, 2 a page
    assert "Page 2 of 2" in _search(client, member.community, "lantern", page=2)


def test_few_matches_are_counted_exactly(client, member, make_thread, small_cap):
    thread = make_thread(member, title="Notes", body="compass rose")
    post_create(author=member, thread=thread, body_md="a compass again")
    client.force_login(member.user)
    page = _search(client, member.community, "compass")
    assert "2 results" in page and "+ results" not in page
