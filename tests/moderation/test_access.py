"""Access matrix for every moderation URL: outsiders 404 (secret) / 403 (listed), anonymous a
login redirect (listed) or 404 (secret), members 403, moderators 200/302, moderator vs owner 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.models import JoinRequest
from moderation.hooks import flag_create
from moderation.models import AuditLogEntry, Flag, WordFilter


@pytest.fixture
def world(make_community, make_member, make_thread, make_user):
    def build(visibility: str):
        community = make_community(visibility=visibility)
        owner = community.memberships.get(role="owner")
        mod = make_member(community, role="moderator")
        member = make_member(community)
        post = make_thread(member).posts.get()
        owner_post = make_thread(owner).posts.get()
        flag_create(membership=make_member(community), post=post, reason="spam")
        wf = WordFilter.objects.create(community=community, phrase="x", action="hold")
        jr = JoinRequest.objects.create(community=community, user=make_user())
        return {
            "community": community,
            "owner": owner,
            "mod": mod,
            "member": member,
            "post": post,
            "owner_post": owner_post,
            "wf": wf,
            "jr": jr,
            "outsider": make_user(),
        }

    return build


def _urls(w):
    slug = w["community"].slug
    return {
        # name: (method, url, data, moderator's expected status)
        "queue": ("get", reverse("mod-queue", args=[slug]), None, 200),
        "log": ("get", reverse("mod-log", args=[slug]), None, 200),
        "members": ("get", reverse("mod-members", args=[slug]), None, 200),
        "member": ("get", reverse("mod-member", args=[slug, w["member"].user.handle]), None, 200),
        "filters": ("get", reverse("mod-word-filters", args=[slug]), None, 200),
        "filter_add": (
            "post",
            reverse("mod-word-filters", args=[slug]),
            {"phrase": "y", "action": "hold"},
            302,
        ),
        "filter_delete": ("post", reverse("mod-word-filter-delete", args=[slug, w["wf"].pk]), {}, 302),
        "join": ("post", reverse("mod-queue-join", args=[slug, w["jr"].pk]), {"decision": "reject"}, 302),
        "flags": ("post", reverse("mod-queue-flag", args=[slug, w["post"].pk]), {"action": "keep"}, 302),
        "held": ("post", reverse("mod-queue-held", args=[slug, w["post"].pk]), {"decision": "approve"}, 302),
        "post_hide": ("post", reverse("mod-post", args=[slug, w["post"].pk]), {"action": "hide"}, 302),
        "sanction": (
            "post",
            reverse("mod-member", args=[slug, w["member"].user.handle]),
            {"action": "warn", "reason": "x"},
            302,
        ),
    }


@pytest.mark.parametrize("visibility", ["listed", "secret"])
def test_access_matrix(client, world, visibility):
    w = world(visibility)
    for name, (method, url, data, _mod_status) in _urls(w).items():
        client.logout()
        response = getattr(client, method)(url, data or {})
        if visibility == "secret":
            assert response.status_code == 404, f"anonymous {name}"
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
                f"anonymous {name}"
            )

        client.force_login(w["outsider"])
        expected = 404 if visibility == "secret" else 403
        assert getattr(client, method)(url, data or {}).status_code == expected, f"outsider {name}"

        client.force_login(w["member"].user)
        assert getattr(client, method)(url, data or {}).status_code == 403, f"member {name}"

    # Nothing changed by the refused requests.
    assert not AuditLogEntry.objects.exists()
    assert Flag.objects.filter(resolved_at__isnull=True).count() == 1

    for name, (method, url, data, mod_status) in _urls(w).items():
        client.force_login(w["mod"].user)
        assert getattr(client, method)(url, data or {}).status_code == mod_status, f"moderator {name}"


def test_settings_page_is_for_the_owner_only(client, world):
    w = world("listed")
    url = reverse("mod-settings", args=[w["community"].slug])
    client.force_login(w["mod"].user)
    assert client.get(url).status_code == 403
    client.force_login(w["owner"].user)
    assert client.get(url).status_code == 200
    data = {
        "c-flag_threshold": "2",
        "c-hold_first_posts": "1",
        "c-transparency_log_enabled": "on",
        "l-post_interval_seconds": "5",
        "l-thread_interval_seconds": "15",
        "l-new_member_post_interval_seconds": "30",
        "l-new_member_thread_interval_seconds": "120",
        "l-threads_per_day": "20",
        "l-threads_first_day": "3",
        "l-new_member_days": "3",
    }
    assert client.post(url, data).status_code == 302
    w["community"].refresh_from_db()
    assert (w["community"].flag_threshold, w["community"].hold_first_posts) == (2, 1)
    assert w["community"].transparency_log_enabled
    bad = client.post(url, {**data, "c-flag_threshold": "0", "l-threads_per_day": "0"})
    assert bad.status_code == 400
    assert b'value="0"' in bad.content  # what was typed is kept


def test_moderator_cannot_act_on_owner_targets(client, world):
    w = world("listed")
    slug = w["community"].slug
    client.force_login(w["mod"].user)
    owner_handle = w["owner"].user.handle
    assert client.post(reverse("mod-member", args=[slug, owner_handle]), {"action": "ban"}).status_code == 403
    other_mod = w["community"].memberships.get(pk=w["mod"].pk)  # a moderator can't sanction themselves either
    assert (
        client.post(
            reverse("mod-member", args=[slug, other_mod.user.handle]), {"action": "mute", "mute_days": 1}
        ).status_code
        == 403
    )
    # Hiding the owner's post: refused with a message, nothing applied.
    response = client.post(
        reverse("mod-post", args=[slug, w["owner_post"].pk]), {"action": "hide"}, follow=True
    )
    assert b"can&#x27;t act on posts by the owner" in response.content
    w["owner_post"].refresh_from_db()
    assert w["owner_post"].removed_at is None
    assert not AuditLogEntry.objects.exists()


def test_object_of_another_community_is_404(client, world):
    a, b = world("listed"), world("listed")
    client.force_login(a["mod"].user)
    slug = a["community"].slug
    assert (
        client.post(reverse("mod-queue-flag", args=[slug, b["post"].pk]), {"action": "hide"}).status_code
        == 404
    )
    assert (
        client.post(reverse("mod-queue-join", args=[slug, b["jr"].pk]), {"decision": "approve"}).status_code
        == 404
    )
    assert client.post(reverse("mod-word-filter-delete", args=[slug, b["wf"].pk])).status_code == 404
    assert client.get(reverse("post-flag", args=[slug, b["post"].pk])).status_code == 404
    b["post"].refresh_from_db()
    assert b["post"].removed_at is None


def test_flag_page_access(client, world):
    w = world("secret")
    url = reverse("post-flag", args=[w["community"].slug, w["post"].pk])
    client.force_login(w["outsider"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    client.force_login(w["mod"].user)
    assert client.get(url).status_code == 200


def test_htmx_refusal_is_shown_in_place(client, world):
    w = world("listed")
    slug = w["community"].slug
    flag_create(membership=w["member"], post=w["owner_post"], reason="spam")
    client.force_login(w["mod"].user)
    url = reverse("mod-queue-flag", args=[slug, w["owner_post"].pk])
    response = client.post(url, {"action": "hide"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"can&#x27;t act on posts by the owner" in response.content
    assert client.post(url, {"action": "hide"}).status_code == 403
    w["owner_post"].refresh_from_db()
    assert w["owner_post"].removed_at is None
