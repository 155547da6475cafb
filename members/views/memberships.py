"""Members list, roles, leaving a community."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from members import access
from members.forms import RoleForm
from members.models import Role
from members.selectors import join_state, member_list
from members.services import MembershipError, membership_change_role, membership_leave

MEMBERS_PAGE_SIZE = 50


@require_GET
def members_list(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_reader(request.user, slug)
    page = Paginator(member_list(acc.community), MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "members/members.html",
        {
            "community": acc.community,
            "access": acc,
            "member_count": page.paginator.count,
            "join": join_state(request.user, acc),
            "page": page,
            "role_choices": Role.choices,
            "nav": "members",
        },
    )


@require_POST
def member_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    target, acc = access.membership_for_owner(request.user, slug, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("members-list", slug=slug)
    try:
        membership_change_role(actor=acc.membership, target=target, role=form.cleaned_data["role"])
    except MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{target.user.name} is now {Role(form.cleaned_data['role']).label.lower()}."
        )
    return redirect("members-list", slug=slug)


@require_POST
def community_leave(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_member(request.user, slug)
    try:
        membership_leave(membership=acc.membership)
    except MembershipError as exc:
        messages.error(request, str(exc))
        return redirect(acc.community.get_absolute_url())
    messages.success(request, f"You left {acc.community.name}.")
    return redirect("community-directory")
