"""Events and RSVPs (issue 15's room) through webhooks: the same member-view rules."""

from __future__ import annotations

import json

import pytest

from communities.discussions.services import space_create
from communities.events.services import event_cancel, rsvp_set
from communities.integrations.models import WebhookDelivery
from members.models import Membership, Role

EVENT_KINDS = ["event.created", "event.updated", "event.cancelled", "rsvp.changed"]


def bodies(hook, event: str) -> list[dict]:
    qs = WebhookDelivery.objects.filter(webhook=hook, event=event).order_by("created_at", "id")
    return [json.loads(d.body) for d in qs]


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def test_event_created_rsvp_and_cancel_are_sent(
    receiver,
    make_webhook,
    community,
    member,
    make_event,
    run_commits,
):
    hook = make_webhook(community, receiver, events=EVENT_KINDS)
    event = run_commits(make_event, community, title="Repair café", location="Hall B")
    (created,) = bodies(hook, "event.created")
    data = created["data"]["event"]
    assert (data["id"], data["title"], data["location"], data["status"]) == (
        event.pk,
        "Repair café",
        "Hall B",
        "scheduled",
    )
    assert data["url"].endswith(f"/c/{community.slug}/events/{event.pk}/")
    run_commits(rsvp_set, membership=member, event=event, status="going")
    run_commits(rsvp_set, membership=member, event=event, status="going")  # no change: not sent again
    (answer,) = bodies(hook, "rsvp.changed")
    assert answer["data"]["rsvp"]["member"]["handle"] == member.user.handle
    assert answer["data"]["rsvp"]["status"] == "going"
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    run_commits(event_cancel, actor=owner, event=event)
    (cancelled,) = bodies(hook, "event.cancelled")
    assert cancelled["data"]["event"]["status"] == "cancelled"
    assert "@example.com" not in json.dumps(bodies(hook, "rsvp.changed"))


def test_events_in_restricted_spaces_are_not_sent(
    receiver,
    make_webhook,
    community,
    make_event,
    run_commits,
):
    hook = make_webhook(community, receiver, events=[*EVENT_KINDS, "thread.created"])
    staff = space_create(community=community, name="Staff", min_role=Role.MODERATOR)
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    event = run_commits(make_event, community, space=staff, title="Staff planning")
    run_commits(rsvp_set, membership=owner, event=event, status="going")
    run_commits(event_cancel, actor=owner, event=event)
    assert WebhookDelivery.objects.filter(webhook=hook).count() == 0
