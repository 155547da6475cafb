"""Owner export pages, archive jobs, signed downloads, the import page and claim links."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post
from communities.discussions.services import post_create, thread_create
from communities.models import Community
from communities.portability import services as svc
from communities.portability.load import import_archive
from communities.portability.models import CommunityExport, CommunityImport, JobStatus
from members.models import AccountClaim, Membership, Role, User
from members.notifications.models import Notification
from members.services import membership_join
from tests.communities.export_helpers import archive_bytes, seed_rich_community
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _export_urls(community, export=None):
    urls = [
        reverse("community-export", args=[community.slug]),
        reverse("community-export-status", args=[community.slug]),
        reverse("community-members-csv", args=[community.slug]),
        reverse("community-claims", args=[community.slug]),
        reverse("community-claims-csv", args=[community.slug]),
    ]
    if export is not None:
        urls.append(reverse("community-export-download", args=[community.slug, export.pk]))
    return urls


@pytest.mark.parametrize(
    ("visibility", "who", "expected"),
    [
        ("listed", "owner", 200),
        ("listed", "moderator", 403),
        ("listed", "member", 403),
        ("listed", "outsider", 403),
        ("listed", "anonymous", 302),
        ("secret", "owner", 200),
        ("secret", "moderator", 403),
        ("secret", "member", 403),
        ("secret", "outsider", 404),
        ("secret", "anonymous", 404),
    ],
)
def test_export_access(client, make_community, make_member, make_user, visibility, who, expected):
    community = make_community(visibility=visibility)
    export = CommunityExport.objects.create(community=community, status=JobStatus.PENDING)
    people = {
        "owner": Membership.objects.get(community=community, role=Role.OWNER).user,
        "moderator": make_member(community, role=Role.MODERATOR).user,
        "member": make_member(community).user,
        "outsider": make_user(),
        "anonymous": None,
    }
    if people[who] is not None:
        client.force_login(people[who])
    for url in _export_urls(community, export):
        response = client.get(url)
        status = response.status_code
        if url.endswith("/download/") and expected == 200:
            assert status == 410  # the owner, but the archive is not ready: a message, not a file
            continue
        assert status == expected, (url, status)
        if expected == 302:
            assert "/accounts/login/" in response["Location"]
    response = client.post(reverse("community-export", args=[community.slug]))
    assert response.status_code == (302 if expected == 200 else expected)
    # The owner's request joins the pending one instead of starting a second job.
    assert CommunityExport.objects.filter(community=community).count() == 1


def test_export_of_another_community_is_404(client, make_community):
    mine, theirs = make_community(), make_community()
    export = CommunityExport.objects.create(community=theirs, status=JobStatus.DONE)
    client.force_login(mine.created_by)
    url = reverse("community-export-download", args=[mine.slug, export.pk])
    assert client.get(url).status_code == 404


def test_request_build_notify_and_download(client, tmp_path, settings, django_capture_on_commit_callbacks):
    settings.HEARTH_EXPORT_DIR = tmp_path
    community = seed_rich_community("job")
    owner = community.created_by
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("community-export", args=[community.slug]))
    assert response.status_code == 302
    export = CommunityExport.objects.get(community=community)
    assert export.status == JobStatus.DONE and export.progress == 100 and export.size > 0
    assert export.counts["posts"] == Post.objects.filter(community=community).count()
    assert export.expires_at > timezone.now() + timedelta(hours=47)
    note = Notification.objects.get(recipient=owner, kind=Notification.Kind.EXPORT_READY)
    assert note.url == reverse("community-export", args=[community.slug])

    page = client.get(reverse("community-export", args=[community.slug])).content.decode()
    assert "Download archive" in page
    link = svc.export_download_url(export, owner)
    assert link.split("?")[0] in page
    download = client.get(link)
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert {"manifest.json", "community.json", "members.jsonl", "posts.jsonl"} <= set(zf.namelist())
        assert b"token" not in zf.read("invites.jsonl")

    # The link is only for the person it was made for, and not without its signature.
    co_owner = membership_join(user=User.objects.create_user("coowner"), community=community, role=Role.OWNER)
    client.force_login(co_owner.user)
    assert client.get(link).status_code == 410
    assert client.get(link.split("?")[0]).status_code == 410


def test_expired_link_and_cleanup(client, tmp_path, settings, django_capture_on_commit_callbacks):
    settings.HEARTH_EXPORT_DIR = tmp_path
    community = seed_rich_community("old")
    owner = community.created_by
    with django_capture_on_commit_callbacks(execute=True):
        export = svc.export_request(community=community, user=owner)
    export.refresh_from_db()
    link = svc.export_download_url(export, owner)
    path = svc.export_path(export)
    assert path.exists()
    CommunityExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(owner)
    response = client.get(link)
    assert response.status_code == 410
    assert "This download link has expired" in response.content.decode()
    assert svc.exports_cleanup() == 1
    assert not path.exists()
    assert CommunityExport.objects.get(pk=export.pk).status == JobStatus.EXPIRED
    assert svc.exports_cleanup() == 0  # running twice is harmless


def test_export_run_is_idempotent(tmp_path, settings, community, owner, django_capture_on_commit_callbacks):
    settings.HEARTH_EXPORT_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        export = svc.export_request(community=community, user=owner.user)
    assert svc.export_run(export.pk) is None  # already done: not claimed again
    assert len(list(tmp_path.glob("*.zip"))) == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = svc.export_request(community=community, user=owner.user)
    assert again.pk != export.pk and again.status == JobStatus.PENDING


def test_progress_is_polled_with_htmx_while_running(client, community, owner):
    CommunityExport.objects.create(
        community=community, requested_by=owner.user, status=JobStatus.RUNNING, progress=42
    )
    client.force_login(owner.user)
    body = client.get(reverse("community-export", args=[community.slug])).content.decode()
    assert 'hx-trigger="every 2s"' in body and 'value="42"' in body and "Building: 42%" in body
    assert "An archive is being built" in body


# --- Member list CSV ------------------------------------------------------------------------


def _csv(client, community):
    response = client.get(reverse("community-members-csv", args=[community.slug]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_member_csv_rows(client, community, owner, make_user, general_space):
    inviter = owner.user
    invitee = membership_join(user=make_user("invitee", display_name="=HYPERLINK(evil)"), community=community)
    Membership.objects.filter(pk=invitee.pk).update(invited_by=inviter)
    thread = thread_create(author=invitee, space=general_space, title="t", body_md="x")
    post_create(author=invitee, thread=thread, body_md="y")
    client.force_login(owner.user)
    rows = _csv(client, community)
    assert rows[0] == svc.CSV_HEADER
    by_handle = {r[0]: r for r in rows[1:]}
    row = by_handle["invitee"]
    assert row[1] == "'=HYPERLINK(evil)"  # no spreadsheet formulas
    assert row[2] == "member" and row[4] == inviter.handle and row[6] == "2"
    assert row[5] == timezone.now().date().isoformat()
    assert by_handle[owner.user.handle][6] == "0" and by_handle[owner.user.handle][5] == ""
    # Nobody allowed sharing their email (the default), so no email appears.
    assert all(r[7] == "" for r in rows[1:])
    assert all("@example.com" not in ",".join(r) for r in rows)


def test_member_csv_query_count_does_not_grow(
    client, community, owner, make_member, django_assert_max_num_queries
):
    client.force_login(owner.user)
    for _ in range(3):
        make_member(community)
    with django_assert_max_num_queries(8) as small:
        _csv(client, community)
    for _ in range(30):
        make_member(community)
    with django_assert_max_num_queries(len(small.captured_queries)):
        rows = _csv(client, community)
    assert len(rows) == 1 + 34


# --- Import page ----------------------------------------------------------------------------


def _upload(data: bytes, name: str = "archive.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


def test_import_page_needs_login(client):
    response = client.get(reverse("community-import"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_import_page_creates_a_community_the_importer_owns(
    client, make_user, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.HEARTH_IMPORT_DIR = tmp_path
    source = seed_rich_community("source")
    data = archive_bytes(source)
    importer = make_user("importer")
    client.force_login(importer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("community-import"), {"archive": _upload(data), "slug": "new-home"})
    assert response.status_code == 302
    job = CommunityImport.objects.get(requested_by=importer)
    assert response["Location"] == reverse("community-import-status", args=[job.pk])
    assert job.status == JobStatus.DONE, job.problems
    community = Community.objects.get(slug="new-home")
    mine = Membership.objects.get(community=community, user=importer)
    # The importer took the archive owner's place (and history).
    assert mine.role == Role.OWNER and mine.first_joined_at == source.created_at
    assert Post.objects.filter(community=community).count() == Post.objects.filter(community=source).count()
    page = client.get(reverse("community-import-status", args=[job.pk])).content.decode()
    assert "Imported." in page and reverse("community-claims", args=["new-home"]) in page
    assert not list(tmp_path.iterdir())  # the upload is deleted once imported

    # Claim links for the placeholders; the importer is not one of them.
    claims = client.get(reverse("community-claims", args=["new-home"])).content.decode()
    assert "source_bob" in claims and "source_owner" not in claims
    # Alice allowed her email in exports and has a verified account here: she was matched.
    alice = User.objects.get(handle="source_alice")
    assert Membership.objects.filter(community=community, user=alice).exists()
    assert "source_alice" not in claims


def test_import_page_refuses_a_bad_archive_with_problems(
    client, make_user, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.HEARTH_IMPORT_DIR = tmp_path
    importer = make_user("importer2")
    client.force_login(importer)
    before = Community.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("community-import"), {"archive": _upload(b"PK\x03\x04 broken")})
    body = client.get(response["Location"]).content.decode()
    assert "The archive was refused; nothing was imported." in body
    assert "not a readable zip archive" in body
    assert Community.objects.count() == before


def test_import_form_errors_keep_the_page(client, make_user):
    client.force_login(make_user())
    response = client.post(
        reverse("community-import"), {"archive": _upload(b"x", "notes.txt"), "slug": "bad slug!"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose the .zip file" in body and 'value="bad slug!"' in body


def test_import_status_is_only_for_its_requester(client, make_user):
    job = CommunityImport.objects.create(requested_by=make_user(), status=JobStatus.RUNNING, progress=10)
    client.force_login(make_user())
    assert client.get(reverse("community-import-status", args=[job.pk])).status_code == 404
    client.force_login(job.requested_by)
    body = client.get(reverse("community-import-status", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in body and 'value="10"' in body


# --- Claims ---------------------------------------------------------------------------------


def test_claim_a_placeholder_account(client, tmp_path):
    path = tmp_path / "a.zip"
    path.write_bytes(archive_bytes(seed_rich_community("claimsrc")))
    community = import_archive(path).community
    claim = AccountClaim.objects.get(community=community, user__handle="claimsrc_bob_2")
    url = claim.get_absolute_url()
    assert "claimsrc_bob_2" in client.get(url).content.decode()
    bad = client.post(url, {"email": "bob@new.example", "password1": PASSWORD, "password2": "other"})
    assert bad.status_code == 400 and 'value="bob@new.example"' in bad.content.decode()
    response = client.post(url, {"email": "bob@new.example", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(pk=claim.user_id)
    assert user.email == "bob@new.example" and user.check_password(PASSWORD)
    assert Post.objects.filter(community=community, author=user).exists()
    client.logout()
    assert client.get(url).status_code == 404  # used once


def test_unknown_claim_token_is_404(client):
    assert client.get(reverse("account-claim", args=["nope"])).status_code == 404


def test_member_csv_email_only_for_members_who_allowed_it(client, community, owner, make_member):
    from members.profiles.models import Profile

    sharer, private = make_member(community), make_member(community)
    Profile.objects.filter(user=sharer.user).update(share_email_in_exports=True)
    client.force_login(owner.user)
    rows = {r[0]: r for r in _csv(client, community)[1:]}
    assert rows[sharer.user.handle][7] == sharer.user.email
    assert rows[private.user.handle][7] == ""
    assert rows[owner.user.handle][7] == ""
