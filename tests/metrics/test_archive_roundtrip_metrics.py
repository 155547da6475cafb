"""Own your community: a community imported from an archive has the same health history.

Issue 9's round trip asks that "metrics computed on both agree". The archive carries content,
membership history, invites and moderation history with their timestamps; the metrics visit log
is metrics-owned and not exported, so this compares a community whose activity is all content.
"""

from __future__ import annotations

import pytest

from communities.discussions.models import Reaction, RemovedReaction
from communities.discussions.services import reaction_toggle
from communities.portability.load import import_archive
from metrics.models import DailySnapshot, RetentionCohort
from metrics.services import metrics_compute_range
from tests.communities.export_helpers import archive_bytes, seed_rich_community

IGNORED = {"id", "community", "community_id", "computed_at"}


def _snapshots(community_id: int) -> dict:
    rows = {}
    for snap in DailySnapshot.objects.filter(community_id=community_id).order_by("day"):
        rows[snap.day] = {
            f.attname: getattr(snap, f.attname)
            for f in DailySnapshot._meta.concrete_fields
            if f.attname not in IGNORED
        }
    return rows


def _cohorts(community_id: int) -> list[dict]:
    fields = [f.attname for f in RetentionCohort._meta.concrete_fields if f.attname not in IGNORED]
    return list(
        RetentionCohort.objects.filter(community_id=community_id).order_by(*fields[:1]).values(*fields)
    )


@pytest.mark.django_db
def test_imported_community_has_the_same_metrics(tmp_path):
    original = seed_rich_community("metricsrt")
    # A reaction taken back still made its day active (docs/metrics.md §2): the archive carries it.
    taken = next(
        r
        for r in Reaction.objects.filter(post__community=original).select_related("post")
        if r.post.is_visible
    )
    assert reaction_toggle(user_id=taken.user_id, post=taken.post, kind=taken.kind) is False
    path = tmp_path / "archive.zip"
    path.write_bytes(archive_bytes(original))
    imported = import_archive(path, slug="metricsrt-copy").community
    assert imported.pk != original.pk
    assert imported.time_zone == original.time_zone
    copied = RemovedReaction.objects.get(post__community=imported)
    assert (copied.kind, copied.created_at) == (taken.kind, taken.created_at)

    metrics_compute_range(community_id=original.pk)
    metrics_compute_range(community_id=imported.pk)
    a, b = _snapshots(original.pk), _snapshots(imported.pk)
    assert a, "the seeded community should have computed days"
    common = sorted(set(a) & set(b))
    # The imported community keeps its creation date, so it reports the same days.
    assert common == sorted(a) == sorted(b)
    active_days = [day for day in common if a[day]["dau"] or a[day]["posts_30d"]]
    assert active_days, "the seeded history should produce non-zero figures"
    for day in common:
        assert a[day] == b[day], day
    assert _cohorts(original.pk) == _cohorts(imported.pk)
