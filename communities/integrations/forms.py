"""Forms of the webhook pages (the owner never sets community, secret or counters here)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from communities.integrations import events
from communities.integrations.egress import MAX_URL_LENGTH


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Payload URL",
        max_length=MAX_URL_LENGTH,
        help_text="Hearth POSTs JSON here. It must be a public http(s) address; redirects are not followed.",
        widget=forms.URLInput(
            attrs={"placeholder": "https://example.org/hearth-hook", "autocomplete": "off"}
        ),
    )
    description = forms.CharField(
        label="Description", max_length=100, required=False, help_text="Optional: what this hook feeds."
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )

    def __init__(self, *args: Any, with_active: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at form time: other rooms may add event kinds when the app starts.
        chosen = cast(forms.MultipleChoiceField, self.fields["events"])
        chosen.choices = [(name, f"{label} ({name})") for name, label in events.EVENT_CHOICES]
        if with_active:
            self.fields["is_active"] = forms.BooleanField(
                label="Active", required=False, help_text="Turned-off webhooks receive nothing."
            )
