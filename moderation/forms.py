"""Moderation forms. None takes a role, status, author or community from the request."""

from __future__ import annotations

from django import forms

from communities.models import Community
from members.submissions.forms import SubmissionKeyMixin
from moderation.models import AuditAction, CommunityLimits, FlagReason, WordFilterAction
from moderation.sanctions import MAX_MUTE_DAYS

SANCTION_CHOICES = [
    ("", "No sanction"),
    ("warn", "Warn the author"),
    ("mute", "Mute the author"),
    ("ban", "Ban the author"),
]


class FlagForm(SubmissionKeyMixin, forms.Form):
    reason = forms.ChoiceField(choices=FlagReason.choices, widget=forms.RadioSelect, label="What's wrong?")
    note = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note for the moderators",
        help_text="Optional, unless you chose “Other”. Only moderators see it.",
    )


class _ReasonMixin(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        required=False,
        label="Reason",
        help_text="Optional. The person sees it.",
        widget=forms.TextInput(attrs={"placeholder": "Reason (optional, shown to the person)"}),
    )


class _SanctionMixin(forms.Form):
    sanction = forms.ChoiceField(choices=SANCTION_CHOICES, required=False, label="Also")
    mute_days = forms.IntegerField(
        min_value=1, max_value=MAX_MUTE_DAYS, initial=1, required=False, label="days"
    )


class FlagResolveForm(_ReasonMixin, _SanctionMixin):
    action = forms.ChoiceField(choices=[("keep", "Keep"), ("hide", "Hide"), ("delete", "Delete")])


class HeldDecisionForm(_ReasonMixin, _SanctionMixin):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])


class JoinDecisionForm(_ReasonMixin):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])


class PostModerationForm(_ReasonMixin):
    action = forms.ChoiceField(choices=[("hide", "Hide"), ("restore", "Restore"), ("delete", "Delete")])


class SanctionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("warn", "Warn"), ("mute", "Mute"), ("unmute", "Unmute"), ("ban", "Ban"), ("unban", "Unban")]
    )
    reason = forms.CharField(
        max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Reason / message"
    )
    mute_days = forms.IntegerField(
        min_value=1, max_value=MAX_MUTE_DAYS, initial=1, required=False, label="Days"
    )


class WordFilterForm(forms.Form):
    phrase = forms.CharField(max_length=100, label="Word or phrase")
    action = forms.ChoiceField(choices=WordFilterAction.choices, initial=WordFilterAction.HOLD)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", "Any action"), *AuditAction.choices], required=False)
    actor = forms.CharField(max_length=30, required=False, label="Moderator (handle)")
    target = forms.CharField(max_length=30, required=False, label="Member (handle)")


class CommunityModerationForm(forms.ModelForm):
    class Meta:
        model = Community
        fields = [
            "flag_threshold",
            "hold_first_posts",
            "transparency_log_enabled",
            "transparency_show_moderator",
        ]
        labels = {
            "flag_threshold": "Flags that hide a post until review",
            "hold_first_posts": "Hold a new member's first posts for review (0 = off)",
            "transparency_log_enabled": "Members can see the transparency log",
            "transparency_show_moderator": "Show which moderator acted in the transparency log",
        }


class LimitsForm(forms.ModelForm):
    class Meta:
        model = CommunityLimits
        fields = [
            "post_interval_seconds",
            "thread_interval_seconds",
            "new_member_post_interval_seconds",
            "new_member_thread_interval_seconds",
            "threads_per_day",
            "threads_first_day",
            "new_member_days",
        ]
        labels = {
            "post_interval_seconds": "Seconds between replies",
            "thread_interval_seconds": "Seconds between new threads",
            "new_member_post_interval_seconds": "Seconds between replies (new members)",
            "new_member_thread_interval_seconds": "Seconds between new threads (new members)",
            "threads_per_day": "New threads a day",
            "threads_first_day": "New threads on a member's first day",
            "new_member_days": "Members count as new for (days)",
        }

    def clean(self) -> dict:
        data = super().clean()
        for name in ("threads_per_day", "threads_first_day"):
            if data.get(name) is not None and not 1 <= data[name] <= 1000:
                self.add_error(name, "Use a number from 1 to 1000.")
        for name in self.Meta.fields:
            if data.get(name) is not None and data[name] > 86400:
                self.add_error(name, "That is more than a day.")
        return data
