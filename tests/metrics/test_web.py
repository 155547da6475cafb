"""Dashboard, definitions and exports: access matrix, content, query budget; the visit middleware;
the management commands."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Thread
from communities.discussions.services import thread_create
from communities.models import Space
from members.models import Membership, Role
from members.services import membership_join
from metrics.models import (
    METRIC_KEYS,
    ContributorDay,
    DailySnapshot,
    RetentionCohort,
    RitualSnapshot,
    Visit,
)
from metrics.services import community_local_date, last_complete_day, metrics_compute_range

URLS = ("metrics-dashboard", "metrics-definitions", "metrics-export-csv", "metrics-export-json")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _url(name: str, community) -> str:
    return reverse(name, args=[community.slug])


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize(
    ("who", "visibility", "mods_allowed", "status"),
    [
        ("owner", "listed", False, 200),
        ("moderator", "listed", False, 403),
        ("moderator", "listed", True, 200),
        ("member", "listed", True, 403),
        ("outsider", "listed", False, 403),  # docs/access.md: non-members of a listed community get F
        ("outsider", "secret", False, 404),  # and N for a secret one
        ("member", "secret", False, 403),
        ("owner", "secret", False, 200),
        ("outsider", "public", False, 403),
    ],
)
def test_access_matrix(
    client, make_community, make_member, make_user, name, who, visibility, mods_allowed, status
):
    community = make_community(visibility=visibility, moderators_see_dashboard=mods_allowed)
    people = {
        "owner": Membership.objects.get(community=community, role=Role.OWNER).user,
        "moderator": make_member(community, role=Role.MODERATOR).user,
        "member": make_member(community).user,
        "outsider": make_user(),
    }
    client.force_login(people[who])
    response = client.get(_url(name, community))
    assert response.status_code == status
    if status != 200:
        assert b"Health dashboard" not in response.content


def test_missing_community_is_404_like_a_secret_one(client, outsider):
    client.force_login(outsider)
    assert client.get("/c/no-such-place/dashboard/").status_code == 404


@pytest.mark.parametrize("name", URLS)
def test_anonymous_is_sent_to_log_in(client, community, name):
    response = client.get(_url(name, community))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_dashboard_link_only_for_those_who_may_see_it(client, community, owner, member):
    client.force_login(owner.user)
    assert _url("metrics-dashboard", community).encode() in client.get(community.get_absolute_url()).content
    client.force_login(member.user)
    assert (
        _url("metrics-dashboard", community).encode() not in client.get(community.get_absolute_url()).content
    )


# --- Content ---------------------------------------------------------------------------------------


def test_empty_state_before_anything_is_computed(client, community, owner):
    client.force_login(owner.user)
    response = client.get(_url("metrics-dashboard", community))
    assert response.status_code == 200
    assert b"Not enough data yet" in response.content


@pytest.fixture
def busy(make_community, make_member):
    """A community with 400 days of snapshots, 60 cohort weeks, 200 contributors and 40 rituals:
    enough rows that any per-row query would blow the dashboard's budget."""
    community = make_community()
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    members = [make_member(community) for _ in range(12)]
    rng = random.Random(7)
    end = last_complete_day(community)
    snaps = []
    for i in range(400):
        day = end - timedelta(days=i)
        mau = 0 if i > 380 else rng.randrange(5, 40)
        snaps.append(
            DailySnapshot(
                community=community,
                day=day,
                time_zone=community.time_zone,
                dau=mau // 3,
                wau=mau // 2,
                mau=mau,
                stickiness=(mau // 3) / mau if mau else None,
                members=60,
                regular_members=57,
                posts_30d=rng.randrange(0, 90),
                retention_30=None if i % 9 == 0 else rng.random(),
                ttfr_median_hours=rng.random() * 30,
                replies_per_thread=None,
            )
        )
    DailySnapshot.objects.bulk_create(snaps)
    RetentionCohort.objects.bulk_create(
        RetentionCohort(
            community=community,
            week_start=end - timedelta(weeks=w, days=end.weekday()),
            as_of=end,
            size=5,
            retained_30=2,
            retention_30=0.4,
        )
        for w in range(60)
    )
    ContributorDay.objects.bulk_create(
        ContributorDay(
            community=community, user=m.user, day=end - timedelta(days=d), posts=d + 1, referred_joins=d % 2
        )
        for d in range(20)
        for m in members
    )
    space = Space.objects.get(community=community, slug="general")
    for k in range(40):
        t = thread_create(author=owner, space=space, title=f"Ritual {k}", body_md="r", kind="ritual")
        RitualSnapshot.objects.create(
            community=community,
            thread=t,
            title=t.title,
            day=end - timedelta(days=k * 7),
            replies=k,
            participants=k // 2,
        )
    return community, owner


@pytest.mark.parametrize("days", [30, 90, 365])
def test_dashboard_budget_and_content(client, busy, days, django_assert_max_num_queries):
    community, owner = busy
    client.force_login(owner.user)
    with django_assert_max_num_queries(15):
        response = client.get(_url("metrics-dashboard", community) + f"?range={days}")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart"') >= 5
    assert '<svg class="heatmap"' in html
    assert "Top contributors" in html and "@user" in html
    assert "Ritual 3" in html
    assert "—" in html  # nulls shown as a dash
    assert "style=" not in html  # CSP: no inline style attributes
    # One "how we compute these" link per section (issue 14), not one per card and chart.
    assert html.count("How we compute these") == 4 and "How is this computed?" not in html
    assert "K-factor" in html
    assert _url("metrics-definitions", community) in html
    assert _url("metrics-export-csv", community) in html
    assert "Computed" in html


def test_dashboard_never_computes_on_view(client, busy):
    community, owner = busy
    client.force_login(owner.user)
    with CaptureQueriesContext(connection) as ctx:
        client.get(_url("metrics-dashboard", community))
    # Only reads are checked: the owner's own page view is recorded in the visit log, as it should be.
    sql = " ".join(q["sql"] for q in ctx.captured_queries if q["sql"].lower().startswith("select")).lower()
    # (communities_post is left out: the shared community header counts flagged posts.)
    raw_tables = (
        "members_membershipevent",
        "communities_postevent",
        "communities_reaction",
        "metrics_visit",
        "metrics_activeday",
        "metrics_entrant",
        "metrics_memberperiod",
    )
    for raw_table in raw_tables:
        assert raw_table not in sql


def test_bad_range_falls_back(client, busy):
    community, owner = busy
    client.force_login(owner.user)
    assert client.get(_url("metrics-dashboard", community) + "?range=abc").status_code == 200


# --- Exports -------------------------------------------------------------------------------------


def test_csv_export_long_format(client, busy):
    community, owner = busy
    client.force_login(owner.user)
    end = last_complete_day(community)
    response = client.get(_url("metrics-export-csv", community) + f"?from={end - timedelta(days=1)}&to={end}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["community", "date", "metric", "value"]
    daily = [r for r in rows[1:] if not r[2].startswith("retention_cohorts.")]
    assert len(daily) == 2 * len(METRIC_KEYS)
    assert {r[2] for r in daily} == set(METRIC_KEYS)
    by_key = {(r[1], r[2]): r[3] for r in daily}
    assert by_key[(str(end), "replies_per_thread")] == ""  # null is empty, never 0
    assert any(r[2] == "retention_cohorts.retention_30" for r in rows)


def test_json_export_and_bad_dates(client, busy):
    community, owner = busy
    client.force_login(owner.user)
    data = json.loads(client.get(_url("metrics-export-json", community)).content)
    assert data["community"] == community.slug
    assert len(data["days"]) == 400
    assert data["days"][-1]["replies_per_thread"] is None
    assert len(data["retention_cohorts"]) == 60
    response = client.get(_url("metrics-export-json", community) + "?from=yesterday")
    assert response.status_code == 400


def test_export_command(busy):
    community, _ = busy
    out = io.StringIO()
    end = last_complete_day(community)
    call_command(
        "metrics_export", "--community", community.slug, "--from", str(end), "--format", "csv", stdout=out
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["community", "date", "metric", "value"]
    assert len([r for r in rows[1:] if r[1] == str(end)]) >= len(METRIC_KEYS)
    out = io.StringIO()
    call_command("metrics_export", "--community", community.slug, "--format", "json", stdout=out)
    assert len(json.loads(out.getvalue())["days"]) == 400


def test_backfill_command_shows_progress(make_community):
    community = make_community(created_at=timezone.now() - timedelta(days=5))
    out = io.StringIO()
    call_command("metrics_backfill", "--community", community.slug, stdout=out)
    text = out.getvalue()
    days = DailySnapshot.objects.filter(community=community).count()
    assert days >= 4
    assert f"{days}/{days} days" in text and "ETA" in text and "[####" in text


def test_backfill_command_rejects_bad_input(community):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No community"):
        call_command("metrics_backfill", "--community", "nope", stdout=io.StringIO())
    with pytest.raises(CommandError, match="before"):
        call_command("metrics_backfill", "--from", "2025-02-01", "--to", "2025-01-01", stdout=io.StringIO())


# --- Visit middleware ----------------------------------------------------------------------------


def test_visit_recorded_once_per_member_per_day(client, community, member):
    client.force_login(member.user)
    url = community.get_absolute_url()
    assert client.get(url).status_code == 200
    assert Visit.objects.filter(user=member.user, community=community).count() == 1
    visit = Visit.objects.get(user=member.user, community=community)
    assert visit.day == community_local_date(community)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    assert not any("metrics_visit" in q["sql"] for q in ctx.captured_queries)  # cache-throttled
    cache.clear()  # a lost cache is harmless: the insert is an upsert
    client.get(url)
    assert Visit.objects.filter(user=member.user, community=community).count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_PURPOSE": "prefetch"},
        {"HTTP_PURPOSE": "prefetch"},
        {"HTTP_HX_REQUEST": "true"},
    ],
)
def test_prefetch_and_htmx_background_requests_do_not_count(client, community, member, headers):
    client.force_login(member.user)
    client.get(community.get_absolute_url(), **headers)
    assert not Visit.objects.exists()


def test_boosted_htmx_navigation_counts(client, community, member):
    client.force_login(member.user)
    client.get(community.get_absolute_url(), HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")
    assert Visit.objects.count() == 1


def test_non_members_errors_and_posts_do_not_count(client, make_community, make_user, member):
    public = make_community(visibility="public")
    outsider = make_user()
    client.force_login(outsider)
    assert client.get(public.get_absolute_url()).status_code == 200  # reads a public community
    assert client.get("/c/nowhere/").status_code == 404
    client.force_login(member.user)
    client.post(member.community.get_absolute_url())  # not a GET
    client.get("/")  # not a community page
    assert not Visit.objects.exists()


def test_visits_feed_daily_active_only_while_a_member(make_community, make_user):
    community = make_community(created_at=timezone.now() - timedelta(days=6))
    yesterday = last_complete_day(community)
    person = make_user()
    membership_join(user=person, community=community, at=timezone.now() - timedelta(days=3))
    earlier = yesterday - timedelta(days=3)
    for day in (earlier, yesterday):
        at = timezone.now() - timedelta(days=(community_local_date(community) - day).days)
        Visit.objects.create(user=person, community=community, day=day, at=at)
    metrics_compute_range(community_id=community.pk)
    # Yesterday's visit (as a member) counts; the one before they joined does not.
    assert DailySnapshot.objects.get(community=community, day=yesterday).dau == 1
    assert DailySnapshot.objects.get(community=community, day=earlier).dau == 0


def test_demo_seed_is_idempotent(community, member):
    from metrics import demo

    out = io.StringIO()
    Thread.objects.all()  # community has history from its creation time
    demo.seed(out)
    first = (Visit.objects.count(), DailySnapshot.objects.count())
    demo.seed(out)
    assert (Visit.objects.count(), DailySnapshot.objects.count()) == first
    assert "days computed" in out.getvalue()
    assert community_local_date(community) not in set(DailySnapshot.objects.values_list("day", flat=True))
