"""The hidden one-time key of create forms."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django import forms

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_key() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits, 32 characters


class SubmissionKeyField(forms.CharField):
    """A hidden field holding a fresh random key each time an empty form is shown. A form that
    comes back with errors keeps the key it was sent with (the failed attempt stored nothing)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("initial", new_key)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        cleaned = str(super().clean(value) or "")
        # A missing or malformed key (an old page, a script) just means "no de-duplication".
        return cleaned if KEY_PATTERN.fullmatch(cleaned) else ""


class SubmissionKeyMixin(forms.Form):
    """Add to a create form; pass ``form.cleaned_data["submission_key"]`` to ``submit_once``."""

    submission_key = SubmissionKeyField()
