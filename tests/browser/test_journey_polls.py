"""Polls in a real browser: the owner starts a thread with a poll and tags from the composer;
three members vote (one with the htmx enhancement, one as a plain form with JavaScript off, one
changing their vote); the owner closes the poll, features the best reply and finds the thread
in "Needs a reply"-free lists; the results, the voters page and the Highlights page show it all."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from communities.discussions.models import Thread
from communities.polls.models import Poll, PollBallot, PollChoice
from communities.tags.services import tag_create
from members.models import Membership, Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, handle: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(handle)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".account-menu summary")).to_be_visible()


def _counts(poll: Poll) -> dict[str, int]:
    return dict(PollChoice.objects.filter(poll=poll).values_list("label", "vote_count"))


def test_poll_journey(journey, browser, live_server, make_community, make_member, make_user, make_post):
    community = make_community(name="Book Club", slug="books", visibility="listed")
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    owner.user.display_name = "Olga"
    owner.user.save()
    tag_create(community=community, actor=owner, name="Meetups")
    tag_create(community=community, actor=owner, name="Reading list")
    voters = [
        make_member(community, user=make_user(h, display_name=h.title())) for h in ("ana", "ben", "cleo")
    ]

    j = journey("polls")
    page = j.page
    page.set_default_timeout(10_000)
    log_in(page, owner.user.handle)

    # 1. The composer: title, a tag, and a poll in the "Add a poll" section.
    page.goto("/c/books/new/")
    page.locator("input[name=title]").fill("Next month's book")
    page.get_by_label("#Reading list").check()
    page.locator("summary", has_text="Add a poll").click()
    page.locator("input[name=poll-question]").fill("Which book do we read next?")
    page.locator("textarea[name=poll-choices]").fill("Middlemarch\nThe Dispossessed\nPiranesi")
    page.locator("textarea[name=body]").fill("Vote below, and say **why** in a reply.")
    j.snapshot("composer with a poll")
    page.get_by_role("button", name="Start thread").click()
    page.wait_for_url(re.compile(r"/c/books/t/\d+-"))
    thread = Thread.objects.get(title="Next month's book")
    poll = Poll.objects.get(thread=thread)
    expect(page.get_by_role("heading", name="Which book do we read next?")).to_be_visible()
    expect(page.locator(".thread-tag-row").get_by_text("#Reading list")).to_be_visible()
    j.snapshot("thread with a poll")

    # 2. Three members vote, each in their own browser.
    # Ana: with JavaScript, the vote is sent by htmx and the poll is replaced in place.
    ana = journey("polls-ana")
    ana.page.set_default_timeout(10_000)
    log_in(ana.page, "ana")
    ana.page.goto(thread.get_absolute_url())
    ana.page.get_by_label("Piranesi").check()
    ana.page.get_by_role("button", name="Vote").click()
    expect(ana.page.locator(f"#poll-{poll.pk} .poll-results")).to_be_visible()
    expect(ana.page.locator(f"#poll-{poll.pk}")).to_contain_text("100%")
    ana.snapshot("voted with htmx")
    assert ana.page.url.endswith(thread.get_absolute_url())  # no navigation: htmx swapped the poll

    # Ben: JavaScript off, a plain form post and a redirect back to the poll.
    ben_ctx = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        ben = ben_ctx.new_page()
        ben.set_default_timeout(10_000)
        log_in(ben, "ben")
        ben.goto(thread.get_absolute_url())
        ben.get_by_label("The Dispossessed").check()
        ben.get_by_role("button", name="Vote").click()
        ben.wait_for_url(re.compile(rf"#poll-{poll.pk}$"))
        expect(ben.locator(".flash")).to_contain_text("Your vote is in")
        expect(ben.locator(f"#poll-{poll.pk}")).to_contain_text("50%")
    finally:
        ben_ctx.close()

    # Cleo votes Middlemarch, then changes her mind to Piranesi.
    cleo = journey("polls-cleo")
    cleo.page.set_default_timeout(10_000)
    log_in(cleo.page, "cleo")
    cleo.page.goto(thread.get_absolute_url())
    cleo.page.get_by_label("Middlemarch").check()
    cleo.page.get_by_role("button", name="Vote").click()
    expect(cleo.page.locator(f"#poll-{poll.pk}")).to_contain_text("33%")
    cleo.page.locator(f"#poll-{poll.pk} summary", has_text="Change your vote").click()
    cleo.page.locator(f"#poll-{poll.pk} .poll-form").get_by_label("Piranesi").check()
    cleo.page.get_by_role("button", name="Save my new vote").click()
    expect(cleo.page.locator(f"#poll-{poll.pk}")).to_contain_text("67%")
    cleo.snapshot("changed vote")
    assert _counts(poll) == {"Middlemarch": 0, "The Dispossessed": 1, "Piranesi": 2}
    assert PollBallot.objects.filter(poll=poll).count() == 3

    # 3. The owner (who did not vote: no results for them yet) closes the poll; then everyone
    # sees the results, and who voted for what (a named poll).
    page.reload()
    expect(page.locator(f"#poll-{poll.pk}")).to_contain_text("3 voters")
    expect(page.locator(f"#poll-{poll.pk} .poll-results")).to_have_count(0)
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Close poll").click()
    expect(page.locator(f"#poll-{poll.pk}")).to_contain_text("Closed")
    expect(page.locator(f"#poll-{poll.pk}")).to_contain_text("67%")
    poll.refresh_from_db()
    assert poll.closes_at is not None
    j.snapshot("closed poll")
    page.get_by_role("link", name="See who voted").click()
    expect(page.get_by_role("cell", name=re.compile("Cleo"))).to_be_visible()
    j.snapshot("who voted")
    page.go_back()

    # 4. A reply worth featuring: the owner features it; the Highlights page shows it.
    reply = make_post(voters[0], thread, "Piranesi is short and strange: perfect for December.")
    page.reload()
    page.locator(f"#post-{reply.pk} .post-menu > summary").click()  # the post's "⋯" menu
    page.locator(f"#post-{reply.pk} input[name=note]").fill("Sold us on it")
    page.locator(f"#post-{reply.pk}").get_by_role("button", name="Feature on Highlights").click()
    expect(page.locator(f"#post-{reply.pk} .tag-featured")).to_be_visible()
    page.goto("/c/books/highlights/")
    expect(page.get_by_text("Sold us on it")).to_be_visible()
    j.snapshot("highlights")

    # 5. The thread list filtered by the tag.
    page.goto("/c/books/?tag=reading-list")
    expect(page.get_by_role("link", name="Next month's book")).to_be_visible()
    j.snapshot("thread list by tag")
    # 6. The owner's other pages: the tag list, "Needs a reply", adding a second poll.
    page.goto("/c/books/tags/")
    expect(page.get_by_role("heading", name="Add a tag")).to_be_visible()
    j.snapshot("tags page")
    page.goto("/c/books/mod/needs-reply/")
    expect(page.get_by_role("heading", name="Needs a reply")).to_be_visible()
    j.snapshot("needs a reply")
    page.goto(f"/c/books/t/{thread.pk}/polls/new/")
    page.get_by_role("button", name="Add poll").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    j.snapshot("add a poll with errors")
    for one in (j, ana, cleo):
        one.assert_clean()
