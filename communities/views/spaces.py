"""Spaces: the list for readers, create/edit/delete for owners and moderators."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities import selectors, services
from communities.forms_discussions import SpaceForm
from members import access


@require_GET
def space_list(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_reader(request.user, slug)
    return render(
        request,
        "communities/spaces.html",
        {
            "community": acc.community,
            "access": acc,
            "spaces": selectors.visible_spaces(acc.community, acc.membership),
        },
    )


def _space_form_page(
    request: HttpRequest, acc: access.CommunityAccess, form: SpaceForm, space: object, status: int
) -> HttpResponse:
    return render(
        request,
        "communities/space_form.html",
        {"community": acc.community, "access": acc, "form": form, "space": space},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def space_new(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_staff(request.user, slug)
    form = SpaceForm(request.POST or None, initial={"position": 10})
    if request.method == "POST" and form.is_valid():
        try:
            space = services.space_create(community=acc.community, **form.cleaned_data)
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            messages.success(request, f"Space “{space.name}” created.")
            return redirect(reverse("space-list", args=[acc.community.slug]))
    return _space_form_page(request, acc, form, None, 400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def space_edit(request: HttpRequest, slug: str, space_id: int) -> HttpResponse:
    space, acc = access.space_for_staff(request.user, slug, space_id)
    form = SpaceForm(
        request.POST or None,
        initial={
            "name": space.name,
            "description": space.description,
            "position": space.position,
            "min_role": space.min_role,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.space_update(space=space, **form.cleaned_data)
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            messages.success(request, "Space saved.")
            return redirect(reverse("space-list", args=[acc.community.slug]))
    return _space_form_page(request, acc, form, space, 400 if form.errors else 200)


@require_POST
def space_delete(request: HttpRequest, slug: str, space_id: int) -> HttpResponse:
    space, acc = access.space_for_staff(request.user, slug, space_id)
    try:
        services.space_delete(space=space)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Space “{space.name}” deleted.")
    return redirect(reverse("space-list", args=[acc.community.slug]))
