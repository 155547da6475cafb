"""Onboarding: welcome and welcomer notifications on join, the introductions thread, the
first-30-days checklist ticking from real actions, greeted markers, the welcome message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Thread, ThreadKind
from communities.discussions.services import post_create, thread_create
from communities.models import Space
from communities.onboarding import tasks as onboarding_tasks
from communities.onboarding.models import MemberOnboarding
from communities.onboarding.selectors import onboarding_checklist
from communities.onboarding.services import introductions_thread, onboarding_welcome
from communities.rituals.services import SYSTEM_HANDLE, ritual_post_due
from members.models import Membership, Role
from members.notifications.models import Notification
from members.services import membership_join, membership_leave


def join(community, user, capture):
    with capture(execute=True):
        return membership_join(user=user, community=community)


def test_join_sends_welcome_and_notifies_welcomers(
    community, make_user, make_member, django_capture_on_commit_callbacks
):
    welcomers = [make_member(community, role=Role.WELCOMER) for _ in range(2)]
    plain = make_member(community)
    Notification.objects.all().delete()
    newcomer = make_user("newbie")
    join(community, newcomer, django_capture_on_commit_callbacks)

    welcome = Notification.objects.get(recipient=newcomer)
    assert welcome.kind == Notification.Kind.WELCOME
    assert welcome.url == f"/c/{community.slug}/welcome/"
    assert community.name in welcome.text
    intro = Thread.objects.get(community=community, kind=ThreadKind.WELCOME)
    assert welcome.thread_id == intro.pk

    for w in welcomers:
        note = Notification.objects.get(recipient=w.user)
        assert note.kind == Notification.Kind.NEW_MEMBER
        assert "@newbie" in note.text
        assert note.url == f"/c/{community.slug}/newcomers/"
    assert not Notification.objects.filter(recipient=plain.user).exists()


def test_welcome_runs_once_per_membership_even_on_rejoin(
    community, make_user, django_capture_on_commit_callbacks
):
    user = make_user()
    membership = join(community, user, django_capture_on_commit_callbacks)
    assert onboarding_welcome(membership_id=membership.pk) is False  # a retried task
    membership_leave(membership=membership)
    join(community, user, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(recipient=user, kind=Notification.Kind.WELCOME).count() == 1


def test_owner_creating_a_community_gets_no_welcome(make_community, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        community = make_community()
    assert not Notification.objects.filter(community=community).exists()
    assert not Thread.objects.filter(community=community, kind=ThreadKind.WELCOME).exists()


def test_introductions_thread_is_created_once_in_the_introductions_space(community):
    Space.objects.create(community=community, name="Introductions", slug="introductions", position=1)
    first = introductions_thread(community)
    assert introductions_thread(community).pk == first.pk
    assert first.space.slug == "introductions"
    assert first.kind == ThreadKind.WELCOME
    assert first.author.handle == SYSTEM_HANDLE


def test_existing_welcome_thread_is_reused(community, owner, general_space):
    mine = thread_create(author=owner, space=general_space, title="Say hi!", body_md="Hi all", kind="welcome")
    assert introductions_thread(community).pk == mine.pk


def _items(membership):
    intro = introductions_thread(membership.community)
    checklist = onboarding_checklist(membership=membership, intro_url=intro.get_absolute_url())
    return {i.key: i.done for i in checklist.items}


def test_checklist_ticks_itself_from_real_activity(
    client, community, owner, member, make_thread, make_ritual, general_space
):
    assert _items(member) == {"guidelines": False, "introduce": False, "reply": False, "ritual": False}

    client.force_login(member.user)
    assert client.get(reverse("welcome", args=[community.slug])).status_code == 200
    assert _items(member)["guidelines"] is True

    post_create(author=member, thread=introductions_thread(community), body_md="Hi, I'm new here!")
    assert _items(member)["introduce"] is True

    # Starting a thread is not replying; replying in someone's discussion is.
    mine = make_thread(member)
    post_create(author=member, thread=mine, body_md="bump")
    assert _items(member)["reply"] is False
    post_create(author=member, thread=make_thread(owner), body_md="Great point")
    assert _items(member)["reply"] is True

    ritual = make_ritual(community)
    ritual_post_due(now=ritual.next_run_at)
    ritual_thread = ritual.occurrences.get().thread
    assert _items(member)["ritual"] is False
    post_create(author=member, thread=ritual_thread, body_md="My win: shipped it")
    assert _items(member) == {"guidelines": True, "introduce": True, "reply": True, "ritual": True}

    body = client.get(reverse("community-home", args=[community.slug])).content.decode()
    assert "4 of 4 done" in body


def test_checklist_on_home_and_dismiss(client, community, member):
    client.force_login(member.user)
    home = reverse("community-home", args=[community.slug])
    assert "Your first 30 days" in client.get(home).content.decode()
    response = client.post(reverse("checklist-dismiss", args=[community.slug]))
    assert response.status_code == 302
    assert MemberOnboarding.objects.get(membership=member).checklist_dismissed_at is not None
    assert "Your first 30 days" not in client.get(home).content.decode()


def test_checklist_only_for_newcomers_who_are_not_staff(community, owner, member, moderator):
    assert onboarding_checklist(membership=owner, intro_url="") is None
    assert onboarding_checklist(membership=moderator, intro_url="") is None
    Membership.objects.filter(pk=member.pk).update(first_joined_at=timezone.now() - timedelta(days=31))
    member.refresh_from_db()
    assert onboarding_checklist(membership=member, intro_url="") is None


def test_owner_sees_setup_nudges_until_done(client, community, owner, make_ritual):
    client.force_login(owner.user)
    home = reverse("community-home", args=[community.slug])
    body = client.get(home).content.decode()
    assert "Start your first ritual" in body and "Write the welcome message" in body
    client.post(
        reverse("onboarding-settings", args=[community.slug]), {"welcome_message_md": "Hello **you**"}
    )
    make_ritual(community)
    body = client.get(home).content.decode()
    assert "Start your first ritual" not in body and "Write the welcome message" not in body


def test_welcome_message_is_rendered_once_and_sanitized(client, community, owner, member):
    client.force_login(owner.user)
    url = reverse("onboarding-settings", args=[community.slug])
    response = client.post(url, {"welcome_message_md": "Hi **there** <script>alert(1)</script>"})
    assert response.status_code == 302
    community.refresh_from_db()
    assert "<strong>there</strong>" in community.welcome_message_html
    assert "<script>" not in community.welcome_message_html
    client.force_login(member.user)
    body = client.get(reverse("welcome", args=[community.slug])).content.decode()
    assert "<strong>there</strong>" in body
    assert "<script>alert" not in body


def test_welcome_message_too_long_keeps_input(client, community, owner):
    client.force_login(owner.user)
    text = "x" * 10_001
    response = client.post(
        reverse("onboarding-settings", args=[community.slug]), {"welcome_message_md": text}
    )
    assert response.status_code == 400
    assert text in response.content.decode()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MODERATOR, Role.WELCOMER])
def test_only_owner_edits_welcome_message(client, community, make_member, role):
    client.force_login(make_member(community, role=role).user)
    url = reverse("onboarding-settings", args=[community.slug])
    assert client.get(url).status_code == 403
    assert client.post(url, {"welcome_message_md": "hijack"}).status_code == 403


def test_newcomers_list_shows_greeted_from_reply_and_mark(
    client, community, make_member, make_user, django_capture_on_commit_callbacks
):
    welcomer = make_member(community, role=Role.WELCOMER)
    a = join(community, make_user("alice_new"), django_capture_on_commit_callbacks)
    b = join(community, make_user("bob_new"), django_capture_on_commit_callbacks)
    intro = introductions_thread(community)
    hello = post_create(author=a, thread=intro, body_md="Hi, I'm Alice")
    post_create(author=welcomer, thread=intro, body_md="Welcome Alice!", reply_to=hello)

    client.force_login(welcomer.user)
    url = reverse("newcomers", args=[community.slug])
    rows = {m.user.handle: m for m in client.get(url).context["page"].object_list}
    assert rows["alice_new"].introduced and rows["alice_new"].greeted_by_reply
    assert not rows["bob_new"].introduced and not rows["bob_new"].greeted_by_reply

    response = client.post(reverse("newcomer-greeted", args=[community.slug, b.pk]), {"greeted": "1"})
    assert response.status_code == 302
    onboarding = MemberOnboarding.objects.get(membership=b)
    assert onboarding.greeted_at is not None and onboarding.greeted_by_id == welcomer.user_id
    assert "✓ by" in client.get(url).content.decode()


def test_newcomers_access(client, community, member, make_member, make_community):
    url = reverse("newcomers", args=[community.slug])
    client.force_login(member.user)
    assert client.get(url).status_code == 403
    other = make_member(make_community(), role=Role.WELCOMER)
    client.force_login(other.user)
    assert client.get(url).status_code == 403  # listed community: non-member is forbidden
    secret = make_community(visibility="secret")
    assert client.get(reverse("newcomers", args=[secret.slug])).status_code == 404


def test_mark_greeted_refuses_membership_of_another_community(client, community, make_member, make_community):
    welcomer = make_member(community, role=Role.WELCOMER)
    elsewhere = make_member(make_community())
    client.force_login(welcomer.user)
    response = client.post(reverse("newcomer-greeted", args=[community.slug, elsewhere.pk]))
    assert response.status_code == 404
    assert not MemberOnboarding.objects.filter(membership=elsewhere).exists()


def test_viewing_the_welcome_page_creates_no_thread(client, community, member):
    client.force_login(member.user)
    body = client.get(reverse("welcome", args=[community.slug])).content.decode()
    assert "Introduce yourself" in body
    assert not Thread.objects.filter(community=community, kind=ThreadKind.WELCOME).exists()


def test_owner_opens_the_introductions_thread_with_a_post(client, community, owner):
    client.force_login(owner.user)
    response = client.post(reverse("onboarding-settings", args=[community.slug]), {"create_intro": "1"})
    intro = Thread.objects.get(community=community, kind=ThreadKind.WELCOME)
    assert response.status_code == 302 and response["Location"] == intro.get_absolute_url()


def test_newcomer_pages_query_budget(
    client,
    community,
    make_member,
    make_user,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    welcomer = make_member(community, role=Role.WELCOMER)
    newcomers = [join(community, make_user(), django_capture_on_commit_callbacks) for _ in range(12)]
    intro = introductions_thread(community)
    for m in newcomers[:6]:
        hello = post_create(author=m, thread=intro, body_md="Hello!")
        post_create(author=welcomer, thread=intro, body_md="Welcome!", reply_to=hello)
    client.force_login(welcomer.user)
    # 12 = 10 + the metrics visit log (its cached community lookup and the once-a-day write).
    with django_assert_max_num_queries(12):
        response = client.get(reverse("newcomers", args=[community.slug]))
    assert len(response.context["page"].object_list) == 12
    client.force_login(newcomers[0].user)
    with django_assert_max_num_queries(14):
        body = client.get(reverse("community-home", args=[community.slug])).content.decode()
    assert "1 of 4 done" in body  # introduced


def test_join_succeeds_when_the_broker_is_down_and_the_sweep_catches_up(
    community, make_user, django_capture_on_commit_callbacks, monkeypatch
):
    from communities.onboarding.services import onboarding_welcome_sweep

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(onboarding_tasks.welcome_newcomer, "apply_async", broker_down)
    user = make_user()
    membership = join(community, user, django_capture_on_commit_callbacks)  # no exception
    assert membership.is_active
    assert not Notification.objects.filter(recipient=user).exists()
    assert onboarding_welcome_sweep() == 1
    assert onboarding_welcome_sweep() == 0
    assert Notification.objects.filter(recipient=user, kind=Notification.Kind.WELCOME).count() == 1


def test_sweep_ignores_old_joins(community, member):
    from communities.onboarding.services import onboarding_welcome_sweep

    Membership.objects.filter(pk=member.pk).update(joined_at=timezone.now() - timedelta(days=3))
    assert onboarding_welcome_sweep() == 0
