import io

from communities.demo import profiles as demo_profiles
from members.profiles.models import Profile


def test_demo_profiles_seed_is_idempotent(make_user):
    people = [make_user(f"demo{i}") for i in range(3)]
    for _ in range(2):
        out = io.StringIO()
        demo_profiles.seed(out)
    assert "3 demo profiles" in out.getvalue()
    bios = list(
        Profile.objects.filter(user__in=people).order_by("user__handle").values_list("bio", flat=True)
    )
    assert bios == [d["bio"] for d in demo_profiles.DEMO_PROFILES[:3]]
