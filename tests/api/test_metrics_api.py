"""The metrics endpoint answers exactly what `metrics_export --format json` prints (and so what
the dashboard shows: both read the same snapshots), for the owner; moderators only when allowed."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from communities.discussions.services import post_create, thread_create
from communities.models import Community, Space
from members.models import Role
from metrics.services import metrics_compute_range

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(community, owner, member):
    start = timezone.now() - timedelta(days=12)
    Community.objects.filter(pk=community.pk).update(created_at=start)
    space = Space.objects.get(community=community, slug="general")
    for day in range(10):
        at = start + timedelta(days=day, hours=3)
        t = thread_create(author=member, space=space, title=f"Day {day}", body_md="hello", at=at)
        post_create(author=owner, thread=t, body_md="welcome", at=at + timedelta(hours=1))
    community.refresh_from_db()
    metrics_compute_range(community_id=community.pk)
    return community


def test_same_numbers_as_metrics_export(api, history, owner, make_token):
    token = make_token(owner.user, scopes=["metrics"])
    out = io.StringIO()
    data = api.get(f"/communities/{history.slug}/metrics", token=token).json()
    assert data["days"], "snapshots were computed"
    call_command(
        "metrics_export",
        community=history.slug,
        start=date.fromisoformat(data["start"]),
        end=date.fromisoformat(data["end"]),
        format="json",
        stdout=out,
    )
    exported = json.loads(out.getvalue())
    assert data["days"] == exported["days"]
    assert data["retention_cohorts"] == exported["retention_cohorts"]
    assert data["time_zone"] == exported["time_zone"]


def test_date_range_and_its_limits(api, history, owner, make_token):
    token = make_token(owner.user, scopes=["metrics"])
    base = f"/communities/{history.slug}/metrics"
    days = api.get(base, token=token).json()["days"]
    first, last = days[0]["date"], days[-1]["date"]
    one = api.get(f"{base}?from={last}&to={last}", token=token).json()
    assert [d["date"] for d in one["days"]] == [last]
    backwards = api.get(f"{base}?from={last}&to={first}", token=token)
    if first != last:
        assert (
            backwards.status_code == 400
            and backwards.json()["detail"] == "The start date is after the end date."
        )
    too_long = api.get(f"{base}?from=2020-01-01&to=2022-01-01", token=token)
    assert too_long.status_code == 400 and "366 days" in too_long.json()["detail"]
    assert api.get(f"{base}?to=0001-01-02", token=token).status_code == 200


def test_moderators_only_when_the_owner_allows(api, history, make_member, make_token):
    mod = make_member(history, role=Role.MODERATOR)
    token = make_token(mod.user, scopes=["metrics"])
    assert api.get(f"/communities/{history.slug}/metrics", token=token).status_code == 403
    Community.objects.filter(pk=history.pk).update(moderators_see_dashboard=True)
    assert api.get(f"/communities/{history.slug}/metrics", token=token).status_code == 200
