"""Profiles: who sees them, which fields, which posts; editing; avatars; settings pages."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from communities.discussions.models import Post
from communities.discussions.services import post_create
from communities.models import Space
from members.models import MembershipStatus, Role
from members.notifications.models import EmailDelivery, Notification, NotificationPreference
from members.profiles.models import DigestFrequency, FieldVisibility, MutedMember, Profile
from members.profiles.selectors import muted_user_ids


def profile_url(user) -> str:
    return reverse("profile", args=[user.handle])


def png_bytes(size=(600, 400), colour=(200, 80, 20), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- Who may see a profile ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "outsider", "former member", "banned", "member", "self"])
def test_profile_is_visible_only_with_a_shared_active_community(
    client, who, member, make_member, make_user, community
):
    viewer = {
        "anonymous": None,
        "outsider": make_user(),
        "self": member.user,
    }.get(who)
    if who in {"former member", "banned", "member"}:
        m = make_member(community)
        viewer = m.user
        if who != "member":
            status = MembershipStatus.LEFT if who == "former member" else MembershipStatus.BANNED
            type(m).objects.filter(pk=m.pk).update(status=status)
    if viewer:
        client.force_login(viewer)
    response = client.get(profile_url(member.user))
    expected = 200 if who in {"member", "self"} else 404
    assert response.status_code == expected
    missing = client.get(reverse("profile", args=["nobody_here"]))
    assert missing.status_code == 404
    if expected == 404:
        # Indistinguishable from a handle that never existed (masked CSRF tokens aside).
        def scrub(body: bytes) -> bytes:
            return re.sub(rb"[A-Za-z0-9]{64}", b"", body)

        assert scrub(response.content) == scrub(missing.content)


def test_recent_posts_only_from_shared_communities_and_readable_spaces(
    client, make_community, make_member, make_thread, make_post
):
    shared = make_community(visibility="listed", name="Shared garden")
    secret = make_community(visibility="secret", name="Secret society")
    person = make_member(shared)
    make_member(secret, user=person.user)
    viewer = make_member(shared)
    make_thread(person, title="Tomatoes in the shared garden")
    secret_person = type(person).objects.get(user=person.user, community=secret)
    make_thread(secret_person, title="Plans of the secret society")
    mods = Space.objects.create(community=shared, name="Mods", slug="mods", min_role=Role.MODERATOR)
    type(person).objects.filter(pk=person.pk).update(role=Role.MODERATOR)
    person.refresh_from_db()
    make_thread(person, space=mods, title="Moderator backroom")
    client.force_login(viewer.user)
    body = client.get(profile_url(person.user)).content.decode()
    assert "Tomatoes in the shared garden" in body
    assert "Plans of the secret society" not in body and "Secret society" not in body
    assert "Moderator backroom" not in body
    # The person sees their own posts from everywhere they belong.
    client.force_login(person.user)
    own = client.get(profile_url(person.user)).content.decode()
    assert "Plans of the secret society" in own and "Moderator backroom" in own


def test_removed_posts_are_not_listed(client, member, make_member, community, thread, make_post):
    viewer = make_member(community)
    post = make_post(member, thread, body="Regrettable")
    Post.objects.filter(author=member.user).update(removed_at=timezone.now())
    client.force_login(viewer.user)
    body = client.get(profile_url(member.user)).content.decode()
    assert f"#post-{post.pk}" not in body
    assert "No posts you can see yet" in body


def test_field_visibility(client, member, make_member, community):
    profile = Profile.objects.get(user=member.user)
    profile.bio = "I grow <b>tomatoes</b> <script>alert(1)</script>"
    profile.links = ["https://tomatoes.example/"]
    profile.last_seen_at = timezone.now() - timedelta(hours=3)
    profile.time_zone_visibility = FieldVisibility.MEMBERS
    profile.save()
    member.user.time_zone = "Europe/Lisbon"
    member.user.save()
    viewer = make_member(community)
    client.force_login(viewer.user)
    body = client.get(profile_url(member.user)).content.decode()
    assert "I grow &lt;b&gt;tomatoes&lt;/b&gt; &lt;script&gt;" in body
    assert "<script>alert" not in body
    assert "https://tomatoes.example/" in body
    assert "Europe/Lisbon" in body
    assert "last seen" in body

    Profile.objects.filter(pk=profile.pk).update(
        bio_visibility=FieldVisibility.NOBODY,
        links_visibility=FieldVisibility.NOBODY,
        time_zone_visibility=FieldVisibility.NOBODY,
        last_seen_visibility=FieldVisibility.NOBODY,
    )
    body = client.get(profile_url(member.user)).content.decode()
    for hidden in ("tomatoes", "Europe/Lisbon", "last seen", "online now"):
        assert hidden not in body, hidden
    # The person still sees their own fields.
    client.force_login(member.user)
    own = client.get(profile_url(member.user)).content.decode()
    assert "tomatoes" in own and "Only you see your bio" in own


def test_avatar_visibility_and_initials(client, member, make_member, community, media):
    member.user.display_name = "Ada Lovelace"
    member.user.save()
    profile = Profile.objects.get(user=member.user)
    profile.avatar.save("a.png", io.BytesIO(png_bytes((256, 256))), save=True)
    viewer = make_member(community)
    client.force_login(viewer.user)
    assert profile.avatar.url.encode() in client.get(profile_url(member.user)).content
    Profile.objects.filter(pk=profile.pk).update(avatar_visibility=FieldVisibility.NOBODY)
    body = client.get(profile_url(member.user)).content
    assert profile.avatar.url.encode() not in body
    assert b">AL</span>" in body


def test_profile_page_query_count_is_fixed(
    client, member, make_member, community, thread, django_assert_max_num_queries
):
    viewer = make_member(community)
    for i in range(40):
        post_create(author=member, thread=thread, body_md=f"Reply {i}")
    client.force_login(viewer.user)
    with django_assert_max_num_queries(12):
        response = client.get(profile_url(member.user))
    assert response.content.decode().count('class="thread-row"') == 20


# --- Editing ------------------------------------------------------------------------------------


def test_edit_profile_with_avatar(client, member, media, django_capture_on_commit_callbacks):
    client.force_login(member.user)
    upload = io.BytesIO(png_bytes((900, 500)))
    upload.name = "me.png"
    response = client.post(
        reverse("settings-profile"),
        {
            "display_name": "Ada",
            "bio": "Hello there",
            "links": "https://ada.example/\nhttp://blog.example/post",
            "time_zone": "America/Sao_Paulo",
            "language": "pt",
            "avatar": upload,
        },
    )
    assert response.status_code == 302
    member.user.refresh_from_db()
    profile = Profile.objects.get(user=member.user)
    assert (member.user.display_name, member.user.time_zone, profile.language) == (
        "Ada",
        "America/Sao_Paulo",
        "pt",
    )
    assert profile.links == ["https://ada.example/", "http://blog.example/post"]
    with Image.open(profile.avatar.path) as img:
        assert (img.format, img.size) == ("PNG", (256, 256))
    served = client.get(profile.avatar.url)  # served by the app in every deployment
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert client.get("/media/avatars/..%2Fsecret.png").status_code == 404
    assert str(profile.avatar.path).startswith(str(media))
    old_path = profile.avatar.path
    # Removing the picture falls back to initials and deletes the file once committed.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("settings-profile"),
            {
                "display_name": "Ada",
                "bio": "",
                "links": "",
                "time_zone": "UTC",
                "language": "en",
                "remove_avatar": "on",
            },
        )
    profile.refresh_from_db()
    assert not profile.avatar
    assert not os.path.exists(old_path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("links", "javascript:alert(1)", "not a web address"),
        ("links", "\n".join(f"https://e{i}.example/" for i in range(5)), "at most 4 links"),
        ("time_zone", "Mars/Olympus_Mons", "not one of the available choices"),
        ("bio", "x" * 1001, "at most 1000 characters"),
        ("display_name", "<script>", "ordinary punctuation"),
    ],
)
def test_bad_profile_input_gets_a_message_and_keeps_what_was_typed(client, member, field, value, message):
    client.force_login(member.user)
    data = {"display_name": "Kept name", "bio": "Kept bio", "links": "", "time_zone": "UTC", "language": "en"}
    data[field] = value
    response = client.post(reverse("settings-profile"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body.replace("&#x27;", "'")
    assert "Kept bio" in body or field == "bio"
    member.user.refresh_from_db()
    assert member.user.display_name == ""


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.svg"),
        (b"GIF89a not really", "x.gif"),
        (b"%PDF-1.4 hello", "x.png"),
    ],
)
def test_non_images_are_refused(client, member, media, payload, name):
    client.force_login(member.user)
    upload = io.BytesIO(payload)
    upload.name = name
    response = client.post(
        reverse("settings-profile"),
        {"display_name": "", "bio": "", "links": "", "time_zone": "UTC", "language": "en", "avatar": upload},
    )
    assert response.status_code == 400
    assert "isn&#x27;t an image we can use" in response.content.decode()
    assert not Profile.objects.get(user=member.user).avatar


def test_privacy_settings_save_and_share_email_defaults_off(client, member):
    assert Profile.objects.get(user=member.user).share_email_in_exports is False
    client.force_login(member.user)
    assert client.get(reverse("settings-privacy")).status_code == 200
    response = client.post(
        reverse("settings-privacy"),
        {
            "avatar_visibility": "members",
            "bio_visibility": "nobody",
            "links_visibility": "members",
            "time_zone_visibility": "members",
            "last_seen_visibility": "nobody",
            "share_email_in_exports": "on",
        },
    )
    assert response.status_code == 302
    p = Profile.objects.get(user=member.user)
    assert (p.bio_visibility, p.last_seen_visibility, p.share_email_in_exports) == ("nobody", "nobody", True)
    bad = client.post(reverse("settings-privacy"), {"bio_visibility": "everyone"})
    assert bad.status_code == 400


def test_email_settings_page(client, member):
    client.force_login(member.user)
    page = client.get(reverse("settings-notifications"))
    assert page.status_code == 200
    assert reverse("account_email").encode() in page.content
    data = {f"kind_{k}": EmailDelivery.NEVER for k in Notification.Kind.values}
    data |= {
        "kind_mention": EmailDelivery.DIGEST,
        "digest_frequency": DigestFrequency.DAILY,
        "digest_hour": "7",
        "digest_weekday": "4",
        "digest_skip_if_active": "on",
    }
    assert client.post(reverse("settings-notifications"), data).status_code == 302
    prefs = dict(NotificationPreference.objects.filter(user=member.user).values_list("kind", "delivery"))
    assert prefs["mention"] == EmailDelivery.DIGEST and prefs["reply"] == EmailDelivery.NEVER
    p = Profile.objects.get(user=member.user)
    assert (p.digest_frequency, p.digest_hour, p.digest_weekday, p.digest_skip_if_active) == (
        "daily",
        7,
        4,
        True,
    )
    bad = client.post(reverse("settings-notifications"), data | {"digest_hour": "25"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "name", ["settings-profile", "settings-privacy", "settings-notifications", "settings-muted"]
)
def test_settings_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Muting -------------------------------------------------------------------------------------


def test_mute_from_profile_and_unmute(client, member, make_member, community):
    other = make_member(community)
    client.force_login(member.user)
    response = client.post(reverse("profile-mute", args=[other.user.handle]))
    assert response.status_code == 302
    assert muted_user_ids(member.user) == {other.user_id}
    assert b"Unmute" in client.get(profile_url(other.user)).content
    client.post(reverse("profile-unmute", args=[other.user.handle]))
    assert muted_user_ids(member.user) == set()


def test_mute_needs_a_shared_community(client, member, make_user, make_member, make_community):
    stranger = make_member(make_community(visibility="secret"))
    client.force_login(member.user)
    assert client.post(reverse("profile-mute", args=[stranger.user.handle])).status_code == 404
    response = client.post(reverse("settings-muted"), {"handle": "@" + stranger.user.handle})
    assert response.status_code == 400
    assert "No member called" in response.content.decode()
    response = client.post(reverse("settings-muted"), {"handle": member.user.handle})
    assert response.status_code == 400  # not yourself
    assert not MutedMember.objects.exists()


def test_muted_members_page(client, member, make_member, community):
    other = make_member(community)
    client.force_login(member.user)
    assert b"muted anyone" in client.get(reverse("settings-muted")).content
    assert (
        client.post(reverse("settings-muted"), {"handle": "@" + other.user.handle.upper()}).status_code == 302
    )
    page = client.get(reverse("settings-muted"))
    assert other.user.handle.encode() in page.content
    client.post(reverse("settings-unmute", args=[other.user_id]))
    assert muted_user_ids(member.user) == set()
    assert muted_user_ids(None) == set()


def test_last_seen_is_recorded_and_throttled(client, member, settings):
    settings.HEARTH_TRACK_LAST_SEEN = True
    client.force_login(member.user)
    client.get(reverse("settings-profile"))
    first = Profile.objects.get(user=member.user).last_seen_at
    assert first is not None
    client.get(reverse("settings-profile"))
    assert Profile.objects.get(user=member.user).last_seen_at == first  # throttled


def test_settings_pages_query_counts_are_fixed(
    client, member, make_member, community, django_assert_max_num_queries
):
    for _ in range(30):
        MutedMember.objects.create(user=member.user, muted_user=make_member(community).user)
    client.force_login(member.user)
    for name in ("settings-muted", "settings-notifications", "settings-profile", "settings-privacy"):
        with django_assert_max_num_queries(10):
            assert client.get(reverse(name)).status_code == 200
