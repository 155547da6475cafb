"""Messages and a person's account: data download, deletion; notifications, email and digest;
community archives leave messages out."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core import mail
from django.urls import reverse

from members.account.services import account_delete, personal_data_write
from members.messages import services
from members.messages.models import Message, Participant
from members.notifications.models import EmailDelivery, Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def test_personal_data_download_includes_own_messages(pm):
    conv = services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="my **words**"
    )
    services.message_send(sender=pm.bob.user, conversation=conv, body_md="bob's words")
    buf = io.BytesIO()
    counts = personal_data_write(pm.alice.user, buf)
    assert counts["messages"] == 1
    with zipfile.ZipFile(buf) as zf:
        rows = [json.loads(line) for line in zf.read("messages.jsonl").splitlines()]
    assert rows[0]["body_md"] == "my **words**" and rows[0]["community_slug"] == pm.community.slug
    assert "bob's words" not in json.dumps(rows)


def test_account_deletion_anonymises_the_sender_and_keeps_copies(client, pm):
    conv = services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="still readable"
    )
    handle = pm.alice.user.handle
    account_delete(user=pm.alice.user)
    assert not Participant.objects.filter(user=pm.alice.user).exists()
    assert Message.objects.filter(conversation=conv, body_md="still readable").exists()
    client.force_login(pm.bob.user)
    page = client.get(conv.get_absolute_url()).content.decode()
    assert "still readable" in page and "Deleted member" in page and handle not in page
    assert "write in this conversation any more" in page
    inbox = client.get(reverse("messages-inbox")).content.decode()
    assert "still readable" in inbox


def test_email_never_carries_a_strangers_text(pm, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    mail.outbox.clear()
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        conv = services.conversation_start(
            sender=pm.alice.user,
            recipients=[pm.bob.user],
            community=pm.community,
            body_md="click evil.example now",
        )
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [pm.bob.user.email]
    assert "evil.example" not in email.body and "evil.example" not in email.alternatives[0][0]
    assert conv.get_absolute_url() in email.body
    # Once Bob has written back, Alice is no stranger: her next message's excerpt may be emailed.
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.message_send(sender=pm.bob.user, conversation=conv, body_md="who are you?")
    Notification.objects.filter(recipient=pm.bob.user).update(read_at="2026-01-01T00:00:00Z")
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.message_send(
            sender=pm.alice.user, conversation=conv, body_md="a friend from the garden club"
        )
    assert len(mail.outbox) == 1 and "garden club" in mail.outbox[0].body


def test_per_kind_preference_and_digest(pm):
    from django.test import TestCase

    NotificationPreference.objects.create(user=pm.bob.user, kind="message", delivery=EmailDelivery.DIGEST)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.conversation_start(
            sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="digest me"
        )
    assert mail.outbox == []
    note = Notification.objects.get(recipient=pm.bob.user, kind="message")
    assert note.email.status == "digest"


def test_preferences_page_lists_private_messages(client, pm):
    client.force_login(pm.bob.user)
    body = client.get(reverse("settings-notifications")).content.decode()
    assert "Private message" in body


def test_export_page_says_messages_are_not_included(client, pm):
    client.force_login(pm.owner.user)
    body = client.get(reverse("community-export", args=[pm.community.slug])).content.decode()
    assert "Private messages are not included" in body


def test_archive_has_no_messages(pm):
    from communities.portability.writer import write_archive

    services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="archive-proof words"
    )
    services.modnote_start(actor=pm.mod, target=pm.bob, body_md="modnote-proof words")
    buf = io.BytesIO()
    write_archive(pm.community, buf)
    with zipfile.ZipFile(buf) as zf:
        everything = b"".join(zf.read(name) for name in zf.namelist())
    assert b"archive-proof" not in everything and b"modnote-proof" not in everything
    assert pm.alice.user.handle.encode() in everything  # the archive itself was written


@pytest.mark.parametrize("change", ["block", "leave", "mute"])
def test_email_rechecked_at_send_time(pm, change):
    from members.messages.models import Block
    from members.notifications.emails import notification_email_send

    conv = services.conversation_start(
        sender=pm.alice.user,
        recipients=[pm.bob.user, pm.carol.user],
        community=pm.community,
        body_md="hi all",
    )
    note = Notification.objects.get(recipient=pm.bob.user, kind="message")
    if change == "block":
        Block.objects.create(user=pm.bob.user, blocked_user=pm.alice.user)
    elif change == "leave":
        Participant.objects.filter(conversation=conv, user=pm.bob.user).update(left_at="2026-01-01T00:00:00Z")
    else:
        Participant.objects.filter(conversation=conv, user=pm.bob.user).update(muted=True)
    mail.outbox.clear()
    assert notification_email_send(notification_id=note.pk) == "skipped"
    assert mail.outbox == []
    other = Notification.objects.get(recipient=pm.carol.user, kind="message")
    assert notification_email_send(notification_id=other.pk) == "sent"


def test_digest_lists_the_message_without_its_text(pm):
    from datetime import timedelta

    from django.test import TestCase
    from django.utils import timezone

    from members.notifications.digests import digest_send

    NotificationPreference.objects.create(user=pm.bob.user, kind="message", delivery=EmailDelivery.DIGEST)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.conversation_start(
            sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="secret-ish words"
        )
    mail.outbox.clear()
    status = digest_send(
        user_id=pm.bob.user_id, period_key="W2099-01", now=timezone.now() + timedelta(minutes=5)
    )
    assert status == "sent", status
    body = mail.outbox[0].body
    assert f"@{pm.alice.user.handle} sent you a private message" in body
    assert "secret-ish" not in body
