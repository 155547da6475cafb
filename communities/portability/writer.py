"""Writing a community archive: a zip of JSONL sections with a manifest."""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime, time
from typing import IO, Any

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from communities.models import Community
from communities.portability.format import (
    CHUNK,
    COMMUNITY,
    FORMAT_NAME,
    FORMAT_VERSION,
    MEMBERS_FILE,
    FieldSpec,
    Progress,
    _membership_specs,
    _no_progress,
    _user_specs,
    active_sections,
    field_specs,
)
from members.models import Membership, User
from members.profiles.privacy import email_shared_q

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
