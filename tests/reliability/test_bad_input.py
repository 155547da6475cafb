"""Hostile or odd input never becomes a 500 (issue 18, items 6, 7, 8, 13, 16).

Each test names the item it guards. Bad characters are refused at the edge (400/404 before any
database query), numbers and ``next`` targets are parsed by one helper each, the error views never
read the request body again, and an oversized reply keeps what was typed.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from communities.discussions.models import Post, Thread
from moderation.sanctions import member_warn


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _client() -> Client:
    return Client(raise_request_exception=False)


# --- Item 6: numbers that str.isdigit() accepts but int() does not ---------------------------------


@pytest.mark.parametrize("value", ["²", "¹²", "٣x", "1e3", "-1", " 2", "9" * 40, "\u0663"])
def test_odd_page_numbers_never_500(value, community, member, thread):
    client = _client()
    client.force_login(member.user)
    assert client.get(community.get_absolute_url(), {"page": value}).status_code == 200
    assert client.get(thread.get_absolute_url(), {"page": value}).status_code == 200
    assert client.get(thread.get_absolute_url(), {"reply_to": value}).status_code == 200
    assert client.get(reverse("notifications"), {"page": value}).status_code == 200


def test_mark_one_notification_read_with_odd_id(member):
    client = _client()
    client.force_login(member.user)
    response = client.post(reverse("notifications-mark-read"), {"id": "²"})
    assert response.status_code in {302, 400}


# --- Item 6: NUL and control characters are refused at the edge -----------------------------------


def _nul_urls(community) -> list[str]:
    return [
        "/invite/%00/",
        "/claim/%00/",
        "/u/a%00b/",
        f"/c/{community.slug}/mod/members/%00/",
        f"/c/{community.slug}/mod/members/?handle=%00",
        f"/c/{community.slug}/?q=a%00b",
        "/search/?q=%00",
        f"/c/{community.slug}/t/1-a%01b/",
    ]


def test_nul_bytes_are_refused_before_the_database(community, moderator, django_assert_num_queries):
    client = _client()
    client.force_login(moderator.user)
    for url in _nul_urls(community):
        with django_assert_num_queries(0):
            response = client.get(url)
        assert response.status_code in {400, 404}, url
        assert b"Traceback" not in response.content


def test_nul_byte_in_a_form_field_is_a_clean_400(community, member, thread):
    client = _client()
    client.force_login(member.user)
    url = reverse("thread-reply", args=[community.slug, thread.pk])
    response = client.post(url, {"body": "hello\x00world"})
    assert response.status_code == 400
    assert not Post.objects.filter(body_md__contains="world").exists()


def test_ordinary_unicode_in_paths_and_queries_still_works(community, member):
    client = _client()
    client.force_login(member.user)
    assert client.get(f"/c/{community.slug}/search/", {"q": "café — ünïcode ✓"}).status_code == 200
    assert client.get("/u/n%C3%B6-such-person/").status_code == 404


# --- Item 7: form posts in another charset ---------------------------------------------------------


@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "utf-32", "x-unknown"])
def test_form_post_in_another_charset_is_a_clean_400(charset, community, member, thread):
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get(thread.get_absolute_url())  # sets the CSRF cookie, as a browser would have it
    token = client.cookies["csrftoken"].value
    body = f"csrfmiddlewaretoken={token}&body=h\u00e9llo"
    encoded = body.encode("utf-8" if charset == "x-unknown" else charset)
    url = reverse("thread-reply", args=[community.slug, thread.pk])
    response = client.generic(
        "POST", url, encoded, content_type=f"application/x-www-form-urlencoded; charset={charset}"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "UTF-8" in html and "site-header" in html
    assert not Post.objects.filter(thread=thread, is_opening=False).exists()


# --- Item 8: next targets that are not URLs ---------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["foo", "home", "javascript:alert(1)", "//evil.example/", "https://evil.example/"]
)
def test_next_that_is_not_a_local_path_falls_back(target, community, moderator, member, thread):
    client = _client()
    # Mute and unmute a member from their profile.
    client.force_login(member.user)
    url = reverse("profile-mute", args=[moderator.user.handle])
    response = client.post(url, {"next": target})
    assert response.status_code == 302 and response["Location"] == moderator.user.get_absolute_url()
    response = client.post(reverse("profile-unmute", args=[moderator.user.handle]), {"next": target})
    assert response.status_code == 302 and response["Location"] == moderator.user.get_absolute_url()
    # Acknowledge a warning.
    warning = member_warn(actor=moderator, target=member, reason="Please keep it civil.")
    response = client.post(reverse("warning-ack", args=[community.slug, warning.pk]), {"next": target})
    assert response.status_code == 302 and response["Location"] == community.get_absolute_url()
    # A moderator hides a post from the thread page.
    client.force_login(moderator.user)
    opening = Post.objects.get(thread=thread, is_opening=True)
    response = client.post(
        reverse("mod-post", args=[community.slug, opening.pk]) + f"?next={target}",
        {"action": "hide", "reason": "off topic", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/c/")


def test_local_next_is_kept(community, moderator, member):
    client = _client()
    client.force_login(member.user)
    response = client.post(
        reverse("profile-mute", args=[moderator.user.handle]), {"next": "/settings/muted/?x=1"}
    )
    assert response["Location"] == "/settings/muted/?x=1"


# --- Item 13: bidi and zero-width controls ----------------------------------------------------------

INVISIBLE = [
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200e",
    "\u200f",
    "\ufeff",
    "\u2060",
    "\u061c",
]


@pytest.mark.parametrize("char", INVISIBLE)
def test_thread_title_with_direction_controls_is_refused(char, community, member, general_space):
    client = _client()
    client.force_login(member.user)
    title = f"Hello {char}dlrow"
    response = client.post(
        reverse("thread-new", args=[community.slug]),
        {"title": title, "body": "Body text", "space": general_space.pk},
    )
    assert response.status_code == 400
    assert "invisible" in response.content.decode()
    assert not Thread.objects.filter(title__contains="dlrow").exists()


def test_title_made_only_of_invisible_characters_is_refused(community, member, general_space):
    client = _client()
    client.force_login(member.user)
    response = client.post(
        reverse("thread-new", args=[community.slug]),
        {"title": "\u200b\u200d\u202e\u2066", "body": "Body text", "space": general_space.pk},
    )
    assert response.status_code == 400
    assert not Thread.objects.filter(community=community, slug="thread").exists()


def test_service_refuses_invisible_title(member, general_space):
    from django.core.exceptions import ValidationError

    from communities.discussions.services import thread_create

    with pytest.raises(ValidationError):
        thread_create(author=member, space=general_space, title="\u202eevil", body_md="x")


def test_emoji_with_joiners_is_fine_in_titles(community, member, general_space):
    client = _client()
    client.force_login(member.user)
    response = client.post(
        reverse("thread-new", args=[community.slug]),
        {"title": "Family day 👨\u200d👩\u200d👧", "body": "Body text", "space": general_space.pk},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u2066"])
def test_display_name_with_controls_is_refused(char, member):
    client = _client()
    client.force_login(member.user)
    response = client.post(
        reverse("settings-profile"),
        {"display_name": f"Ada{char}", "bio": "", "links": "", "time_zone": "UTC", "language": "en"},
    )
    assert response.status_code == 400
    member.user.refresh_from_db()
    assert member.user.display_name == ""


# --- Item 16: long replies ---------------------------------------------------------------------------


def test_reply_box_does_not_cut_a_long_paste(community, member, thread):
    client = _client()
    client.force_login(member.user)
    html = client.get(thread.get_absolute_url()).content.decode()
    box = re.search(r"<textarea[^>]*name=\"body\"[^>]*>", html).group(0)
    assert "maxlength" not in box


def test_too_long_reply_says_so_and_keeps_the_text(community, member, thread):
    client = _client()
    client.force_login(member.user)
    text = "long words " * 4000  # 44,000 characters
    response = client.post(reverse("thread-reply", args=[community.slug, thread.pk]), {"body": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert "32,000 characters" in html
    assert text.strip()[:30000] in html


def test_ten_megabyte_reply_gets_a_clear_message_and_keeps_the_start(community, member, thread):
    client = _client()
    client.force_login(member.user)
    text = "0123456789abcdef" * (10 * 1024 * 1024 // 16)
    # As a browser sends the reply form: urlencoded.
    response = client.post(
        reverse("thread-reply", args=[community.slug, thread.pk]),
        urlencode({"body": text}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "32,000 characters" in html
    assert text[:20000] in html  # what was typed (its start) is back in the reply box
    assert len(response.content) < 1_000_000
    assert not Post.objects.filter(thread=thread, is_opening=False).exists()


def test_oversized_multipart_post_gets_a_clear_413(community, member, thread):
    client = _client()
    client.force_login(member.user)
    text = "x" * (3 * 1024 * 1024)
    response = client.post(reverse("thread-reply", args=[community.slug, thread.pk]), {"body": text})
    assert response.status_code == 413
    assert "32,000 characters" in response.content.decode()


def test_big_file_uploads_pass_the_guard(rf):
    """Multipart bodies carry files (avatars, community archives): only their text fields are
    limited, so a 3 MB upload is not refused at the edge."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from config.middleware import InputGuardMiddleware

    upload = SimpleUploadedFile("archive.zip", b"x" * (3 * 1024 * 1024), content_type="application/zip")
    request = rf.post("/c/x/import/", {"archive": upload, "note": "ok"})
    assert InputGuardMiddleware(lambda r: None).check(request) is None
    assert request.FILES["archive"].size == 3 * 1024 * 1024
