"""Bad archives are refused with clear messages and leave the database exactly as it was."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile

import pytest
from django.core.management import CommandError, call_command

from communities.discussions.models import Post, PostEvent, Reaction, Thread
from communities.models import Community, Space
from communities.portability.load import import_archive
from communities.portability.validate import ArchiveProblems
from members.models import AccountClaim, Invite, Membership, MembershipEvent, User
from moderation.models import AuditLogEntry
from tests.communities.export_helpers import archive_bytes, replace_entry, seed_rich_community

pytestmark = pytest.mark.django_db

MODELS = [
    Community,
    Space,
    Thread,
    Post,
    PostEvent,
    Reaction,
    User,
    Membership,
    MembershipEvent,
    Invite,
    AuditLogEntry,
    AccountClaim,
]


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture(scope="module")
def good_archive(django_db_setup, django_db_blocker) -> bytes:
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            data = archive_bytes(seed_rich_community("valid"))
            transaction.set_rollback(True)
    return data


def _refused(tmp_path, data: bytes, **kwargs) -> list[str]:
    path = tmp_path / "bad.zip"
    path.write_bytes(data)
    before = _counts()
    with pytest.raises(ArchiveProblems) as exc:
        import_archive(path, **kwargs)
    assert _counts() == before, "a refused archive must change nothing"
    assert exc.value.problems
    return exc.value.problems


def _edit_jsonl(data: bytes, name: str, edit) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        rows = [json.loads(line) for line in zf.read(name).splitlines() if line.strip()]
    edit(rows)
    return replace_entry(data, name, b"".join(json.dumps(r).encode() + b"\n" for r in rows))


def test_good_archive_imports(tmp_path, good_archive):
    path = tmp_path / "good.zip"
    path.write_bytes(good_archive)
    assert import_archive(path).community.slug == "valid"


def test_truncated_zip(tmp_path, good_archive):
    problems = _refused(tmp_path, good_archive[: len(good_archive) // 2])
    assert "not a readable zip archive" in problems[0]


def test_not_a_zip_at_all(tmp_path):
    problems = _refused(tmp_path, b"hello, I am a text file")
    assert "not a readable zip archive" in problems[0]


def test_wrong_format_version(tmp_path, good_archive):
    with zipfile.ZipFile(io.BytesIO(good_archive)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    manifest["version"] = 99
    problems = _refused(tmp_path, replace_entry(good_archive, "manifest.json", json.dumps(manifest).encode()))
    assert problems == ["Archive format version 99 is not supported here (this site reads version 1)."]


def test_missing_manifest_and_wrong_format(tmp_path, good_archive):
    data = replace_entry(good_archive, "manifest.json", json.dumps({"format": "something-else"}).encode())
    assert "does not describe a hearth-community-archive" in _refused(tmp_path, data)[0]


def test_malformed_json_line_names_file_and_line(tmp_path, good_archive):
    with zipfile.ZipFile(io.BytesIO(good_archive)) as zf:
        lines = zf.read("posts.jsonl").splitlines()
    lines[1] = b'{"id": 5, "body_md": "unterminated'
    problems = _refused(tmp_path, replace_entry(good_archive, "posts.jsonl", b"\n".join(lines) + b"\n"))
    assert any(p.startswith("posts.jsonl line 2: malformed JSON") for p in problems), problems


def test_post_pointing_at_missing_thread(tmp_path, good_archive):
    def edit(rows):
        rows[0]["thread"] = 987654

    problems = _refused(tmp_path, _edit_jsonl(good_archive, "posts.jsonl", edit))
    assert "posts.jsonl line 1: thread points at threads id 987654, which is not in the archive." in problems


def test_reaction_by_unknown_person_and_bad_choice(tmp_path, good_archive):
    def edit(rows):
        rows[0]["user"] = 424242
        rows[1]["kind"] = "poop"

    problems = _refused(tmp_path, _edit_jsonl(good_archive, "reactions.jsonl", edit))
    assert any("user points at members id 424242" in p for p in problems)
    assert any(p.startswith("reactions.jsonl line 2: kind is 'poop'; expected one of") for p in problems)


def test_schema_errors_are_listed_per_line(tmp_path, good_archive):
    def edit(rows):
        rows[0]["created_at"] = "yesterday"
        rows[1]["is_opening"] = "yes"
        del rows[2]["body_md"]
        rows[0]["title"] = "x"  # unknown keys are ignored

    problems = _refused(tmp_path, _edit_jsonl(good_archive, "posts.jsonl", edit))
    assert (
        "posts.jsonl line 1: created_at is 'yesterday', not an ISO 8601 date-time with a time zone."
        in problems
    )
    assert "posts.jsonl line 2: is_opening must be true or false." in problems
    assert "posts.jsonl line 3: missing field body_md." in problems


def test_text_over_model_limit(tmp_path, good_archive):
    def edit(rows):
        rows[0]["title"] = "t" * 201

    problems = _refused(tmp_path, _edit_jsonl(good_archive, "threads.jsonl", edit))
    assert "threads.jsonl line 1: title has 201 characters; the limit is 200." in problems


def test_fifty_megabyte_text_field(tmp_path, good_archive):
    # Random text, so it does not compress: the line-size limit is what refuses it.
    huge = base64.b64encode(os.urandom(38_000_000)).decode()
    assert len(huge) > 50_000_000

    def edit(rows):
        rows[0]["body_md"] = huge

    data = _edit_jsonl(good_archive, "posts.jsonl", edit)
    problems = _refused(tmp_path, data)
    assert any(
        p.startswith("posts.jsonl line 1: the line is 50.7 MB, over the 1.0 MB limit") for p in problems
    ), problems


def test_post_body_over_32000_characters(tmp_path, good_archive):
    def edit(rows):
        rows[0]["body_md"] = "word " * 7000

    problems = _refused(tmp_path, _edit_jsonl(good_archive, "posts.jsonl", edit))
    assert "posts.jsonl line 1: body_md has 35,000 characters; the limit is 32,000." in problems


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/etc/passwd", "a/../../b.json", "C:/windows.txt", "x\\..\\y"]
)
def test_path_traversal_entry_names(tmp_path, good_archive, name):
    problems = _refused(tmp_path, replace_entry(good_archive, name, b"boo"))
    assert problems == [f"Unsafe entry name {name!r}: absolute paths and '..' are not allowed."]


def test_compression_bomb(tmp_path, good_archive):
    problems = _refused(tmp_path, replace_entry(good_archive, "padding.bin", b"\0" * 30_000_000))
    assert "looks like a compression bomb" in problems[0]


def test_too_many_entries(tmp_path, good_archive):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good_archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        for i in range(100):
            dst.writestr(f"extra{i}.txt", "x")
    assert "entries; a Hearth archive has at most 64" in _refused(tmp_path, out.getvalue())[0]


def test_whole_archive_over_the_size_limit(tmp_path, good_archive):
    problems = _refused(tmp_path, good_archive, max_bytes=1000)
    assert len(problems) == 1 and problems[0].endswith("archives up to 0.0 MB can be imported.")


def test_duplicate_ids_and_missing_document(tmp_path, good_archive):
    def edit(rows):
        rows[1]["id"] = rows[0]["id"]

    problems = _refused(tmp_path, _edit_jsonl(good_archive, "threads.jsonl", edit))
    assert any("appears twice" in p for p in problems)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good_archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != "posts.jsonl":
                dst.writestr(info.filename, src.read(info.filename))
    assert _refused(tmp_path, out.getvalue()) == ["posts.jsonl is missing from the archive."]


def test_the_command_prints_problems_and_changes_nothing(tmp_path, good_archive, capsys):
    def edit(rows):
        rows[0]["thread"] = 987654

    path = tmp_path / "bad.zip"
    path.write_bytes(_edit_jsonl(good_archive, "posts.jsonl", edit))
    before = _counts()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_community", str(path))
    assert "thread points at threads id 987654" in capsys.readouterr().err
    assert _counts() == before


def test_the_command_imports_with_progress(tmp_path, good_archive, capsys):
    path = tmp_path / "good.zip"
    path.write_bytes(good_archive)
    claims = tmp_path / "claims.csv"
    call_command("import_community", str(path), "--slug", "moved", "--claims-csv", str(claims))
    out = capsys.readouterr().out
    assert "100%  done" in out and "as /c/moved/" in out
    assert Community.objects.filter(slug="moved").exists()
    assert (
        claims.read_text().count("/claim/")
        == AccountClaim.objects.filter(community__slug="moved").count()
        > 0
    )


def test_forward_reference_to_a_later_post_is_resolved(tmp_path, good_archive):
    def edit(rows):
        rows[0]["reply_to"] = rows[-1]["id"]

    path = tmp_path / "fwd.zip"
    path.write_bytes(_edit_jsonl(good_archive, "posts.jsonl", edit))
    community = import_archive(path, slug="fwd").community
    posts = list(Post.objects.filter(community=community).order_by("pk"))
    assert posts[0].reply_to_id == posts[-1].pk
