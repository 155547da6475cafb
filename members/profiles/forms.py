"""Forms for the profile, privacy, email settings and muted-members pages."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django import forms
from django.core.exceptions import ValidationError

from config.inputs import clean_line
from members.notifications.models import DEFAULT_EMAIL_DELIVERY, EmailDelivery, Notification
from members.profiles.models import DigestFrequency, FieldVisibility, Weekday
from members.profiles.services import avatar_image, clean_links


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in names]


# Languages offered for emails and dates (Django ships translations for these).
LANGUAGE_CHOICES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
    ("pl", "Polski"),
    ("sv", "Svenska"),
]


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=80, required=False, help_text="Shown next to your posts. Leave empty to use your handle."
    )
    bio = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A few words about you (plain text, up to 1,000 characters).",
    )
    links = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Up to four web addresses, one per line (http:// or https://).",
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices, help_text="Times in emails use it.")
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, help_text="Used for dates in emails.")
    avatar = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        help_text="JPEG, PNG, GIF or WebP, up to 3 MB. It is cropped to a square.",
    )
    remove_avatar = forms.BooleanField(required=False, label="Remove my picture (use my initials)")

    def clean_display_name(self) -> str:
        # Bidi overrides and zero-width characters would let a name read as someone else's.
        value = clean_line(self.cleaned_data["display_name"], what="The name")
        if any(ch in value for ch in "<>") or any(ord(ch) < 32 for ch in value):
            raise ValidationError("Use letters, digits, spaces and ordinary punctuation.")
        return value

    def clean_links(self) -> list[str]:
        return clean_links(self.cleaned_data.get("links", ""))

    def clean_avatar(self) -> object:
        upload = self.cleaned_data.get("avatar")
        if upload:
            avatar_image(upload)  # validates; the service re-encodes when saving
            upload.seek(0)
        return upload


class PrivacyForm(forms.Form):
    avatar_visibility = forms.ChoiceField(
        choices=FieldVisibility.choices, widget=forms.RadioSelect, label="Who sees my picture"
    )
    bio_visibility = forms.ChoiceField(
        choices=FieldVisibility.choices, widget=forms.RadioSelect, label="Who sees my bio"
    )
    links_visibility = forms.ChoiceField(
        choices=FieldVisibility.choices, widget=forms.RadioSelect, label="Who sees my links"
    )
    time_zone_visibility = forms.ChoiceField(
        choices=FieldVisibility.choices, widget=forms.RadioSelect, label="Who sees my time zone"
    )
    last_seen_visibility = forms.ChoiceField(
        choices=FieldVisibility.choices,
        widget=forms.RadioSelect,
        label="Who sees when I am online or was last seen",
    )
    share_email_in_exports = forms.BooleanField(
        required=False,
        label="Include my email address when a community owner exports the member list",
    )


DELIVERY_KINDS = list(DEFAULT_EMAIL_DELIVERY)


class EmailSettingsForm(forms.Form):
    digest_frequency = forms.ChoiceField(choices=DigestFrequency.choices, widget=forms.RadioSelect)
    digest_weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int, label="Weekly digest day")
    digest_hour = forms.TypedChoiceField(
        choices=[(h, f"{h:02d}:00") for h in range(24)], coerce=int, label="At (your local time)"
    )
    digest_skip_if_active = forms.BooleanField(
        required=False, label="Skip the digest when I have visited since the last one"
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for kind in DELIVERY_KINDS:
            self.fields[f"kind_{kind}"] = forms.ChoiceField(
                choices=EmailDelivery.choices,
                widget=forms.RadioSelect,
                label=Notification.Kind(kind).label,
            )

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[f"kind_{kind}"] for kind in DELIVERY_KINDS]

    def deliveries(self) -> dict[str, str]:
        return {kind: self.cleaned_data[f"kind_{kind}"] for kind in DELIVERY_KINDS}


class MuteForm(forms.Form):
    handle = forms.CharField(max_length=31, label="Mute a member by handle", help_text="For example @sam")

    def clean_handle(self) -> str:
        return self.cleaned_data["handle"].strip().lstrip("@")
