"""Forms for community pages. They never take role, owner or community from the request."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from communities.models import Community, JoinPolicy, Visibility
from communities.services import validate_visibility_policy

MAX_QUESTIONS = 5


class DirectorySearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search communities")


class _QuestionsMixin:
    """Five optional text fields for the screening questions, stored as a list."""

    def _add_question_fields(self, initial: list[str]) -> None:
        for i in range(MAX_QUESTIONS):
            self.fields[f"question_{i + 1}"] = forms.CharField(
                required=False,
                max_length=200,
                label=f"Screening question {i + 1}",
                initial=initial[i] if i < len(initial) else "",
            )

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"question_{i + 1}"] for i in range(MAX_QUESTIONS)]

    def cleaned_questions(self) -> list[str]:
        return [
            q.strip()
            for q in (self.cleaned_data.get(f"question_{i + 1}", "") for i in range(MAX_QUESTIONS))
            if q and q.strip()
        ]


class _CommunityFields(forms.Form, _QuestionsMixin):
    name = forms.CharField(max_length=80)
    purpose = forms.CharField(
        max_length=200, help_text="One sentence, pinned at the top of every page of the community."
    )
    guidelines_md = forms.CharField(
        label="Guidelines",
        required=False,
        max_length=20_000,
        widget=forms.Textarea,
        help_text="Markdown. Shown on the community's guidelines page.",
    )
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.LISTED)
    join_policy = forms.ChoiceField(
        label="Join policy",
        choices=JoinPolicy.choices,
        initial=JoinPolicy.APPROVAL,
        help_text="A secret community is always invite-only.",
    )
    time_zone = forms.CharField(
        max_length=64,
        initial="UTC",
        help_text="An IANA time zone name such as Europe/Berlin or America/New_York. "
        "Rituals and the health dashboard use it.",
    )

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        if value not in zoneinfo.available_timezones():
            raise ValidationError(f"“{value}” is not a known time zone (use a name like Europe/Berlin).")
        return value

    def clean(self) -> dict:
        data = super().clean()
        if data.get("visibility") and data.get("join_policy"):
            try:
                validate_visibility_policy(data["visibility"], data["join_policy"])
            except ValidationError as exc:
                self.add_error("join_policy", exc)
        data["screening_questions"] = self.cleaned_questions()
        return data


class CommunityCreateForm(_CommunityFields):
    slug = forms.SlugField(
        max_length=50,
        required=False,
        help_text="The address: /c/<slug>/. Leave empty to make one from the name.",
    )
    field_order = ["name", "slug", "purpose", "guidelines_md", "visibility", "join_policy", "time_zone"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._add_question_fields([])

    def clean(self) -> dict:
        data = super().clean()
        slug = data.get("slug") or slugify(data.get("name") or "")[:50]
        if self.cleaned_data.get("name") is not None:
            if not slug:
                self.add_error("slug", "Choose an address made of letters, digits and dashes.")
            elif Community.objects.filter(slug=slug).exists():
                self.add_error("slug", f"The address /c/{slug}/ is taken. Choose another.")
        data["slug"] = slug
        return data


class CommunitySettingsForm(_CommunityFields):
    allow_member_invites = forms.BooleanField(
        required=False, label="Members may create invite links", help_text="Owners and moderators always can."
    )
    moderators_see_dashboard = forms.BooleanField(
        required=False, label="Moderators may see the health dashboard"
    )
    rejoin_cooldown_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        label="Re-apply cooldown (days)",
        help_text="How long a rejected applicant waits before applying again.",
    )
    flag_threshold = forms.IntegerField(
        min_value=1, max_value=100, help_text="Flags from different members before a post is hidden."
    )
    hold_first_posts = forms.IntegerField(
        min_value=0,
        max_value=20,
        label="Hold first posts for review",
        help_text="How many of a new member's first posts wait for a moderator (0 = none).",
    )
    transparency_log_enabled = forms.BooleanField(
        required=False, label="Members can see the transparency log of enforcement actions"
    )
    transparency_show_moderator = forms.BooleanField(
        required=False, label="Show which moderator acted in the transparency log"
    )
    members_may_add_tags = forms.BooleanField(
        required=False,
        label="Members may add new tags",
        help_text="Off: members tag threads from the list the owners keep.",
    )
    needs_reply_hours = forms.IntegerField(
        required=False,  # left out (an older form): unchanged
        min_value=1,
        max_value=720,
        label="A thread needs a reply after (hours)",
        help_text="Threads nobody but their author answered after this long show in “Needs a reply”.",
    )
    welcome_message_md = forms.CharField(
        label="Welcome message",
        required=False,
        max_length=10_000,
        widget=forms.Textarea,
        help_text="Markdown. Shown to new members when they arrive.",
    )

    def __init__(self, *args: object, community: Community, **kwargs: object) -> None:
        initial = {name: getattr(community, name) for name in self.base_fields if hasattr(community, name)}
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self._add_question_fields(list(community.screening_questions or []))

    def settings_changes(self) -> dict:
        names = [n for n in self.base_fields if not n.startswith("question_")]
        changes = {n: self.cleaned_data[n] for n in names}
        if changes.get("needs_reply_hours") is None:
            changes["needs_reply_hours"] = self.initial.get("needs_reply_hours", 24)
        changes["screening_questions"] = self.cleaned_data["screening_questions"]
        return changes


class HandOverForm(forms.Form):
    handle = forms.CharField(max_length=30, label="Handle of the member who takes over")
    keep_role = forms.ChoiceField(
        label="Your role afterwards",
        choices=[("moderator", "Moderator"), ("member", "Member")],
        initial="moderator",
    )
