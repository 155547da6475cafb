from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from communities.discussions.models import Post
from communities.discussions.services import post_create
from members.models import JoinRequest
from members.services import membership_leave
from moderation import hooks as moderation_hooks
from moderation import queue as moderation_queue
from moderation import sanctions as moderation_sanctions
from moderation import services
from moderation.models import AuditAction, AuditLogEntry, Flag


def _opening(thread) -> Post:
    return thread.posts.get(is_opening=True)


@pytest.fixture
def scene(community, moderator, make_member, make_thread, make_user):
    author = make_member(community)
    post = _opening(make_thread(author))
    flagger = make_member(community)
    return {
        "community": community,
        "mod": moderator,
        "author": author,
        "post": post,
        "flagger": flagger,
        "make_user": make_user,
        "make_member": make_member,
    }


def _flag(s):
    moderation_hooks.flag_create(membership=s["flagger"], post=s["post"], reason="spam")


def _hold(s):
    s["community"].hold_first_posts = 5
    s["community"].save()
    return post_create(author=s["make_member"](s["community"]), thread=s["post"].thread, body_md="held")


CASES = {
    "hide": (
        AuditAction.POST_HIDDEN,
        lambda s: services.post_hide(actor=s["mod"], post=s["post"], reason="r"),
    ),
    "restore": (
        AuditAction.POST_RESTORED,
        lambda s: services.post_restore(actor=s["mod"], post=s["post"], reason="r"),
    ),
    "delete": (
        AuditAction.POST_DELETED,
        lambda s: services.post_erase(actor=s["mod"], post=s["post"], reason="r"),
    ),
    "dismiss": (
        AuditAction.FLAGS_DISMISSED,
        lambda s: services.flags_dismiss(actor=s["mod"], post=s["post"], reason="r"),
    ),
    "approve": (AuditAction.POST_APPROVED, lambda s: services.post_approve(actor=s["mod"], post=s["held"])),
    "reject": (
        AuditAction.POST_REJECTED,
        lambda s: services.post_reject(actor=s["mod"], post=s["held"], reason="r"),
    ),
    "warn": (
        AuditAction.WARNED,
        lambda s: moderation_sanctions.member_warn(actor=s["mod"], target=s["author"], reason="r"),
    ),
    "mute": (
        AuditAction.MUTED,
        lambda s: moderation_sanctions.member_mute(actor=s["mod"], target=s["author"], days=1, reason="r"),
    ),
    "unmute": (
        AuditAction.UNMUTED,
        lambda s: moderation_sanctions.member_unmute(actor=s["mod"], target=s["author"], reason="r"),
    ),
    "ban": (
        AuditAction.BANNED,
        lambda s: moderation_sanctions.member_ban(actor=s["mod"], target=s["author"], reason="r"),
    ),
    "unban": (
        AuditAction.UNBANNED,
        lambda s: moderation_sanctions.member_unban(actor=s["mod"], target=s["author"], reason="r"),
    ),
    "join_approve": (
        AuditAction.JOIN_APPROVED,
        lambda s: moderation_queue.queue_decide_join(
            actor=s["mod"], join_request=s["request"], approve=True, reason="r"
        ),
    ),
    "join_reject": (
        AuditAction.JOIN_REJECTED,
        lambda s: moderation_queue.queue_decide_join(
            actor=s["mod"], join_request=s["request"], approve=False, reason="r"
        ),
    ),
    "word_filter": (
        AuditAction.SETTINGS_CHANGED,
        lambda s: services.word_filter_add(actor=s["mod"], phrase="spam", action="hold"),
    ),
}

SETUP = {
    "restore": lambda s: services.post_hide(actor=s["mod"], post=s["post"]),
    "dismiss": _flag,
    "approve": lambda s: s.update(held=_hold(s)),
    "reject": lambda s: s.update(held=_hold(s)),
    "unmute": lambda s: moderation_sanctions.member_mute(actor=s["mod"], target=s["author"], days=1),
    "unban": lambda s: moderation_sanctions.member_ban(actor=s["mod"], target=s["author"]),
    "join_approve": lambda s: s.update(
        request=JoinRequest.objects.create(community=s["community"], user=s["make_user"]())
    ),
    "join_reject": lambda s: s.update(
        request=JoinRequest.objects.create(community=s["community"], user=s["make_user"]())
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_action_writes_exactly_one_audit_entry(name, scene):
    if name in SETUP:
        SETUP[name](scene)
    before = set(AuditLogEntry.objects.values_list("pk", flat=True))
    expected_action, act = CASES[name]
    act(scene)
    new = AuditLogEntry.objects.exclude(pk__in=before)
    assert new.count() == 1
    entry = new.get()
    assert entry.action == expected_action
    assert entry.actor_id == scene["mod"].user_id
    assert entry.community_id == scene["community"].pk
    if name not in ("word_filter",):
        assert entry.target_user_id is not None
    if name not in ("word_filter", "approve"):
        assert entry.reason in ("r", "")


def test_failing_step_leaves_no_entry_and_no_change(scene):
    """Hide + mute in one step, where the mute fails (the author left): nothing is kept."""
    _flag(scene)
    membership_leave(membership=scene["author"])
    with pytest.raises(ValidationError):
        moderation_queue.queue_resolve_flags(
            actor=scene["mod"], post=scene["post"], action="hide", sanction="mute", mute_days=1
        )
    assert not AuditLogEntry.objects.exists()
    scene["post"].refresh_from_db()
    assert scene["post"].removed_at is None
    assert Flag.objects.filter(resolved_at__isnull=True).count() == 1


def test_audit_log_page_filters_and_paginates(client, scene):
    mod, author = scene["mod"], scene["author"]
    for i in range(60):
        moderation_sanctions.member_warn(actor=mod, target=author, reason=f"warning {i}")
    services.post_hide(actor=mod, post=scene["post"], reason="off topic")
    client.force_login(mod.user)
    url = reverse("mod-log", args=[scene["community"].slug])
    page = client.get(url).content.decode()
    assert "off topic" in page and "Page 1 of 2" in page
    hidden_only = client.get(url, {"action": AuditAction.POST_HIDDEN}).content.decode()
    assert "off topic" in hidden_only and "warning 3" not in hidden_only
    by_target = client.get(url, {"target": author.user.handle, "page": 2}).content.decode()
    assert "Page 2 of 2" in by_target
    nobody = client.get(url, {"actor": "nosuchperson"}).content.decode()
    assert "match these filters" in nobody


@pytest.mark.parametrize("show_moderator", [False, True])
def test_transparency_log_shows_only_what_the_owner_allows(client, scene, show_moderator):
    community, mod, author = scene["community"], scene["mod"], scene["author"]
    url = reverse("transparency-log", args=[community.slug])
    moderation_sanctions.member_warn(actor=mod, target=author, reason="Keep it kind")
    services.word_filter_add(actor=mod, phrase="secretword", action="block")
    request = JoinRequest.objects.create(community=community, user=scene["make_user"]())
    moderation_queue.queue_decide_join(
        actor=mod, join_request=request, approve=False, reason="private reason"
    )
    viewer = scene["flagger"]
    client.force_login(viewer.user)
    assert client.get(url).status_code == 404  # off by default

    community.transparency_log_enabled = True
    community.transparency_show_moderator = show_moderator
    community.save()
    html = client.get(url).content.decode()
    assert "Keep it kind" in html
    assert "secretword" not in html and "private reason" not in html
    assert (f"@{mod.user.handle}" in html) is show_moderator
