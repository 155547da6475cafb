"""The removal and restore rules, decided once (``access.can_restore_post``) and written once
(``communities.discussions.services.post_delete`` for authors, ``moderation.services`` for staff).

Before the reshape two services disagreed: one restored a post its author had deleted, the other
refused; and the author-delete service had a moderator branch that no caller could reach.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from communities.discussions.models import PostEvent
from communities.discussions.services import post_create, post_delete, thread_set_pinned
from moderation import services
from moderation.models import AuditAction, AuditLogEntry


@pytest.fixture
def reply(member, thread):
    return post_create(author=member, thread=thread, body_md="A reply worth keeping")


def test_author_delete_is_restored_only_by_the_author(member, moderator, owner, reply):
    post_delete(actor=member, post=reply)
    for staff in (moderator, owner):
        with pytest.raises(ValidationError, match="only they can restore"):
            services.post_restore(actor=staff, post=reply)
    reply.refresh_from_db()
    assert reply.removed_at is not None
    services.post_restore(actor=member, post=reply)
    reply.refresh_from_db()
    assert reply.removed_at is None
    assert PostEvent.objects.filter(post=reply, kind="restored", by_moderator=False).count() == 1
    assert not AuditLogEntry.objects.filter(target_post=reply).exists()


def test_moderator_hide_is_restored_by_staff_not_by_the_author(member, moderator, reply):
    services.post_hide(actor=moderator, post=reply, reason="off topic")
    with pytest.raises(PermissionDenied):
        services.post_restore(actor=member, post=reply)
    services.post_restore(actor=moderator, post=reply, reason="  on second look it is fine  ")
    reply.refresh_from_db()
    assert reply.removed_at is None
    entry = AuditLogEntry.objects.get(action=AuditAction.POST_RESTORED, target_post=reply)
    # The one audit writer trims the reason and fills in the thread of a post action.
    assert entry.reason == "on second look it is fine"
    assert entry.target_thread_id == reply.thread_id


def test_erased_post_never_comes_back(member, moderator, reply):
    services.post_erase(actor=moderator, post=reply, reason="doxxing")
    with pytest.raises(ValidationError, match="can't be restored"):
        services.post_restore(actor=moderator, post=reply)


def test_author_delete_refuses_anyone_else(moderator, owner, reply):
    for other in (moderator, owner):
        with pytest.raises(PermissionDenied):
            post_delete(actor=other, post=reply)
    reply.refresh_from_db()
    assert reply.removed_at is None


def test_thread_actions_use_the_one_audit_writer(moderator, thread):
    thread_set_pinned(actor=moderator, thread=thread, pinned=True)
    entry = AuditLogEntry.objects.get(action=AuditAction.THREAD_PINNED)
    assert entry.actor_id == moderator.user_id and entry.target_thread_id == thread.pk
    assert entry.community_id == thread.community_id
