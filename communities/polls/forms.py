"""Forms of polls: the poll composer (also embedded in the thread composer) and the ballot."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from communities.polls.models import ResultsShown
from communities.polls.services import MAX_CHOICES, MAX_QUESTION_CHARS, clean_choices

PRIVACY_CHOICES = [
    ("named", "Named — everyone who can see the results sees who voted for what"),
    ("anonymous", "Anonymous — nobody, moderators included, can see who voted or how"),
]


class PollForm(forms.Form):
    """A new poll. ``closes_at`` is typed in the community's time zone (``tz``)."""

    question = forms.CharField(
        max_length=MAX_QUESTION_CHARS + 100,
        required=False,  # required only when the poll is wanted (see clean), so the composer works
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    choices = forms.CharField(
        required=False,
        label="Options",
        help_text=f"One per line, 2 to {MAX_CHOICES}.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    multiple = forms.BooleanField(required=False, label="People may pick several options")
    privacy = forms.ChoiceField(
        choices=PRIVACY_CHOICES,
        initial="named",
        required=False,
        widget=forms.RadioSelect,
        label="Who sees the votes",
    )
    results = forms.ChoiceField(
        choices=ResultsShown.choices,
        initial=ResultsShown.ON_VOTE,
        required=False,
        widget=forms.RadioSelect,
        label="Show results",
    )
    closes_at = forms.DateTimeField(
        required=False,
        label="Closes at (optional)",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter a date and time like 2026-12-24 18:00."},
    )

    def __init__(self, *args: Any, tz: zoneinfo.ZoneInfo, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.poll_required = required
        self.fields[
            "closes_at"
        ].help_text = f"In the community's time zone ({tz.key}). Empty: open until closed."

    @property
    def wanted(self) -> bool:
        """Whether the person filled in a poll (the thread composer's poll is optional)."""
        if self.poll_required:
            return True
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return bool(data.get("question") or (data.get("choices") or "").strip())

    def clean_closes_at(self) -> datetime | None:
        value = self.cleaned_data.get("closes_at")
        if value is None:
            return None
        # Django made the naive input aware in the default zone (UTC); reread it in the community's.
        naive = value.replace(tzinfo=None)
        return naive.replace(tzinfo=self.tz)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.wanted:
            if not data.get("question"):
                self.add_error("question", "Ask a question.")
            try:
                data["choice_list"] = clean_choices((data.get("choices") or "").splitlines())
            except ValidationError as exc:
                self.add_error("choices", exc)
        return data

    def poll_kwargs(self) -> dict:
        """The keyword arguments of ``services.poll_create`` this (valid) form describes."""
        data = self.cleaned_data
        return {
            "question": data["question"],
            "choices": data["choice_list"],
            "multiple": bool(data.get("multiple")),
            "anonymous": data.get("privacy") == "anonymous",
            "results": data.get("results") or ResultsShown.ON_VOTE,
            "closes_at": data.get("closes_at"),
        }
