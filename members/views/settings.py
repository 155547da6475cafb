"""The person's own settings: profile, privacy, email notifications, muted members."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from members import access, selectors
from members.forms_profile import EmailSettingsForm, MuteForm, PrivacyForm, ProfileForm
from members.models import User
from members.services_profile import (
    PRIVACY_FIELDS,
    email_settings_update,
    member_mute,
    member_unmute,
    privacy_update,
    profile_update,
)


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect("settings-profile")


@require_http_methods(["GET", "POST"])
@login_required
def settings_profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    profile = selectors.profile_of(user)
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                profile_update(
                    user=user,
                    display_name=data["display_name"],
                    bio=data["bio"],
                    links=data["links"],
                    time_zone=data["time_zone"],
                    language=data["language"],
                    avatar=data.get("avatar") or None,
                    remove_avatar=data["remove_avatar"],
                )
            except ValidationError as exc:
                form.add_error("avatar", exc)
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("settings-profile")
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "bio": profile.bio,
                "links": "\n".join(profile.links or []),
                "time_zone": user.time_zone,
                "language": profile.language,
            }
        )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "members/settings_profile.html",
        {"form": form, "profile": profile, "section": "profile"},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def settings_privacy(request: HttpRequest) -> HttpResponse:
    profile = selectors.profile_of(request.user)
    if request.method == "POST":
        form = PrivacyForm(request.POST)
        if form.is_valid():
            privacy_update(user=request.user, **form.cleaned_data)
            messages.success(request, "Your privacy settings are saved.")
            return redirect("settings-privacy")
    else:
        form = PrivacyForm(initial={name: getattr(profile, name) for name in PRIVACY_FIELDS})
    return render(
        request,
        "members/settings_privacy.html",
        {"form": form, "section": "privacy"},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def settings_notifications(request: HttpRequest) -> HttpResponse:
    profile = selectors.profile_of(request.user)
    if request.method == "POST":
        form = EmailSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            email_settings_update(
                user=request.user,
                deliveries=form.deliveries(),
                digest_frequency=data["digest_frequency"],
                digest_hour=data["digest_hour"],
                digest_weekday=data["digest_weekday"],
                digest_skip_if_active=data["digest_skip_if_active"],
            )
            messages.success(request, "Your email settings are saved.")
            return redirect("settings-notifications")
    else:
        initial = {
            "digest_frequency": profile.digest_frequency,
            "digest_hour": profile.digest_hour,
            "digest_weekday": profile.digest_weekday,
            "digest_skip_if_active": profile.digest_skip_if_active,
        }
        initial |= {f"kind_{k}": v for k, v in selectors.email_deliveries(request.user).items()}
        form = EmailSettingsForm(initial=initial)
    return render(
        request,
        "members/settings_notifications.html",
        {
            "form": form,
            "section": "notifications",
            "undeliverable": request.user.email_undeliverable,
            # Kinds set to "in the digest" while digests are off are never emailed: say so.
            "digest_kinds_unsent": profile.digest_frequency == "off"
            and "digest" in selectors.email_deliveries(request.user).values(),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def settings_muted(request: HttpRequest) -> HttpResponse:
    form = MuteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        handle = form.cleaned_data["handle"]
        person = User.objects.filter(handle__iexact=handle, is_active=True).first()
        # Only people you share a community with can be found (no probing for handles elsewhere).
        if (
            person is None
            or person.pk == request.user.pk
            or not access.can_see_profile(request.user, person.pk)
        ):
            form.add_error("handle", f"No member called @{handle} in your communities.")
        else:
            try:
                member_mute(user=request.user, muted_user=person)
            except ValidationError as exc:
                form.add_error("handle", exc)
            else:
                messages.success(request, f"@{person.handle} is muted.")
                return redirect("settings-muted")
    page = Paginator(selectors.muted_members(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "members/settings_muted.html",
        {"form": form, "page": page, "section": "muted"},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def settings_unmute(request: HttpRequest, user_id: int) -> HttpResponse:
    member_unmute(user=request.user, muted_user_id=user_id)
    messages.success(request, "Unmuted.")
    return redirect("settings-muted")
