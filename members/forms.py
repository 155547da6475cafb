"""Forms for membership pages. They never take role, status, author or community from the request
(except the role an owner picks in the role form, checked against the allowed choices)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from members.models import Role
from members.services import INVITE_DEFAULT_DAYS
from members.submissions.forms import SubmissionKeyMixin

EXPIRY_CHOICES = [
    ("1h", "1 hour"),
    ("1d", "1 day"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("never", "Never"),
]
_EXPIRY = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


class InviteCreateForm(SubmissionKeyMixin, forms.Form):
    max_uses = forms.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        initial=1,
        label="Max uses",
        help_text="How many people can join with this link. Leave empty for no limit.",
    )
    expires_in = forms.ChoiceField(
        choices=EXPIRY_CHOICES, initial=f"{INVITE_DEFAULT_DAYS}d", label="Expires after"
    )
    note = forms.CharField(
        max_length=200, required=False, help_text="Only you and the owners see it, e.g. who it is for."
    )

    def expires_at(self) -> object:
        delta = _EXPIRY.get(self.cleaned_data["expires_in"])
        return timezone.now() + delta if delta else None


class JoinRequestForm(SubmissionKeyMixin, forms.Form):
    """One required answer per screening question of the community."""

    def __init__(self, *args: object, questions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for i, question in enumerate(self.questions):
            self.fields[f"answer_{i + 1}"] = forms.CharField(
                label=question,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": "Please answer this question."},
            )

    def answers(self) -> list[str]:
        return [self.cleaned_data[f"answer_{i + 1}"] for i in range(len(self.questions))]


class DecisionForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional. The applicant sees it.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
