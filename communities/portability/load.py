"""Importing a validated archive, all or nothing, matching people by verified email."""

from __future__ import annotations

import json
import os
import secrets
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from allauth.account.models import EmailAddress
from django.db import IntegrityError, models, transaction

from communities.markdown import render_user_markdown
from communities.models import Community
from communities.portability.format import (
    CHUNK,
    COMMUNITY,
    MEMBERS_FILE,
    SECTIONS,
    FieldSpec,
    Progress,
    Section,
    _membership_specs,
    _no_progress,
    _user_specs,
    field_specs,
)
from communities.portability.validate import (
    ArchiveProblems,
    _Index,
    _iter_lines,
    _parse_dt,
    _Problems,
    _section_entries,
    open_archive,
    validate_archive,
)
from members.models import AccountClaim, Membership, MembershipStatus, Role, User
from members.services import membership_join, membership_set_role

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
