"""Events journey in a real browser (issue 15, Done-when):

the owner creates an AMA next Tuesday 18:00 Europe/Berlin; a member whose profile time zone is
America/New_York sees 12:00 their time, answers "going", asks a question and upvotes another
member's; the .ics download parses back with icalendar to the right instant; a poll in the AMA's
thread is voted on by three members in their browsers; the reminder job run twice leaves exactly
one reminder per person.

(The real-worker version of the reminder step is tests/integration/test_events_reminders.py.)
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import expect

from communities.events import services
from communities.events.models import AmaQuestion, AmaVote, Event, Rsvp
from communities.polls.models import Poll, PollChoice
from members.models import Membership, Role
from members.notifications.models import Notification
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


def next_tuesday(today: date) -> date:
    days = (1 - today.weekday()) % 7 or 7
    return today + timedelta(days=days)


def log_in(page, handle: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(handle)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def poll_step(journey, owner_page, event: Event, voters: list[Membership]) -> None:
    """The owner adds a poll to the AMA's discussion thread; three members vote, each in their own
    browser; the stored counts match what they chose."""
    thread = event.thread
    owner_page.goto(f"/c/{event.community.slug}/t/{thread.pk}/polls/new/")
    owner_page.get_by_label("Question").fill("Which topic should we start with?")
    owner_page.locator("#id_choices").fill("Roadmap\nContributing\nReleases")
    owner_page.get_by_role("button", name="Add poll").click()
    owner_page.wait_for_url(re.compile(rf"/c/{event.community.slug}/t/{thread.pk}"))
    poll = Poll.objects.get(thread=thread)
    for membership, pick in zip(voters, ["Roadmap", "Contributing", "Roadmap"], strict=True):
        v = journey(f"events-poll-{membership.user.handle}")
        v.page.set_default_timeout(10_000)
        log_in(v.page, membership.user.handle)
        v.page.goto(thread.get_absolute_url())
        v.page.locator(f"#poll-{poll.pk}").get_by_label(pick).check()
        v.page.locator(f"#poll-{poll.pk}").get_by_role("button", name="Vote").click()
        expect(v.page.locator(f"#poll-{poll.pk} .poll-results")).to_be_visible()
        v.snapshot("voted in the AMA poll")
        v.assert_clean()
    counts = dict(PollChoice.objects.filter(poll=poll).values_list("label", "vote_count"))
    assert counts == {"Roadmap": 2, "Contributing": 1, "Releases": 0}


def test_events_journey(journey, make_community, make_member, make_user):
    community = make_community(
        name="Makers Guild", slug="makers", time_zone="Europe/Berlin", visibility="listed"
    )
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    ny = make_member(community, user=make_user("nora", display_name="Nora", time_zone="America/New_York"))
    other = make_member(community, user=make_user("omar", display_name="Omar"))

    tuesday = next_tuesday(datetime.now(BERLIN).date())
    start_utc = datetime(tuesday.year, tuesday.month, tuesday.day, 18, 0, tzinfo=BERLIN).astimezone(UTC)

    # 1. The owner creates the AMA in the community's time zone.
    j = journey("events-owner")
    page = j.page
    page.set_default_timeout(10_000)
    log_in(page, owner.user.handle)
    page.goto("/c/makers/events/")
    j.snapshot("events empty")
    page.locator("main").get_by_role("link", name="Plan the first event").click()
    page.get_by_label("Title").fill("AMA with the maintainers")
    page.get_by_label("Kind").select_option("ama")
    page.get_by_label("Starts").fill(f"{tuesday.isoformat()}T18:00")
    page.get_by_label("Ends").fill(f"{tuesday.isoformat()}T19:00")
    page.get_by_label("Description").fill("Ask us **anything** about the project.")
    page.get_by_label("Online link").fill("https://meet.example.org/makers-ama")
    page.get_by_label("Capacity").fill("20")
    j.snapshot("new event form")
    page.get_by_role("button", name="Create event").click()
    page.wait_for_url(re.compile(r"/c/makers/events/\d+/$"))
    event = Event.objects.get(community=community)
    assert event.starts_at == start_utc and event.kind == "ama"
    expect(page.locator(".event-when")).to_contain_text("18:00")
    j.snapshot("event created")
    page.goto("/c/makers/events/")
    expect(page.locator(".event-list")).to_contain_text("AMA with the maintainers")
    j.snapshot("events list")
    page.goto("/settings/calendar/")
    page.get_by_role("button", name="Make my calendar link").click()
    expect(page.locator("#feed-url")).to_have_value(re.compile(r"/calendar/[-\w]{40,}\.ics$"))
    feed_url = page.locator("#feed-url").input_value()
    j.snapshot("calendar feed settings")

    # Omar asks first, so Nora has someone else's question to upvote.
    other.community = community
    question = services.question_ask(membership=other, event=event, body_md="What is on the roadmap?")

    # 2. Nora (America/New_York) sees 12:00 her time, answers going, asks and upvotes.
    n = journey("events-member")
    npage = n.page
    npage.set_default_timeout(10_000)
    log_in(npage, "nora")
    npage.goto("/c/makers/")
    expect(npage.locator(".upcoming-events")).to_contain_text("AMA with the maintainers")
    n.snapshot("community page with upcoming events")
    npage.locator(".upcoming-events").get_by_role("link", name="AMA with the maintainers").click()
    npage.wait_for_url(re.compile(r"/c/makers/events/\d+/$"))
    expect(npage.locator(".event-when")).to_contain_text("12:00")
    expect(npage.locator(".event-facts")).to_contain_text("America/New_York")
    n.snapshot("event in new york time")
    npage.get_by_role("button", name="Going", exact=True).click()
    expect(npage.locator(".rsvp-state")).to_have_text("You're going.")
    assert Rsvp.objects.get(event=event, user=ny.user).status == "going"
    npage.get_by_label("Your question").fill("How do I start *contributing*?")
    npage.get_by_role("button", name="Ask").click()
    expect(npage.locator(".ama-question")).to_have_count(2)
    npage.locator(f"#question-{question.pk}").get_by_role("button", name="Upvote").click()
    expect(npage.locator(f"#question-{question.pk} .ama-count")).to_have_text("1")
    # The most upvoted question is listed first.
    expect(npage.locator(".ama-question").first).to_have_attribute("id", f"question-{question.pk}")
    assert AmaVote.objects.filter(question=question, user=ny.user).count() == 1
    assert AmaQuestion.objects.filter(event=event, author=ny.user).count() == 1
    n.snapshot("questions and votes")

    # 3. The .ics download parses back to the same instant.
    with npage.expect_download() as download_info:
        npage.get_by_role("link", name="Add to calendar (.ics)").click()
    body = Path(download_info.value.path()).read_bytes()
    vevent = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert vevent.decoded("dtstart").astimezone(UTC) == start_utc
    assert str(vevent["summary"]) == "AMA with the maintainers"
    # The owner's personal feed (no session needed: the secret token is the key) has it too.
    feed = icalendar.Calendar.from_ical(npage.request.get(feed_url).body())
    assert [e.decoded("dtstart").astimezone(UTC) for e in feed.walk("VEVENT")] == [start_utc]

    # 4. A poll in the event's thread, voted on by three members.
    third = make_member(community, user=make_user("tess", display_name="Tess"))
    poll_step(journey, page, event, [ny, other, third])

    # 5. The reminder job, run twice at 50 minutes before: one reminder per person.
    other_rsvp = services.rsvp_set(membership=other, event=event, status="maybe")
    assert other_rsvp.status == "maybe"
    at = start_utc - timedelta(minutes=50)
    assert services.reminders_send_due(now=at) == 2
    assert services.reminders_send_due(now=at) == 0
    for user in (ny.user, other.user):
        assert (
            Notification.objects.filter(recipient=user, kind="event", text__startswith="Reminder").count()
            == 1
        )
    npage.goto("/notifications/")
    expect(npage.locator("main")).to_contain_text(
        "Reminder: “AMA with the maintainers” starts in an hour (Tue"
    )
    expect(npage.locator("main")).to_contain_text("12:00 America/New_York")
    n.snapshot("reminder notification")

    j.assert_clean()
    n.assert_clean()
