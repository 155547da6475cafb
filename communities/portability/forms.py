"""Forms for community import."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import validate_slug


class ImportForm(forms.Form):
    archive = forms.FileField(
        label="Archive (.zip)",
        help_text="A community archive exported from a Hearth site.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    slug = forms.CharField(
        label="Address (optional)",
        max_length=50,
        required=False,
        validators=[validate_slug],
        help_text="The new community's address, /c/<address>/. Leave empty to keep the archive's "
        "(a number is added if it is taken here).",
    )

    def clean_archive(self) -> object:
        upload = self.cleaned_data["archive"]
        limit = settings.HEARTH_IMPORT_MAX_MB * 1_000_000
        if upload.size and upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1e6:.1f} MB; "
                f"archives up to {limit / 1e6:.0f} MB can be imported."
            )
        if not (upload.name or "").lower().endswith(".zip"):
            raise forms.ValidationError("Choose the .zip file that a Hearth export produced.")
        return upload
