"""Notification emails: one per notification, per preference, never about what the recipient
can no longer see, deduplicated, retried on transient failures."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import transaction

from communities.discussions.models import PostStatus
from communities.models import Space
from members.models import Membership, MembershipStatus, Role
from members.notifications.emails import notification_email_send
from members.notifications.models import (
    DEFAULT_EMAIL_DELIVERY,
    DeliveryStatus,
    EmailDelivery,
    Notification,
    NotificationEmail,
    NotificationPreference,
)
from members.notifications.services import notification_create
from members.profiles.models import MutedMember
from members.services import membership_leave

K = Notification.Kind
CONTENT = {K.REPLY, K.MENTION, K.QUOTE, K.RITUAL, K.NEW_MEMBER, K.WELCOME, K.JOIN_REQUEST}


def _fields_for(kind: str, community, thread, post, actor) -> dict:
    if kind in CONTENT:
        return {
            "community_id": community.pk,
            "thread_id": thread.pk,
            "post_id": post.pk,
            "actor_id": actor.pk,
            "url": thread.get_absolute_url() + f"#post-{post.pk}",
        }
    if kind == K.EXPORT_READY:
        return {"url": "/exports/1/"}
    if kind == K.MESSAGE:  # about a real conversation: re-checked when the email is sent
        from members.messages.services import conversation_start
        from members.models import Membership

        recipient = Membership.objects.filter(community=community, role="member").first().user
        conversation = conversation_start(
            sender=actor, recipients=[recipient], community=community, body_md="A private hello"
        )
        return {"community_id": community.pk, "actor_id": actor.pk, "url": conversation.get_absolute_url()}
    return {"community_id": community.pk, "url": community.get_absolute_url()}


@pytest.mark.parametrize("kind", list(DEFAULT_EMAIL_DELIVERY))
def test_every_kind_sends_exactly_one_email_to_the_recipient(
    kind, notify, set_delivery, member, owner, thread, make_post, make_user
):
    post = make_post(owner, thread, body="Hey @someone, look at **this**")
    recipient = member.user
    if kind == K.JOIN_REJECTED:
        recipient = make_user("applicant")  # never became a member
    if kind == K.JOIN_REQUEST:
        recipient = owner.user  # join requests go to the community's staff
    set_delivery(recipient, kind, EmailDelivery.IMMEDIATELY)
    n = notify(recipient, kind, **_fields_for(kind, thread.community, thread, post, owner.user))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [recipient.email]
    assert NotificationEmail.objects.get(notification=n).status == DeliveryStatus.SENT
    # Running the task again (a retry or a duplicate) sends nothing more.
    assert notification_email_send(notification_id=n.pk) == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_defaults_email_mentions_at_once_and_keep_welcome_in_app(notify, member, owner, thread):
    notify(
        member.user, K.MENTION, community_id=thread.community_id, thread_id=thread.pk, actor_id=owner.user_id
    )
    assert len(mail.outbox) == 1
    n = notify(member.user, K.WELCOME, community_id=thread.community_id)
    assert len(mail.outbox) == 1
    assert NotificationEmail.objects.get(notification=n).status == DeliveryStatus.SKIPPED


def test_never_and_digest_preferences_send_nothing_now(notify, set_delivery, member, owner, thread):
    set_delivery(member.user, K.MENTION, EmailDelivery.NEVER)
    set_delivery(member.user, K.REPLY, EmailDelivery.DIGEST)
    common = {"community_id": thread.community_id, "thread_id": thread.pk, "actor_id": owner.user_id}
    never = notify(member.user, K.MENTION, **common)
    digest = notify(member.user, K.REPLY, **common)
    assert mail.outbox == []
    assert NotificationEmail.objects.get(notification=never).status == DeliveryStatus.SKIPPED
    assert NotificationEmail.objects.get(notification=digest).status == DeliveryStatus.DIGEST


def test_only_the_recipient_gets_it(notify, member, owner, moderator, thread):
    notify(
        member.user, K.MENTION, community_id=thread.community_id, thread_id=thread.pk, actor_id=owner.user_id
    )
    assert [m.to for m in mail.outbox] == [[member.user.email]]


def test_muted_member_mentions_are_neither_stored_nor_emailed(notify, member, owner, thread):
    MutedMember.objects.create(user=member.user, muted_user=owner.user)
    n = notify(
        member.user, K.MENTION, community_id=thread.community_id, thread_id=thread.pk, actor_id=owner.user_id
    )
    assert n.pk is None
    assert not Notification.objects.filter(recipient=member.user).exists()
    assert mail.outbox == []
    # A moderation notice from the same person still arrives: muting silences content, not staff.
    notify(member.user, K.MODERATION, community_id=thread.community_id, actor_id=owner.user_id)
    assert len(mail.outbox) == 1


def test_muting_between_event_and_send_stops_the_email(
    django_capture_on_commit_callbacks, member, owner, thread
):
    with django_capture_on_commit_callbacks() as callbacks:
        n = notification_create(
            recipient_id=member.user_id,
            kind=K.REPLY,
            text="New reply",
            community_id=thread.community_id,
            thread_id=thread.pk,
            actor_id=owner.user_id,
        )
    MutedMember.objects.create(user=member.user, muted_user=owner.user)
    for callback in callbacks:
        callback()
    assert mail.outbox == []
    assert NotificationEmail.objects.get(notification=n).reason == "actor muted"


def _create_then(django_capture_on_commit_callbacks, change, **fields):
    """Create a notification, apply ``change`` (the recipient loses access), then let the
    on-commit task run: the email must not go out."""
    with django_capture_on_commit_callbacks() as callbacks:
        n = notification_create(text="You were mentioned", **fields)
    change()
    for callback in callbacks:
        callback()
    return NotificationEmail.objects.get(notification=n)


def test_ban_between_event_and_send_sends_nothing(
    django_capture_on_commit_callbacks, member, owner, make_post, thread
):
    post = make_post(owner, thread, body="Secret plans for the **garden**")
    row = _create_then(
        django_capture_on_commit_callbacks,
        lambda: Membership.objects.filter(pk=member.pk).update(status=MembershipStatus.BANNED),
        recipient_id=member.user_id,
        kind=K.MENTION,
        community_id=thread.community_id,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=owner.user_id,
    )
    assert mail.outbox == []
    assert (row.status, row.reason) == (DeliveryStatus.SKIPPED, "no access")


def test_leave_between_event_and_send_sends_nothing(
    django_capture_on_commit_callbacks, member, owner, thread
):
    row = _create_then(
        django_capture_on_commit_callbacks,
        lambda: membership_leave(membership=member),
        recipient_id=member.user_id,
        kind=K.REPLY,
        community_id=thread.community_id,
        thread_id=thread.pk,
        actor_id=owner.user_id,
    )
    assert mail.outbox == []
    assert row.status == DeliveryStatus.SKIPPED


def test_removed_post_and_restricted_space_send_nothing(
    django_capture_on_commit_callbacks, make_member, member, owner, make_thread, make_post, thread, community
):
    post = make_post(owner, thread)
    _create_then(
        django_capture_on_commit_callbacks,
        lambda: type(post).objects.filter(pk=post.pk).update(removed_at=datetime(2026, 1, 1, tzinfo=UTC)),
        recipient_id=member.user_id,
        kind=K.QUOTE,
        community_id=community.pk,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=owner.user_id,
    )
    held = make_post(owner, thread)
    _create_then(
        django_capture_on_commit_callbacks,
        lambda: type(held).objects.filter(pk=held.pk).update(status=PostStatus.HELD),
        recipient_id=member.user_id,
        kind=K.QUOTE,
        community_id=community.pk,
        thread_id=thread.pk,
        post_id=held.pk,
        actor_id=owner.user_id,
    )
    # A moderator mentioned in the mods-only space, then demoted before the email goes out.
    mods = Space.objects.create(community=community, name="Mods", slug="mods", min_role=Role.MODERATOR)
    mod = make_member(community, role=Role.MODERATOR)
    mod_thread = make_thread(owner, space=mods, title="Who to ban")
    _create_then(
        django_capture_on_commit_callbacks,
        lambda: Membership.objects.filter(pk=mod.pk).update(role=Role.MEMBER),
        recipient_id=mod.user_id,
        kind=K.MENTION,
        community_id=community.pk,
        thread_id=mod_thread.pk,
        actor_id=owner.user_id,
    )
    assert mail.outbox == []


def test_object_of_another_community_is_never_emailed(
    notify, member, make_community, make_member, make_thread
):
    elsewhere = make_community(visibility="secret")
    other_thread = make_thread(make_member(elsewhere), title="Hidden elsewhere")
    n = notify(member.user, K.MENTION, community_id=member.community_id, thread_id=other_thread.pk)
    assert mail.outbox == []
    assert NotificationEmail.objects.get(notification=n).reason == "no access"


def test_rejected_applicant_hears_only_the_decision(notify, make_community, make_user):
    community = make_community(visibility="listed")
    applicant = make_user()
    notify(
        applicant,
        K.JOIN_REJECTED,
        community_id=community.pk,
        text=f"Your request to join {community.name} was declined",
    )
    assert len(mail.outbox) == 1
    assert "declined" in mail.outbox[0].body


def test_undeliverable_unverified_and_bot_recipients_get_nothing(
    notify, make_member, community, thread, owner
):
    flagged = make_member(community)
    flagged.user.email_undeliverable = True
    flagged.user.save()
    unverified = make_member(community, user=None)
    unverified.user.emailaddress_set.update(verified=False)
    for m in (flagged, unverified):
        n = notify(m.user, K.MENTION, community_id=community.pk, thread_id=thread.pk, actor_id=owner.user_id)
        assert NotificationEmail.objects.get(notification=n).status == DeliveryStatus.SKIPPED
    assert mail.outbox == []


def test_email_content_headers_link_and_local_time(notify, member, owner, thread, make_post, settings):
    settings.SITE_URL = "https://hearth.example"
    member.user.time_zone = "Asia/Tokyo"
    member.user.save()
    post = make_post(owner, thread, body="Look at <script>alert(1)</script> **this** [link](javascript:x)")
    type(post).objects.filter(pk=post.pk).update(created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    notify(
        member.user,
        K.MENTION,
        community_id=thread.community_id,
        thread_id=thread.pk,
        post_id=post.pk,
        actor_id=owner.user_id,
        text=f"{owner.user.name} mentioned you",
    )
    message = mail.outbox[0]
    link = f"https://hearth.example{thread.get_absolute_url()}#post-{post.pk}"
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert link in html
    assert "<script>" not in html and "javascript:" not in html
    assert "this" in message.body  # excerpt of the post
    # 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo.
    assert "2 March 2026, 08:30 JST" in message.body
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://hearth.example/email/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in message.body
    assert thread.title in message.subject


def test_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks, member, thread):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notification_create(
            recipient_id=member.user_id, kind=K.MENTION, text="x", community_id=thread.community_id
        )
        raise RuntimeError("request failed")
    assert mail.outbox == []
    assert not NotificationEmail.objects.exists()


def test_transient_failure_is_retried_with_backoff_and_sends_once(flaky_mail, notify, member, owner, thread):
    from members.notifications.tasks import send_notification_email

    assert issubclass(smtplib.SMTPServerDisconnected, send_notification_email.autoretry_for)
    assert send_notification_email.retry_backoff and send_notification_email.max_retries >= 3
    flaky_mail.FAILURES_LEFT["count"] = 1
    # The request that made the notification is not disturbed by the failure.
    n = notify(
        member.user, K.MENTION, community_id=thread.community_id, thread_id=thread.pk, actor_id=owner.user_id
    )
    row = NotificationEmail.objects.get(notification=n)
    assert (row.status, row.attempts, mail.outbox) == (DeliveryStatus.RETRYING, 1, [])
    send_notification_email.apply(args=[n.pk])  # what the worker's retry runs
    send_notification_email.apply(args=[n.pk])  # and a duplicate delivery of the same task
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert len(mail.outbox) == 1


def test_transient_failure_leaves_row_for_retry(
    flaky_mail, django_capture_on_commit_callbacks, member, thread
):
    with django_capture_on_commit_callbacks():
        n = notification_create(
            recipient_id=member.user_id, kind=K.MENTION, text="x", community_id=thread.community_id
        )
    flaky_mail.FAILURES_LEFT["count"] = 1
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notification_email_send(notification_id=n.pk)
    assert NotificationEmail.objects.get(notification=n).status == DeliveryStatus.RETRYING
    assert notification_email_send(notification_id=n.pk) == DeliveryStatus.SENT
    assert notification_email_send(notification_id=n.pk) == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_hard_failure_for_one_recipient_does_not_block_others(
    flaky_mail, notify, make_member, community, thread
):
    bouncing = make_member(community, user=None)
    bouncing.user.email = "bounce@example.com"
    bouncing.user.save()
    bouncing.user.emailaddress_set.update(email="bounce@example.com")
    fine = make_member(community)
    first = notify(bouncing.user, K.MENTION, community_id=community.pk, thread_id=thread.pk)
    second = notify(fine.user, K.MENTION, community_id=community.pk, thread_id=thread.pk)
    assert NotificationEmail.objects.get(notification=first).status == DeliveryStatus.FAILED
    assert NotificationEmail.objects.get(notification=second).status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox] == [[fine.user.email]]


def test_a_claimed_row_is_never_sent_again(notify, django_capture_on_commit_callbacks, member, thread):
    """A worker that crashed after claiming (status "sending") leaves it alone: at most once."""
    with django_capture_on_commit_callbacks():
        n = notification_create(
            recipient_id=member.user_id, kind=K.MENTION, text="x", community_id=thread.community_id
        )
    NotificationEmail.objects.filter(notification=n).update(status=DeliveryStatus.SENDING)
    assert notification_email_send(notification_id=n.pk) == DeliveryStatus.SENDING
    assert mail.outbox == []


def test_admin_marks_an_address_undeliverable_and_nothing_is_sent(client, make_user, notify, member, thread):
    operator = make_user("operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    response = client.post(
        "/admin/members/user/",
        {"action": "mark_email_undeliverable", "_selected_action": [member.user_id]},
    )
    assert response.status_code == 302
    member.user.refresh_from_db()
    assert member.user.email_undeliverable is True
    n = notify(member.user, K.MENTION, community_id=thread.community_id, thread_id=thread.pk)
    assert mail.outbox == []
    assert NotificationEmail.objects.get(notification=n).reason == "email marked undeliverable"
    # The member is told on their settings page.
    client.force_login(member.user)
    assert b"could not be delivered" in client.get("/settings/notifications/").content


def test_join_request_email_only_while_recipient_is_staff(
    django_capture_on_commit_callbacks, moderator, community
):
    with django_capture_on_commit_callbacks() as callbacks:
        n = notification_create(
            recipient_id=moderator.user_id,
            kind=K.JOIN_REQUEST,
            text="Sam asked to join",
            community_id=community.pk,
        )
    Membership.objects.filter(pk=moderator.pk).update(role=Role.MEMBER)
    NotificationPreference.objects.create(
        user=moderator.user, kind=K.JOIN_REQUEST, delivery=EmailDelivery.IMMEDIATELY
    )
    for callback in callbacks:
        callback()
    assert mail.outbox == []
    assert NotificationEmail.objects.get(notification=n).reason == "no access"
