"""Digest emails: local-hour scheduling, content limited to what the member can read now,
never empty, one per member per period however often the job runs."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from communities.discussions.models import Reaction, Thread
from communities.discussions.services import post_create, thread_create
from communities.models import Space
from members.models import Membership, MembershipStatus, Role
from members.notifications.digests import digest_send, digests_dispatch, digests_due, period_key
from members.notifications.models import (
    DeliveryStatus,
    DigestRun,
    DigestStatus,
    EmailDelivery,
    Notification,
    NotificationEmail,
)
from members.profiles.models import DigestFrequency, MutedMember, Profile

# Monday 23 November 2026, 09:00 UTC.
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def set_digest(user, frequency=DigestFrequency.WEEKLY, hour=9, weekday=0, tz="UTC", **extra):
    user.time_zone = tz
    user.save(update_fields=["time_zone"])
    Profile.objects.filter(user=user).update(
        digest_frequency=frequency, digest_hour=hour, digest_weekday=weekday, **extra
    )


def thread_at(membership, at, title="A thread", space=None):
    space = space or Space.objects.get(community_id=membership.community_id, slug="general")
    return thread_create(author=membership, space=space, title=title, body_md="Body of " + title, at=at)


@pytest.fixture
def reader(make_member, community):
    """A member who wants a weekly digest on Monday at 09:00 UTC; nothing else is due."""
    m = make_member(community)
    Profile.objects.exclude(user=m.user).update(digest_frequency=DigestFrequency.OFF)
    set_digest(m.user)
    Membership.objects.filter(user=m.user).update(joined_at=MONDAY_9 - timedelta(days=30))
    type(m.user).objects.filter(pk=m.user_id).update(date_joined=MONDAY_9 - timedelta(days=30))
    m.user.refresh_from_db()
    return m


def test_period_keys():
    assert period_key(DigestFrequency.DAILY, MONDAY_9) == "D2026-11-23"
    assert period_key(DigestFrequency.WEEKLY, MONDAY_9) == "W2026-48"


def test_daily_digest_follows_each_members_local_hour(make_user):
    Profile.objects.update(digest_frequency=DigestFrequency.OFF)
    tokyo = make_user("tokyo")
    new_york = make_user("newyork")
    set_digest(tokyo, DigestFrequency.DAILY, hour=8, tz="Asia/Tokyo")  # UTC+9
    set_digest(new_york, DigestFrequency.DAILY, hour=18, tz="America/New_York")  # UTC-5 in November
    # 22:45 UTC: 07:45 Monday in Tokyo, 17:45 Sunday in New York — neither is due.
    assert digests_due(datetime(2026, 11, 22, 22, 45, tzinfo=UTC)) == []
    # 23:00 UTC: 08:00 Monday in Tokyo and 18:00 Sunday in New York, each on its own local date.
    due = set(digests_due(datetime(2026, 11, 22, 23, 0, tzinfo=UTC)))
    assert due == {(tokyo.pk, "D2026-11-23"), (new_york.pk, "D2026-11-22")}


def test_weekly_digest_waits_for_the_local_weekday_and_hour(make_user):
    Profile.objects.update(digest_frequency=DigestFrequency.OFF)
    auckland = make_user("auckland")
    london = make_user("london")
    set_digest(auckland, hour=7, weekday=0, tz="Pacific/Auckland")  # UTC+13 in November
    set_digest(london, hour=7, weekday=0, tz="Europe/London")
    for user in (auckland, london):  # last week's digests are done
        DigestRun.objects.create(
            user=user,
            period_key="W2026-47",
            status=DigestStatus.SENT,
            covered_from=MONDAY_9,
            covered_until=MONDAY_9,
        )
    # Sunday 18:00 UTC is already Monday 07:00 in Auckland; London is still on Sunday.
    assert digests_due(datetime(2026, 11, 22, 18, 0, tzinfo=UTC)) == [(auckland.pk, "W2026-48")]
    assert digests_due(datetime(2026, 11, 23, 6, 59, tzinfo=UTC)) == [(auckland.pk, "W2026-48")]
    due = set(digests_due(datetime(2026, 11, 23, 7, 0, tzinfo=UTC)))
    assert due == {(auckland.pk, "W2026-48"), (london.pk, "W2026-48")}
    # A beat missed on Monday catches up later in the week.
    assert (london.pk, "W2026-48") in digests_due(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))


def test_off_undeliverable_and_bots_are_never_due(make_user):
    Profile.objects.update(digest_frequency=DigestFrequency.OFF)
    off = make_user()
    undeliverable = make_user(email_undeliverable=True)
    bot = make_user(is_bot=True)
    set_digest(off, DigestFrequency.OFF)
    set_digest(undeliverable, DigestFrequency.DAILY, hour=0)
    set_digest(bot, DigestFrequency.DAILY, hour=0)
    assert digests_due(MONDAY_9) == []


def test_weekly_member_gets_one_digest_with_the_weeks_threads(reader, owner, make_member, community):
    author = make_member(community)
    Profile.objects.filter(user=author.user).update(digest_frequency=DigestFrequency.OFF)
    t1 = thread_at(owner, MONDAY_9 - timedelta(days=3), "Garden plans")
    t2 = thread_at(author, MONDAY_9 - timedelta(days=1), "Seed swap on Saturday")
    thread_at(owner, MONDAY_9 - timedelta(days=9), "Last month's news")  # before the week
    digests_dispatch(now=MONDAY_9)
    digests_dispatch(now=MONDAY_9)  # the beat runs again
    digests_dispatch(now=MONDAY_9 + timedelta(minutes=15))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [reader.user.email]
    assert "Garden plans" in message.body and "Seed swap on Saturday" in message.body
    assert "Last month's news" not in message.body
    assert f"{t1.get_absolute_url()}" in message.body and f"{t2.get_absolute_url()}" in message.body
    assert "2 new threads" in message.subject
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0][0]
    assert "Garden plans" in html
    run = DigestRun.objects.get(user=reader.user)
    assert (run.period_key, run.status, run.thread_count) == ("W2026-48", DigestStatus.SENT, 2)
    # Next week covers only what is new since this digest.
    thread_at(owner, MONDAY_9 + timedelta(days=2), "Midweek question")
    digests_dispatch(now=MONDAY_9 + timedelta(days=7))
    assert len(mail.outbox) == 2
    assert "Midweek question" in mail.outbox[1].body
    assert "Garden plans" not in mail.outbox[1].body


def test_retried_digest_sends_exactly_once(flaky_mail, reader, owner):
    thread_at(owner, MONDAY_9 - timedelta(days=2), "Potluck")
    flaky_mail.FAILURES_LEFT["count"] = 1
    with pytest.raises(smtplib.SMTPServerDisconnected):
        digest_send(user_id=reader.user_id, period_key="W2026-48", now=MONDAY_9)
    assert DigestRun.objects.get(user=reader.user).status == DigestStatus.RETRYING
    assert mail.outbox == []
    assert digests_due(MONDAY_9) == []  # the period is claimed: the beat won't start another
    # The task's retry, then a duplicate delivery of the same task.
    assert digest_send(user_id=reader.user_id, period_key="W2026-48", now=MONDAY_9) == DigestStatus.SENT
    assert digest_send(user_id=reader.user_id, period_key="W2026-48", now=MONDAY_9) == DigestStatus.SENT
    assert len(mail.outbox) == 1
    assert DigestRun.objects.get(user=reader.user).attempts == 2


def test_concurrent_runs_for_one_period_send_once(reader, owner):
    thread_at(owner, MONDAY_9 - timedelta(days=2), "Potluck")
    DigestRun.objects.create(
        user=reader.user, period_key="W2026-48", covered_from=MONDAY_9, covered_until=MONDAY_9
    )  # another worker holds the claim (status "sending")
    assert digest_send(user_id=reader.user_id, period_key="W2026-48", now=MONDAY_9) == DigestStatus.SENDING
    assert mail.outbox == []


def test_empty_digest_is_never_sent(reader):
    digests_dispatch(now=MONDAY_9)
    assert mail.outbox == []
    assert DigestRun.objects.get(user=reader.user).status == DigestStatus.EMPTY


def test_digest_lists_only_what_the_member_can_read_now(
    reader, owner, make_member, make_community, community
):
    mods = Space.objects.create(community=community, name="Mods", slug="mods", min_role=Role.MODERATOR)
    thread_at(owner, MONDAY_9 - timedelta(days=1), "Moderators only", space=mods)
    muted = make_member(community)
    MutedMember.objects.create(user=reader.user, muted_user=muted.user)
    thread_at(muted, MONDAY_9 - timedelta(days=1), "From a muted member")
    thread_at(reader, MONDAY_9 - timedelta(days=1), "My own thread")
    removed = thread_at(owner, MONDAY_9 - timedelta(days=1), "Removed thread")
    Thread.objects.filter(pk=removed.pk).update(removed_at=MONDAY_9)
    left = make_community(visibility="secret")
    left_membership = make_member(left, user=reader.user)
    other_owner = Membership.objects.get(community=left, role=Role.OWNER)
    thread_at(other_owner, MONDAY_9 - timedelta(days=1), "Inside the community I left")
    Membership.objects.filter(pk=left_membership.pk).update(status=MembershipStatus.LEFT)
    elsewhere = make_community(visibility="public")
    thread_at(
        Membership.objects.get(community=elsewhere, role=Role.OWNER),
        MONDAY_9 - timedelta(days=1),
        "Never joined",
    )
    visible = thread_at(owner, MONDAY_9 - timedelta(days=2), "Everyone can read this")
    popular = post_create(
        author=owner, thread=visible, body_md="A reply people *loved*", at=MONDAY_9 - timedelta(hours=5)
    )
    Reaction.objects.create(post=popular, user=muted.user, kind="heart")
    post_create(
        author=owner, thread=visible, body_md="A reply nobody reacted to", at=MONDAY_9 - timedelta(hours=4)
    )

    digests_dispatch(now=MONDAY_9)
    body = mail.outbox[0].body
    assert "Everyone can read this" in body
    assert "A reply people loved" in body
    assert "nobody reacted" not in body
    for hidden in (
        "Moderators only",
        "From a muted member",
        "My own thread",
        "Removed thread",
        "Inside the community I left",
        "Never joined",
        left.name,
    ):
        assert hidden not in body, hidden


def test_pending_digest_notifications_are_included_once_and_rechecked(
    notify, set_delivery, reader, owner, make_community, make_member, thread
):
    set_delivery(reader.user, Notification.Kind.MENTION, EmailDelivery.DIGEST)
    kept = notify(
        reader.user,
        Notification.Kind.MENTION,
        community_id=thread.community_id,
        thread_id=thread.pk,
        actor_id=owner.user_id,
        text="Ada mentioned you in a thread",
    )
    secret = make_community(visibility="secret")
    gone = make_member(secret, user=reader.user)
    lost = notify(
        reader.user,
        Notification.Kind.MENTION,
        community_id=secret.pk,
        actor_id=owner.user_id,
        text="Secret club mention",
    )
    Membership.objects.filter(pk=gone.pk).update(status=MembershipStatus.BANNED)
    Notification.objects.filter(pk__in=[kept.pk, lost.pk]).update(created_at=MONDAY_9 - timedelta(hours=1))
    assert mail.outbox == []
    digests_dispatch(now=MONDAY_9)
    assert len(mail.outbox) == 1
    assert "Ada mentioned you in a thread" in mail.outbox[0].body
    assert "Secret club" not in mail.outbox[0].body
    assert NotificationEmail.objects.get(notification=kept).status == DeliveryStatus.IN_DIGEST
    assert NotificationEmail.objects.get(notification=lost).status == DeliveryStatus.SKIPPED
    digests_dispatch(now=MONDAY_9 + timedelta(days=7))
    assert len(mail.outbox) == 1  # nothing new: no second (empty) digest


def test_skip_if_active_since_the_last_digest(reader, owner):
    Profile.objects.filter(user=reader.user).update(
        digest_skip_if_active=True, last_seen_at=MONDAY_9 - timedelta(days=1)
    )
    thread_at(owner, MONDAY_9 - timedelta(days=2), "Already seen it")
    digests_dispatch(now=MONDAY_9)
    assert mail.outbox == []
    assert DigestRun.objects.get(user=reader.user).status == DigestStatus.SKIPPED
    # Away for a week: the next one goes out.
    thread_at(owner, MONDAY_9 + timedelta(days=3), "While you were away")
    digests_dispatch(now=MONDAY_9 + timedelta(days=7))
    assert len(mail.outbox) == 1
    assert "While you were away" in mail.outbox[0].body


def test_hard_failure_for_one_member_does_not_block_the_others(
    flaky_mail, reader, owner, make_member, community
):
    bouncing = make_member(community)
    type(bouncing.user).objects.filter(pk=bouncing.user_id).update(email="bounce@example.com")
    bouncing.user.emailaddress_set.update(email="bounce@example.com")
    set_digest(bouncing.user)
    type(bouncing.user).objects.filter(pk=bouncing.user_id).update(date_joined=MONDAY_9 - timedelta(days=30))
    thread_at(owner, MONDAY_9 - timedelta(days=2), "News")
    assert digests_dispatch(now=MONDAY_9) == 2
    statuses = dict(DigestRun.objects.values_list("user_id", "status"))
    assert statuses == {bouncing.user_id: DigestStatus.FAILED, reader.user_id: DigestStatus.SENT}
    assert [m.to for m in mail.outbox] == [[reader.user.email]]


def test_beat_runs_the_digest_dispatch_every_15_minutes(reader, owner):
    from config.celery import app
    from members.notifications.tasks import dispatch_digests

    entry = app.conf.beat_schedule["members-dispatch-digests"]
    assert entry["task"] == dispatch_digests.name
    assert entry["schedule"].minute == {0, 15, 30, 45}
    thread_at(owner, timezone.now() - timedelta(hours=1), "Fresh news")
    Profile.objects.filter(user=reader.user).update(
        digest_frequency=DigestFrequency.DAILY, digest_hour=0
    )  # due at any hour of today (UTC)
    assert dispatch_digests.apply().get() == 1
    assert dispatch_digests.apply().get() == 0
    assert len(mail.outbox) == 1 and "Fresh news" in mail.outbox[0].body
