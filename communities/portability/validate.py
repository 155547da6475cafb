"""Reading and validating a community archive before anything is written."""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.conf import settings

from communities.markdown import MarkdownTooComplex, check_renderable
from communities.models import Community, validate_time_zone
from communities.portability.format import (
    CHUNK,
    COMMUNITY,
    FORMAT_NAME,
    JSON_LIMIT,
    MAX_ENTRIES,
    MAX_LINE_BYTES,
    MAX_PROBLEMS,
    MAX_RATIO,
    MEMBERS_FILE,
    SECTIONS,
    SUPPORTED_VERSIONS,
    FieldSpec,
    Progress,
    _membership_specs,
    _no_progress,
    _user_specs,
    field_specs,
)

# --- Reading and validating -----------------------------------------------------------------


class ArchiveProblems(Exception):
    """The archive was refused; ``problems`` says why, one clear sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]))
        self.problems = problems


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.extra = 0

    def add(self, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(message)
        else:
            self.extra += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            items = list(self.items)
            if self.extra:
                items.append(f"…and {self.extra:,} more problems.")
            raise ArchiveProblems(items)


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _safe_name(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or re.match(r"^[A-Za-z]:", name):
        return False
    return ".." not in name.split("/") and "\x00" not in name


def open_archive(path: str | os.PathLike, *, max_bytes: int | None = None) -> zipfile.ZipFile:
    """Open and check the container: size, zip integrity, entry names, entry count, inflation."""
    max_bytes = max_bytes or settings.HEARTH_IMPORT_MAX_MB * 1_000_000
    problems = _Problems()
    size = os.path.getsize(path)
    if size > max_bytes:
        raise ArchiveProblems([f"The file is {_mb(size)}; archives up to {_mb(max_bytes)} can be imported."])
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArchiveProblems(
            [f"This is not a readable zip archive (it may be truncated or damaged): {exc}."]
        ) from exc
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        problems.add(f"The archive has {len(infos):,} entries; a Hearth archive has at most {MAX_ENTRIES}.")
    total = 0
    for info in infos:
        if not _safe_name(info.filename):
            problems.add(f"Unsafe entry name {info.filename!r}: absolute paths and '..' are not allowed.")
        total += info.file_size
        if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(1, info.compress_size):
            problems.add(
                f"{info.filename} inflates from {_mb(info.compress_size)} to {_mb(info.file_size)}; "
                "that looks like a compression bomb."
            )
    if total > 10 * max_bytes:
        problems.add(f"The archive inflates to {_mb(total)}, over the limit of {_mb(10 * max_bytes)}.")
    if problems:
        zf.close()
        problems.raise_if_any()
    return zf


def _iter_lines(zf: zipfile.ZipFile, name: str, problems: _Problems) -> Iterator[tuple[int, dict | None]]:
    """(line number, object or None when the line is unusable) for each non-blank line."""
    with zf.open(name) as raw:
        n = 0
        while True:
            line = raw.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            n += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                size = len(line)
                while True:
                    rest = raw.readline(1 << 20)
                    size += len(rest)
                    if not rest or rest.endswith(b"\n"):
                        break
                problems.add(
                    f"{name} line {n}: the line is {_mb(size)}, over the {_mb(MAX_LINE_BYTES)} limit "
                    "(a text field is far larger than Hearth allows)."
                )
                yield n, None
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except UnicodeDecodeError:
                problems.add(f"{name} line {n}: not UTF-8 text.")
                yield n, None
                continue
            except json.JSONDecodeError as exc:
                problems.add(f"{name} line {n}: malformed JSON ({exc.msg} at column {exc.colno}).")
                yield n, None
                continue
            if not isinstance(obj, dict):
                problems.add(f"{name} line {n}: expected a JSON object.")
                yield n, None
                continue
            yield n, obj


_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


def _parse_dt(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return parsed


def _check_value(spec: FieldSpec, value: Any, where: str, problems: _Problems) -> None:
    def bad(msg: str) -> None:
        problems.add(f"{where}: {spec.name} {msg}.")

    if value is None:
        if not spec.null:
            bad("must not be null")
        return
    kind = spec.kind
    if kind in {"str", "slug", "text"}:
        if not isinstance(value, str):
            bad("must be a string")
        elif spec.max_length is not None and len(value) > spec.max_length:
            bad(f"has {len(value):,} characters; the limit is {spec.max_length:,}")
        elif not value and not spec.blank:
            bad("must not be empty")
        elif spec.choices is not None and value and value not in spec.choices:
            bad(f"is {value[:40]!r}; expected one of {', '.join(sorted(spec.choices))}")
        elif kind == "slug" and value and not _SLUG.match(value):
            bad("may only contain letters, digits, '-' and '_'")
        elif "\x00" in value:
            bad("contains a NUL character")
    elif kind == "bool":
        if not isinstance(value, bool):
            bad("must be true or false")
    elif kind in {"int", "ref"}:
        if not isinstance(value, int) or isinstance(value, bool):
            bad("must be a whole number")
        elif (spec.positive or kind == "ref") and value < 0:
            bad("must not be negative")
        elif abs(value) > 2**62:
            bad("is out of range")
    elif kind in {"dt", "date", "time"}:
        if not isinstance(value, str):
            bad("must be an ISO 8601 string")
            return
        try:
            if kind == "dt":
                _parse_dt(value)
            elif kind == "date":
                date.fromisoformat(value)
            else:
                time.fromisoformat(value)
        except ValueError:
            bad(
                f"is {value[:40]!r}, not an ISO 8601 {'date-time with a time zone' if kind == 'dt' else kind}"
            )
    elif kind == "json" and len(json.dumps(value)) > JSON_LIMIT:
        bad(f"is larger than {JSON_LIMIT:,} characters of JSON")


@dataclass
class _Index:
    """What validation learns: ids per section, references to check at the end, the owner."""

    ids: dict[str, set[int]] = field(default_factory=dict)
    deferred: list[tuple[str, str, int]] = field(default_factory=list)  # (where, target, id)
    complete: set[str] = field(default_factory=set)  # sections whose ids are all known
    counts: dict[str, int] = field(default_factory=dict)
    owner_ref: int | None = None
    emails: dict[str, int] = field(default_factory=dict)


def _check_row(
    row: dict,
    specs: list[FieldSpec],
    section: str,
    where: str,
    index: _Index,
    problems: _Problems,
    *,
    with_id: bool = True,
) -> None:
    if with_id:
        row_id = row.get("id")
        if not isinstance(row_id, int) or isinstance(row_id, bool) or row_id < 0:
            problems.add(f"{where}: id must be a whole number.")
        else:
            seen = index.ids.setdefault(section, set())
            if row_id in seen:
                problems.add(f"{where}: id {row_id} appears twice.")
            seen.add(row_id)
    for spec in specs:
        if spec.name not in row:
            if spec.required:
                problems.add(f"{where}: missing field {spec.name}.")
            continue
        value = row[spec.name]
        _check_value(spec, value, where, problems)
        if spec.kind == "ref" and isinstance(value, int) and not isinstance(value, bool):
            target_ids = index.ids.get(spec.target, set())
            if spec.target in index.complete:
                if value not in target_ids:
                    problems.add(_dangling(f"{where}: {spec.name}", spec.target, value))
            elif value not in target_ids:
                # A reference forward (a membership's invite, a reply to a later post): checked
                # at the end. Rare, so this list stays short whatever the archive's size.
                index.deferred.append((f"{where}: {spec.name}", spec.target, value))


def _dangling(where: str, target: str, ref: int) -> str:
    return f"{where} points at {target} id {ref}, which is not in the archive."


def _section_entries(zf: zipfile.ZipFile) -> set[str]:
    return {info.filename for info in zf.infolist()}


def validate_archive(zf: zipfile.ZipFile, *, progress: Progress = _no_progress) -> tuple[dict, _Index]:
    """Check every document and line; raise ArchiveProblems listing everything wrong."""
    problems = _Problems()
    names = _section_entries(zf)
    try:
        return _validate(zf, names, problems, progress)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        problems.add(f"The archive is damaged and could not be read to the end ({exc}).")
        problems.raise_if_any()
        raise  # unreachable


def _validate(
    zf: zipfile.ZipFile, names: set[str], problems: _Problems, progress: Progress
) -> tuple[dict, _Index]:
    if "manifest.json" not in names:
        raise ArchiveProblems(["manifest.json is missing: this is not a Hearth community archive."])
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArchiveProblems([f"manifest.json is not valid JSON ({exc})."]) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ArchiveProblems([f"manifest.json does not describe a {FORMAT_NAME}."])
    version = manifest.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise ArchiveProblems(
            [
                f"Archive format version {version!r} is not supported here (this site reads version "
                f"{', '.join(str(v) for v in sorted(SUPPORTED_VERSIONS))})."
            ]
        )
    counts = manifest.get("counts") if isinstance(manifest.get("counts"), dict) else {}
    total = max(1, sum(v for v in counts.values() if isinstance(v, int)))
    index = _Index()
    required = [COMMUNITY.file_name, MEMBERS_FILE] + [s.file_name for s in SECTIONS if not s.optional]
    for name in required:
        if name not in names:
            problems.add(f"{name} is missing from the archive.")
    problems.raise_if_any()

    # community.json
    raw = zf.read(COMMUNITY.file_name)
    if len(raw) > MAX_LINE_BYTES:
        problems.add(f"community.json is {_mb(len(raw))}, over the {_mb(MAX_LINE_BYTES)} limit.")
    else:
        try:
            community_row = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            community_row = None
            problems.add(f"community.json: malformed JSON ({exc}).")
        if isinstance(community_row, dict):
            specs = field_specs(Community, COMMUNITY.exclude)
            _check_row(community_row, specs, "community", "community.json", index, problems, with_id=False)
            tz = community_row.get("time_zone")
            if isinstance(tz, str):
                try:
                    validate_time_zone(tz)
                except Exception:
                    problems.add(f"community.json: time_zone {tz[:40]!r} is not a known time zone.")
            if (
                community_row.get("visibility") == "secret"
                and community_row.get("join_policy") != "invite_only"
            ):
                problems.add("community.json: a secret community must be invite-only.")
            slug = community_row.get("slug")
            if slug is not None and not (isinstance(slug, str) and _SLUG.match(slug) and len(slug) <= 50):
                problems.add("community.json: slug must be up to 50 letters, digits, '-' or '_'.")
            for md_field in ("guidelines_md", "welcome_message_md"):
                _check_markdown(community_row.get(md_field), f"community.json: {md_field}", problems)
        elif community_row is not None:
            problems.add("community.json: expected a JSON object.")

    done = 0
    # members.jsonl
    user_specs = _user_specs()
    membership_specs = _membership_specs()
    rows = 0
    for n, row in _iter_lines(zf, MEMBERS_FILE, problems):
        rows += 1
        if row is None:
            continue
        where = f"members.jsonl line {n}"
        _check_row(row, user_specs, "members", where, index, problems)
        handle = row.get("handle")
        if isinstance(handle, str) and not re.match(r"^[A-Za-z0-9_]{1,30}$", handle):
            problems.add(f"{where}: handle {handle[:40]!r} is not a valid handle.")
        email = row.get("email")
        if email is not None:
            if not isinstance(email, str) or len(email) > 254 or "@" not in email:
                problems.add(f"{where}: email must be an email address or null.")
            elif email.lower() in index.emails:
                problems.add(f"{where}: email {email} is also on line {index.emails[email.lower()]}.")
            else:
                index.emails[email.lower()] = n
        membership = row.get("membership")
        if membership is not None:
            if not isinstance(membership, dict):
                problems.add(f"{where}: membership must be an object or null.")
            else:
                _check_row(
                    membership,
                    membership_specs,
                    "memberships",
                    where + " membership",
                    index,
                    problems,
                    with_id=False,
                )
                if (
                    index.owner_ref is None
                    and membership.get("role") == "owner"
                    and membership.get("status") == "active"
                    and isinstance(row.get("id"), int)
                ):
                    index.owner_ref = row["id"]
        done += 1
        if done % CHUNK == 0:
            progress(min(99, done * 100 // total), "checking members")
    index.counts["members"] = rows
    index.complete.add("members")

    for section in SECTIONS:
        model = section.model()
        if section.file_name not in names:
            continue
        if model is None:
            problems.add(
                f"{section.file_name}: this site has no {section.name}; upgrade it to import this archive."
            )
            continue
        specs = field_specs(model, section.exclude)
        md_fields = [s.name for s in specs if s.name.endswith("_md")]
        rows = 0
        for n, row in _iter_lines(zf, section.file_name, problems):
            rows += 1
            if row is None:
                continue
            where = f"{section.file_name} line {n}"
            _check_row(row, specs, section.name, where, index, problems)
            for md in md_fields:
                _check_markdown(row.get(md), f"{where}: {md}", problems)
            done += 1
            if done % CHUNK == 0:
                progress(min(99, done * 100 // total), f"checking {section.name}")
        index.counts[section.name] = rows
        index.complete.add(section.name)

    if index.owner_ref is None and not problems:
        problems.add("members.jsonl: the archive has no active owner.")
    # Every section must hold exactly the rows the manifest counted: a file cut short (a lost
    # line, a truncated copy) would otherwise import a part of the community without a word.
    files = {"members": "members.jsonl", **{section.name: section.file_name for section in SECTIONS}}
    for name, expected in counts.items():
        actual = index.counts.get(name)
        if isinstance(expected, int) and actual is not None and actual != expected:
            problems.add(
                f"{files.get(name, name)} has {actual} rows but the manifest says {expected}: the archive "
                "is incomplete or was edited. Export the community again and import the new archive."
            )
    for where, target, ref in index.deferred:
        if ref not in index.ids.get(target, ()):
            problems.add(_dangling(where, target, ref))
    index.deferred.clear()
    problems.raise_if_any()
    return manifest, index


def _check_markdown(value: Any, where: str, problems: _Problems) -> None:
    if isinstance(value, str) and value:
        try:
            check_renderable(value)
        except MarkdownTooComplex as exc:
            problems.add(f"{where}: {exc}")
