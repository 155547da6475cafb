"""Search finds a thread by its title (the opening post stands for it), only where the searcher
may read, in a community and across the searcher's communities; an edited post is found by its
new words (on PostgreSQL the stored search vector follows the body). SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.discussions.services import post_create, post_delete, post_edit
from communities.search.selectors import search_posts

pytestmark = pytest.mark.django_db


def test_a_title_match_finds_the_opening_post_not_the_replies(member, make_thread):
    t = make_thread(member, title="Lighthouse keepers", body="We meet on Saturdays")
    post_create(author=member, thread=t, body_md="See you there")
    make_thread(member, title="Unrelated", body="Nothing here")
    found = list(search_posts(user=member.user, query="lighthouse", community=t.community, membership=member))
    assert [(p.thread_id, p.is_opening) for p in found] == [(t.pk, True)]
    across = list(search_posts(user=member.user, query="lighthouse"))
    assert [p.thread_id for p in across] == [t.pk]


def test_title_and_body_matches_together_and_removed_threads_left_out(member, make_thread):
    by_title = make_thread(member, title="Harbour walk", body="Bring boots")
    by_body = make_thread(member, title="Weekend", body="A walk along the harbour")
    gone = make_thread(member, title="Harbour cleanup", body="Cancelled")
    post_delete(actor=member, post=gone.posts.get(is_opening=True))  # removes the thread
    found = search_posts(user=member.user, query="harbour", community=member.community, membership=member)
    assert sorted(p.thread_id for p in found) == sorted([by_title.pk, by_body.pk])


def test_another_communitys_titles_are_not_found(client, member, make_member, make_thread):
    elsewhere = make_member()
    make_thread(elsewhere, title="Orchard secrets", body="Apples")
    mine = make_thread(member, title="Orchard day", body="Pears")
    client.force_login(member.user)
    resp = client.get(reverse("search") + "?q=orchard")
    assert resp.status_code == 200
    assert b"Orchard day" in resp.content and b"Orchard secrets" not in resp.content
    assert resp.context["page"].paginator.count == 1
    assert mine.posts.count() == 1


def test_an_edited_post_is_found_by_its_new_words_only(member, make_thread):
    t = make_thread(member, title="Weekend plans", body="Bring the telescope")
    reply = post_create(author=member, thread=t, body_md="Clouds tonight")
    post_edit(editor=member, post=reply, body_md="Aurora tonight")

    def found(q: str) -> list[int]:
        return [
            p.pk for p in search_posts(user=member.user, query=q, community=t.community, membership=member)
        ]

    assert found("aurora") == [reply.pk]
    assert found("clouds") == []
    post_edit(
        editor=member, post=t.posts.get(is_opening=True), body_md="Bring binoculars", title="Stargazing"
    )
    assert found("stargazing") == [t.posts.get(is_opening=True).pk]  # the new title
    assert found("telescope") == []
