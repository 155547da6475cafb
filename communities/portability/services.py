"""Exports and imports of whole communities: the member-list CSV, archive jobs, import jobs.

The archive format itself is in ``communities/archive.py``; this module runs the jobs around it
(claiming, progress, files, expiry, notifications). Celery tasks in ``communities/tasks.py`` call
these functions; tests call them directly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from communities.discussions.models import Post, Reaction
from communities.models import Community
from communities.portability.load import import_archive
from communities.portability.models import CommunityExport, CommunityImport, JobStatus
from communities.portability.validate import ArchiveProblems
from communities.portability.writer import write_archive
from config.jobs import enqueue_on_commit
from members.models import AccountClaim, Membership, MembershipStatus, User
from members.notifications.models import Notification
from members.notifications.services import notification_create
from members.profiles.privacy import email_shared_q

log = logging.getLogger(__name__)

CSV_HEADER = [
    "handle",
    "display_name",
    "role",
    "joined_at",
    "invited_by",
    "last_active_at",
    "post_count",
    "email",
]
DOWNLOAD_SALT = "hearth.export.download"
# A job stuck "running" this long was lost with its worker; it may be claimed again.
STALE_AFTER = timedelta(hours=2)


# --- Member list CSV --------------------------------------------------------------------------


def _csv_safe(value: object) -> str:
    """Text for a spreadsheet cell; a leading = + - @ would start a formula in Excel or Sheets."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def member_csv_rows(community: Community) -> Iterator[list[str]]:
    """The header, then one row per active member; one query whatever the number of members.

    Last active = the latest post or reaction in this community. (The visit log belongs to the
    metrics app and is not consulted.) Email only for people who allowed it.
    """
    posts = Post.objects.filter(community_id=community.pk, author_id=OuterRef("user_id")).order_by()
    reactions = Reaction.objects.filter(post__community_id=community.pk, user_id=OuterRef("user_id"))
    qs = (
        Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE)
        .select_related("user", "invited_by")
        .annotate(
            post_count=Subquery(
                posts.values("author_id").annotate(n=Count("pk")).values("n")[:1],
                output_field=models.IntegerField(),
            ),
            last_post_at=Subquery(posts.order_by("-created_at").values("created_at")[:1]),
            last_reaction_at=Subquery(reactions.order_by("-created_at").values("created_at")[:1]),
        )
        .order_by("first_joined_at", "pk")
    )
    shared = email_shared_q("user__")
    if shared is not None:
        qs = qs.annotate(email_shared=models.ExpressionWrapper(shared, output_field=models.BooleanField()))
    yield CSV_HEADER
    for m in qs.iterator(chunk_size=2000):
        activity = [t for t in (m.last_post_at, m.last_reaction_at) if t is not None]
        yield [
            _csv_safe(m.user.handle),
            _csv_safe(m.user.display_name),
            m.role,
            m.first_joined_at.date().isoformat(),
            _csv_safe(m.invited_by.handle if m.invited_by else ""),
            max(activity).date().isoformat() if activity else "",
            str(m.post_count or 0),
            _csv_safe(m.user.email if getattr(m, "email_shared", False) else ""),
        ]


# --- Archive exports --------------------------------------------------------------------------


