"""Onboarding pages: "Start here" (welcome message, purpose, guidelines, checklist), the owner's
welcome settings, and the welcomers' newcomers list. Views are thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.onboarding.forms import WelcomeMessageForm
from communities.onboarding.selectors import newcomers_this_week, onboarding_checklist
from communities.onboarding.services import (
    community_set_welcome_message,
    find_introductions_thread,
    introductions_thread,
    onboarding_dismiss_checklist,
    onboarding_mark_greeted,
    onboarding_mark_guidelines_read,
)
from members import access
from members.models import Membership, MembershipStatus


@require_GET
def welcome(request: HttpRequest, slug: str) -> HttpResponse:
    """The page the welcome notification links to. Opening it counts as reading the guidelines."""
    acc = access.community_for_reader(request.user, slug)
    # Reading only: the introductions thread is created by the join task or the owner's POST.
    intro = find_introductions_thread(acc.community) if acc.membership is not None else None
    if acc.membership is not None:
        onboarding_mark_guidelines_read(membership=acc.membership)
    checklist = onboarding_checklist(
        membership=acc.membership, intro_url=intro.get_absolute_url() if intro else "#introduce"
    )
    return render(
        request,
        "communities/onboarding/welcome.html",
        {"community": acc.community, "access": acc, "intro": intro, "checklist": checklist},
    )


@require_POST
def checklist_dismiss(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_member(request.user, slug)
    onboarding_dismiss_checklist(membership=acc.membership)
    messages.success(request, "Checklist hidden. You'll find the basics on the Start here page any time.")
    return redirect(acc.community.get_absolute_url())


@require_http_methods(["GET", "POST"])
def onboarding_settings(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_owner(request.user, slug)
    community = acc.community
    if request.method == "POST" and "create_intro" in request.POST:
        thread = introductions_thread(community)
        messages.success(request, "The “Introduce yourself” thread is ready.")
        return redirect(thread.get_absolute_url())
    if request.method == "POST":
        form = WelcomeMessageForm(request.POST)
        if form.is_valid():
            try:
                community_set_welcome_message(
                    community=community, welcome_message_md=form.cleaned_data["welcome_message_md"]
                )
            except ValidationError as exc:
                form.add_error("welcome_message_md", exc)
            else:
                messages.success(request, "Welcome message saved.")
                return redirect("onboarding-settings", community.slug)
    else:
        form = WelcomeMessageForm(initial={"welcome_message_md": community.welcome_message_md})
    return render(
        request,
        "communities/onboarding/settings.html",
        {"community": community, "access": acc, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
def newcomers(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_welcomer(request.user, slug)
    page = Paginator(newcomers_this_week(community=acc.community), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "communities/onboarding/newcomers.html",
        {
            "community": acc.community,
            "access": acc,
            "page": page,
            "intro": find_introductions_thread(acc.community),
        },
    )


@require_POST
def newcomer_greeted(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    acc = access.community_for_welcomer(request.user, slug)
    # Checked against the URL's community: a membership elsewhere is 404.
    newcomer = Membership.objects.filter(
        pk=membership_id, community=acc.community, status=MembershipStatus.ACTIVE
    ).first()
    if newcomer is None:
        raise Http404
    greeted = request.POST.get("greeted", "1") == "1"
    onboarding_mark_greeted(newcomer=newcomer, by=acc.membership, greeted=greeted)
    return redirect("newcomers", acc.community.slug)
