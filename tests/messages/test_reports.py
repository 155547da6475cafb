"""Reporting a message: the reporter picks the community and what to include; moderators see
only those copies, in the one review queue, and act with warn/mute/ban (audit log entries)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from members.messages import services
from members.messages.models import Message, MessageReport
from members.models import Membership
from moderation import message_reports
from moderation.models import AuditLogEntry, Sanction
from moderation.selectors import review_queue_counts, review_queue_page
from tests.messages.conftest import age

pytestmark = pytest.mark.django_db


@pytest.fixture
def convo(pm):
    conv = services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="private opener"
    )
    services.message_send(sender=pm.bob.user, conversation=conv, body_md="bob's own words")
    services.message_send(sender=pm.alice.user, conversation=conv, body_md="you are awful")
    services.message_send(sender=pm.alice.user, conversation=conv, body_md="never shown to mods")
    msgs = {m.body_md: m for m in Message.objects.filter(conversation=conv)}
    for m in msgs.values():
        m.conversation = conv
    return conv, msgs


def test_report_goes_to_the_queue_with_only_chosen_messages(client, pm, convo):
    conv, msgs = convo
    client.force_login(pm.bob.user)
    url = reverse("messages-report", args=[conv.pk, msgs["you are awful"].pk])
    page = client.get(url).content.decode()
    assert "bob&#x27;s own words" in page or "bob's own words" in page
    response = client.post(
        url,
        {
            "community": str(pm.community.pk),
            "reason": "harassment",
            "note": "not ok",
            "include": [str(msgs["private opener"].pk)],
        },
    )
    assert response.status_code == 302
    report = MessageReport.objects.get()
    assert report.reported_user_id == pm.alice.user_id
    assert review_queue_counts(pm.community, viewer=pm.mod)["message"] == 1
    client.force_login(pm.mod.user)
    queue = client.get(reverse("mod-queue", args=[pm.community.slug]) + "?type=message").content.decode()
    assert "you are awful" in queue and "private opener" in queue
    assert "never shown to mods" not in queue and "bob&#x27;s own words" not in queue
    # Editing or deleting afterwards doesn't change what the moderators see.
    Message.objects.filter(pk=msgs["you are awful"].pk).update(body_html="<p>nice now</p>")
    queue = client.get(reverse("mod-queue", args=[pm.community.slug])).content.decode()
    assert "you are awful" in queue


def test_cannot_include_messages_of_another_conversation_or_pick_an_unshared_community(pm, convo):
    _conv, msgs = convo
    other = services.conversation_start(
        sender=pm.carol.user, recipients=[pm.alice.user], community=pm.community, body_md="carol secret"
    )
    foreign = Message.objects.get(conversation=other)
    report = message_reports.message_report_create(
        reporter=pm.bob.user,
        message=msgs["you are awful"],
        community_id=pm.community.pk,
        include_ids=[foreign.pk],
        reason="spam",
    )
    assert [c.body_html for c in report.items.all()] == [msgs["you are awful"].body_html]
    with pytest.raises(ValidationError, match="share"):
        message_reports.message_report_create(
            reporter=pm.bob.user, message=msgs["private opener"], community_id=pm.other.pk, reason="spam"
        )
    with pytest.raises(ValidationError, match="already reported"):
        message_reports.message_report_create(
            reporter=pm.bob.user, message=msgs["you are awful"], community_id=pm.community.pk, reason="spam"
        )


@pytest.mark.parametrize("action", ["dismiss", "warn", "mute", "ban"])
def test_moderator_acts_from_the_queue(client, pm, convo, action):
    _conv, msgs = convo
    report = message_reports.message_report_create(
        reporter=pm.bob.user, message=msgs["you are awful"], community_id=pm.community.pk, reason="harassment"
    )
    client.force_login(pm.mod.user)
    response = client.post(
        reverse("messages-report-resolve", args=[pm.community.slug, report.pk]),
        {"action": action, "reason": "be kind", "mute_days": "2"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.resolved_at is not None and report.resolved_by_id == pm.mod.user_id
    entry = AuditLogEntry.objects.get(action="msg_report_resolved")
    assert entry.target_user_id == pm.alice.user_id and entry.data["message_report"] == report.pk
    alice = Membership.objects.get(pk=pm.alice.pk)
    if action == "warn":
        assert Sanction.objects.filter(user=pm.alice.user, kind="warn").exists()
    elif action == "mute":
        assert alice.muted_until is not None
    elif action == "ban":
        assert alice.status == "banned"
    else:
        assert not Sanction.objects.filter(user=pm.alice.user).exists()
    assert review_queue_counts(pm.community, viewer=pm.mod)["message"] == 0
    # A second click: already handled, nothing applied twice.
    client.post(reverse("messages-report-resolve", args=[pm.community.slug, report.pk]), {"action": "warn"})
    assert AuditLogEntry.objects.filter(action="msg_report_resolved").count() == 1


def test_moderators_cannot_sanction_the_owner_through_a_report(client, pm):
    age(pm.owner, 60)
    conv = services.conversation_start(
        sender=pm.owner.user, recipients=[pm.bob.user], community=pm.community, body_md="owner says"
    )
    msg = Message.objects.get(conversation=conv)
    msg.conversation = conv
    report = message_reports.message_report_create(
        reporter=pm.bob.user, message=msg, community_id=pm.community.pk, reason="other"
    )
    client.force_login(pm.mod.user)
    response = client.post(
        reverse("messages-report-resolve", args=[pm.community.slug, report.pk]), {"action": "ban"}
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.resolved_at is None


def test_queue_query_count_with_many_reports(client, pm, make_member, django_assert_max_num_queries):
    for i in range(30):
        p = age(make_member(pm.community), 60)
        conv = services.conversation_start(
            sender=pm.alice.user if i < 3 else p.user,
            recipients=[pm.bob.user],
            community=pm.community,
            body_md=f"msg {i}",
        )
        msg = Message.objects.get(conversation=conv)
        msg.conversation = conv
        message_reports.message_report_create(
            reporter=pm.bob.user, message=msg, community_id=pm.community.pk, reason="spam"
        )
    page = review_queue_page(pm.community, viewer=pm.mod)
    assert len(page.object_list) == 25
    client.force_login(pm.mod.user)
    client.get(reverse("mod-queue", args=[pm.community.slug]))
    with django_assert_max_num_queries(16):
        assert client.get(reverse("mod-queue", args=[pm.community.slug])).status_code == 200


@override_settings(RATE_LIMITS_ENABLED=True)
def test_reports_are_rate_limited_per_day(pm, make_member, monkeypatch):
    from django.core.cache import cache

    from moderation.ratelimit import RateLimited

    cache.clear()
    monkeypatch.setattr(message_reports, "REPORTS_PER_DAY", 2)
    msgs = []
    for i in range(3):
        p = age(make_member(pm.community), 60)
        conv = services.conversation_start(
            sender=p.user, recipients=[pm.bob.user], community=pm.community, body_md=f"hey {i}"
        )
        msg = Message.objects.get(conversation=conv)
        msg.conversation = conv
        msgs.append(msg)
    for msg in msgs[:2]:
        message_reports.message_report_create(
            reporter=pm.bob.user, message=msg, community_id=pm.community.pk, reason="spam"
        )
    with pytest.raises(RateLimited, match="2 messages a day"):
        message_reports.message_report_create(
            reporter=pm.bob.user, message=msgs[2], community_id=pm.community.pk, reason="spam"
        )
    cache.clear()
