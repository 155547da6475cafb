"""Moderator journey in a real browser: a flagged post and a join request wait in the queue;
the moderator hides the post and mutes its author in one step, approves the request, and finds
both in the audit log; the muted author's composer says they are muted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from members.models import JoinRequest, Membership, MembershipStatus, Role
from members.services import join_request_create
from moderation.hooks import flag_create
from moderation.models import AuditAction, AuditLogEntry, Flag
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, handle: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(handle)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".account-menu summary")).to_be_visible()


def test_moderator_journey(journey, make_community, make_member, make_user, make_thread, make_post):
    community = make_community(
        name="Night Owls",
        slug="owls",
        join_policy="approval",
        screening_questions=["What brings you here?", "Which city are you in?"],
    )
    make_member(community, role=Role.MODERATOR, user=make_user("mira"))
    troll = make_member(community, user=make_user("trent"))
    regular = make_member(community)
    for title in ("Night bus stories", "Best coffee after midnight", "What are you reading at 3am?"):
        make_thread(regular, title=title)
    thread = make_thread(make_member(community), title="Favourite late-night snacks")
    bad = make_post(troll, thread, "Buy cheap watches at spam.example, best prices!!!")
    reasons = ["spam", "spam", "other"]
    for reason in reasons:
        flagger = make_member(community)
        flag_create(
            membership=flagger, post=bad, reason=reason, note="Advertising again" if reason == "other" else ""
        )
    applicant = make_user("paz", display_name="Paz")
    join_request_create(
        user=applicant, community=community, answers=["I work nights and love it", "Valparaíso"]
    )

    j = journey("moderator")
    page = j.page
    page.set_default_timeout(10_000)
    log_in(page, "mira")

    # The queue shows the flagged post with its reasons and the join request with its answers.
    page.goto("/c/owls/")
    assert j.community_nav_items() <= 7
    assert j.thread_rows_above_fold() >= 3
    j.snapshot("community home as moderator")
    # The Manage badge and its queue entry agree with the queue: one join request, one flagged post.
    j.open_menu("Manage")
    menu = page.locator("details.menu[open]")
    expect(menu.get_by_role("link", name=re.compile(r"^Review queue 2$"))).to_be_visible()
    expect(page.locator("summary.manage-button .badge")).to_have_text("2")
    menu.get_by_role("link", name=re.compile(r"^Review queue")).click()
    page.wait_for_url(re.compile(r"/c/owls/mod/"))
    queue = page.locator("main")
    flag_item = page.locator("li.queue-flag")
    expect(flag_item.get_by_text("Buy cheap watches")).to_be_visible()
    flags = flag_item.get_by_role("list", name="Flags")
    assert flags.get_by_text("Spam").count() == 2
    expect(flags.get_by_text("Other")).to_be_visible()
    expect(flags.get_by_text("Advertising again")).to_be_visible()
    join_item = page.locator("li.queue-join")
    expect(join_item.get_by_text("What brings you here?")).to_be_visible()
    expect(join_item.get_by_text("I work nights and love it")).to_be_visible()
    expect(queue.get_by_text("Valparaíso")).to_be_visible()
    j.snapshot("review queue")

    # Hide the post and mute its author for 3 days, in the same step.
    flag_item.get_by_label("Reason (optional, the author sees it)").fill("Advertising is not allowed here")
    flag_item.get_by_label("Also sanction the author").select_option("mute")
    flag_item.get_by_label("mute days").fill("3")
    flag_item.get_by_role("button", name="Hide").click()
    expect(page.locator("li.queue-flag form")).to_have_count(0)
    bad.refresh_from_db()
    assert bad.removed_at is not None
    assert not Flag.objects.filter(post=bad, resolved_at__isnull=True).exists()
    troll.refresh_from_db()
    assert troll.muted_until is not None
    j.snapshot("post hidden and author muted")

    # Approve the join request.
    join_item.get_by_role("button", name="Approve").click()
    expect(page.locator("li.queue-join form")).to_have_count(0)
    assert JoinRequest.objects.get(user=applicant).status == "approved"
    assert Membership.objects.get(user=applicant, community=community).status == MembershipStatus.ACTIVE
    j.snapshot("join request approved")

    # The audit log shows all three actions.
    page.goto("/c/owls/mod/log/")
    log = page.locator("main table")
    expect(log.get_by_text("Hid a post")).to_be_visible()
    expect(log.get_by_text("Muted a member")).to_be_visible()
    expect(log.get_by_text("Approved a join request")).to_be_visible()
    expect(log.get_by_text("@trent").first).to_be_visible()
    expect(log.get_by_text("@paz").first).to_be_visible()
    assert set(AuditLogEntry.objects.filter(community=community).values_list("action", flat=True)) >= {
        AuditAction.POST_HIDDEN,
        AuditAction.MUTED,
        AuditAction.JOIN_APPROVED,
    }
    j.snapshot("audit log")
    j.assert_clean()

    # The muted author sees it in the composer.
    t = journey("moderator-muted-author")
    t.page.set_default_timeout(10_000)
    log_in(t.page, "trent")
    t.page.goto(thread.get_absolute_url())
    expect(t.page.locator("h1#thread-title")).to_have_text("Favourite late-night snacks")
    notice = t.page.get_by_role("status").filter(has_text="You are muted until")
    expect(notice).to_be_visible()
    t.snapshot("muted author thread")
    t.assert_clean()
