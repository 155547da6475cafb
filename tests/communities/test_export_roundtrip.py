"""Round trip: export a seeded community, import it into an empty database, export again."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from communities.discussions.models import Post, Thread
from communities.models import Community
from communities.portability.format import MEMBERS_FILE, SECTIONS, field_specs
from communities.portability.load import import_archive
from members.models import AccountClaim, Membership, MembershipEvent, User
from moderation.models import AuditLogEntry
from tests.communities.export_helpers import archive_bytes, read_docs, seed_rich_community

pytestmark = pytest.mark.django_db


def _refs(section_name: str) -> dict[str, str]:
    section = next(s for s in SECTIONS if s.name == section_name)
    return {s.name: s.target for s in field_specs(section.model(), section.exclude) if s.kind == "ref"}


def normalise(docs: dict) -> dict:
    """The archive with ids replaced: people by handle, other rows by their position."""
    people = {row["id"]: row["handle"] for row in docs[MEMBERS_FILE]}
    ordinals = {"members": people}
    for section in SECTIONS:
        rows = docs.get(section.file_name, [])
        ordinals[section.name] = {row["id"]: i for i, row in enumerate(rows)}

    def fix(row: dict, refs: dict[str, str]) -> dict:
        out = {k: v for k, v in row.items() if k != "id"}
        for key, target in refs.items():
            if out.get(key) is not None:
                out[key] = ordinals[target][out[key]]
        return out

    from communities.portability.format import _membership_specs

    m_refs = {s.name: s.target for s in _membership_specs() if s.kind == "ref"}
    result = {
        "community.json": fix(docs["community.json"], {"created_by": "members"}),
        # Emails are left out of the comparison: an archive carries them only for people who
        # allowed it, and a placeholder account made from one has none until it is claimed.
        MEMBERS_FILE: [
            {
                **{k: v for k, v in fix(row, {}).items() if k != "email"},
                "membership": fix(row["membership"], m_refs) if row["membership"] else None,
            }
            for row in docs[MEMBERS_FILE]
        ],
    }
    for section in SECTIONS:
        if section.file_name in docs:
            result[section.file_name] = [fix(row, _refs(section.name)) for row in docs[section.file_name]]
    manifest = dict(docs["manifest.json"])
    manifest.pop("created_at")
    result["manifest.json"] = manifest
    return result


def test_round_trip_into_an_empty_database(tmp_path):
    community = seed_rich_community("rich")
    first = archive_bytes(community)
    path = tmp_path / "rich.zip"
    path.write_bytes(first)
    before = {
        "threads": Thread.objects.count(),
        "posts": Post.objects.count(),
        "events": MembershipEvent.objects.count(),
        "audit": AuditLogEntry.objects.count(),
    }

    # An empty database: nothing of the first site is left.
    from communities.rituals.models import Ritual

    Ritual.objects.all().delete()  # rituals and threads protect their spaces
    Thread.objects.all().delete()
    Community.objects.all().delete()
    EmailAddress.objects.all().delete()
    User.objects.all().delete()
    assert Post.objects.count() == 0

    result = import_archive(path)
    imported = result.community
    assert imported.slug == "rich"
    assert Thread.objects.count() == before["threads"]
    assert Post.objects.count() == before["posts"]
    assert MembershipEvent.objects.count() == before["events"]
    assert AuditLogEntry.objects.count() == before["audit"]

    second = archive_bytes(imported)
    first_docs = read_docs(first)
    # Only the member who allowed it has her email in the archive.
    assert {r["handle"]: r["email"] for r in first_docs[MEMBERS_FILE] if r["email"]} == {
        "rich_alice": "rich_alice@example.com"
    }
    assert len(first_docs["rituals.jsonl"]) == 1 and len(first_docs["ritual_occurrences.jsonl"]) == 1
    a, b = normalise(first_docs), normalise(read_docs(second))
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name

    # Nobody had an email in the archive (none allowed it): everyone active became a placeholder
    # with a claim link, with no password and no email.
    owner = User.objects.get(handle="rich_owner")
    assert not owner.has_usable_password() and owner.email == ""
    assert AccountClaim.objects.filter(user=owner, community=imported).exists()
    assert not AccountClaim.objects.filter(user__is_bot=True).exists()


def test_import_renders_markdown_again_and_never_trusts_archive_html(tmp_path):
    community = seed_rich_community("html")
    path = tmp_path / "a.zip"
    path.write_bytes(archive_bytes(community))
    imported = import_archive(path, slug="html-copy").community
    assert "<script>" not in imported.guidelines_html
    assert "<strong>kind</strong>" in imported.guidelines_html
    post = Post.objects.filter(community=imported, body_md__startswith="> Welcome").get()
    assert "<blockquote>" in post.body_html


def test_import_into_the_same_site_gets_a_new_slug_and_keeps_timestamps(tmp_path):
    community = seed_rich_community("dup")
    path = tmp_path / "a.zip"
    path.write_bytes(archive_bytes(community))
    result = import_archive(path)
    copy = result.community
    assert copy.slug == "dup-2"
    assert copy.created_at == community.created_at
    old = list(
        Post.objects.filter(community=community)
        .order_by("pk")
        .values_list("created_at", "status", "removed_at")
    )
    new = list(
        Post.objects.filter(community=copy).order_by("pk").values_list("created_at", "status", "removed_at")
    )
    assert old == new
    old_events = list(
        MembershipEvent.objects.filter(community=community).order_by("pk").values_list("kind", "role", "at")
    )
    new_events = list(
        MembershipEvent.objects.filter(community=copy).order_by("pk").values_list("kind", "role", "at")
    )
    assert old_events == new_events
    # Handles were taken here, so the placeholders got free ones.
    assert Membership.objects.filter(community=copy, user__handle="dup_owner_2", role="owner").exists()
    # Invites travel without their tokens: every imported invite has a new one.
    old_tokens = set(community.invites.values_list("token", flat=True))
    new_tokens = set(copy.invites.values_list("token", flat=True))
    assert old_tokens.isdisjoint(new_tokens) and len(new_tokens) == len(old_tokens)


def test_rows_created_during_the_export_are_left_out_consistently(tmp_path):
    """A thread started while the archive is being written must not leave its post in the
    archive without its thread (the importer would rightly refuse that)."""
    import io

    from communities.discussions.services import thread_create
    from communities.portability.writer import write_archive
    from members.models import MembershipStatus

    community = seed_rich_community("busy")
    author = Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE).first()
    space = community.spaces.get(slug="general")
    made = []

    def progress(pct: int, stage: str) -> None:
        if stage == "threads" and not made:  # threads written, posts not yet
            made.append(thread_create(author=author, space=space, title="Started mid-export", body_md="hi"))

    buf = io.BytesIO()
    write_archive(community, buf, progress=progress)
    assert made, "the thread was created while the archive was being written"
    path = tmp_path / "busy.zip"
    path.write_bytes(buf.getvalue())
    copy = import_archive(path, slug="busy-copy").community
    assert not Thread.objects.filter(community=copy, title="Started mid-export").exists()
    assert Post.objects.filter(community=copy).count() == Post.objects.filter(community=community).count() - 1
