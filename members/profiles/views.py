"""Member profiles: seen only by the person and by people who share a community with them."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.inputs import redirect_next
from members import access
from members.models import User
from members.notifications import selectors as notifications_selectors
from members.profiles import selectors as profiles_selectors
from members.profiles.forms import EmailSettingsForm, MuteForm, PrivacyForm, ProfileForm
from members.profiles.services import (
    PRIVACY_FIELDS,
    email_settings_update,
    member_mute,
    member_unmute,
    privacy_update,
    profile_update,
)


@require_GET
def profile(request: HttpRequest, handle: str) -> HttpResponse:
    person, shared = access.person_for_viewer(request.user, handle)
    page = profiles_selectors.profile_page(request.user, person, shared)
    return render(request, "members/profile.html", {"page": page, "profile_user": page.person})


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect_next(request, fallback)


@require_POST
@login_required
def profile_mute(request: HttpRequest, handle: str) -> HttpResponse:
    person, shared = access.person_for_viewer(request.user, handle)  # 404 unless a shared community
    if shared is None:
        raise Http404
    try:
        member_mute(user=request.user, muted_user=person)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"You won't see posts from @{person.handle} or hear about their mentions.")
    return _back(request, person.get_absolute_url())


@require_POST
@login_required
def profile_unmute(request: HttpRequest, handle: str) -> HttpResponse:
    person, _ = access.person_for_viewer(request.user, handle)
    member_unmute(user=request.user, muted_user_id=person.pk)
    messages.success(request, f"@{person.handle} is no longer muted.")
    return _back(request, person.get_absolute_url())


AVATAR_NAME = re.compile(r"[0-9]+-[0-9a-f]{16}\.png")


@require_GET
def avatar_file(request: HttpRequest, name: str) -> HttpResponse:
    """Serve an avatar in every deployment (MEDIA_ROOT is not served by whitenoise).

    Only our own re-encoded PNGs under avatars/ with random names are ever served; the URL is
    shown only where the owner's avatar visibility allows.
    """
    path = f"avatars/{name}"
    if not AVATAR_NAME.fullmatch(name) or not default_storage.exists(path):
        raise Http404
    response = FileResponse(default_storage.open(path, "rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect("settings-profile")


@require_http_methods(["GET", "POST"])
@login_required
def settings_profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    profile = profiles_selectors.profile_of(user)
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
    profile = profiles_selectors.profile_of(request.user)
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
    profile = profiles_selectors.profile_of(request.user)
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
        initial |= {f"kind_{k}": v for k, v in notifications_selectors.email_deliveries(request.user).items()}
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
            and "digest" in notifications_selectors.email_deliveries(request.user).values(),
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
    page = Paginator(profiles_selectors.muted_members(request.user), 50).get_page(request.GET.get("page"))
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
