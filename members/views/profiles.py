"""Member profiles: seen only by the person and by people who share a community with them."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from members import access, selectors
from members.services_profile import member_mute, member_unmute


@require_GET
def profile(request: HttpRequest, handle: str) -> HttpResponse:
    person, shared = access.person_for_viewer(request.user, handle)
    page = selectors.profile_page(request.user, person, shared)
    return render(request, "members/profile.html", {"page": page, "profile_user": page.person})


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


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
