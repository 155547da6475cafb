"""What the site tells people who shouldn't know (issue 18, items 9, 10, 11, 14, 15)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.reliability import hashers


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


# --- Item 10: login does the same work for known and unknown emails ---------------------------------


def _login_work(client, login: str) -> int:
    hashers.CALLS["n"] = 0
    response = client.post(reverse("account_login"), {"login": login, "password": "wrong password 123"})
    assert response.status_code in {200, 400}
    return hashers.CALLS["n"]


def test_login_costs_the_same_for_registered_and_unknown_people(client, settings, make_user):
    settings.PASSWORD_HASHERS = ["tests.reliability.hashers.CountingHasher"]
    user = make_user("known_person")
    user.set_password("the real password 456")
    user.save()
    registered = _login_work(client, user.email)
    cache.clear()
    unknown = _login_work(client, "nobody-here@example.com")
    cache.clear()
    by_handle = _login_work(client, user.handle)
    cache.clear()
    unknown_handle = _login_work(client, "no_such_handle")
    assert registered == unknown == by_handle == unknown_handle, (
        registered,
        unknown,
        by_handle,
        unknown_handle,
    )
    assert registered >= 1


# --- Item 11: anonymous search is throttled ----------------------------------------------------------


def test_anonymous_search_is_throttled(client, settings, make_community):
    settings.RATE_LIMITS_ENABLED = True
    community = make_community(visibility="public", join_policy="open")
    url = reverse("community-search", args=[community.slug])
    statuses = [client.get(url, {"q": f"word{i}"}).status_code for i in range(60)]
    assert 429 in statuses
    limited = client.get(url, {"q": "again"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert client.get(reverse("search"), {"q": "x"}).status_code in {302, 429}


def test_members_searching_are_not_throttled_by_anonymous_traffic(client, settings, community, member):
    settings.RATE_LIMITS_ENABLED = True
    for i in range(60):
        client.get(reverse("community-search", args=[community.slug]), {"q": f"w{i}"})
    client.force_login(member.user)
    assert client.get(reverse("community-search", args=[community.slug]), {"q": "w"}).status_code == 200


# --- Item 14: private pages are not cached; /healthz tells strangers little -------------------------


@pytest.mark.parametrize("name", ["settings-privacy", "settings-profile", "my-data", "notifications"])
def test_authenticated_pages_are_private_no_store(name, client, member):
    client.force_login(member.user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control


def test_community_pages_for_members_are_private_no_store(client, community, owner, thread):
    client.force_login(owner.user)
    for url in (community.get_absolute_url(), thread.get_absolute_url(),
                reverse("join-requests", args=[community.slug])):  # fmt: skip
        assert "no-store" in client.get(url)["Cache-Control"], url


def test_healthz_tells_anonymous_callers_only_the_status(client, db):
    data = client.get(reverse("healthz")).json()
    text = json.dumps(data)
    assert data["status"] in {"ok", "degraded"}
    for secret in ("vendor", "backend", "transport", "hostname", "last_heartbeat", "sqlite", "redis"):
        assert secret not in text, secret


def test_healthz_details_for_operators(client, make_user, settings):
    operator = make_user("operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    data = client.get(reverse("healthz")).json()
    assert data["database"]["vendor"] in {"sqlite", "postgresql"}
    settings.HEARTH_HEALTHZ_TOKEN = "s3cret-token-for-monitoring"
    client.logout()
    data = client.get(reverse("healthz"), HTTP_AUTHORIZATION="Bearer s3cret-token-for-monitoring").json()
    assert "vendor" in data["database"]
    assert (
        "vendor" not in client.get(reverse("healthz"), HTTP_AUTHORIZATION="Bearer wrong").json()["database"]
    )


# --- Item 15: the personal data download of a former or banned member ------------------------------


def _download(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("my-data-download"))
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {
            name: [json.loads(line) for line in zf.read(name).splitlines() if line.strip()]
            for name in zf.namelist()
            if name.endswith(".jsonl")
        }


@pytest.mark.parametrize("how", ["banned", "left"])
def test_personal_data_keeps_own_words_but_not_private_titles(how, client, make_community, make_member,
                                                              make_thread, make_post):  # fmt: skip
    from members.services import membership_leave
    from moderation.sanctions import member_ban

    community = make_community(visibility="listed")
    owner_membership = community.memberships.get(role="owner")
    author = make_member(community)
    others = make_thread(owner_membership, title="Plans nobody outside may read")
    make_post(author, others, body="My own reply, mine to keep")
    own = make_thread(author, title="My own thread title")
    if how == "banned":
        member_ban(actor=owner_membership, target=author, reason="Spam")
    else:
        membership_leave(membership=author)
    docs = _download(client, author.user)
    posts = docs["posts.jsonl"]
    bodies = {p["body_md"] for p in posts}
    assert "My own reply, mine to keep" in bodies  # their own words stay
    titles = {p.get("thread_title") for p in posts}
    assert "Plans nobody outside may read" not in titles
    assert "My own thread title" in titles  # they wrote it
    assert "Plans nobody outside may read" not in json.dumps(docs)
    assert own.pk


def test_personal_data_of_a_current_member_keeps_titles(
    client, community, member, owner, make_thread, make_post
):
    others = make_thread(owner, title="Open to members")
    make_post(member, others, body="Reply")
    docs = _download(client, member.user)
    assert "Open to members" in {p["thread_title"] for p in docs["posts.jsonl"]}


# --- Item 9: an import counts every section against the manifest ------------------------------------


def test_import_refuses_an_archive_with_a_missing_line(tmp_path, db):
    from communities.models import Community
    from communities.portability.load import import_archive
    from communities.portability.validate import ArchiveProblems
    from tests.communities.export_helpers import archive_bytes, replace_entry, seed_rich_community

    data = archive_bytes(seed_rich_community("counted"))
    Community.objects.filter(slug="counted").update(slug="counted-original")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        lines = [line for line in zf.read("posts.jsonl").splitlines() if line.strip()]
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["counts"]["posts"] == len(lines)
    cut = replace_entry(data, "posts.jsonl", b"\n".join(lines[:-1]) + b"\n")
    path = tmp_path / "cut.zip"
    path.write_bytes(cut)
    with pytest.raises(ArchiveProblems) as exc:
        import_archive(path)
    message = " ".join(exc.value.problems)
    assert "posts.jsonl" in message and str(len(lines)) in message and str(len(lines) - 1) in message
