"""Every message URL against everyone who might try it: participants, non-participants, the
blocked, the banned, staff of another community, anonymous visitors. Where not allowed: 404,
the same as an id that never existed (nothing changes)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.messages import services
from members.messages.models import (
    Block,
    CommunityMessaging,
    Conversation,
    Message,
    MessageReport,
    Participant,
)
from members.models import Membership, Role
from moderation import message_reports
from tests.messages.conftest import age

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(pm, make_member):
    direct = services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="Hi Bob"
    )
    reply = services.message_send(sender=pm.bob.user, conversation=direct, body_md="Hi Alice")
    alice_msg = Message.objects.filter(conversation=direct, sender=pm.alice.user).first()
    group = services.conversation_start(
        sender=pm.alice.user,
        recipients=[pm.bob.user, pm.carol.user],
        community=pm.community,
        body_md="Group hello",
    )
    note = services.modnote_start(actor=pm.mod, target=pm.bob, body_md="A quiet word")
    alice_msg.conversation = direct
    report = message_reports.message_report_create(
        reporter=pm.bob.user, message=alice_msg, community_id=pm.community.pk, reason="harassment"
    )
    pm.direct, pm.group, pm.note, pm.report = direct, group, note, report
    pm.erin = age(make_member(pm.community), 60)  # someone to block
    pm.alice_msg, pm.bob_msg = alice_msg, reply
    return pm


def urls(w) -> dict[str, tuple[str, str, dict]]:
    """name -> (method, url, POST data)."""
    d, g, n, c = w.direct.pk, w.group.pk, w.note.pk, w.community.slug
    return {
        "conversation": ("get", reverse("messages-conversation", args=[d]), {}),
        "send": ("post", reverse("messages-send", args=[d]), {"body": "probe"}),
        "poll": ("get", reverse("messages-poll", args=[d]) + "?after=0", {}),
        "read": ("post", reverse("messages-read", args=[d]), {}),
        "mute": ("post", reverse("messages-mute", args=[d]), {"muted": "1"}),
        "leave-group": ("post", reverse("messages-leave", args=[g]), {}),
        "edit-bob": ("get", reverse("messages-edit", args=[d, w.bob_msg.pk]), {}),
        "edit-bob-post": ("post", reverse("messages-edit", args=[d, w.bob_msg.pk]), {"body": "probe"}),
        "delete-bob": ("post", reverse("messages-delete", args=[d, w.bob_msg.pk]), {}),
        "report-alice": ("get", reverse("messages-report", args=[d, w.alice_msg.pk]), {}),
        "report-alice-post": (
            "post",
            reverse("messages-report", args=[d, w.alice_msg.pk]),
            {"community": str(w.community.pk), "reason": "spam"},
        ),
        "new-to-alice": ("get", reverse("messages-new") + "?to=" + w.alice.user.handle, {}),
        "staff-inbox": ("get", reverse("messages-staff-inbox", args=[c]), {}),
        "modnote-new": ("get", reverse("messages-modnote-new", args=[c]) + "?to=" + w.bob.user.handle, {}),
        "staff-conversation": ("get", reverse("messages-staff-conversation", args=[c, n]), {}),
        "staff-conversation-post": (
            "post",
            reverse("messages-staff-conversation", args=[c, n]),
            {"body": "probe"},
        ),
        "report-resolve": (
            "post",
            reverse("messages-report-resolve", args=[c, w.report.pk]),
            {"action": "dismiss"},
        ),
        "inbox": ("get", reverse("messages-inbox"), {}),
        "mark-all-read": ("post", reverse("messages-mark-all-read"), {}),
        "settings": ("get", reverse("messages-settings"), {}),
        "settings-post": ("post", reverse("messages-settings"), {"who_may_message": "everyone"}),
        "community-settings": ("get", reverse("messages-community-settings", args=[c]), {}),
        "community-settings-post": (
            "post",
            reverse("messages-community-settings", args=[c]),
            {"members_may_message": "", "newcomer_days": "3", "newcomer_daily_cap": "5", "daily_cap": "20"},
        ),
        # Last: it changes what the actor sees of erin.
        "block-erin": ("post", reverse("messages-block", args=[w.erin.user.handle]), {"block": "1"}),
    }


# Every signed-in person has an inbox and settings of their own.
OWN = {"inbox", "mark-all-read", "settings", "settings-post"}

# Who -> URLs they may use (everything else of the table must be 404).
ALLOWED = {
    # bob: in the direct conversation and the group, the member of the moderator note
    "participant": OWN
    | {
        "conversation",
        "send",
        "poll",
        "read",
        "mute",
        "leave-group",
        "edit-bob",
        "edit-bob-post",
        "delete-bob",
        "report-alice",
        "report-alice-post",
        "new-to-alice",
        "block-erin",
    },
    # carol: same community, not in the direct conversation (in the group)
    "non_participant": OWN | {"leave-group", "new-to-alice", "block-erin"},
    # alice, blocked by bob: keeps her copy of the conversation but can't write in it or reach him
    "blocked": OWN | {"conversation", "poll", "read", "mute", "leave-group", "block-erin"},
    # carol, banned from the only community she shares: her copy of the group stays hers to leave
    "banned": OWN | {"leave-group"},
    # a moderator of the community who is not in the conversation: staff pages, never the DM
    "staff_here": OWN
    | {
        "staff-inbox",
        "modnote-new",
        "staff-conversation",
        "staff-conversation-post",
        "report-resolve",
        "new-to-alice",
        "block-erin",
    },
    "owner": OWN
    | {
        "staff-inbox",
        "modnote-new",
        "staff-conversation",
        "staff-conversation-post",
        "report-resolve",
        "community-settings",
        "community-settings-post",
        "new-to-alice",
        "block-erin",
    },
    "staff_elsewhere": OWN,
    "outsider": OWN,
}

STATE_CHANGING = {
    "send",
    "read",
    "mute",
    "leave-group",
    "edit-bob-post",
    "delete-bob",
    "report-alice-post",
    "staff-conversation-post",
    "report-resolve",
    "community-settings-post",
}


def actor(w, who: str):
    if who == "blocked":
        Block.objects.create(user=w.bob.user, blocked_user=w.alice.user)
    if who == "banned":
        Membership.objects.filter(pk=w.carol.pk).update(status="banned")
    return {
        "participant": w.bob.user,
        "non_participant": w.carol.user,
        "blocked": w.alice.user,
        "banned": w.carol.user,
        "staff_here": w.mod.user,
        "owner": w.owner.user,
        "staff_elsewhere": w.other_mod.user,
        "outsider": w.dave.user,
    }[who]


def snapshot() -> tuple:
    return (
        Message.objects.count(),
        list(Message.objects.order_by("pk").values_list("body_md", "deleted_at")),
        list(Participant.objects.order_by("pk").values_list("left_at", "muted")),
        MessageReport.objects.count(),
        MessageReport.objects.filter(resolved_at__isnull=False).count(),
        Block.objects.count(),
        list(CommunityMessaging.objects.values_list("members_may_message", flat=True)),
    )


@pytest.mark.parametrize("who", list(ALLOWED))
def test_matrix(client, world, who):
    client.force_login(actor(world, who))
    for name, (method, url, data) in urls(world).items():
        before = snapshot()
        response = getattr(client, method)(url, data)
        allowed = name in ALLOWED[who]
        if allowed:
            # 400: allowed in, refused on content (e.g. a second report of the same message).
            assert response.status_code in (200, 302, 400), (who, name, response.status_code)
        else:
            assert response.status_code == 404, (who, name, response.status_code)
            assert snapshot() == before, (who, name)


def test_missing_ids_look_the_same(client, world):
    client.force_login(world.bob.user)
    assert client.get(reverse("messages-conversation", args=[999999])).status_code == 404
    assert (
        client.get(reverse("messages-staff-conversation", args=[world.community.slug, 999999])).status_code
        == 404
    )


def test_anonymous(client, world):
    for name, (method, url, data) in urls(world).items():
        response = getattr(client, method)(url, data)
        if name in {"new-to-alice", "inbox", "mark-all-read", "settings", "settings-post", "block-erin"}:
            # No object of anyone's in the URL: log in first.
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
            continue
        assert response.status_code == 404, (name, response.status_code)
    response = client.get(reverse("messages-inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_blocked_person_keeps_their_copy_but_cannot_write(client, world):
    Block.objects.create(user=world.bob.user, blocked_user=world.alice.user)
    client.force_login(world.alice.user)
    d = world.direct.pk
    assert client.get(reverse("messages-conversation", args=[d])).status_code == 200
    n = Message.objects.count()
    assert client.post(reverse("messages-send", args=[d]), {"body": "hello?"}).status_code == 404
    assert Message.objects.count() == n
    assert client.get(reverse("messages-new") + "?to=" + world.bob.user.handle).status_code == 404
    # The blocker no longer sees the conversation nor Alice's messages.
    client.force_login(world.bob.user)
    inbox = client.get(reverse("messages-inbox")).content.decode()
    assert reverse("messages-conversation", args=[d]) not in inbox
    page = client.get(reverse("messages-conversation", args=[d])).content.decode()
    assert "Hi Bob" not in page and "Hi Alice" in page
    group = client.get(reverse("messages-conversation", args=[world.group.pk])).content.decode()
    assert "Group hello" not in group


def test_banned_participant_cannot_write_or_start(client, world):
    Membership.objects.filter(pk=world.carol.pk).update(status="banned")
    client.force_login(world.carol.user)
    g = world.group.pk
    n = Message.objects.count()
    assert client.post(reverse("messages-send", args=[g]), {"body": "still here"}).status_code == 404
    assert Message.objects.count() == n
    assert client.get(reverse("messages-new") + "?to=" + world.alice.user.handle).status_code == 404
    assert client.get(reverse("messages-staff-inbox", args=[world.community.slug])).status_code == 404


def test_staff_of_this_community_cannot_read_members_conversations(client, world):
    client.force_login(world.owner.user)
    assert client.get(reverse("messages-conversation", args=[world.direct.pk])).status_code == 404
    assert client.get(reverse("messages-poll", args=[world.direct.pk])).status_code == 404


def test_staff_elsewhere_cannot_reach_this_communitys_note_through_their_own(client, world):
    client.force_login(world.other_mod.user)
    slug = world.other.slug
    assert client.get(reverse("messages-staff-conversation", args=[slug, world.note.pk])).status_code == 404
    assert (
        client.post(
            reverse("messages-report-resolve", args=[slug, world.report.pk]), {"action": "dismiss"}
        ).status_code
        == 404
    )
    assert MessageReport.objects.get(pk=world.report.pk).resolved_at is None


def test_left_participant_gets_404(client, world):
    client.force_login(world.carol.user)
    assert client.post(reverse("messages-leave", args=[world.group.pk])).status_code == 302
    assert client.get(reverse("messages-conversation", args=[world.group.pk])).status_code == 404


def test_a_moderator_writing_as_a_member_of_the_note_sees_it_as_from_the_moderators(client, world):
    client.force_login(world.bob.user)
    page = client.get(reverse("messages-conversation", args=[world.note.pk])).content.decode()
    assert f"Moderators of {world.community.name}" in page
    assert world.mod.user.handle not in page  # which moderator wrote it stays among staff
    assert Conversation.objects.get(pk=world.note.pk).kind == "modnote"


def test_welcomer_role_is_not_staff(client, world):
    client.force_login(world.welcomer.user)
    assert client.get(reverse("messages-staff-inbox", args=[world.community.slug])).status_code == 404
    assert Membership.objects.get(pk=world.welcomer.pk).role == Role.WELCOMER


def test_member_in_two_communities_can_not_be_reached_through_the_other(world, make_member):
    age(make_member(world.other, user=world.alice.user), 60)
    # Alice and Dave now share `other`: a conversation in the first community's context fails.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.conversation_start(
            sender=world.alice.user, recipients=[world.dave.user], community=world.community, body_md="hi"
        )
    services.conversation_start(
        sender=world.alice.user, recipients=[world.dave.user], community=world.other, body_md="hi"
    )
