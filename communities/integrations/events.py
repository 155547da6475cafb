"""The events Hearth tells webhooks about, and the one way services announce them.

A leaf module (it imports nothing of Hearth's), so every service may call :func:`emit` without
creating an import cycle. ``emit`` sends the :data:`hearth_event` signal once the surrounding
transaction commits (a rolled-back write announces nothing); the integrations room connects a
receiver that queues the delivery work. Services never import the integrations' tasks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

THREAD_CREATED = "thread.created"
POST_CREATED = "post.created"
POST_HIDDEN = "post.hidden"
MEMBER_JOINED = "member.joined"
MEMBER_LEFT = "member.left"
JOIN_REQUEST_CREATED = "join_request.created"
FLAG_CREATED = "flag.created"
EVENT_CREATED = "event.created"
EVENT_UPDATED = "event.updated"
EVENT_CANCELLED = "event.cancelled"
RSVP_CHANGED = "rsvp.changed"
PING = "ping"  # the owner's "send test" button; never chosen, always allowed

# (name, what the owner reads next to the checkbox), in the order the form shows them.
EVENT_CHOICES: list[tuple[str, str]] = [
    (THREAD_CREATED, "A thread is started"),
    (POST_CREATED, "A reply is posted"),
    (POST_HIDDEN, "A post is hidden by moderation"),
    (MEMBER_JOINED, "Someone joins"),
    (MEMBER_LEFT, "Someone leaves (or is removed)"),
    (JOIN_REQUEST_CREATED, "Someone asks to join"),
    (FLAG_CREATED, "A post is flagged"),
    (EVENT_CREATED, "An event is scheduled"),
    (EVENT_UPDATED, "An event is edited or moved"),
    (EVENT_CANCELLED, "An event is cancelled"),
    (RSVP_CHANGED, "Someone answers an event (going, maybe, not going)"),
]
EVENT_NAMES = frozenset(name for name, _ in EVENT_CHOICES)

# Sent after commit with: event (str), event_id (str), community_id (int), occurred_at (datetime),
# refs (dict of ids naming the objects; payloads are built from them later, from fresh rows).
hearth_event = Signal()


# Payload builders of event kinds added by other rooms: name -> f(community, refs) -> data | None.
_BUILDERS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any] | None]] = {}


def register_event(
    name: str, label: str, builder: Callable[[Any, dict[str, Any]], dict[str, Any] | None]
) -> None:
    """Let another room add an event kind (e.g. events/RSVP): its checkbox label and the function
    that builds its ``data`` from fresh rows (returning None when a member could not see it)."""
    global EVENT_NAMES
    if name not in EVENT_NAMES:
        EVENT_CHOICES.append((name, label))
        EVENT_NAMES = frozenset(n for n, _ in EVENT_CHOICES)
    _BUILDERS[name] = builder


def payload_builder(name: str) -> Callable[[Any, dict[str, Any]], dict[str, Any] | None] | None:
    return _BUILDERS.get(name)


def emit(event: str, *, community_id: int, **refs: int | str | None) -> None:
    """Announce ``event`` in ``community_id`` once the current transaction commits.

    ``refs`` are plain ids (``post_id=…``, ``user_id=…``): what the payload is about. Nothing is
    read here; the delivery job reads the rows afresh and decides what a member may see.
    """
    event_id = uuid.uuid4().hex
    occurred_at = timezone.now()
    clean = {k: v for k, v in refs.items() if v is not None}

    def send() -> None:
        hearth_event.send(
            sender=event,
            event=event,
            event_id=event_id,
            community_id=community_id,
            occurred_at=occurred_at,
            refs=clean,
        )

    # robust: a failing receiver (broker trouble) is logged, never breaks the write that committed.
    transaction.on_commit(send, robust=True)
