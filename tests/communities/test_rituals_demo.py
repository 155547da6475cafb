"""The rituals demo data: rituals with past occurrences and replies, idempotent."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone

from communities.demo.rituals import seed
from communities.discussions.models import Post, Thread, ThreadKind
from communities.rituals.models import Ritual, RitualOccurrence
from communities.rituals.selectors import ritual_occurrences_with_participation
from members.models import Membership
from members.services import membership_join


def test_seed_is_idempotent_and_builds_history(community, make_user):
    for _ in range(4):
        membership_join(user=make_user(), community=community)
    Membership.objects.filter(community=community).update(joined_at=timezone.now() - timedelta(days=90))
    out = io.StringIO()
    seed(out)
    assert f"{community.slug}: 3 ritual(s) added" in out.getvalue()
    counts = (Ritual.objects.count(), RitualOccurrence.objects.count(), Post.objects.count())
    assert counts[0] == 3
    assert counts[1] >= 10  # five weeks of two weekly rituals and a fortnightly one
    ritual = Ritual.objects.get(kind="wins")
    assert ritual.next_run_at > timezone.now()
    assert sum(o.participants for o in ritual_occurrences_with_participation(ritual)) > 0
    assert Thread.objects.filter(community=community, kind=ThreadKind.RITUAL, pinned=True).count() == 3
    assert community.__class__.objects.get(pk=community.pk).welcome_message_html
    seed(io.StringIO())
    assert counts == (Ritual.objects.count(), RitualOccurrence.objects.count(), Post.objects.count())
