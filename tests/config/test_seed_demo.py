"""seed_demo builds a believable demo, once, and its logins work."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db.models import Count
from django.urls import reverse

from communities.demo import data as demo_data
from communities.discussions.models import Post, Thread
from communities.management.commands import seed_demo
from communities.models import Community, Space
from members.messages.models import Conversation, Message
from members.models import (
    Invite,
    InviteRedemption,
    JoinRequest,
    Membership,
    MembershipEvent,
    Role,
    User,
)

MODELS = [User, EmailAddress, Community, Space, Thread, Post, Membership, MembershipEvent, Invite,
          InviteRedemption, JoinRequest, Conversation, Message]  # fmt: skip


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def seeded(db) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_is_idempotent(seeded):
    first = counts()
    assert first["Conversation"] == 3 and first["Message"] == 5  # communities.demo.messages
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == first
    assert "already there" in out.getvalue()


def check_every_visibility_and_join_policy() -> None:
    assert counts()["Community"] == 5
    assert set(Community.objects.values_list("visibility", flat=True)) == {"public", "listed", "secret"}
    assert set(Community.objects.values_list("join_policy", flat=True)) == {"open", "approval", "invite_only"}
    for community in Community.objects.annotate(n=Count("spaces")):
        assert community.purpose and community.guidelines_html.startswith("<")
        assert community.n >= 3
    assert User.objects.count() >= 40
    assert not EmailAddress.objects.filter(verified=False).exists()


def check_history_spans_four_months() -> None:
    from django.utils import timezone

    now = timezone.now()
    oldest = Post.objects.order_by("created_at").first().created_at
    assert (now - oldest).days >= 100
    assert Post.objects.filter(created_at__gte=now - timezone.timedelta(days=14)).exists()
    assert Thread.objects.filter(reply_count__gt=0).count() > 20
    assert Post.objects.count() > 150
    assert Post.objects.filter(body_html__contains="<blockquote>").exists()
    assert Post.objects.filter(body_html__contains="<code>").exists()
    assert Post.objects.filter(body_html__contains="<a ").exists()
    assert MembershipEvent.objects.filter(kind="left").exists()
    promoted = MembershipEvent.objects.get(
        kind="role_changed", user__handle="mo", community__slug="night-owls"
    )
    assert promoted.role == Role.MODERATOR and (now - promoted.at).days >= 50


def check_invites_and_join_requests() -> None:
    invited = Membership.objects.filter(invite__isnull=False)
    assert invited.count() >= 15
    for membership in invited.select_related("invite"):
        assert membership.invited_by_id == membership.invite.created_by_id
        assert InviteRedemption.objects.filter(invite=membership.invite, user=membership.user).exists()
    assert Invite.objects.filter(created_by_staff=True).exists()
    assert Invite.objects.filter(created_by_staff=False).exists()
    assert all(len(token) >= 43 for token in Invite.objects.values_list("token", flat=True))
    assert (
        not Membership.objects.filter(community__join_policy="invite_only", invite__isnull=True)
        .exclude(role=Role.OWNER)
        .exists()
    )
    # The base demo's two applicants (extensions such as moderation.demo may add more).
    pending = JoinRequest.objects.filter(status="pending", user__handle__in=seed_demo.PENDING_APPLICANTS)
    assert pending.count() == 2
    for request in pending:
        assert request.answers and all(a["question"] and a["answer"] for a in request.answers)
        assert not Membership.objects.filter(user=request.user, community=request.community).exists()


def check_printed_logins_work(output: str, client) -> None:
    for handle, role in (
        (demo_data.OWNER_HANDLE, Role.OWNER),
        (demo_data.MODERATOR_HANDLE, Role.MODERATOR),
        (demo_data.MEMBER_HANDLE, Role.MEMBER),
    ):
        email = f"{handle}@{demo_data.DEMO_EMAIL_DOMAIN}"
        assert email in output and demo_data.DEMO_PASSWORD in output
        assert client.login(username=handle, password=demo_data.DEMO_PASSWORD)
        client.logout()
        response = client.post(
            reverse("account_login"), {"login": email, "password": demo_data.DEMO_PASSWORD}
        )
        assert response.status_code == 302
        user = User.objects.get(handle=handle)
        assert int(client.session[SESSION_KEY]) == user.pk
        assert Membership.objects.filter(
            user=user, role=role, status="active", community__slug="night-owls"
        ).exists()
        client.post(reverse("account_logout"))


def check_home_lists_demo_communities_except_secret(client) -> None:
    body = client.get(reverse("home")).content.decode()
    for spec in demo_data.COMMUNITIES:
        if spec["visibility"] == "secret":
            assert spec["name"].replace("'", "&#x27;") not in body
        else:
            assert spec["name"] in body


def test_demo_content_and_logins(seeded, client):
    """One seeded database, several checks (seeding takes seconds; doing it once keeps CI quick)."""
    check_every_visibility_and_join_policy()
    check_history_spans_four_months()
    check_invites_and_join_requests()
    check_home_lists_demo_communities_except_secret(client)
    check_printed_logins_work(seeded, client)


def test_extension_hook_calls_existing_modules_only(monkeypatch):
    from tests.config import demo_extension_probe

    demo_extension_probe.calls.clear()
    monkeypatch.setattr(
        seed_demo,
        "EXTENSION_MODULES",
        ["hearth_no_such_package.demo", "members.no_such_demo", "tests.config.demo_extension_probe"],
    )
    out = StringIO()
    ran = seed_demo.run_extensions(OutputWrapper(out))
    assert ran == ["tests.config.demo_extension_probe"]
    assert len(demo_extension_probe.calls) == 1
    assert "probe extension ran" in out.getvalue()


def test_default_extension_list_is_the_agreed_contract():
    assert seed_demo.EXTENSION_MODULES == [
        "communities.demo.members",
        "communities.demo.profiles",
        "communities.demo.discussions",
        "communities.demo.rituals",
        "communities.demo.events",
        "communities.demo.moderation",
        "communities.demo.polls",
        "communities.demo.messages",
        "metrics.demo",
    ]
