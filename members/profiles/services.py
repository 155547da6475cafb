"""Writes about a person's profile, privacy, email preferences and muted members."""

from __future__ import annotations

import io
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from members.models import User
from members.notifications.models import DEFAULT_EMAIL_DELIVERY, NotificationPreference
from members.profiles.models import MutedMember, Profile
from members.profiles.selectors import profile_of

AVATAR_SIZE = 256
MAX_AVATAR_BYTES = 3 * 1024 * 1024
MAX_AVATAR_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own limit
AVATAR_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
MAX_LINKS = 4


def avatar_image(upload: UploadedFile) -> ContentFile:
    """Check an uploaded avatar and turn it into a 256x256 PNG (centre-cropped).

    Only JPEG, PNG, GIF and WebP up to 3 MB are accepted; the stored file is always our own
    re-encoded PNG, never the uploaded bytes (no metadata, no polyglots).
    """
    if upload.size and upload.size > MAX_AVATAR_BYTES:
        raise ValidationError(f"That image is {upload.size // 1024:,} KB; the limit is 3 MB.")
    unreadable = ValidationError(
        "That file isn't an image we can use. Upload a JPEG, PNG, GIF or WebP picture."
    )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.format not in AVATAR_FORMATS:
                raise unreadable
            if probe.width * probe.height > MAX_AVATAR_PIXELS:
                raise ValidationError("That image is too large (in pixels). Try a smaller one.")
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as img:
            img.seek(0)  # first frame of an animation
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGBA")
            img = ImageOps.fit(img, (AVATAR_SIZE, AVATAR_SIZE), method=Image.Resampling.LANCZOS)
            out = io.BytesIO()
            img.save(out, format="PNG", optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise unreadable from exc
    return ContentFile(out.getvalue())


def clean_links(raw: str) -> list[str]:
    """One URL per line, at most four, http(s) only."""

    validate = URLValidator(schemes=["http", "https"])
    links = [line.strip() for line in (raw or "").splitlines() if line.strip()]
    if len(links) > MAX_LINKS:
        raise ValidationError(f"Add at most {MAX_LINKS} links.")
    for link in links:
        if len(link) > 200:
            raise ValidationError("Links are limited to 200 characters.")
        try:
            validate(link)
        except ValidationError:
            raise ValidationError(
                f"“{link[:80]}” is not a web address starting with http:// or https://."
            ) from None
    return links


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str,
    bio: str,
    links: list[str],
    time_zone: str,
    language: str,
    avatar: UploadedFile | None = None,
    remove_avatar: bool = False,
) -> Profile:
    profile = profile_of(user)
    user.display_name = display_name.strip()
    user.time_zone = time_zone
    user.save(update_fields=["display_name", "time_zone"])
    profile.bio = bio.strip()
    profile.links = links
    profile.language = language
    old_name = profile.avatar.name if profile.avatar else ""
    if avatar is not None:
        image = avatar_image(avatar)
        profile.avatar.save(f"{user.pk}-{secrets.token_hex(8)}.png", image, save=False)
    elif remove_avatar:
        profile.avatar = ""
    profile.save()
    new_name = profile.avatar.name if profile.avatar else ""
    if old_name and old_name != new_name:
        storage = profile.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return profile


PRIVACY_FIELDS = (
    "avatar_visibility",
    "bio_visibility",
    "links_visibility",
    "time_zone_visibility",
    "last_seen_visibility",
    "share_email_in_exports",
)


@transaction.atomic
def privacy_update(*, user: User, **fields: object) -> Profile:
    profile = profile_of(user)
    for name in PRIVACY_FIELDS:
        if name in fields:
            setattr(profile, name, fields[name])
    profile.save(update_fields=[n for n in PRIVACY_FIELDS if n in fields])
    return profile


@transaction.atomic
def email_settings_update(
    *,
    user: User,
    deliveries: dict[str, str],
    digest_frequency: str,
    digest_hour: int,
    digest_weekday: int,
    digest_skip_if_active: bool,
) -> Profile:
    """Store a choice per notification kind, and the digest settings."""
    for kind, delivery in deliveries.items():
        if kind in DEFAULT_EMAIL_DELIVERY:
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"delivery": delivery}
            )
    profile = profile_of(user)
    profile.digest_frequency = digest_frequency
    profile.digest_hour = digest_hour
    profile.digest_weekday = digest_weekday
    profile.digest_skip_if_active = digest_skip_if_active
    profile.save(update_fields=["digest_frequency", "digest_hour", "digest_weekday", "digest_skip_if_active"])
    return profile


def member_mute(*, user: User, muted_user: User) -> MutedMember:
    if user.pk == muted_user.pk:
        raise ValidationError("You can't mute yourself.")
    try:
        with transaction.atomic():
            return MutedMember.objects.get_or_create(user=user, muted_user=muted_user)[0]
    except IntegrityError:
        return MutedMember.objects.get(user=user, muted_user=muted_user)


def member_unmute(*, user: User, muted_user_id: int) -> None:
    MutedMember.objects.filter(user=user, muted_user_id=muted_user_id).delete()


def last_seen_touch(*, user_id: int, now: datetime | None = None) -> None:
    """Record that the person is here (throttled by the caller)."""
    now = now or timezone.now()
    if not Profile.objects.filter(user_id=user_id).update(last_seen_at=now):
        Profile.objects.get_or_create(user_id=user_id, defaults={"last_seen_at": now})
