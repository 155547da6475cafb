"""Events services: create, RSVP with the waiting list, edit/move/cancel, AMA questions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from communities.discussions.models import Post, ThreadKind
from communities.events import services
from communities.events.models import AmaQuestion, AmaVote, EventStatus, Rsvp, RsvpStatus
from communities.events.selectors import ama_questions
from members.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_create_makes_thread_with_description(community, make_event):
    event = make_event(community, title="Spring meetup", description="Hello *all*")
    assert event.thread.kind == ThreadKind.EVENT
    assert event.thread.title == "Spring meetup"
    opening = Post.objects.get(thread=event.thread, is_opening=True)
    assert "<em>all</em>" in opening.body_html  # rendered once, at write time
    assert event.time_zone == community.time_zone


def test_create_refuses_bad_times(community, make_event):
    with pytest.raises(ValidationError, match="end must be after"):
        make_event(community, duration=timedelta(hours=-1))
    with pytest.raises(ValidationError, match="future"):
        make_event(community, starts_in=timedelta(hours=-2))


def test_rsvp_capacity_waitlist_and_promotion(community, make_member, make_event):
    event = make_event(community, capacity=2)
    a, b, c, d = (make_member(community) for _ in range(4))
    assert services.rsvp_set(membership=a, event=event, status="going").status == RsvpStatus.GOING
    assert services.rsvp_set(membership=b, event=event, status="going").status == RsvpStatus.GOING
    assert services.rsvp_set(membership=c, event=event, status="going").status == RsvpStatus.WAITLISTED
    assert services.rsvp_set(membership=d, event=event, status="going").status == RsvpStatus.WAITLISTED
    # Answering going again keeps the place in the queue.
    assert services.rsvp_set(membership=c, event=event, status="going").status == RsvpStatus.WAITLISTED
    services.rsvp_set(membership=a, event=event, status="not_going")
    assert Rsvp.objects.get(event=event, user=c.user).status == RsvpStatus.GOING  # first come
    assert Rsvp.objects.get(event=event, user=d.user).status == RsvpStatus.WAITLISTED
    assert Notification.objects.filter(recipient=c.user, kind="event", text__contains="seat opened").exists()
    # Maybe does not take a seat.
    services.rsvp_set(membership=b, event=event, status="maybe")
    assert Rsvp.objects.get(event=event, user=d.user).status == RsvpStatus.GOING
    assert Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).count() == 2


def test_rsvp_refused_for_cancelled_and_past_and_outsiders(
    community, make_member, make_community, make_event
):
    event = make_event(community)
    stranger = make_member(make_community())
    with pytest.raises(PermissionDenied):
        services.rsvp_set(membership=stranger, event=event, status="going")
    member = make_member(community)
    with pytest.raises(ValidationError):
        services.rsvp_set(membership=member, event=event, status="bogus")
    services.event_cancel(actor=member, event=event)
    with pytest.raises(ValidationError, match="cancelled"):
        services.rsvp_set(membership=member, event=event, status="going")


def test_larger_capacity_promotes(community, owner, make_member, make_event):
    event = make_event(community, capacity=1)
    a, b = make_member(community), make_member(community)
    services.rsvp_set(membership=a, event=event, status="going")
    services.rsvp_set(membership=b, event=event, status="going")
    owner.community = community
    fields = services.EventFields(
        title=event.thread.title,
        description="New text",
        kind=event.kind,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location="Room 4",
        capacity=2,
    )
    services.event_update(editor=owner, event=event, fields=fields)
    assert Rsvp.objects.get(event=event, user=b.user).status == RsvpStatus.GOING
    assert Post.objects.get(thread=event.thread, is_opening=True).body_md == "New text"


def test_move_notifies_attendees_and_resets_reminders(community, owner, make_member, make_event):
    event = make_event(community)
    going, maybe, nope = make_member(community), make_member(community), make_member(community)
    services.rsvp_set(membership=going, event=event, status="going")
    services.rsvp_set(membership=maybe, event=event, status="maybe")
    services.rsvp_set(membership=nope, event=event, status="not_going")
    event.reminded_24h_at = timezone.now()
    event.save(update_fields=["reminded_24h_at"])
    owner.community = community
    new_start = event.starts_at + timedelta(days=1)
    fields = services.EventFields(
        title="Moved",
        description="x",
        kind="meetup",
        starts_at=new_start,
        ends_at=new_start + timedelta(hours=1),
        location="Room 4",
    )
    event = services.event_update(editor=owner, event=event, fields=fields)
    assert event.reminded_24h_at is None and event.starts_at == new_start
    told = set(
        Notification.objects.filter(kind="event", text__contains="moved").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {going.user_id, maybe.user_id}


def test_cancel_notifies_once(community, owner, make_member, make_event):
    event = make_event(community)
    a = make_member(community)
    services.rsvp_set(membership=a, event=event, status="going")
    owner.community = community
    services.event_cancel(actor=owner, event=event)
    services.event_cancel(actor=owner, event=event)
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED
    assert (
        Notification.objects.filter(recipient=a.user, kind="event", text__contains="cancelled").count() == 1
    )


def test_ama_questions_votes_order_and_answer(community, owner, make_member, make_event):
    event = make_event(community, kind="ama")
    asker, fan1, fan2 = make_member(community), make_member(community), make_member(community)
    q1 = services.question_ask(membership=asker, event=event, body_md="First question?")
    q2 = services.question_ask(membership=fan1, event=event, body_md="Second question?")
    assert q1.post.thread_id == event.thread_id  # a reply in the event's thread
    services.question_vote(membership=fan1, question=q1)
    services.question_vote(membership=fan2, question=q2)
    services.question_vote(membership=asker, question=q2)
    services.question_vote(membership=asker, question=q2)  # a double click: still one vote
    assert AmaVote.objects.filter(question=q2).count() == 2
    with pytest.raises(ValidationError, match="own question"):
        services.question_vote(membership=asker, question=q1)
    ordered = ama_questions(event=event, membership=asker)
    assert [q.pk for q in ordered] == [q2.pk, q1.pk]
    assert [q.vote_count for q in ordered] == [2, 1]
    assert ordered[0].voted is True
    owner.community = community
    services.question_answer(host=owner, question=q2, body_md="Here is my answer.")
    q2.refresh_from_db()
    assert q2.answered_at is not None
    assert q2.answer_post.reply_to_id == q2.post_id
    assert Notification.objects.filter(recipient=fan1.user, text__contains="was answered").exists()
    # Taking a vote back.
    services.question_vote(membership=fan2, question=q2, vote=False)
    assert AmaVote.objects.filter(question=q2).count() == 1


def test_questions_close_at_start_and_only_for_ama(community, make_member, make_event):
    member = make_member(community)
    meetup = make_event(community)
    with pytest.raises(ValidationError, match="AMA"):
        services.question_ask(membership=member, event=meetup, body_md="?")
    ama = make_event(community, kind="ama")
    with pytest.raises(ValidationError, match="closed"):
        services.question_ask(
            membership=member, event=ama, body_md="late?", now=ama.starts_at + timedelta(minutes=1)
        )
    assert not AmaQuestion.objects.exists()


def test_series_from_a_ritual_schedule(community, owner, make_ritual, settings):
    import datetime as dt

    from django.core.cache import cache

    # With the posting limits on: the series repeats one text, which the identical-post guard
    # must let through after the first event.
    settings.RATE_LIMITS_ENABLED = True
    cache.clear()

    ritual = make_ritual(community, weekday=1, local_time=dt.time(18, 0), now=timezone.now())
    owner.community = community
    start = timezone.now() + timedelta(days=1)
    fields = services.EventFields(
        title="Weekly office hours",
        description="Drop in.",
        kind="office_hours",
        starts_at=start,
        ends_at=start + timedelta(minutes=90),
        online_url="https://meet.example.org/x",
    )
    from communities.models import Space

    events = services.event_series_from_ritual(
        author=owner,
        space=Space.objects.get(community=community, slug="general"),
        fields=fields,
        ritual=ritual,
        count=3,
    )
    assert len(events) == 3
    for e in events:
        local = e.starts_at.astimezone(community.tz)
        assert (local.weekday(), local.hour, local.minute) == (1, 18, 0)
        assert e.ends_at - e.starts_at == timedelta(minutes=90)
        assert e.ritual_id == ritual.pk
    assert events[1].starts_at - events[0].starts_at in (
        timedelta(days=7),
        timedelta(days=7, hours=1),
        timedelta(days=7, hours=-1),
    )
    cache.clear()
