"""The form that creates a personal access token (the person's own communities only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from communities.models import Community
from members.tokens.models import TokenScope

EXPIRY_CHOICES = [
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    ("never", "Never (revoke it yourself)"),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label="Name",
        help_text="What it's for, e.g. “newsletter sync” — you'll see it in this list.",
        error_messages={"required": "Give the token a name, so you can tell it apart later."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[TokenScope.READ],
        label="What it may do",
        help_text="Never more than you can do yourself on the pages.",
        error_messages={"required": "Choose at least one scope."},
    )
    community = forms.ChoiceField(
        required=False,
        label="Communities",
        help_text="Restricting a token to one community keeps it from reading or acting anywhere else.",
    )
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", label="Expires")

    def __init__(self, *args: Any, communities: list[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._communities = {str(c.pk): c for c in communities}
        cast(forms.ChoiceField, self.fields["community"]).choices = [("", "All my communities")] + [
            (str(c.pk), c.name) for c in communities
        ]

    def clean_community(self) -> Community | None:
        value = self.cleaned_data.get("community") or ""
        return self._communities.get(value)

    def expires_at(self) -> datetime | None:
        choice = self.cleaned_data["expires"]
        return None if choice == "never" else timezone.now() + timedelta(days=int(choice))
