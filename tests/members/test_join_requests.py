"""Join requests, open joins, leaving, bans and role history."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from members.models import JoinRequest, JoinRequestStatus, Membership, MembershipEvent, MembershipStatus
from members.notifications.models import Notification
from members.services import (
    JoinError,
    join_request_create,
    membership_join,
    membership_leave,
)
from moderation.models import AuditAction, AuditLogEntry
from moderation.queue import queue_decide_join
from moderation.sanctions import member_ban, member_unban
from moderation.services import AlreadyHandled

PG_ONLY = "needs real concurrent connections (PostgreSQL)"


@pytest.fixture
def approval_community(make_community):
    return make_community(
        visibility="listed", join_policy="approval", screening_questions=["Why here?", "What do you bring?"]
    )


@pytest.fixture
def staff(approval_community):
    return Membership.objects.get(community=approval_community, role="owner")


def apply(client, community, answers=("Because", "Tea")):
    data = {f"answer_{i + 1}": a for i, a in enumerate(answers)}
    return client.post(reverse("community-join", args=[community.slug]), data)


def test_apply_shows_questions_and_keeps_input_on_error(client, approval_community, make_user):
    client.force_login(make_user())
    page = client.get(reverse("community-join", args=[approval_community.slug])).content.decode()
    assert "Why here?" in page and "What do you bring?" in page
    response = apply(client, approval_community, answers=("My typed answer", ""))
    assert response.status_code == 400
    body = response.content.decode()
    assert "My typed answer" in body and "Please answer this question." in body
    assert not JoinRequest.objects.exists()


def test_apply_then_pending_then_withdraw(client, approval_community, staff, make_user):
    applicant = make_user()
    client.force_login(applicant)
    response = apply(client, approval_community)
    assert response.status_code == 302
    assert response["Location"] == reverse("join-pending", args=[approval_community.slug])
    jr = JoinRequest.objects.get(user=applicant)
    assert jr.answers == [
        {"question": "Why here?", "answer": "Because"},
        {"question": "What do you bring?", "answer": "Tea"},
    ]
    # Staff are told.
    assert Notification.objects.filter(recipient=staff.user, kind="join_request").count() == 1
    pending = client.get(reverse("join-pending", args=[approval_community.slug])).content.decode()
    assert "pending" in pending.lower() and "Tea" in pending
    home = client.get(approval_community.get_absolute_url()).content.decode()
    assert "Request pending" in home
    # A second application while pending is refused (redirects to the pending page).
    assert apply(client, approval_community)["Location"].endswith("/join/pending/")
    assert JoinRequest.objects.filter(user=applicant).count() == 1
    client.post(reverse("join-withdraw", args=[approval_community.slug]))
    jr.refresh_from_db()
    assert jr.status == JoinRequestStatus.WITHDRAWN


def test_moderator_approves_plain_form_and_htmx(client, approval_community, make_member, make_user):
    moderator = make_member(approval_community, role="moderator")
    a, b = make_user(), make_user()
    ra = join_request_create(user=a, community=approval_community, answers=["x", "y"])
    rb = join_request_create(user=b, community=approval_community, answers=["x", "y"])
    client.force_login(moderator.user)
    listing = client.get(reverse("join-requests", args=[approval_community.slug])).content.decode()
    assert a.handle in listing and b.handle in listing
    r = client.post(reverse("join-request-approve", args=[approval_community.slug, ra.pk]), {"reason": ""})
    assert r.status_code == 302
    r = client.post(
        reverse("join-request-approve", args=[approval_community.slug, rb.pk]),
        {"reason": "Welcome aboard"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    assert "approved" in r.content.decode() and "<li" in r.content.decode()
    # The nav badge is refreshed out of band: no requests left.
    assert 'id="join-requests-badge" hx-swap-oob="true" class="badge badge-empty"' in r.content.decode()
    for user in (a, b):
        assert Membership.objects.get(user=user, community=approval_community).is_active
        assert Notification.objects.filter(recipient=user, kind="join_approved").count() == 1
    assert AuditLogEntry.objects.filter(action=AuditAction.JOIN_APPROVED, actor=moderator.user).count() == 2


def test_rejection_reason_shown_and_cooldown(client, approval_community, staff, make_user):
    applicant = make_user()
    jr = join_request_create(user=applicant, community=approval_community, answers=["x", "y"])
    client.force_login(staff.user)
    client.post(
        reverse("join-request-reject", args=[approval_community.slug, jr.pk]),
        {"reason": "Please tell us more about <your> plans"},
    )
    jr.refresh_from_db()
    assert jr.status == JoinRequestStatus.REJECTED
    assert AuditLogEntry.objects.get(action=AuditAction.JOIN_REJECTED).reason.startswith("Please tell")
    note = Notification.objects.get(recipient=applicant, kind="join_rejected")
    assert "tell us more" in note.text
    client.force_login(applicant)
    page = client.get(reverse("join-pending", args=[approval_community.slug])).content.decode()
    assert "Please tell us more about &lt;your&gt; plans" in page  # escaped, never rendered
    assert "apply again from" in page.lower()
    # Within the cooldown (default 7 days) a new application is refused.
    with pytest.raises(JoinError):
        join_request_create(user=applicant, community=approval_community, answers=["x", "y"])
    response = apply(client, approval_community)
    assert response.status_code == 400
    assert JoinRequest.objects.filter(user=applicant).count() == 1
    # After the cooldown they may apply again.
    JoinRequest.objects.filter(pk=jr.pk).update(decided_at=timezone.now() - timedelta(days=8))
    assert apply(client, approval_community).status_code == 302
    assert JoinRequest.objects.filter(user=applicant, status="pending").count() == 1


def test_decision_twice_is_harmless(client, approval_community, staff, make_user):
    applicant = make_user()
    jr = join_request_create(user=applicant, community=approval_community, answers=["x", "y"])
    client.force_login(staff.user)
    url = reverse("join-request-approve", args=[approval_community.slug, jr.pk])
    client.post(url)
    second = client.post(url, follow=True)
    assert "already handled" in second.content.decode()
    reject = client.post(reverse("join-request-reject", args=[approval_community.slug, jr.pk]))
    assert reject.status_code == 302
    assert Membership.objects.filter(user=applicant).count() == 1
    assert MembershipEvent.objects.filter(user=applicant, kind="joined").count() == 1
    jr.refresh_from_db()
    assert jr.status == JoinRequestStatus.APPROVED


def test_request_id_of_another_community_is_404(client, approval_community, staff, make_community, make_user):
    other = make_community(join_policy="approval")
    foreign = join_request_create(user=make_user(), community=other, answers=[])
    client.force_login(staff.user)
    url = reverse("join-request-approve", args=[approval_community.slug, foreign.pk])
    assert client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == JoinRequestStatus.PENDING


def test_invite_only_offers_no_form(client, make_community, make_user):
    community = make_community(join_policy="invite_only")
    client.force_login(make_user())
    page = client.get(reverse("community-join", args=[community.slug])).content.decode()
    assert "invite only" in page.lower() and "answer_" not in page
    assert client.post(reverse("community-join", args=[community.slug])).status_code == 400
    assert not JoinRequest.objects.exists()


def test_open_community_one_click_join(client, make_community, make_user):
    community = make_community(visibility="public", join_policy="open")
    person = make_user()
    client.force_login(person)
    assert "Join" in client.get(community.get_absolute_url()).content.decode()
    response = client.post(reverse("community-join", args=[community.slug]))
    assert response.status_code == 302
    assert Membership.objects.get(user=person, community=community).is_active
    assert "You're a member" in client.get(community.get_absolute_url()).content.decode()


def test_leave_rejoin_ban_history(client, make_community, make_user):
    community = make_community(visibility="public", join_policy="open")
    owner = Membership.objects.get(community=community, role="owner")
    person = make_user()
    client.force_login(person)
    client.post(reverse("community-join", args=[community.slug]))
    client.post(reverse("community-leave", args=[community.slug]))
    m = Membership.objects.get(user=person, community=community)
    assert m.status == MembershipStatus.LEFT and m.left_at is not None
    client.post(reverse("community-join", args=[community.slug]))
    m = Membership.objects.get(user=person, community=community)
    member_ban(actor=owner, target=m, reason="spam")
    # Banned: can't rejoin by one click.
    assert client.post(reverse("community-join", args=[community.slug])).status_code == 403
    member_unban(actor=owner, target=m)
    kinds = list(
        MembershipEvent.objects.filter(user=person, community=community).values_list("kind", flat=True)
    )
    assert kinds == ["joined", "left", "joined", "banned", "unbanned"]
    ban = MembershipEvent.objects.get(user=person, kind="banned")
    assert ban.actor == owner.user and ban.reason == "spam"
    events = MembershipEvent.objects.filter(user=person).order_by("at", "id")
    assert all(e.at is not None for e in events)


def test_owner_cannot_leave_before_handing_over(client, owner, moderator):
    client.force_login(owner.user)
    client.post(reverse("community-leave", args=[owner.community.slug]))
    owner.refresh_from_db()
    assert owner.is_active
    response = client.post(
        reverse("community-hand-over", args=[owner.community.slug]),
        {"handle": moderator.user.handle, "keep_role": "member"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    moderator.refresh_from_db()
    assert owner.role == "member" and moderator.role == "owner"
    client.post(reverse("community-leave", args=[owner.community.slug]))
    owner.refresh_from_db()
    assert owner.status == MembershipStatus.LEFT


def test_role_changes_recorded_and_last_owner_kept(client, owner, member):
    client.force_login(owner.user)
    slug = owner.community.slug
    for role in ("moderator", "welcomer", "topic_lead", "member"):
        assert client.post(reverse("member-role", args=[slug, member.pk]), {"role": role}).status_code == 302
    events = MembershipEvent.objects.filter(membership=member, kind="role_changed").order_by("at", "id")
    assert [(e.previous_role, e.role) for e in events] == [
        ("member", "moderator"),
        ("moderator", "welcomer"),
        ("welcomer", "topic_lead"),
        ("topic_lead", "member"),
    ]
    assert all(e.actor == owner.user for e in events)
    assert AuditLogEntry.objects.filter(action=AuditAction.ROLE_CHANGED).count() == 4
    # The only owner can't demote themselves.
    response = client.post(reverse("member-role", args=[slug, owner.pk]), {"role": "member"}, follow=True)
    assert "at least one owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == "owner"
    # A role outside the list is refused.
    client.post(reverse("member-role", args=[slug, member.pk]), {"role": "emperor"})
    member.refresh_from_db()
    assert member.role == "member"


def test_membership_id_of_another_community_is_404(client, owner, make_member):
    foreign = make_member()
    client.force_login(owner.user)
    response = client.post(
        reverse("member-role", args=[owner.community.slug, foreign.pk]), {"role": "moderator"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == "member"


@pytest.mark.skipif(connection.vendor != "postgresql", reason=PG_ONLY)
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_approval_postgres(make_community, make_member, make_user):
    community = make_community(join_policy="approval")
    mods = [make_member(community, role="moderator") for _ in range(2)]
    applicant = make_user()
    jr = join_request_create(user=applicant, community=community, answers=[])
    barrier = threading.Barrier(2)
    results: list[object] = []

    def go(mod):
        try:
            request = JoinRequest.objects.select_related("user", "community").get(pk=jr.pk)
            barrier.wait()
            queue_decide_join(actor=mod, join_request=request, approve=True)
            results.append("approved")
        except AlreadyHandled:
            results.append("already handled")
        except Exception as exc:  # anything else (IntegrityError...) fails the test
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(m,)) for m in mods]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == ["already handled", "approved"]
    assert Membership.objects.filter(user=applicant, community=community).count() == 1
    assert MembershipEvent.objects.filter(user=applicant, community=community, kind="joined").count() == 1
    assert AuditLogEntry.objects.filter(action=AuditAction.JOIN_APPROVED, target_user=applicant).count() == 1
    assert Notification.objects.filter(recipient=applicant, kind="join_approved").count() == 1


def test_membership_join_is_idempotent(community, make_user):
    person = make_user()
    first = membership_join(user=person, community=community)
    assert membership_join(user=person, community=community).pk == first.pk
    membership_leave(membership=first)
    assert MembershipEvent.objects.filter(user=person, kind="joined").count() == 1