def export_dir() -> Path:
    path = Path(settings.HEARTH_EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_path(export: CommunityExport) -> Path:
    return export_dir() / export.file_name


def export_request(*, community: Community, user: User) -> CommunityExport:
    """Queue an archive of the community; a request while one is under way returns that one."""
    with transaction.atomic():
        running = (
            CommunityExport.objects.select_for_update()
            .filter(community=community, status__in=[JobStatus.PENDING, JobStatus.RUNNING])
            .first()
        )
        if running is not None:
            return running
        export = CommunityExport.objects.create(community=community, requested_by=user)
        enqueue_on_commit("communities.tasks.build_community_export", export.pk)
    return export


def export_run(export_id: int) -> CommunityExport | None:
    """Build the archive file. Idempotent: only a pending (or stale running) export is claimed."""
    now = timezone.now()
    claimed = (
        CommunityExport.objects.filter(pk=export_id)
        .filter(
            models.Q(status=JobStatus.PENDING)
            | models.Q(status=JobStatus.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        .update(status=JobStatus.RUNNING, started_at=now, progress=0)
    )
    if claimed != 1:
        return None
    export = CommunityExport.objects.select_related("community").get(pk=export_id)
    community = export.community
    stamp = now.strftime("%Y%m%d-%H%M%S")
    export.file_name = f"{community.slug}-{stamp}-{secrets.token_hex(8)}.zip"
    final = export_path(export)
    partial = final.with_suffix(".part")

    def progress(pct: int, stage: str) -> None:
        CommunityExport.objects.filter(pk=export_id).update(progress=min(pct, 99))

    try:
        with open(partial, "wb") as fh:
            manifest = write_archive(community, fh, progress=progress)
        os.replace(partial, final)
    except Exception as exc:
        log.exception("export %s of %s failed", export_id, community.slug)
        partial.unlink(missing_ok=True)
        CommunityExport.objects.filter(pk=export_id).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return CommunityExport.objects.get(pk=export_id)
    finished = timezone.now()
    CommunityExport.objects.filter(pk=export_id).update(
        status=JobStatus.DONE,
        progress=100,
        file_name=export.file_name,
        size=final.stat().st_size,
        counts=manifest["counts"],
        finished_at=finished,
        expires_at=finished + timedelta(hours=settings.HEARTH_EXPORT_TTL_HOURS),
    )
    if export.requested_by_id:
        notification_create(
            recipient_id=export.requested_by_id,
            kind=Notification.Kind.EXPORT_READY,
            text=f"Your archive of {community.name} is ready to download.",
            url=reverse("community-export", args=[community.slug]),
            community_id=community.pk,
        )
    return CommunityExport.objects.get(pk=export_id)


def export_download_token(export: CommunityExport, user: User) -> str:
    return signing.dumps({"e": export.pk, "u": user.pk}, salt=DOWNLOAD_SALT, compress=True)


def export_download_url(export: CommunityExport, user: User) -> str:
    url = reverse("community-export-download", args=[export.community.slug, export.pk])
    return f"{url}?s={export_download_token(export, user)}"


def export_check_token(export: CommunityExport, user: User, token: str) -> bool:
    """Whether ``token`` was made for this export and this person and has not expired."""
    try:
        data = signing.loads(token, salt=DOWNLOAD_SALT, max_age=settings.HEARTH_EXPORT_TTL_HOURS * 3600)
    except signing.BadSignature:  # includes SignatureExpired
        return False
    return data == {"e": export.pk, "u": user.pk}


def exports_cleanup(*, now: object = None) -> int:
    """Delete expired archives and leftover import uploads. Safe to run any time, twice."""
    now = now or timezone.now()
    removed = 0
    for export in CommunityExport.objects.filter(status=JobStatus.DONE, expires_at__lte=now).iterator():
        if export.file_name:
            export_path(export).unlink(missing_ok=True)
        CommunityExport.objects.filter(pk=export.pk).update(status=JobStatus.EXPIRED, file_name="")
        removed += 1
    day_ago = now - timedelta(days=1)
    for job in CommunityImport.objects.filter(created_at__lt=day_ago).exclude(file_name="").iterator():
        (import_dir() / job.file_name).unlink(missing_ok=True)
        CommunityImport.objects.filter(pk=job.pk).update(file_name="")
    # Half-written files of exports whose worker died.
    for stray in export_dir().glob("*.part"):
        if stray.stat().st_mtime < (now - STALE_AFTER).timestamp():
            stray.unlink(missing_ok=True)
    return removed


# --- Imports ----------------------------------------------------------------------------------


def import_dir() -> Path:
    path = Path(settings.HEARTH_IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_request(*, user: User, upload: UploadedFile, slug: str = "") -> CommunityImport:
    """Store the uploaded archive and queue its import into a new community owned by ``user``."""

    limit = settings.HEARTH_IMPORT_MAX_MB * 1_000_000
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"The file is {upload.size / 1e6:.1f} MB; archives up to {limit / 1e6:.0f} MB can be imported."
        )
    name = f"{secrets.token_hex(16)}.zip"
    with open(import_dir() / name, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    with transaction.atomic():
        job = CommunityImport.objects.create(
            requested_by=user,
            original_name=(upload.name or "archive.zip")[:200],
            file_name=name,
            size=upload.size or 0,
            slug_wanted=slug,
        )
        enqueue_on_commit("communities.tasks.run_community_import", job.pk)
    return job


def _progress_key(job_id: int) -> str:
    return f"hearth:import-progress:{job_id}"


def import_progress(job: CommunityImport) -> tuple[int, str]:
    """Progress of a running import. Inside the import's transaction the row cannot be updated
    visibly, so the job also reports through the cache; a missing cache just shows less."""
    cached = None
    try:
        cached = cache.get(_progress_key(job.pk))
    except Exception:  # a cache outage must not break the page
        cached = None
    if cached and job.status == JobStatus.RUNNING and cached[0] > job.progress:
        return cached[0], cached[1]
    return job.progress, job.stage


def import_run(job_id: int) -> CommunityImport | None:
    """Validate and import an uploaded archive. Idempotent: only a pending job is claimed."""
    claimed = CommunityImport.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, stage="checking the archive"
    )
    if claimed != 1:
        return None
    job = CommunityImport.objects.select_related("requested_by").get(pk=job_id)
    path = import_dir() / job.file_name
    last = [-1]

    def progress(pct: int, stage: str) -> None:
        if pct == last[0]:
            return
        last[0] = pct
        try:
            cache.set(_progress_key(job_id), (pct, stage), 3600)
        except Exception:
            log.warning("cache unavailable for import progress")
        if not connection.in_atomic_block:
            CommunityImport.objects.filter(pk=job_id).update(progress=pct, stage=stage[:80])

    try:
        try:
            result = import_archive(path, slug=job.slug_wanted, owner=job.requested_by, progress=progress)
        finally:
            with contextlib.suppress(Exception):
                cache.delete(_progress_key(job_id))
    except ArchiveProblems as exc:
        CommunityImport.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, problems=exc.problems, finished_at=timezone.now(), stage="refused"
        )
        path.unlink(missing_ok=True)
        return CommunityImport.objects.get(pk=job_id)
    except Exception as exc:
        log.exception("import %s failed", job_id)
        CommunityImport.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED,
            problems=[
                f"The import stopped with an internal error ({type(exc).__name__}); nothing was changed."
            ],
            finished_at=timezone.now(),
            stage="failed",
        )
        path.unlink(missing_ok=True)
        return CommunityImport.objects.get(pk=job_id)
    path.unlink(missing_ok=True)
    CommunityImport.objects.filter(pk=job_id).update(
        status=JobStatus.DONE,
        progress=100,
        stage="done",
        community=result.community,
        counts={**result.counts, "matched": result.matched, "placeholders": result.placeholders},
        finished_at=timezone.now(),
        file_name="",
    )
    return CommunityImport.objects.get(pk=job_id)


def claims_for_community(community: Community) -> models.QuerySet[AccountClaim]:
    return (
        AccountClaim.objects.filter(community=community, claimed_at__isnull=True)
        .select_related("user")
        .order_by("user__handle")
    )
