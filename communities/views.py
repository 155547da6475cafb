"""Community pages: home, directory, create, guidelines, settings.
Views are thin: access, then a selector or service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.discussions import selectors, services
from communities.discussions.forms import SpaceForm
from communities.discussions.views import thread_list_context
from communities.forms import CommunityCreateForm, CommunitySettingsForm, DirectorySearchForm, HandOverForm
from communities.models import Visibility
from communities.selectors import directory
from communities.services import community_create, community_update
from config.middleware import cache_publicly
from members import access
from members.selectors import active_member_by_handle, join_state, member_count
from members.services import MembershipError, membership_hand_over

DIRECTORY_PAGE_SIZE = 20


def _community_context(request: HttpRequest, acc: access.CommunityAccess, **extra: object) -> dict:
    """What the community header needs: member count and the viewer's join state."""
    return {
        "community": acc.community,
        "access": acc,
        "member_count": member_count(acc.community),
        "join": join_state(request.user, acc),
        **extra,
    }


@require_GET
def community_directory(request: HttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(directory(request.user, query), DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "communities/directory.html", {"form": form, "page": page, "query": query})


@login_required
@require_http_methods(["GET", "POST"])
def community_new(request: HttpRequest) -> HttpResponse:
    form = CommunityCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            community = community_create(
                owner=request.user,
                name=data["name"],
                slug=data["slug"],
                purpose=data["purpose"],
                guidelines_md=data["guidelines_md"],
                visibility=data["visibility"],
                join_policy=data["join_policy"],
                screening_questions=data["screening_questions"],
                time_zone=data["time_zone"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{community.name} is ready. Invite your first members.")
            return redirect(community.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "communities/community_new.html", {"form": form}, status=status)


@require_GET
def community_home(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_landing(request.user, slug)
    ctx: dict = {"threads": []}
    if acc.can_read:
        ctx.update(thread_list_context(request, acc))
    response = render(request, "communities/home.html", _community_context(request, acc, nav="home", **ctx))
    if acc.can_read and acc.community.visibility == Visibility.PUBLIC:
        cache_publicly(request, response)
    return response


@require_GET
def community_guidelines(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_reader(request.user, slug)
    return render(request, "communities/guidelines.html", _community_context(request, acc, nav="guidelines"))


@require_http_methods(["GET", "POST"])
def community_settings(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_owner(request.user, slug)
    form = CommunitySettingsForm(request.POST or None, community=acc.community)
    if request.method == "POST" and form.is_valid():
        try:
            changed = community_update(community=acc.community, actor=request.user, **form.settings_changes())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Settings saved." if changed else "Nothing changed.")
            return redirect("community-settings", slug=slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "communities/settings.html",
        _community_context(request, acc, form=form, handover_form=HandOverForm(), nav="settings"),
        status=status,
    )


@require_POST
def community_hand_over(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_owner(request.user, slug)
    form = HandOverForm(request.POST)
    if form.is_valid():
        successor = active_member_by_handle(acc.community, form.cleaned_data["handle"])
        if successor is None:
            form.add_error("handle", "No current member has that handle.")
        else:
            try:
                membership_hand_over(
                    actor=acc.membership, successor=successor, keep_role=form.cleaned_data["keep_role"]
                )
            except MembershipError as exc:
                form.add_error("handle", str(exc))
            else:
                messages.success(request, f"{successor.user.name} is now an owner of {acc.community.name}.")
                return redirect(acc.community.get_absolute_url())
    settings_form = CommunitySettingsForm(community=acc.community)
    return render(
        request,
        "communities/settings.html",
        _community_context(request, acc, form=settings_form, handover_form=form, nav="settings"),
        status=400,
    )


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
