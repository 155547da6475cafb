from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from communities.discussions.services import post_create, thread_create
from communities.models import Space
from members import access
from members.models import (
    Invite,
    JoinRequest,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    MembershipStatus,
)
from members.notifications.models import Notification
from members.services import MembershipError, join_request_approve, membership_join
from moderation.hooks import PostingRefused, moderation_check_react
from moderation.models import AuditLogEntry, Sanction
from moderation.sanctions import member_ban, member_mute, member_unban, member_unmute, member_warn
from moderation.selectors import active_mute


def test_mute_blocks_posting_and_reacting_until_it_expires(community, moderator, member, thread):
    member_mute(actor=moderator, target=member, days=1, reason="Cool down")
    member.refresh_from_db()
    until = active_mute(member)
    assert until is not None and timedelta(hours=23) < until - timezone.now() <= timedelta(days=1)
    with pytest.raises(PostingRefused, match="muted in this community until"):
        post_create(author=member, thread=thread, body_md="Let me speak")
    with pytest.raises(PostingRefused, match="can't react"):
        moderation_check_react(member)
    space = Space.objects.get(community=community, slug="general")
    with pytest.raises(PostingRefused):
        thread_create(author=member, space=space, title="New", body_md="Body")

    # The mute runs out by itself.
    Membership.objects.filter(pk=member.pk).update(muted_until=timezone.now() - timedelta(seconds=1))
    member.refresh_from_db()
    assert active_mute(member) is None
    moderation_check_react(member)
    assert post_create(author=member, thread=thread, body_md="I'm back").pk


def test_unmute_lets_the_member_post_again(community, moderator, member, thread):
    member_mute(actor=moderator, target=member, days=3)
    member_unmute(actor=moderator, target=member)
    member.refresh_from_db()
    assert member.muted_until is None
    assert post_create(author=member, thread=thread, body_md="Thanks").pk
    assert Sanction.objects.get(kind="mute").lifted_at is not None


def test_mute_notice_on_community_pages(client, community, moderator, member, thread):
    member_mute(actor=moderator, target=member, days=1)
    client.force_login(member.user)
    page = client.get(thread.get_absolute_url())
    assert b"You are muted in this community until" in page.content


def test_warning_banner_until_acknowledged(client, community, moderator, member):
    warning = member_warn(actor=moderator, target=member, reason="Please keep it civil.")
    assert Notification.objects.filter(recipient=member.user, text__contains="keep it civil").exists()
    client.force_login(member.user)
    assert b"Please keep it civil." in client.get(community.get_absolute_url()).content
    response = client.post(reverse("warning-ack", args=[community.slug, warning.pk]))
    assert response.status_code == 302
    assert b"Please keep it civil." not in client.get(community.get_absolute_url()).content
    warning.refresh_from_db()
    assert warning.seen_at is not None


def test_ban_ends_membership_and_blocks_rejoin(client, community, owner, moderator, member, make_thread):
    thread = make_thread(owner)
    member_ban(actor=moderator, target=member, reason="Spam")
    member.refresh_from_db()
    assert member.status == MembershipStatus.BANNED and member.left_at is not None
    event = MembershipEvent.objects.filter(membership=member).last()
    assert (event.kind, event.actor_id, event.reason) == (
        MembershipEventKind.BANNED,
        moderator.user_id,
        "Spam",
    )
    assert access.is_banned(member.user, community)

    # No way back through an invite or a join request.
    invite = Invite.objects.create(community=community, created_by=owner.user, token="t" * 43)
    with pytest.raises(MembershipError):
        membership_join(user=member.user, community=community, invite=invite)
    request = JoinRequest.objects.create(community=community, user=member.user)
    with pytest.raises(MembershipError):
        join_request_approve(join_request=request, actor=owner.user)
    request.refresh_from_db()
    assert request.status == "pending"  # the failed approval changed nothing
    assert Membership.objects.get(pk=member.pk).status == MembershipStatus.BANNED

    # Nothing private is visible any more (listed community: 403 without content).
    client.force_login(member.user)
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 403
    assert thread.title.encode() not in response.content


def test_banned_from_secret_community_sees_404(client, make_community, make_member, make_thread):
    secret = make_community(visibility="secret")
    mod = make_member(secret, role="moderator")
    target = make_member(secret)
    thread = make_thread(target)
    member_ban(actor=mod, target=target)
    client.force_login(target.user)
    assert client.get(thread.get_absolute_url()).status_code == 404
    assert client.get(secret.get_absolute_url()).status_code == 404


def test_unban_allows_rejoining(community, owner, moderator, member):
    member_ban(actor=moderator, target=member)
    member_unban(actor=moderator, target=member, reason="Appeal accepted")
    member.refresh_from_db()
    assert member.status == MembershipStatus.LEFT
    assert MembershipEvent.objects.filter(membership=member, kind=MembershipEventKind.UNBANNED).exists()
    again = membership_join(user=member.user, community=community)
    assert again.status == MembershipStatus.ACTIVE


@pytest.mark.parametrize("action", [member_warn, member_mute, member_ban])
def test_moderators_cannot_sanction_owners_or_moderators(action, community, owner, moderator, make_member):
    other_mod = make_member(community, role="moderator")
    kwargs = {"reason": "x", "days": 1} if action is member_mute else {"reason": "x"}
    for target in (owner, other_mod):
        with pytest.raises(PermissionDenied):
            action(actor=moderator, target=target, **kwargs)
    assert not AuditLogEntry.objects.exists()
    assert not Sanction.objects.exists()


def test_owner_can_sanction_a_moderator(community, owner, moderator):
    member_mute(actor=owner, target=moderator, days=1)
    moderator.refresh_from_db()
    assert active_mute(moderator) is not None


def test_member_page_actions(client, community, moderator, member):
    url = reverse("mod-member", args=[community.slug, member.user.handle])
    client.force_login(moderator.user)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"action": "warn", "reason": ""})
    assert bad.status_code == 400 and b"Write the warning" in bad.content
    assert client.post(url, {"action": "mute", "mute_days": "2", "reason": "Heated"}).status_code == 302
    member.refresh_from_db()
    assert member.muted_until > timezone.now() + timedelta(days=1, hours=23)
    assert client.post(url, {"action": "ban", "reason": "Enough"}).status_code == 302
    member.refresh_from_db()
    assert member.status == MembershipStatus.BANNED
    page = client.get(reverse("mod-members", args=[community.slug]))
    assert f"@{member.user.handle}".encode() in page.content
