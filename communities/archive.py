"""The community archive: format, writer, validator and importer.

An archive is one zip of JSON documents (format ``hearth-community-archive``, version 1):

* ``manifest.json`` - ``{"format", "version", "created_at", "source_site", "community_slug",
  "counts": {section: rows}, "files": [...]}``;
* ``community.json`` - the community's settings (one object);
* ``members.jsonl`` - one line per person the archive mentions: ``id``, ``handle``,
  ``display_name``, ``is_bot``, ``is_active``, ``date_joined``, ``time_zone``, ``email`` (only
  for people who allowed it in their privacy settings, else null) and ``membership`` (the
  membership fields, or null for people who never joined, such as the ritual bot);
* one ``<section>.jsonl`` per other section (spaces, invites, invite_redemptions,
  membership_events, threads, posts, post_events, post_revisions, reactions, flags, sanctions,
  word_filters, moderation_log, join_requests, and rituals / ritual_occurrences when this site
  has them), one JSON object per line.

Each row carries its ``id`` in the exporting site; references to other rows use those ids
(``"thread": 12``). The community itself is implied. Sections and their fields come from the
models (every concrete field except the primary key, the community, derived HTML and secrets),
so a field added to a model travels without changing this module. What never leaves the site:
invite tokens, password hashes, emails of people who did not allow it, read states,
notifications, sessions. Rendered HTML is never exported or imported: the importer renders the
Markdown source again with the one renderer.

Memory stays bounded whatever the size: rows are read with ``.iterator(chunk_size=...)`` and
written straight into the zip entry; the importer reads line by line and creates rows in batches.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from communities.markdown import MarkdownTooComplex, check_renderable
from communities.models import Community, validate_time_zone
from members.models import AccountClaim, Membership, User

FORMAT_NAME = "hearth-community-archive"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
CHUNK = 1000
# A line holds one row; a post of 32,000 characters is at most ~200 KB of JSON.
MAX_LINE_BYTES = 1_000_000
MAX_ENTRIES = 64
# Entries that inflate more than this (and to more than 1 MB) are treated as compression bombs.
MAX_RATIO = 200
MAX_PROBLEMS = 50
TEXT_LIMIT = 32_000  # TextFields (post bodies, guidelines, reasons)
JSON_LIMIT = 64_000  # serialized size of a JSON field (screening questions, answers, audit data)

Progress = Callable[[int, str], None]


def _no_progress(pct: int, stage: str) -> None:
    return None


# --- Sections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    name: str
    model_label: str
    # Lookup from the model to the community, e.g. "post__community".
    scope: str
    exclude: frozenset[str] = frozenset()
    single: bool = False
    optional: bool = False  # skipped when this site has no such model (rituals before they land)

    @property
    def file_name(self) -> str:
        return f"{self.name}.json" if self.single else f"{self.name}.jsonl"

    def model(self) -> type[models.Model] | None:
        try:
            return apps.get_model(self.model_label)
        except LookupError:
            return None

    def queryset(self, community: Community, marks: dict[str, int] | None = None) -> QuerySet:
        model = self.model()
        if model is None:
            raise LookupError(self.model_label)
        qs = model._default_manager.filter(**{self.scope: community}).order_by("pk")
        if marks is not None:
            qs = qs.filter(pk__lte=marks.get(self.name, 0))
        return qs


# In import order: every section refers only to sections before it (or to itself).
COMMUNITY = Section("community", "communities.Community", "pk", single=True, exclude=frozenset({"slug"}))
SECTIONS: list[Section] = [
    Section("spaces", "communities.Space", "community"),
    Section("invites", "members.Invite", "community", exclude=frozenset({"token"})),
    Section("invite_redemptions", "members.InviteRedemption", "invite__community"),
    Section("membership_events", "members.MembershipEvent", "community"),
    Section("threads", "communities.Thread", "community"),
    Section("posts", "communities.Post", "community"),
    Section("post_events", "communities.PostEvent", "post__community"),
    Section("post_revisions", "communities.PostRevision", "post__community"),
    Section("reactions", "communities.Reaction", "post__community"),
    Section("flags", "moderation.Flag", "community"),
    Section("sanctions", "moderation.Sanction", "community"),
    Section("word_filters", "moderation.WordFilter", "community"),
    Section("moderation_log", "moderation.AuditLogEntry", "community"),
    Section("join_requests", "members.JoinRequest", "community"),
    Section("rituals", "communities.Ritual", "community", optional=True),
    Section("ritual_occurrences", "communities.RitualOccurrence", "ritual__community", optional=True),
]
MEMBERS_FILE = "members.jsonl"
USER_FIELDS = ("handle", "display_name", "is_bot", "is_active", "date_joined", "time_zone")

_TARGETS = {
    "members.User": "members",
    "communities.Space": "spaces",
    "communities.Thread": "threads",
    "communities.Post": "posts",
    "members.Invite": "invites",
    "communities.Ritual": "rituals",
    "communities.RitualOccurrence": "ritual_occurrences",
}


def active_sections() -> list[Section]:
    return [s for s in SECTIONS if s.model() is not None]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    attname: str
    kind: str  # str, slug, text, bool, int, dt, date, time, json, ref
    null: bool
    blank: bool
    required: bool  # no default: an archive row must carry it
    max_length: int | None = None
    choices: frozenset[str] | None = None
    target: str | None = None
    positive: bool = False


def field_specs(model: type[models.Model], exclude: frozenset[str] = frozenset()) -> list[FieldSpec]:
    """The archive fields of a model, derived from the model itself."""
    names = {f.name for f in model._meta.concrete_fields}
    specs = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in exclude:
            continue
        if f.name.endswith("_html") and f.name[:-5] + "_md" in names:
            continue  # derived: rendered again from the Markdown source
        required = not (f.has_default() or f.null or f.blank)
        common = {
            "name": f.name,
            "attname": f.attname,
            "null": f.null,
            "blank": f.blank,
            "required": required,
        }
        if f.is_relation:
            label = f.related_model._meta.label
            if label in {"communities.Community", "members.Membership"}:
                continue  # implied by the archive / resolved from the row's user
            target = _TARGETS.get(label)
            if target is None:
                continue
            specs.append(FieldSpec(kind="ref", target=target, **common))
        elif isinstance(f, models.BooleanField):
            specs.append(FieldSpec(kind="bool", **common))
        elif isinstance(f, models.IntegerField):
            positive = isinstance(f, models.PositiveIntegerField | models.PositiveSmallIntegerField)
            specs.append(FieldSpec(kind="int", positive=positive, **common))
        elif isinstance(f, models.DateTimeField):
            specs.append(FieldSpec(kind="dt", **common))
        elif isinstance(f, models.DateField):
            specs.append(FieldSpec(kind="date", **common))
        elif isinstance(f, models.TimeField):
            specs.append(FieldSpec(kind="time", **common))
        elif isinstance(f, models.JSONField):
            specs.append(FieldSpec(kind="json", **common))
        elif isinstance(f, models.TextField):
            limit = f.max_length or TEXT_LIMIT
            specs.append(FieldSpec(kind="text", max_length=limit, **common))
        elif isinstance(f, models.CharField):
            choices = frozenset(str(c[0]) for c in f.choices) if f.choices else None
            kind = "slug" if isinstance(f, models.SlugField) else "str"
            specs.append(FieldSpec(kind=kind, max_length=f.max_length, choices=choices, **common))
    return specs


def _membership_specs() -> list[FieldSpec]:
    return field_specs(Membership, frozenset({"user"}))


def _user_specs() -> list[FieldSpec]:
    return [s for s in field_specs(User) if s.name in USER_FIELDS]


# --- Writing ---------------------------------------------------------------------------------


def _value(obj: models.Model, spec: FieldSpec) -> Any:
    value = getattr(obj, spec.attname)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _row(obj: models.Model, specs: list[FieldSpec]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": obj.pk}
    for spec in specs:
        row[spec.name] = _value(obj, spec)
    return row


def _line(row: dict[str, Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _people_queryset(community: Community, marks: dict[str, int]) -> QuerySet[User]:
    """Everyone a row of the archive points at who is not a member (bots, people whose
    membership row is gone): found with one subquery per user reference."""
    q = Q()
    for section in active_sections():
        model = section.model()
        base = section.queryset(community, marks).order_by()
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is User:
                q |= Q(pk__in=base.exclude(**{f"{f.name}__isnull": True}).values(f.attname))
    if community.created_by_id:
        q |= Q(pk=community.created_by_id)
    members = _memberships(community, marks).values("user_id")
    return User.objects.filter(q, pk__lte=marks["members"]).exclude(pk__in=members).order_by("pk")


def high_water_marks() -> dict[str, int]:
    """The newest id of every table the archive reads, taken when an export starts.

    Rows created while the archive is being written (a reply, a new member) are left out of
    every section alike, so the archive never holds a row whose parent it lacks (a post whose
    thread was created after the threads were written). Each is one index lookup.
    """

    def top(model: type[models.Model]) -> int:
        return model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0

    marks = {section.name: top(section.model()) for section in active_sections()}
    marks["memberships"] = top(Membership)
    marks["members"] = top(User)
    return marks


def _memberships(community: Community, marks: dict[str, int]) -> QuerySet[Membership]:
    return Membership.objects.filter(community=community, pk__lte=marks["memberships"])


def count_rows(community: Community, marks: dict[str, int]) -> dict[str, int]:
    counts = {"members": _memberships(community, marks).count()}
    counts["members"] += _people_queryset(community, marks).count()
    for section in active_sections():
        counts[section.name] = section.queryset(community, marks).count()
    return counts


def write_archive(community: Community, fileobj: IO[bytes], *, progress: Progress = _no_progress) -> dict:
    """Write the whole archive of ``community`` into ``fileobj``; return the manifest."""
    from members.privacy import email_shared_q

    marks = high_water_marks()
    counts = count_rows(community, marks)
    total = max(1, sum(counts.values()))
    done = 0
    last_pct = -1

    def tick(stage: str) -> None:
        nonlocal last_pct
        pct = min(99, done * 100 // total)
        if pct != last_pct:
            last_pct = pct
            progress(pct, stage)

    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        community_row = _row(community, field_specs(Community, COMMUNITY.exclude))
        community_row["slug"] = community.slug
        zf.writestr(COMMUNITY.file_name, json.dumps(community_row, ensure_ascii=False, indent=1))

        # Members: memberships in order of first joining, then the other people mentioned.
        user_specs = _user_specs()
        membership_specs = _membership_specs()
        shared = email_shared_q()
        memberships = _memberships(community, marks).select_related("user")
        if shared is not None:
            memberships = memberships.annotate(
                email_shared=models.ExpressionWrapper(
                    email_shared_q("user__"), output_field=models.BooleanField()
                )
            )
        with zf.open(MEMBERS_FILE, "w", force_zip64=True) as out:
            for m in memberships.order_by("first_joined_at", "user_id").iterator(chunk_size=CHUNK):
                row = _row(m.user, user_specs)
                row["email"] = m.user.email if (getattr(m, "email_shared", False) and m.user.email) else None
                row["membership"] = _row(m, membership_specs)
                del row["membership"]["id"]
                out.write(_line(row))
                done += 1
                if done % CHUNK == 0:
                    tick("members")
            for user in _people_queryset(community, marks).iterator(chunk_size=CHUNK):
                row = _row(user, user_specs)
                row["email"] = None
                row["membership"] = None
                out.write(_line(row))
                done += 1
        tick("members")

        for section in active_sections():
            specs = field_specs(section.model(), section.exclude)
            with zf.open(section.file_name, "w", force_zip64=True) as out:
                for obj in section.queryset(community, marks).iterator(chunk_size=CHUNK):
                    out.write(_line(_row(obj, specs)))
                    done += 1
                    if done % CHUNK == 0:
                        tick(section.name)
            tick(section.name)

        manifest = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "source_site": settings.SITE_URL,
            "community_slug": community.slug,
            "counts": counts,
            "files": [COMMUNITY.file_name, MEMBERS_FILE] + [s.file_name for s in active_sections()],
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=1))
    progress(100, "done")
    return manifest


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


# --- Importing ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    community: Community
    counts: dict[str, int]
    matched: int = 0
    placeholders: int = 0
    claims: int = 0


def _convert(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind == "dt":
        return _parse_dt(value)
    if spec.kind == "date":
        return date.fromisoformat(value)
    if spec.kind == "time":
        return time.fromisoformat(value)
    return value


def _free_handle(handle: str) -> str:
    if not User.objects.filter(handle__iexact=handle).exists():
        return handle
    for n in range(2, 10_000):
        candidate = f"{handle[: 30 - len(str(n)) - 1]}_{n}"
        if not User.objects.filter(handle__iexact=candidate).exists():
            return candidate
    return f"imported_{secrets.token_hex(8)}"


def _free_slug(slug: str) -> str:
    slug = (slug or "community")[:50]
    if not Community.objects.filter(slug=slug).exists():
        return slug
    for n in range(2, 10_000):
        candidate = f"{slug[: 50 - len(str(n)) - 1]}-{n}"
        if not Community.objects.filter(slug=candidate).exists():
            return candidate
    return f"community-{secrets.token_hex(6)}"


def _match_by_email(email: str | None) -> User | None:
    if not email:
        return None
    from allauth.account.models import EmailAddress

    address = (
        EmailAddress.objects.filter(email__iexact=email, verified=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    return address.user if address else None


def import_archive(
    path: str | os.PathLike,
    *,
    slug: str = "",
    owner: User | None = None,
    progress: Progress = _no_progress,
    max_bytes: int | None = None,
) -> ImportResult:
    """Validate the archive at ``path`` completely, then create a new community from it in one
    transaction. Raises ArchiveProblems (and changes nothing) when anything is wrong.

    ``owner`` (the person importing from the page) takes the place of the archive's owner,
    unless their verified email matches another person in the archive. Everyone else is matched
    by verified email when the archive carries it, or gets a placeholder account with a claim
    link (``AccountClaim``).
    """
    with open_archive(path, max_bytes=max_bytes) as zf:
        _manifest, index = validate_archive(zf, progress=lambda p, s: progress(p * 30 // 100, s))
        total = max(1, sum(index.counts.values()))
        try:
            with transaction.atomic():
                return _import(zf, index, slug=slug, owner=owner, progress=progress, total=total)
        except IntegrityError as exc:
            raise ArchiveProblems(
                [
                    f"The archive contains rows that contradict each other (duplicate or conflicting "
                    f"entries): {exc}"
                ]
            ) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ArchiveProblems(
                [f"The archive is damaged and could not be read to the end ({exc})."]
            ) from exc


def _render(md: str) -> str:
    from communities.services import render_user_markdown

    return render_user_markdown(md) if md else ""


def _import(
    zf: zipfile.ZipFile, index: _Index, *, slug: str, owner: User | None, progress: Progress, total: int
) -> ImportResult:
    problems = _Problems()  # validation passed; lines re-read here are known to be good
    done = 0

    def tick(stage: str) -> None:
        progress(30 + min(69, done * 70 // total), stage)

    maps: dict[str, dict[int, int]] = {"members": {}}
    result_counts: dict[str, int] = {}
    matched = placeholders = 0
    placeholder_ids: list[int] = []
    owner_matched = owner is not None and any(e.lower() == (owner.email or "").lower() for e in index.emails)

    # 1. People.
    user_specs = _user_specs()
    for _n, row in _iter_lines(zf, MEMBERS_FILE, problems):
        done += 1
        user = _match_by_email(row.get("email"))
        if user is None and owner is not None and not owner_matched and row["id"] == index.owner_ref:
            user = owner
        if user is None and row.get("is_bot"):
            user = User.objects.filter(handle__iexact=row["handle"], is_bot=True).first()
        if user is not None:
            matched += 1
        else:
            kwargs = {s.attname: _convert(s, row[s.name]) for s in user_specs if s.name in row}
            kwargs["handle"] = _free_handle(row["handle"])
            user = User(email="", **kwargs)
            user.set_unusable_password()
            user.save()
            placeholders += 1
            if user.is_active and not user.is_bot:
                placeholder_ids.append(user.pk)
        maps["members"][row["id"]] = user.pk
        if done % CHUNK == 0:
            tick("people")

    # 2. The community.
    community_row = json.loads(zf.read(COMMUNITY.file_name))
    specs = field_specs(Community, COMMUNITY.exclude)
    kwargs = {}
    for spec in specs:
        if spec.name in community_row:
            value = _convert(spec, community_row[spec.name])
            if spec.kind == "ref":
                value = maps[spec.target].get(value) if value is not None else None
            kwargs[spec.attname] = value
    community = Community(**kwargs)
    community.slug = _free_slug(slug or community_row.get("slug") or "")
    community.guidelines_html = _render(community.guidelines_md)
    community.welcome_message_html = _render(community.welcome_message_md)
    community.save()

    # 3. Memberships come after invites (they point at the invite that brought each person).
    def import_memberships() -> None:
        nonlocal done
        m_specs = _membership_specs()
        batch: list[Membership] = []
        for _n, row in _iter_lines(zf, MEMBERS_FILE, problems):
            membership = row.get("membership")
            if membership is None:
                continue
            m_kwargs = _kwargs(membership, m_specs, maps)
            batch.append(Membership(user_id=maps["members"][row["id"]], community=community, **m_kwargs))
            if len(batch) >= CHUNK:
                Membership.objects.bulk_create(batch)
                batch.clear()
        Membership.objects.bulk_create(batch)
        result_counts["memberships"] = Membership.objects.filter(community=community).count()

    membership_ids: dict[int, int] = {}
    for section in SECTIONS:
        if section.name == "invite_redemptions":
            import_memberships()
            membership_ids = dict(Membership.objects.filter(community=community).values_list("user_id", "pk"))
        model = section.model()
        if model is None or section.file_name not in _section_entries(zf):
            continue
        done = _import_section(section, model, zf, community, maps, membership_ids, problems, done, tick)
        result_counts[section.name] = len(maps.get(section.name, {}))

    # 4. The person importing from the page owns the new community.
    if owner is not None:
        from members.models import MembershipStatus, Role
        from members.services import membership_join, membership_set_role

        mine = Membership.objects.filter(user=owner, community=community).first()
        if mine is None or mine.status != MembershipStatus.ACTIVE:
            if mine is not None:
                Membership.objects.filter(pk=mine.pk).update(status=MembershipStatus.LEFT)
            mine = membership_join(user=owner, community=community, role=Role.OWNER, actor=owner)
        if mine.role != Role.OWNER:
            membership_set_role(membership=mine, role=Role.OWNER, actor=owner)

    # 5. Claim links for the placeholders.
    claims = [
        AccountClaim(user_id=uid, community=community, token=secrets.token_urlsafe(32))
        for uid in placeholder_ids
    ]
    AccountClaim.objects.bulk_create(claims, batch_size=CHUNK)
    result_counts["members"] = len(maps["members"])
    progress(100, "done")
    return ImportResult(
        community=community,
        counts=result_counts,
        matched=matched,
        placeholders=placeholders,
        claims=len(claims),
    )


def _kwargs(row: dict, specs: list[FieldSpec], maps: dict[str, dict[int, int]]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in row:
            continue
        value = row[spec.name]
        if spec.kind == "ref":
            value = maps.get(spec.target, {}).get(value) if value is not None else None
        else:
            value = _convert(spec, value)
        kwargs[spec.attname] = value
    return kwargs


def _import_section(
    section: Section,
    model: type[models.Model],
    zf: zipfile.ZipFile,
    community: Community,
    maps: dict[str, dict[int, int]],
    membership_ids: dict[int, int],
    problems: _Problems,
    done: int,
    tick: Callable[[str], None],
) -> int:
    specs = field_specs(model, section.exclude)
    section_map = maps.setdefault(section.name, {})
    self_refs = [s for s in specs if s.kind == "ref" and s.target == section.name]
    community_fields = [
        f.attname for f in model._meta.concrete_fields if f.is_relation and f.related_model is Community
    ]
    membership_fields = [
        f.attname for f in model._meta.concrete_fields if f.is_relation and f.related_model is Membership
    ]
    model_fields = {f.attname for f in model._meta.concrete_fields}
    md_pairs = [
        (s.attname, s.attname[:-3] + "_html")
        for s in specs
        if s.name.endswith("_md") and s.attname[:-3] + "_html" in model_fields
    ]
    forward: list[tuple[int, str, int]] = []  # (old row id, attname, old target id)
    batch: list[models.Model] = []
    olds: list[int] = []

    def flush() -> None:
        model._default_manager.bulk_create(batch)
        for old, obj in zip(olds, batch, strict=True):
            section_map[old] = obj.pk
        batch.clear()
        olds.clear()

    for _n, row in _iter_lines(zf, section.file_name, problems):
        kwargs = _kwargs(row, specs, maps)
        for spec in self_refs:
            target = row.get(spec.name)
            if target is not None and target not in section_map:
                kwargs[spec.attname] = None
                forward.append((row["id"], spec.attname, target))
        for attname in community_fields:
            kwargs[attname] = community.pk
        if membership_fields:
            old_user = row.get("user")
            new_user = maps["members"].get(old_user) if old_user is not None else None
            for attname in membership_fields:
                kwargs[attname] = membership_ids.get(new_user)
        if section.name == "invites":
            # Tokens never travel: every imported invite gets a fresh, unguessable one.
            kwargs["token"] = secrets.token_urlsafe(32)
        for md_attname, html_attname in md_pairs:
            kwargs[html_attname] = _render(kwargs.get(md_attname) or "")
        batch.append(model(**kwargs))
        olds.append(row["id"])
        done += 1
        if len(batch) >= CHUNK:
            flush()
            tick(section.name)
    flush()
    for old, attname, target in forward:
        model._default_manager.filter(pk=section_map[old]).update(**{attname: section_map[target]})
    return done
