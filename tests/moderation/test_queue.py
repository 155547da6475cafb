from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post, PostStatus
from communities.discussions.services import post_create
from members.models import JoinRequest, Membership, MembershipStatus
from members.notifications.models import Notification
from moderation.hooks import flag_create
from moderation.models import AuditAction, AuditLogEntry, Flag
from moderation.selectors import review_queue_counts


def _opening(thread) -> Post:
    return thread.posts.get(is_opening=True)


@pytest.fixture
def applicant(make_user, make_member, make_community, community):
    user = make_user()
    make_member(make_community(), user=user)  # a member elsewhere
    return JoinRequest.objects.create(
        community=community,
        user=user,
        answers=[{"question": "Why join?", "answer": "I love sourdough"}],
    )


def test_done_when_flow(client, community, owner, moderator, make_member, make_thread, applicant):
    """A post is flagged by three members and hides; the moderator sees all three reasons,
    deletes... hides the post and mutes the author in one step; a join request is approved."""
    author = make_member(community)
    thread = make_thread(author, body="Rude words here")
    post = _opening(thread)
    reasons = [("harassment", "Insulted me"), ("inappropriate", "Not OK"), ("other", "Just mean")]
    for reason, note in reasons:
        flag_create(membership=make_member(community), post=post, reason=reason, note=note)
    post.refresh_from_db()
    assert post.removed_at is not None

    client.force_login(moderator.user)
    page = client.get(reverse("mod-queue", args=[community.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    for _, note in reasons:
        assert note in html
    assert "Harassment" in html and "Inappropriate" in html and "I love sourdough" in html
    assert "member of 1 other community" in html
    assert 'aria-label="2 waiting">2</span>' in html

    response = client.post(
        reverse("mod-queue-flag", args=[community.slug, post.pk]),
        {"action": "hide", "reason": "Harassment is not OK", "sanction": "mute", "mute_days": "1"},
    )
    assert response.status_code == 302
    post.refresh_from_db()
    author.refresh_from_db()
    assert post.removed_at is not None and post.removed_by_moderator
    assert author.muted_until > timezone.now() + timedelta(hours=23)
    assert set(Flag.objects.values_list("resolution", flat=True)) == {"hidden"}
    actions = list(AuditLogEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == [AuditAction.POST_HIDDEN, AuditAction.MUTED]
    assert Notification.objects.filter(recipient=author.user, text__contains="muted you until").exists()

    client.post(reverse("mod-queue-join", args=[community.slug, applicant.pk]), {"decision": "approve"})
    applicant.refresh_from_db()
    assert applicant.status == "approved"
    assert Membership.objects.get(user=applicant.user, community=community).status == MembershipStatus.ACTIVE
    assert Notification.objects.filter(recipient=applicant.user, kind="join_approved").exists()
    assert review_queue_counts(community, viewer=owner)["all"] == 0

    log = client.get(reverse("mod-log", args=[community.slug])).content.decode()
    assert "Hid a post" in log and "Muted a member" in log and "Approved a join request" in log


def test_htmx_swaps_item_and_second_moderator_sees_already_handled(
    client, community, moderator, make_member, make_thread
):
    author = make_member(community)
    post = _opening(make_thread(author))
    flag_create(membership=make_member(community), post=post, reason="spam")
    url = reverse("mod-queue-flag", args=[community.slug, post.pk])
    client.force_login(moderator.user)
    first = client.post(url, {"action": "keep"}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    assert f'id="queue-flag-{post.pk}"'.encode() in first.content
    assert b"Flags dismissed" in first.content

    other = make_member(community, role="moderator")
    client.force_login(other.user)
    second = client.post(url, {"action": "delete"}, HTTP_HX_REQUEST="true")
    assert f"already handled by @{moderator.user.handle}".encode() in second.content
    post.refresh_from_db()
    assert post.body_md and post.removed_at is None  # the delete was not applied
    assert AuditLogEntry.objects.count() == 1

    plain = client.post(url, {"action": "hide"}, follow=True)
    assert b"already handled by" in plain.content


def test_keep_restores_an_auto_hidden_post(client, community, moderator, make_member, make_thread, flag_post):
    thread = make_thread(make_member(community))
    post = _opening(thread)
    flag_post(post, n=3)
    client.force_login(moderator.user)
    client.post(reverse("mod-queue-flag", args=[community.slug, post.pk]), {"action": "keep"})
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.removed_at is None and thread.removed_at is None
    entry = AuditLogEntry.objects.get()
    assert entry.action == AuditAction.FLAGS_DISMISSED and entry.data == {"flags": 3, "restored": True}


def test_delete_erases_the_text(client, community, moderator, make_member, make_thread, flag_post):
    post = _opening(make_thread(make_member(community), body="Awful text"))
    flag_post(post)
    client.force_login(moderator.user)
    client.post(reverse("mod-queue-flag", args=[community.slug, post.pk]), {"action": "delete"})
    post.refresh_from_db()
    assert post.body_md == "" and "Awful text" not in post.body_html and post.removed_at is not None


def test_held_post_approve_from_queue(client, community, moderator, make_member, thread):
    community.hold_first_posts = 1
    community.save()
    newcomer = make_member(community)
    reply = post_create(author=newcomer, thread=thread, body_md="Hi everyone")
    client.force_login(moderator.user)
    page = client.get(reverse("mod-queue", args=[community.slug]) + "?type=held")
    assert b"Hi everyone" in page.content
    response = client.post(
        reverse("mod-queue-held", args=[community.slug, reply.pk]),
        {"decision": "approve"},
        HTTP_HX_REQUEST="true",
    )
    assert b"Post approved" in response.content
    reply.refresh_from_db()
    assert reply.status == PostStatus.PUBLISHED


def test_reject_join_request_with_reason(client, community, moderator, applicant):
    client.force_login(moderator.user)
    client.post(
        reverse("mod-queue-join", args=[community.slug, applicant.pk]),
        {"decision": "reject", "reason": "We are full right now"},
    )
    applicant.refresh_from_db()
    assert applicant.status == "rejected" and applicant.reason == "We are full right now"
    assert Notification.objects.filter(
        recipient=applicant.user, text__contains="We are full right now"
    ).exists()
    assert not Membership.objects.filter(user=applicant.user, community=community).exists()


def test_queue_filter_and_order(client, community, moderator, make_member, make_thread, applicant, flag_post):
    post = _opening(make_thread(make_member(community), body="Old one"))
    flag_post(post)
    Flag.objects.update(created_at=timezone.now() - timedelta(days=2))
    client.force_login(moderator.user)
    html = client.get(reverse("mod-queue", args=[community.slug])).content.decode()
    assert html.index(f"queue-flag-{post.pk}") < html.index(f"queue-join-{applicant.pk}")  # oldest first
    only_joins = client.get(reverse("mod-queue", args=[community.slug]) + "?type=join").content.decode()
    assert f"queue-join-{applicant.pk}" in only_joins and f"queue-flag-{post.pk}" not in only_joins


def test_queue_page_query_budget(
    client, community, moderator, make_user, make_member, make_thread, django_assert_max_num_queries
):
    """100 items of mixed types: 34 join requests, 33 flagged posts (2 flags each), 33 held posts."""
    authors = [make_member(community) for _ in range(3)]
    flaggers = [make_member(community) for _ in range(2)]
    for i in range(34):
        JoinRequest.objects.create(
            community=community, user=make_user(), answers=[{"question": "Why?", "answer": f"Because {i}"}]
        )
    for i in range(33):
        post = _opening(make_thread(authors[i % 3], body=f"Flag me {i}"))
        for f in flaggers:
            Flag.objects.create(community=community, post=post, flagger=f.user, reason="spam", note=f"n{i}")
    community.hold_first_posts = 1000
    community.save()
    newcomer = make_member(community)
    thread = make_thread(moderator)
    for i in range(33):
        post_create(author=newcomer, thread=thread, body_md=f"Held {i}")
    assert review_queue_counts(community, viewer=moderator) == {
        "join": 34,
        "flag": 33,
        "held": 33,
        "message": 0,
        "all": 100,
    }
    client.force_login(moderator.user)
    url = reverse("mod-queue", args=[community.slug])
    # session, user, community, membership, unread bell, warnings banner, queue counts,
    # page count, page rows, join requests, posts, their flags.
    # +2: the metrics visit log (cached community lookup, once-a-day write per member).
    with django_assert_max_num_queries(14):
        first = client.get(url)
    assert first.status_code == 200 and first.content.count(b'class="queue-item') == 25
    with django_assert_max_num_queries(12):
        last = client.get(url + "?page=4")
    assert last.content.count(b'class="queue-item') == 25


def test_audit_log_page_query_budget(
    client, community, moderator, make_member, make_thread, django_assert_max_num_queries
):
    from moderation.sanctions import member_warn
    from moderation.services import post_hide

    for _ in range(10):
        author = make_member(community)
        post = _opening(make_thread(author))
        post_hide(actor=moderator, post=post, reason="r")
        member_warn(actor=moderator, target=author, reason="w")
    client.force_login(moderator.user)
    # +2: the metrics visit log (cached community lookup, once-a-day write per member).
    with django_assert_max_num_queries(12):
        response = client.get(reverse("mod-log", args=[community.slug]))
    assert response.content.count(b"<tr>") == 21  # header + 20 entries
