"""Ritual pages: the access matrix, the form (prompt library, preview, bad input), the detail
page with participation, pause/resume/delete, and query budgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from communities.discussions.services import post_create
from communities.rituals.forms import RitualForm, initial_from_prompt
from communities.rituals.models import Ritual, RitualOccurrence
from communities.rituals.prompts import PROMPTS
from communities.rituals.selectors import ritual_occurrences_with_participation
from communities.rituals.services import ritual_post_due
from members.models import Role

FORM = {
    "kind": "wins",
    "title_template": "Weekly wins (week {week})",
    "body_template": "What is one small win you had this week?",
    "frequency": "weekly",
    "weekday": "4",
    "interval_weeks": "1",
    "nth_week": "1",
    "day_of_month": "1",
    "local_time": "17:00",
    "starts_on": "2026-01-01",
    "pin_current": "on",
    "author_mode": "system",
    "spotlight_mode": "rotating",
}

MANAGE = ["ritual-library", "ritual-new"]
MANAGE_RITUAL_GET = ["ritual-edit"]
MANAGE_RITUAL_POST = ["ritual-pause", "ritual-delete"]


def who(request, name, community):
    """The cast: owner, moderator, member, welcomer, outsider (member elsewhere), anonymous."""
    if name == "anonymous":
        return None
    if name == "owner":
        return community.memberships.get(role=Role.OWNER).user
    if name == "outsider":
        return request.getfixturevalue("outsider")
    make_member = request.getfixturevalue("make_member")
    return make_member(
        community, role={"moderator": Role.MODERATOR, "welcomer": Role.WELCOMER}.get(name, Role.MEMBER)
    ).user


# Expected answers: A (2xx/3xx success), F (403), N (404), L (login redirect).
MATRIX = [
    # visibility, person, view-rituals, manage
    ("listed", "owner", "A", "A"),
    ("listed", "moderator", "A", "A"),
    ("listed", "member", "A", "F"),
    ("listed", "welcomer", "A", "F"),
    ("listed", "outsider", "F", "F"),
    ("listed", "anonymous", "L", "L"),
    ("secret", "member", "A", "F"),
    ("secret", "outsider", "N", "N"),
    ("secret", "anonymous", "N", "N"),
    ("public", "outsider", "A", "F"),
    ("public", "anonymous", "A", "L"),
]


def answer(response) -> str:
    if response.status_code in (200, 302) and "/accounts/login/" in response.get("Location", ""):
        return "L"
    if response.status_code in (200, 302):
        return "A"
    return {403: "F", 404: "N"}.get(response.status_code, str(response.status_code))


@pytest.mark.parametrize(("visibility", "person", "view", "manage"), MATRIX)
def test_access_matrix(request, client, make_community, make_ritual, visibility, person, view, manage):
    community = make_community(
        visibility=visibility, join_policy="invite_only" if visibility == "secret" else "open"
    )
    ritual = make_ritual(community)
    user = who(request, person, community)
    if user is not None:
        client.force_login(user)
    slug = community.slug
    form = {**FORM, "space": ritual.space_id}
    for name in ("ritual-list",):
        assert answer(client.get(reverse(name, args=[slug]))) == view, name
    assert answer(client.get(reverse("ritual-detail", args=[slug, ritual.pk]))) == view
    for name in MANAGE:
        assert answer(client.get(reverse(name, args=[slug]))) == manage, name
    assert answer(client.post(reverse("ritual-new", args=[slug]), form)) == manage
    for name in MANAGE_RITUAL_GET:
        assert answer(client.get(reverse(name, args=[slug, ritual.pk]))) == manage, name
    assert answer(client.post(reverse("ritual-edit", args=[slug, ritual.pk]), form)) == manage
    assert answer(client.post(reverse("ritual-pause", args=[slug, ritual.pk]), {"paused": "1"})) == manage
    if manage != "A":
        ritual.refresh_from_db()
        assert ritual.paused is False  # nothing changed
        assert Ritual.objects.filter(community=community).count() == 1  # nothing created
    assert answer(client.post(reverse("ritual-delete", args=[slug, ritual.pk]))) == manage
    assert Ritual.objects.filter(pk=ritual.pk).exists() is (manage != "A")


def test_ritual_id_of_another_community_is_404(client, community, owner, make_community, make_ritual):
    elsewhere = make_ritual(make_community())
    client.force_login(owner.user)
    slug = community.slug
    assert client.get(reverse("ritual-detail", args=[slug, elsewhere.pk])).status_code == 404
    assert client.get(reverse("ritual-edit", args=[slug, elsewhere.pk])).status_code == 404
    assert client.post(reverse("ritual-pause", args=[slug, elsewhere.pk]), {"paused": "1"}).status_code == 404
    assert client.post(reverse("ritual-delete", args=[slug, elsewhere.pk])).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.paused is False


def test_ritual_in_restricted_space_is_hidden_from_members(client, community, member, make_ritual):
    from communities.models import Space

    vip = Space.objects.create(community=community, name="Staff", slug="staff", min_role=Role.MODERATOR)
    ritual = make_ritual(community, space=vip)
    client.force_login(member.user)
    assert client.get(reverse("ritual-detail", args=[community.slug, ritual.pk])).status_code == 404
    assert (
        ritual.title_template
        not in client.get(reverse("ritual-list", args=[community.slug])).content.decode()
    )


def test_prompt_library_has_twenty_prompts_that_each_make_a_valid_form(community, general_space):
    assert len(PROMPTS) >= 20
    assert len({p.key for p in PROMPTS}) == len(PROMPTS)
    for prompt in PROMPTS:
        data = {**initial_from_prompt(prompt), "space": general_space.pk, "starts_on": "2026-01-01"}
        data["local_time"] = data["local_time"].strftime("%H:%M")
        data["author_mode"], data["spotlight_mode"] = "system", "rotating"
        data = {k: v for k, v in data.items() if v is not None}
        form = RitualForm(data, community=community)
        assert form.is_valid(), (prompt.key, form.errors)


def test_create_from_library_with_preview_then_save(client, community, owner, general_space):
    client.force_login(owner.user)
    library = client.get(reverse("ritual-library", args=[community.slug])).content.decode()
    assert "What is one small win you had this week?" in library
    new_url = reverse("ritual-new", args=[community.slug])
    prefilled = client.get(new_url + "?prompt=weekly-wins").content.decode()
    assert "Weekly wins (week {week})" in prefilled

    data = {**FORM, "space": general_space.pk}
    preview = client.post(new_url, {**data, "preview": "1"})
    assert preview.status_code == 200
    assert len(preview.context["preview"]) == 5
    assert not Ritual.objects.exists()  # previewing saves nothing

    response = client.post(new_url, data)
    ritual = Ritual.objects.get()
    assert response.status_code == 302 and response["Location"] == ritual.get_absolute_url()
    assert ritual.community_id == community.pk and ritual.created_by_id == owner.user_id
    assert ritual.next_run_at is not None
    detail = client.get(ritual.get_absolute_url())
    assert len(detail.context["preview"]) == 5


def test_bad_input_keeps_what_was_typed(client, community, owner, general_space):
    client.force_login(owner.user)
    data = {**FORM, "space": general_space.pk, "title_template": "Wins {wek}", "body_template": "Typed body"}
    response = client.post(reverse("ritual-new", args=[community.slug]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Unknown placeholder" in body and "{wek}" in body
    assert "Typed body" in body
    response = client.post(
        reverse("ritual-new", args=[community.slug]), {**data, "title_template": "", "day_of_month": "40"}
    )
    assert response.status_code == 400
    assert not Ritual.objects.exists()


def test_space_of_another_community_is_refused(client, community, owner, make_community):
    from communities.models import Space

    foreign = Space.objects.get(community=make_community(), slug="general")
    client.force_login(owner.user)
    response = client.post(reverse("ritual-new", args=[community.slug]), {**FORM, "space": foreign.pk})
    assert response.status_code == 400
    assert not Ritual.objects.exists()


def test_spotlight_chosen_needs_a_member(client, community, owner, general_space, make_member):
    client.force_login(owner.user)
    data = {**FORM, "space": general_space.pk, "kind": "spotlight", "spotlight_mode": "chosen"}
    response = client.post(
        reverse("ritual-new", args=[community.slug]), {**data, "spotlight_handle": "nobody_here"}
    )
    assert response.status_code == 400 and "No member @nobody_here" in response.content.decode()
    chosen = make_member(community)
    response = client.post(
        reverse("ritual-new", args=[community.slug]), {**data, "spotlight_handle": chosen.user.handle}
    )
    assert response.status_code == 302
    assert Ritual.objects.get().spotlight_user_id == chosen.user_id


def test_edit_pause_resume_delete(client, community, owner, make_ritual, general_space):
    ritual = make_ritual(community)
    client.force_login(owner.user)
    slug = community.slug
    response = client.post(
        reverse("ritual-edit", args=[slug, ritual.pk]), {**FORM, "space": general_space.pk, "weekday": "0"}
    )
    assert response.status_code == 302
    ritual.refresh_from_db()
    assert ritual.weekday == 0 and ritual.next_run_at.weekday() == 0
    client.post(reverse("ritual-pause", args=[slug, ritual.pk]), {"paused": "1"})
    ritual.refresh_from_db()
    assert ritual.paused is True
    assert "Paused" in client.get(ritual.get_absolute_url()).content.decode()
    client.post(reverse("ritual-pause", args=[slug, ritual.pk]), {"paused": "0"})
    ritual.refresh_from_db()
    assert ritual.paused is False
    ritual_post_due(now=ritual.next_run_at)
    thread = ritual.occurrences.get().thread
    client.post(reverse("ritual-delete", args=[slug, ritual.pk]))
    assert not Ritual.objects.exists()
    thread.refresh_from_db()
    assert thread.pinned is False  # the thread stays, unpinned


def test_get_does_not_change_state(client, community, owner, make_ritual):
    ritual = make_ritual(community)
    client.force_login(owner.user)
    assert client.get(reverse("ritual-pause", args=[community.slug, ritual.pk])).status_code == 405
    assert client.get(reverse("ritual-delete", args=[community.slug, ritual.pk])).status_code == 405


def test_participation_per_occurrence(community, make_ritual, make_member):
    ritual = make_ritual(community)
    a, b, c = (make_member(community) for _ in range(3))
    start = ritual.next_run_at
    ritual_post_due(now=start)
    first = ritual.occurrences.get().thread
    for author, text in [(a, "win 1"), (a, "win 2"), (b, "win 3")]:
        post_create(author=author, thread=first, body_md=text)
    ritual_post_due(now=start + timedelta(days=7))
    second = ritual.occurrences.order_by("-occurrence").first().thread
    post_create(author=a, thread=second, body_md="again")
    post_create(author=c, thread=second, body_md="first time!")
    ritual_post_due(now=start + timedelta(days=14))  # nobody answers the third
    rows = list(ritual_occurrences_with_participation(ritual))
    assert [(o.replies, o.participants, o.first_timers) for o in rows] == [(0, 0, 0), (2, 2, 1), (3, 2, 2)]


def test_detail_page_shows_chart_and_table(client, community, member, make_ritual):
    ritual = make_ritual(community)
    ritual_post_due(now=ritual.next_run_at)
    post_create(author=member, thread=ritual.occurrences.get().thread, body_md="My win")
    client.force_login(member.user)
    response = client.get(ritual.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body and 'class="participation-chart"' in body
    assert "style=" not in body  # CSP: no inline style attributes
    (row,) = response.context["page"].object_list
    assert (row.replies, row.participants, row.first_timers) == (1, 1, 1)


def test_detail_page_query_budget(
    client, community, owner, make_ritual, make_member, django_assert_max_num_queries
):
    ritual = make_ritual(community)
    members = [make_member(community) for _ in range(4)]
    start = ritual.next_run_at
    for week in range(25):
        ritual_post_due(now=start + timedelta(days=7 * week))
    for occ in RitualOccurrence.objects.filter(ritual=ritual).select_related("thread")[:10]:
        for m in members:
            post_create(author=m, thread=occ.thread, body_md="reply")
    client.force_login(owner.user)
    with django_assert_max_num_queries(14):
        response = client.get(ritual.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 20
    with django_assert_max_num_queries(14):
        assert client.get(reverse("ritual-list", args=[community.slug])).status_code == 200


def test_downtime_skips_are_shown(client, community, owner, make_ritual):
    ritual = make_ritual(community)
    ritual_post_due(now=ritual.next_run_at + timedelta(days=14))
    client.force_login(owner.user)
    body = client.get(ritual.get_absolute_url()).content.decode()
    assert body.count("Skipped (missed while the site was down)") == 2


def test_owner_empty_state_suggests_a_first_ritual(client, community, owner, member):
    client.force_login(owner.user)
    body = client.get(reverse("ritual-list", args=[community.slug])).content.decode()
    assert "No rituals yet" in body and "?prompt=weekly-wins" in body
    client.force_login(member.user)
    body = client.get(reverse("ritual-list", args=[community.slug])).content.decode()
    assert "No rituals yet" in body and "?prompt=" not in body


def test_ritual_times_shown_in_community_time_zone(client, make_community, make_ritual):
    community = make_community(time_zone="America/New_York")
    ritual = make_ritual(community, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert ritual.next_run_at == datetime(2026, 1, 2, 22, 0, tzinfo=UTC)  # 17:00 EST
    client.force_login(community.memberships.get(role=Role.OWNER).user)
    body = client.get(ritual.get_absolute_url()).content.decode()
    assert "17:00" in body


def test_htmx_live_preview_returns_just_the_dates(client, community, owner, general_space):
    client.force_login(owner.user)
    url = reverse("ritual-new", args=[community.slug])
    data = {
        **FORM,
        "space": general_space.pk,
        "preview": "1",
        "frequency": "monthly_day",
        "day_of_month": "31",
    }
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="ritual-preview"' in body and "<form" not in body
    assert body.count("<li><time") == 5
    bad = client.post(url, {**data, "day_of_month": "0"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "Fix the highlighted fields" in bad.content.decode()
    assert not Ritual.objects.exists()
