"""The owner's welcome-message form."""

from __future__ import annotations

from django import forms


class WelcomeMessageForm(forms.Form):
    welcome_message_md = forms.CharField(
        label="Welcome message",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown. Newcomers see it on the “Start here” page their welcome notification links to.",
    )
