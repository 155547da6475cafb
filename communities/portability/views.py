"""Owner pages to export a community (member list, archive) and the page to import one."""

from __future__ import annotations

import csv

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from communities.portability import services as svc
from communities.portability.forms import ImportForm
from communities.portability.models import CommunityExport, JobStatus
from members import access


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _stream_csv(rows: object, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def member_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    acc = access.community_for_owner(request.user, slug)
    stamp = timezone.now().strftime("%Y-%m-%d")
    return _stream_csv(svc.member_csv_rows(acc.community), f"{acc.community.slug}-members-{stamp}.csv")


def _export_context(request: HttpRequest, acc: access.CommunityAccess) -> dict:
    exports = list(CommunityExport.objects.filter(community=acc.community).select_related("requested_by")[:5])
    now = timezone.now()
    for export in exports:
        export.download_url = (
            svc.export_download_url(export, request.user)
            if export.status == JobStatus.DONE and not export.is_expired(now)
            else ""
        )
    return {
        "community": acc.community,
        "access": acc,
        "exports": exports,
        "working": any(not e.is_finished for e in exports),
        "ttl_hours": settings.HEARTH_EXPORT_TTL_HOURS,
    }


@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_owner(request.user, slug)
    if request.method == "POST":
        svc.export_request(community=acc.community, user=request.user)
        return redirect("community-export", slug=acc.community.slug)
    return render(request, "communities/export.html", _export_context(request, acc))


@require_GET
def export_status(request: HttpRequest, slug: str) -> HttpResponse:
    """The list of archives, for htmx polling while one is being built."""
    acc = access.community_for_owner(request.user, slug)
    return render(request, "communities/_export_jobs.html", _export_context(request, acc))


@require_GET
def export_download(request: HttpRequest, slug: str, export_id: int) -> HttpResponse:
    export, acc = access.export_for_owner(request.user, slug, export_id)
    gone = export.status != JobStatus.DONE or export.is_expired() or not export.file_name
    path = svc.export_path(export) if export.file_name else None
    if gone or path is None or not path.exists():
        return render(
            request, "communities/export_gone.html", {"community": acc.community, "access": acc}, status=410
        )
    if not svc.export_check_token(export, request.user, request.GET.get("s", "")):
        return render(
            request, "communities/export_gone.html", {"community": acc.community, "access": acc}, status=410
        )
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=export.file_name.split("/")[-1])  # noqa: SIM115
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def claims_page(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_owner(request.user, slug)
    page = Paginator(svc.claims_for_community(acc.community), 50).get_page(request.GET.get("page"))
    return render(
        request, "communities/claims.html", {"community": acc.community, "access": acc, "page": page}
    )


@require_GET
def claims_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    acc = access.community_for_owner(request.user, slug)
    base = request.build_absolute_uri("/")[:-1]

    def rows() -> object:
        yield ["handle", "display_name", "claim_link"]
        for claim in svc.claims_for_community(acc.community).iterator(chunk_size=2000):
            yield [claim.user.handle, svc._csv_safe(claim.user.display_name), base + claim.get_absolute_url()]

    return _stream_csv(rows(), f"{acc.community.slug}-claim-links.csv")


@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    access.require_login(request.user)
    if not access.can_import_community(request.user):
        raise PermissionDenied("Your account cannot import communities.")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = svc.import_request(
                user=request.user, upload=form.cleaned_data["archive"], slug=form.cleaned_data["slug"]
            )
        except ValidationError as exc:
            form.add_error("archive", exc)
        else:
            return redirect("community-import-status", job_id=job.pk)
    return render(request, "communities/import.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def import_status(request: HttpRequest, job_id: int) -> HttpResponse:
    job = access.import_for_requester(request.user, job_id)
    pct, stage = svc.import_progress(job)
    template = "communities/_import_job.html" if request.htmx else "communities/import_status.html"
    return render(request, template, {"job": job, "pct": pct, "stage": stage})
