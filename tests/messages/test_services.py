"""Starting conversations and writing in them: who may talk to whom, and every limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from members.messages import services
from members.messages.models import (
    Block,
    CommunityMessaging,
    Conversation,
    Message,
    MessagingPreference,
    Participant,
    WhoMayMessage,
)
from members.models import Membership
from members.notifications.models import Notification
from moderation.models import WordFilter, WordFilterAction
from moderation.ratelimit import RateLimited
from tests.messages.conftest import age

pytestmark = pytest.mark.django_db


def start(sender, *recipients, community=None, body="Hello there", subject=""):
    return services.conversation_start(
        sender=sender.user,
        recipients=[r.user for r in recipients],
        community=community or sender.community,
        body_md=body,
        subject=subject,
    )


def test_one_to_one_renders_markdown_once_and_notifies(pm):
    conv = start(pm.alice, pm.bob, body="Hi **Bob**")
    msg = Message.objects.get(conversation=conv)
    assert msg.body_html == "<p>Hi <strong>Bob</strong></p>"
    assert conv.kind == "direct"
    assert set(Participant.objects.filter(conversation=conv).values_list("user_id", flat=True)) == {
        pm.alice.user_id,
        pm.bob.user_id,
    }
    note = Notification.objects.get(recipient=pm.bob.user, kind="message")
    # Bob never wrote to Alice: no text of hers in the notification (nor in its email).
    assert "Bob" not in note.text and "sent you a private message" in note.text


def test_known_sender_notification_has_an_excerpt_and_one_per_conversation(pm):
    conv = start(pm.alice, pm.bob)
    services.message_send(sender=pm.bob.user, conversation=conv, body_md="Hey Alice, good to hear")
    note = Notification.objects.get(recipient=pm.alice.user, kind="message")
    assert "good to hear" in note.text
    services.message_send(sender=pm.bob.user, conversation=conv, body_md="And another thing")
    assert Notification.objects.filter(recipient=pm.alice.user, kind="message").count() == 1


def test_group_up_to_ten(pm, make_member):
    others = [age(make_member(pm.community), 60) for _ in range(9)]
    conv = start(pm.alice, *others)
    assert conv.kind == "group"
    with pytest.raises(ValidationError, match="at most 10"):
        start(pm.alice, *others, pm.bob, body="too many")


def test_only_people_sharing_the_community(pm):
    with pytest.raises(ValidationError, match="not a member"):
        start(pm.alice, pm.dave)


def test_banned_and_muted_cannot_start(pm):
    Membership.objects.filter(pk=pm.alice.pk).update(muted_until=timezone.now() + timedelta(days=1))
    pm.alice.refresh_from_db()
    with pytest.raises(ValidationError, match="muted"):
        start(pm.alice, pm.bob)
    Membership.objects.filter(pk=pm.carol.pk).update(status="banned")
    pm.carol.refresh_from_db()
    with pytest.raises(ValidationError, match="not a member"):
        start(pm.carol, pm.bob)


def test_blocking_either_way_refuses(pm):
    Block.objects.create(user=pm.bob.user, blocked_user=pm.alice.user)
    with pytest.raises(ValidationError, match="can't message"):
        start(pm.alice, pm.bob)
    with pytest.raises(ValidationError, match="can't message"):
        start(pm.bob, pm.alice)


def test_who_may_message_nobody_and_replied(pm):
    MessagingPreference.objects.create(user=pm.bob.user, who_may_message=WhoMayMessage.NOBODY)
    with pytest.raises(ValidationError, match="doesn't accept"):
        start(pm.alice, pm.bob)
    # Staff still reach them with a moderator note.
    services.modnote_start(actor=pm.mod, target=pm.bob, body_md="A quiet word")
    MessagingPreference.objects.filter(user=pm.bob.user).update(who_may_message=WhoMayMessage.REPLIED)
    with pytest.raises(ValidationError, match="doesn't accept"):
        start(pm.alice, pm.bob)
    start(pm.mod, pm.bob, body="Staff may write")  # staff of the community
    # Once Bob has written to Alice, she may start conversations with him.
    conv = start(pm.bob, pm.alice, body="Hi Alice")
    assert conv.pk
    start(pm.alice, pm.bob, body="Now I may write")


def test_owner_switch_off_allows_staff_only(pm):
    CommunityMessaging.objects.create(community=pm.community, members_may_message=False)
    with pytest.raises(ValidationError, match="switched off"):
        start(pm.alice, pm.bob)
    start(pm.alice, pm.mod, body="To a moderator is fine")
    conv = start(pm.mod, pm.alice, body="From a moderator is fine")
    services.message_send(sender=pm.alice.user, conversation=conv, body_md="and the member answers")


def test_newcomers_write_only_to_staff_but_reply_to_anyone(pm):
    with pytest.raises(ValidationError, match="first 3 days"):
        start(pm.newbie, pm.alice)
    start(pm.newbie, pm.mod, body="Hi moderator")
    conv = start(pm.welcomer, pm.newbie, body="Welcome!")
    services.message_send(sender=pm.newbie.user, conversation=conv, body_md="Thanks!")
    age(pm.newbie, 4)
    start(pm.newbie, pm.alice, body="Now I can")


def test_daily_cap_for_new_members_and_after(pm, make_member):
    CommunityMessaging.objects.create(community=pm.community, newcomer_daily_cap=2, daily_cap=3)
    age(pm.newbie, 10)  # past the first days, within 30: the newcomer cap
    people = [age(make_member(pm.community), 60) for _ in range(4)]
    start(pm.newbie, people[0], body="one")
    start(pm.newbie, people[1], body="two")
    with pytest.raises(RateLimited, match="2 new conversations a day while you're new") as exc:
        start(pm.newbie, people[2], body="three")
    assert exc.value.retry_after > 23 * 3600
    for i in range(3):
        start(pm.alice, people[i], body=f"hello {i}")
    with pytest.raises(RateLimited, match="3 new conversations a day"):
        start(pm.alice, people[3], body="hello 3")
    # Replies are not capped; nor are staff.
    conv = Conversation.objects.filter(created_by=pm.alice.user).first()
    services.message_send(sender=pm.alice.user, conversation=conv, body_md="a reply")
    for i in range(4):
        start(pm.mod, people[i], body=f"mod {i}")


def test_identical_message_to_many_is_refused(pm, make_member):
    people = [age(make_member(pm.community), 60) for _ in range(5)]
    for p in people[:3]:
        start(pm.alice, p, body="Buy my   COURSE now")
    with pytest.raises(ValidationError, match="exact message to several people"):
        start(pm.alice, people[3], body="buy my course now")
    # The same text in one conversation twice is fine (a repeat, not a mass mailing).
    conv = Conversation.objects.filter(created_by=pm.alice.user).first()
    services.message_send(sender=pm.alice.user, conversation=conv, body_md="Buy my course now")
    start(pm.alice, people[3], body="Something personal instead")


@pytest.mark.parametrize("action", [WordFilterAction.BLOCK, WordFilterAction.HOLD])
def test_word_filter_applies(pm, action):
    WordFilter.objects.create(community=pm.community, phrase="crypto", action=action)
    with pytest.raises(ValidationError, match="crypto"):
        start(pm.alice, pm.bob, body="Invest in CRYPTO today")
    conv = start(pm.alice, pm.bob, body="Hello")
    with pytest.raises(ValidationError, match="crypto"):
        services.message_send(sender=pm.bob.user, conversation=conv, body_md="crypto?")


@override_settings(RATE_LIMITS_ENABLED=True)
def test_rate_limit_raises_rate_limited(pm):
    from django.core.cache import cache

    cache.clear()
    conv = start(pm.alice, pm.bob)
    with pytest.raises(RateLimited, match="faster than this site allows"):
        services.message_send(sender=pm.alice.user, conversation=conv, body_md="quick second one")
    cache.clear()


def test_edit_and_delete_within_the_window(pm):
    conv = start(pm.alice, pm.bob, body="first")
    msg = Message.objects.get(conversation=conv)
    msg.conversation = conv
    services.message_edit(message=msg, body_md="*edited*")
    msg.refresh_from_db()
    assert msg.body_html == "<p><em>edited</em></p>" and msg.edited_at
    Message.objects.filter(pk=msg.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    msg.refresh_from_db()
    msg.conversation = conv
    with pytest.raises(ValidationError, match="15 minutes"):
        services.message_edit(message=msg, body_md="late")
    with pytest.raises(ValidationError, match="15 minutes"):
        services.message_delete(message=msg)


def test_leave_only_groups(pm):
    conv = start(pm.alice, pm.bob)
    p = Participant.objects.get(conversation=conv, user=pm.bob.user)
    with pytest.raises(ValidationError):
        services.conversation_leave(participant=p)
    group = start(pm.alice, pm.bob, pm.carol, body="group")
    p = Participant.objects.select_related("conversation").get(conversation=group, user=pm.bob.user)
    services.conversation_leave(participant=p)
    p.refresh_from_db()
    assert p.left_at is not None


def test_muted_conversation_sends_no_notification(pm):
    conv = start(pm.alice, pm.bob)
    Notification.objects.all().delete()
    p = Participant.objects.get(conversation=conv, user=pm.bob.user)
    services.conversation_set_muted(participant=p, muted=True)
    services.message_send(sender=pm.alice.user, conversation=conv, body_md="you won't hear")
    assert not Notification.objects.filter(recipient=pm.bob.user).exists()
