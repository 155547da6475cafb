import io

from communities.demo import members as demo
from communities.models import Community
from members.models import Invite, InviteRedemption, JoinRequest


def test_seed_is_idempotent_and_covers_each_kind(db):
    demo.seed(io.StringIO())
    counts = (Community.objects.count(), Invite.objects.count(), InviteRedemption.objects.count())
    demo.seed(io.StringIO())
    assert (Community.objects.count(), Invite.objects.count(), InviteRedemption.objects.count()) == counts
    kinds = set(Community.objects.values_list("visibility", "join_policy"))
    assert {("public", "open"), ("listed", "approval"), ("secret", "invite_only")} <= kinds
    assert JoinRequest.objects.filter(status="pending").exclude(answers=[]).exists()
    assert InviteRedemption.objects.filter(invite__created_by_staff=False).exists()
