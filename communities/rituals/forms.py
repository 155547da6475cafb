"""Forms for rituals and onboarding. They never take community, author or status from the
request: those come from the URL and the access check."""

from __future__ import annotations

import datetime as dt

from django import forms

from communities.discussions.services import MAX_BODY_CHARS
from communities.models import Community, Space
from communities.rituals.models import Ritual, RitualFrequency, RitualKind, SpotlightMode
from communities.rituals.prompts import Prompt
from communities.rituals.services import unknown_placeholders
from members.models import Membership, MembershipStatus


class RitualForm(forms.ModelForm):
    spotlight_handle = forms.CharField(
        label="Member to feature (handle)",
        required=False,
        max_length=30,
        help_text="Only for “A member I choose”. Without it, spotlights rotate.",
    )

    class Meta:
        model = Ritual
        fields = [
            "kind",
            "space",
            "title_template",
            "body_template",
            "frequency",
            "weekday",
            "interval_weeks",
            "nth_week",
            "day_of_month",
            "local_time",
            "starts_on",
            "lock_after_days",
            "pin_current",
            "author_mode",
            "spotlight_mode",
        ]
        labels = {
            "kind": "Kind",
            "space": "Post in space",
            "title_template": "Thread title",
            "body_template": "Opening post",
            "interval_weeks": "Every N weeks",
            "nth_week": "Which week of the month",
            "day_of_month": "Day of the month",
            "local_time": "Time (community time zone)",
            "starts_on": "Starting on",
            "lock_after_days": "Lock each thread after (days)",
            "pin_current": "Pin the current thread (and unpin the previous one)",
            "author_mode": "Posted by",
            "spotlight_mode": "Spotlight",
        }
        help_texts = {
            "title_template": "Placeholders: {date} {week} {community} {member}.",
            "body_template": "Markdown. Same placeholders; {member} becomes an @mention.",
            "interval_weeks": "1 = every week, 2 = every other week…",
            "day_of_month": "Days past the end of a month (e.g. 31) fall on its last day.",
            "lock_after_days": "Leave empty to keep threads open.",
        }
        widgets = {
            "local_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "body_template": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args: object, community: Community, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        self.fields["space"].queryset = Space.objects.filter(community=community).order_by("position", "id")
        self.fields["space"].empty_label = None
        self.fields["space"].label_from_instance = lambda space: space.name
        self.fields["body_template"].max_length = MAX_BODY_CHARS
        if self.instance.pk and self.instance.spotlight_user_id and not self.is_bound:
            self.initial["spotlight_handle"] = self.instance.spotlight_user.handle

    def clean(self) -> dict:
        data = super().clean()
        for field in ("title_template", "body_template"):
            bad = unknown_placeholders(data.get(field) or "")
            if bad:
                self.add_error(
                    field,
                    "Unknown placeholder(s): "
                    + ", ".join("{" + b + "}" for b in bad)
                    + ". Use {date}, {week}, {community} or {member}.",
                )
        handle = (data.get("spotlight_handle") or "").strip().lstrip("@")
        self.spotlight_user = None
        if data.get("kind") == RitualKind.SPOTLIGHT and data.get("spotlight_mode") == SpotlightMode.CHOSEN:
            if not handle:
                self.add_error("spotlight_handle", "Name the member to feature, or choose rotating.")
            else:
                found = (
                    Membership.objects.filter(
                        community=self.community,
                        status=MembershipStatus.ACTIVE,
                        user__handle__iexact=handle,
                        user__is_bot=False,
                    )
                    .select_related("user")
                    .first()
                )
                if found is None:
                    self.add_error("spotlight_handle", f"No member @{handle} in this community.")
                else:
                    self.spotlight_user = found.user
        if data.get("frequency") == RitualFrequency.WEEKLY and not data.get("interval_weeks"):
            self.add_error("interval_weeks", "Give the number of weeks between threads.")
        return data

    def ritual_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        fields["interval_weeks"] = fields["interval_weeks"] or 1
        fields["spotlight_user"] = self.spotlight_user
        return fields


def initial_from_prompt(prompt: Prompt) -> dict:

    return {
        "kind": prompt.kind,
        "title_template": prompt.title,
        "body_template": prompt.body,
        "frequency": prompt.frequency,
        "weekday": prompt.weekday,
        "nth_week": prompt.nth_week,
        "day_of_month": prompt.day_of_month,
        "local_time": dt.time(prompt.hour, 0),
        "lock_after_days": prompt.lock_after_days,
        "interval_weeks": 1,
        "pin_current": True,
    }
