"""The review queue goes through the access policy: a moderator never sees, counts or acts on a
held or flagged post in a space their role may not see (an owners-only space). Before the reshape
the queue query had no space filter and the post actions fetched posts with get_object_or_404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.discussions.services import post_create, thread_create
from communities.models import Space
from moderation.hooks import flag_create
from moderation.selectors import review_queue_counts, review_queue_page


@pytest.fixture
def hidden_items(community, owner, make_member):
    """A held reply and a flagged post in a space that then becomes owners-only."""
    space = Space.objects.create(community=community, name="Backroom", slug="backroom")
    thread = thread_create(author=owner, space=space, title="Owner business", body_md="Budget talk")
    reply = post_create(author=owner, thread=thread, body_md="Owner reply, published")
    community.hold_first_posts = 5
    community.save()
    newcomer = make_member(community)
    held = post_create(author=newcomer, thread=thread, body_md="Newcomer reply, held")
    assert held.status == "held"
    flag_create(membership=make_member(community), post=reply, reason="spam")
    Space.objects.filter(pk=space.pk).update(min_role="owner")
    return reply, held


def test_moderator_queue_leaves_out_owner_only_space(client, community, owner, moderator, hidden_items):
    counts = review_queue_counts(community, viewer=owner)
    assert (counts["flag"], counts["held"]) == (1, 1)
    counts = review_queue_counts(community, viewer=moderator)
    assert (counts["flag"], counts["held"]) == (0, 0)
    assert [i.kind for i in review_queue_page(community, viewer=moderator).object_list] == []
    assert sorted(i.kind for i in review_queue_page(community, viewer=owner).object_list) == ["flag", "held"]
    client.force_login(moderator.user)
    html = client.get(reverse("mod-queue", args=[community.slug])).content.decode()
    assert "Owner reply, published" not in html and "Newcomer reply, held" not in html
    client.force_login(owner.user)
    html = client.get(reverse("mod-queue", args=[community.slug])).content.decode()
    assert "Owner reply, published" in html and "Newcomer reply, held" in html


def test_moderator_cannot_act_on_owner_only_post(client, community, moderator, hidden_items):
    reply, held = hidden_items
    client.force_login(moderator.user)
    flag_url = reverse("mod-queue-flag", args=[community.slug, reply.pk])
    assert client.post(flag_url, {"action": "hide"}).status_code == 404
    held_url = reverse("mod-queue-held", args=[community.slug, held.pk])
    assert client.post(held_url, {"decision": "approve"}).status_code == 404
    reply.refresh_from_db()
    held.refresh_from_db()
    assert reply.removed_at is None and held.status == "held"
