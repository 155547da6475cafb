"""Owner journey in a real browser: create a community with screening questions → create a ritual
from the prompt library → open the health dashboard → export the metrics as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from communities.discussions.models import Post, Thread
from communities.models import Community
from communities.rituals.models import Ritual
from members.models import Membership, MembershipEvent, Role
from metrics.demo import seed_visits
from metrics.services import metrics_compute_range
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def backdate_activity(community: Community, make_member, make_thread, make_post, days: int = 21) -> None:
    """A few weeks of history (members joining, threads and replies) so the dashboard has figures."""
    now = timezone.now()
    Community.objects.filter(pk=community.pk).update(created_at=now - timedelta(days=days))
    start = now - timedelta(days=days)
    Membership.objects.filter(community=community).update(joined_at=start, first_joined_at=start)
    MembershipEvent.objects.filter(community=community).update(at=start)
    for i in range(6):
        joined = now - timedelta(days=days - 2 - i * 3)
        m = make_member(community)
        Membership.objects.filter(pk=m.pk).update(joined_at=joined, first_joined_at=joined)
        MembershipEvent.objects.filter(community=community, user_id=m.user_id).update(at=joined)
        t = make_thread(m, title=f"Week {i + 1} notes")
        reply = make_post(m, t, "Thanks for sharing this!")
        Thread.objects.filter(pk=t.pk).update(created_at=joined, last_post_at=joined + timedelta(hours=2))
        Post.objects.filter(thread=t).update(created_at=joined)
        Post.objects.filter(pk=reply.pk).update(created_at=joined + timedelta(hours=2))
    community.refresh_from_db()
    assert seed_visits(community) > 0
    assert metrics_compute_range(community_id=community.pk) >= days - 1


def test_owner_journey(journey, make_user, make_member, make_thread, make_post):
    make_user("olga", display_name="Olga")
    j = journey("owner")
    page = j.page
    page.set_default_timeout(10_000)

    # Log in.
    page.goto("/")
    page.get_by_role("link", name="Log in").first.click()
    page.locator("input[name=login]").fill("olga")
    page.locator("input[name=password]").fill(PASSWORD)
    j.snapshot("log in")
    page.locator("main form button[type=submit]").last.click()
    # Logging in lands on the personal home.
    expect(page.get_by_role("heading", name=re.compile(r"^Welcome back"))).to_be_visible()
    expect(page.locator(".account-menu summary")).to_be_visible()
    j.snapshot("home after log in")

    # Start a community with two screening questions.
    page.goto("/communities/new/")
    page.get_by_label("Name").fill("Sourdough Circle")
    page.locator("input[name=slug]").fill("sourdough")
    page.locator("textarea[name=purpose], input[name=purpose]").first.fill(
        "Bakers helping each other keep their starters alive."
    )
    page.locator("select[name=join_policy]").select_option("approval")
    page.locator("input[name=question_1]").fill("How long have you been baking?")
    page.locator("input[name=question_2]").fill("What flour do you use?")
    j.snapshot("new community form")
    page.get_by_role("button", name="Create community").click()
    page.wait_for_url(re.compile(r"/c/sourdough/"))
    community = Community.objects.get(slug="sourdough")
    assert community.screening_questions == ["How long have you been baking?", "What flour do you use?"]
    assert Membership.objects.get(community=community, user__handle="olga").role == Role.OWNER
    j.snapshot("new community home")

    # Create a ritual from the prompt library.
    page.locator("main, body").first.get_by_role("link", name="Rituals").first.click()
    page.wait_for_url(re.compile(r"/c/sourdough/rituals/"))
    j.snapshot("rituals empty")
    page.get_by_role("link", name="Start from the prompt library").click()
    page.wait_for_url(re.compile(r"/rituals/library/"))
    j.snapshot("prompt library")
    page.get_by_role("link", name="Use this prompt").first.click()
    page.wait_for_url(re.compile(r"/rituals/new/\?prompt="))
    j.snapshot("ritual form from prompt")
    # Only the chosen frequency's fields show, and the preview follows the edited schedule.
    assert page.locator("input[name=day_of_month]").is_hidden()
    first_date = page.locator("#ritual-preview li").first.inner_text()
    page.locator("select[name=frequency]").select_option("monthly_day")
    expect(page.locator("input[name=day_of_month]")).to_be_visible()
    expect(page.locator("select[name=weekday]")).to_be_hidden()
    expect(page.locator("#ritual-preview li").first).not_to_have_text(first_date)
    page.locator("input[name=day_of_month]").fill("15")
    page.locator("input[name=day_of_month]").dispatch_event("change")
    expect(page.locator("#ritual-preview li").first).to_contain_text(" 15 ")
    j.snapshot("ritual form monthly on the 15th")
    page.get_by_role("button", name="Create ritual").click()
    page.wait_for_url(re.compile(r"/rituals/\d+/$"))
    ritual = Ritual.objects.get(community=community)
    assert ritual.title_template
    # The heading shows the title as the next thread will read: placeholders filled in.
    prefix = ritual.title_template.split("{")[0].strip()
    heading = page.locator("main h2").first
    expect(heading).to_contain_text(prefix)
    assert "{" not in heading.inner_text()
    j.snapshot("ritual created")

    # The dashboard, with a few weeks of precomputed snapshots.
    backdate_activity(community, make_member, make_thread, make_post)
    page.goto("/c/sourdough/")
    # Few top-level entries for the owner; moderation and owner pages live under "Manage".
    assert j.community_nav_items() <= 7
    assert j.thread_rows_above_fold() >= 3
    j.snapshot("community home as owner")
    page.locator(".thread-row a.thread-title").first.click()
    page.wait_for_url(re.compile(r"/c/sourdough/t/\d+"))
    expect(page.locator("h1#thread-title")).to_be_visible()
    j.snapshot("thread as owner")
    page.goto("/c/sourdough/")
    j.open_menu("Manage")
    page.locator("details.menu[open]").get_by_role("link", name="Dashboard").click()
    page.wait_for_url(re.compile(r"/c/sourdough/dashboard/"))
    expect(page.get_by_role("heading", name="Health dashboard")).to_be_visible()
    assert page.locator("main svg").count() > 0
    j.snapshot("dashboard")

    # Export CSV: a real download.
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["community", "date", "metric", "value"]
    assert len(rows) > 1
    assert {r[0] for r in rows[1:]} == {"sourdough"}
    j.assert_clean()
