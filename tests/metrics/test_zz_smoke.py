import pytest
from datetime import datetime, date, timedelta, UTC
from metrics import services
from metrics.models import DailySnapshot
from communities.services import thread_create, post_create

def test_smoke(make_community, make_member, make_user):
    c = make_community(time_zone="America/New_York", created_at=datetime(2025,10,1,12,tzinfo=UTC))
    from members.models import Membership
    own = Membership.objects.get(community=c)
    from members.services import membership_join
    m = membership_join(user=make_user(), community=c, at=datetime(2025,10,2,12,tzinfo=UTC))
    from communities.models import Space
    sp = Space.objects.get(community=c, slug="general")
    t = thread_create(author=m, space=sp, title="Hi", body_md="x", at=datetime(2025,10,3,12,tzinfo=UTC))
    post_create(author=own, thread=t, body_md="y", at=datetime(2025,10,3,15,tzinfo=UTC))
    n = services.metrics_compute_range(community_id=c.pk, start=date(2025,10,1), end=date(2025,11,20))
    s = DailySnapshot.objects.get(community=c, day=date(2025,10,12))
    print(n, s.values())
