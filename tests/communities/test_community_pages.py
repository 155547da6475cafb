"""Directory, create, home header, guidelines, settings, and query budgets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.models import Community
from members.models import Membership, Role, User
from members.services import join_request_create, membership_join
from moderation.models import AuditAction, AuditLogEntry


def create_data(**overrides):
    data = {
        "name": "Night Owls",
        "slug": "",
        "purpose": "People who do their best work after midnight.",
        "guidelines_md": "Be **kind**. <script>alert(1)</script>",
        "visibility": "listed",
        "join_policy": "approval",
        "time_zone": "Europe/Berlin",
        "question_1": "What keeps you up?",
        "question_2": "",
        "question_3": "Favourite tea?",
    }
    data.update(overrides)
    return data


def test_create_makes_owner_and_stores_settings(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("community-new"), create_data())
    assert response.status_code == 302
    community = Community.objects.get(slug="night-owls")
    assert response["Location"] == community.get_absolute_url()
    assert community.screening_questions == ["What keeps you up?", "Favourite tea?"]
    assert community.time_zone == "Europe/Berlin"
    assert "<strong>kind</strong>" in community.guidelines_html
    assert "<script" not in community.guidelines_html
    assert Membership.objects.get(community=community, user=user).role == Role.OWNER
    page = client.get(reverse("community-guidelines", args=[community.slug])).content.decode()
    assert "<strong>kind</strong>" in page


@pytest.mark.parametrize("policy", ["open", "approval"])
def test_secret_must_be_invite_only(client, make_user, policy):
    client.force_login(make_user())
    response = client.post(reverse("community-new"), create_data(visibility="secret", join_policy=policy))
    assert response.status_code == 400
    body = response.content.decode()
    assert "secret community can only be joined by invite" in body
    assert "Night Owls" in body  # input kept
    assert not Community.objects.filter(slug="night-owls").exists()


def test_create_rejects_bad_time_zone_and_taken_slug(client, make_user, make_community):
    make_community(slug="taken")
    client.force_login(make_user())
    response = client.post(reverse("community-new"), create_data(time_zone="Mars/Olympus", slug="taken"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "not a known time zone" in body
    assert "/c/taken/ is taken" in body


def test_create_requires_login(client):
    response = client.get(reverse("community-new"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def _settings_post(community, **overrides):
    data = {
        "name": community.name,
        "purpose": community.purpose,
        "guidelines_md": community.guidelines_md,
        "welcome_message_md": "Hello *friend*",
        "visibility": community.visibility,
        "join_policy": community.join_policy,
        "time_zone": "America/New_York",
        "rejoin_cooldown_days": "14",
        "flag_threshold": "4",
        "hold_first_posts": "2",
        "allow_member_invites": "",
        "question_1": "One?",
        "question_2": "Two?",
        "question_3": "Three?",
        "question_4": "Four?",
        "question_5": "Five?",
    }
    data.update(overrides)
    return data


def test_settings_saves_and_audits(client, owner):
    community = owner.community
    client.force_login(owner.user)
    response = client.post(reverse("community-settings", args=[community.slug]), _settings_post(community))
    assert response.status_code == 302
    community.refresh_from_db()
    assert community.time_zone == "America/New_York"
    assert community.rejoin_cooldown_days == 14
    assert community.allow_member_invites is False
    assert community.screening_questions == ["One?", "Two?", "Three?", "Four?", "Five?"]
    assert "<em>friend</em>" in community.welcome_message_html
    entry = AuditLogEntry.objects.get(action=AuditAction.SETTINGS_CHANGED)
    assert entry.actor == owner.user
    assert "time_zone" in entry.data["changed"]


def test_settings_refuses_secret_approval_and_bad_tz(client, owner):
    community = owner.community
    client.force_login(owner.user)
    response = client.post(
        reverse("community-settings", args=[community.slug]),
        _settings_post(community, visibility="secret", join_policy="approval", time_zone="Nowhere/Land"),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "secret community can only be joined by invite" in body
    assert "not a known time zone" in body
    community.refresh_from_db()
    assert community.visibility == "listed"
    assert not AuditLogEntry.objects.exists()


def test_directory_search_and_secret(client, make_community, make_user):
    make_community(name="Sourdough Circle", purpose="Bread bakers swapping starters.")
    make_community(
        name="Trail Runners", purpose="Muddy shoes, good company.", visibility="public", join_policy="open"
    )
    secret = make_community(name="Quiet Room", visibility="secret")
    url = reverse("community-directory")
    body = client.get(url, {"q": "bread"}).content.decode()
    assert "Sourdough Circle" in body and "Trail Runners" not in body
    body = client.get(url, {"q": "muddy"}).content.decode()
    assert "Trail Runners" in body
    assert "Quiet Room" not in client.get(url, {"q": "quiet"}).content.decode()
    insider = make_user()
    membership_join(user=insider, community=secret)
    client.force_login(insider)
    assert "Quiet Room" in client.get(url, {"q": "quiet"}).content.decode()


def test_directory_paginates(client, make_community):
    for i in range(25):
        make_community(name=f"Group {i:02d}")
    first = client.get(reverse("community-directory")).content.decode()
    assert "Page 1 of 2" in first
    second = client.get(reverse("community-directory"), {"page": 2}).content.decode()
    assert "Group 24" in second and "Group 00" not in second


def test_home_header_states(client, make_community, make_user):
    community = make_community(join_policy="approval", screening_questions=["Why?"])
    owner = Membership.objects.get(community=community, role="owner")
    body = client.get(community.get_absolute_url()).content.decode()
    assert community.purpose in body and "1 member" in body and "Log in to apply" in body
    visitor = make_user()
    client.force_login(visitor)
    assert "Apply to join" in client.get(community.get_absolute_url()).content.decode()
    join_request_create(user=visitor, community=community, answers=["Because"])
    assert "Request pending" in client.get(community.get_absolute_url()).content.decode()
    client.force_login(owner.user)
    body = client.get(community.get_absolute_url()).content.decode()
    assert "You're a member · Owner" in body
    assert 'class="badge"' in body  # one pending request for staff
    assert reverse("community-settings", args=[community.slug]) in body


def _seed_members(community, n: int) -> None:
    users = User.objects.bulk_create(
        [
            User(handle=f"seed{community.pk}_{i}", email=f"seed{community.pk}_{i}@example.com")
            for i in range(n)
        ]
    )
    Membership.objects.bulk_create([Membership(user=u, community=community) for u in users])


@pytest.fixture
def big_community(make_community):
    community = make_community(name="Big Room", visibility="listed")
    _seed_members(community, 200)
    return community


def test_query_budget_members_list(client, big_community, django_assert_max_num_queries):
    owner = Membership.objects.get(community=big_community, role="owner")
    client.force_login(owner.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("members-list", args=[big_community.slug]))
    assert response.status_code == 200
    assert "Page 1 of 5" in response.content.decode()


def test_query_budget_home(client, big_community, django_assert_max_num_queries):
    owner = Membership.objects.get(community=big_community, role="owner")
    client.force_login(owner.user)
    # +2: the metrics visit log (cached community lookup, once-a-day write per member).
    with django_assert_max_num_queries(14):
        response = client.get(big_community.get_absolute_url())
    assert "201 members" in response.content.decode()


def test_query_budget_directory(client, make_community, make_user, django_assert_max_num_queries):
    viewer = make_user()
    for i in range(30):
        c = make_community(name=f"Room {i:02d}")
        _seed_members(c, 7)
        membership_join(user=viewer, community=c)
    client.force_login(viewer)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("community-directory"))
    assert "9 members" in response.content.decode()
