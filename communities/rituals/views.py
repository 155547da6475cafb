"""Ritual pages: list, prompt library, create/edit with a next-5 preview, detail with
participation, pause/resume, delete. Views are thin: access, then a selector or service."""

from __future__ import annotations

import zoneinfo
from datetime import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.rituals import schedule as schedule_math
from communities.rituals.forms import RitualForm, initial_from_prompt
from communities.rituals.models import Ritual
from communities.rituals.prompts import PROMPTS, PROMPTS_BY_KEY
from communities.rituals.selectors import (
    next_dates,
    participation_chart,
    ritual_occurrences_with_participation,
    rituals_for_community,
)
from communities.rituals.services import ritual_create, ritual_delete, ritual_set_paused, ritual_update
from members import access

PAGE_SIZE = 20


@require_GET
def ritual_list(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_reader(request.user, slug)
    page = Paginator(
        rituals_for_community(community=acc.community, viewer=acc.membership), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "communities/rituals/list.html",
        {
            "community": acc.community,
            "access": acc,
            "page": page,
            "can_manage": access.can_manage_rituals(acc.membership),
            "suggested": [PROMPTS_BY_KEY[k] for k in ("weekly-wins", "weekly-qa", "member-spotlight")],
            "prompt_count": len(PROMPTS),
        },
    )


@require_GET
def ritual_library(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_ritual_manager(request.user, slug)
    return render(
        request,
        "communities/rituals/library.html",
        {"community": acc.community, "access": acc, "prompts": PROMPTS},
    )


def _preview(form: RitualForm, community_tz: str) -> list:
    """Next five dates for the form's current values (None if the form is invalid)."""
    if not form.is_valid():
        return []
    fields = form.ritual_fields()
    probe = Ritual(**{k: v for k, v in fields.items() if k not in {"space", "spotlight_user"}})
    return schedule_math.occurrences_after(probe.schedule(community_tz), timezone.now(), 5)


@require_http_methods(["GET", "POST"])
def ritual_new(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_ritual_manager(request.user, slug)
    community = acc.community
    prompt = PROMPTS_BY_KEY.get(request.GET.get("prompt", ""))
    preview: list = []
    if request.method == "POST":
        form = RitualForm(request.POST, community=community)
        if "preview" in request.POST:
            preview = _preview(form, community.time_zone)
        elif form.is_valid():
            try:
                ritual = ritual_create(community=community, created_by=request.user, **form.ritual_fields())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Ritual created. Its first thread is scheduled below.")
                return redirect(ritual.get_absolute_url())
    else:
        initial = initial_from_prompt(prompt) if prompt else {"local_time": time(17, 0), "pin_current": True}
        initial["starts_on"] = timezone.now().astimezone(community.tz).date()
        form = RitualForm(initial=initial, community=community)
        schedule_fields = {"frequency", "weekday", "interval_weeks", "nth_week", "day_of_month", "local_time"}
        probe = Ritual(**{k: v for k, v in initial.items() if k in schedule_fields | {"starts_on"}})
        preview = schedule_math.occurrences_after(probe.schedule(community.time_zone), timezone.now(), 5)
    if "preview" in request.POST and request.htmx:
        # Live preview (htmx, on any change): just the dates block, never an error status.
        return render(
            request,
            "communities/rituals/_preview.html",
            {"community": community, "form": form, "preview": preview},
        )
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "communities/rituals/form.html",
        {
            "community": community,
            "access": acc,
            "form": form,
            "prompt": prompt,
            "preview": preview,
            "ritual": None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def ritual_edit(request: HttpRequest, slug: str, ritual_id: int) -> HttpResponse:
    ritual, acc = access.ritual_for_manager(request.user, slug, ritual_id)
    community = acc.community
    preview: list = []
    if request.method == "POST":
        form = RitualForm(request.POST, instance=ritual, community=community)
        if "preview" in request.POST:
            preview = _preview(form, community.time_zone)
        elif form.is_valid():
            try:
                ritual_update(ritual=ritual, **form.ritual_fields())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Ritual saved.")
                return redirect(ritual.get_absolute_url())
    else:
        form = RitualForm(instance=ritual, community=community)
        preview = next_dates(ritual)
    if "preview" in request.POST and request.htmx:
        return render(
            request,
            "communities/rituals/_preview.html",
            {"community": community, "form": form, "preview": preview},
        )
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "communities/rituals/form.html",
        {"community": community, "access": acc, "form": form, "preview": preview, "ritual": ritual},
        status=status,
    )


@require_GET
def ritual_detail(request: HttpRequest, slug: str, ritual_id: int) -> HttpResponse:
    ritual, acc = access.ritual_for_reader(request.user, slug, ritual_id)
    occurrences = ritual_occurrences_with_participation(ritual)
    page = Paginator(occurrences, PAGE_SIZE).get_page(request.GET.get("page"))
    # The chart shows the latest 12 occurrences whatever the table page.
    chart = participation_chart(list(occurrences[:12]), acc.community.time_zone)
    return render(
        request,
        "communities/rituals/detail.html",
        {
            "community": acc.community,
            "access": acc,
            "ritual": ritual,
            "page": page,
            "chart": chart,
            "preview": [] if ritual.paused else next_dates(ritual),
            "can_manage": access.can_manage_rituals(acc.membership),
            "tz": zoneinfo.ZoneInfo(acc.community.time_zone),
        },
    )


@require_POST
def ritual_pause(request: HttpRequest, slug: str, ritual_id: int) -> HttpResponse:
    ritual, _ = access.ritual_for_manager(request.user, slug, ritual_id)
    paused = request.POST.get("paused") == "1"
    ritual_set_paused(ritual=ritual, paused=paused)
    messages.success(request, "Ritual paused." if paused else "Ritual resumed: the next thread is scheduled.")
    return redirect(ritual.get_absolute_url())


@require_POST
def ritual_remove(request: HttpRequest, slug: str, ritual_id: int) -> HttpResponse:
    ritual, acc = access.ritual_for_manager(request.user, slug, ritual_id)
    ritual_delete(ritual=ritual)
    messages.success(request, "Ritual deleted. Threads it already posted stay where they are.")
    return redirect("ritual-list", acc.community.slug)
