from __future__ import annotations

import io

from communities.demo.moderation import seed
from members.models import JoinRequest
from moderation.models import AuditLogEntry, Flag, Sanction, WordFilter
from moderation.selectors import review_queue_counts


def test_seed_is_idempotent(community, owner, member, make_thread):
    make_thread(member, body="A post someone will flag")
    out = io.StringIO()
    seed(out)
    counts = review_queue_counts(community, viewer=owner)
    assert counts == {"join": 1, "flag": 1, "held": 1, "message": 0, "all": 3}
    community.refresh_from_db()
    assert community.hold_first_posts == 1
    totals = (
        Flag.objects.count(),
        WordFilter.objects.count(),
        Sanction.objects.count(),
        AuditLogEntry.objects.count(),
        JoinRequest.objects.count(),
    )
    assert totals[0] == 2 and totals[3] >= 3
    seed(out)
    assert (
        Flag.objects.count(),
        WordFilter.objects.count(),
        Sanction.objects.count(),
        AuditLogEntry.objects.count(),
        JoinRequest.objects.count(),
    ) == totals
    assert "already seeded" in out.getvalue()
