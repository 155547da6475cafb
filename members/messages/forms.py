"""Message forms. None takes a sender, a conversation or a community id the person may not
choose: those come from the access functions; choices are filled from what they may pick."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms

from members.messages.models import CommunityMessaging, WhoMayMessage
from members.messages.services import MAX_BODY_CHARS, MAX_PARTICIPANTS, MAX_SUBJECT_CHARS
from moderation.models import FlagReason

BODY_HELP = "Markdown works: **bold**, _italic_, `code`, links, lists."


def _body_field(label: str = "Message") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_BODY_CHARS,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_BODY_CHARS}),
        strip=True,
        error_messages={"required": "Write a message first."},
    )


class NewConversationForm(forms.Form):
    to = forms.CharField(
        label="To",
        max_length=400,
        help_text=f"Handles, separated by spaces or commas (up to {MAX_PARTICIPANTS - 1} people).",
        error_messages={"required": "Choose who to write to."},
    )
    community = forms.ChoiceField(
        label="In the context of",
        help_text="A community you all share: its rules apply, and you can report to its moderators.",
    )
    subject = forms.CharField(label="Subject (optional)", max_length=MAX_SUBJECT_CHARS, required=False)
    body = _body_field()

    def __init__(self, *args: Any, communities: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["community"]).choices = [
            (c.slug, c.name) for c in communities or []
        ]

    def clean_to(self) -> list[str]:
        handles = [h.lstrip("@") for h in re.split(r"[\s,]+", self.cleaned_data["to"]) if h.strip("@ ")]
        seen: list[str] = []
        for h in handles:
            if not re.fullmatch(r"[A-Za-z0-9_]{3,30}", h):
                raise forms.ValidationError(f"“{h}” is not a handle.")
            if h.lower() not in [s.lower() for s in seen]:
                seen.append(h)
        if not seen:
            raise forms.ValidationError("Choose who to write to.")
        if len(seen) > MAX_PARTICIPANTS - 1:
            raise forms.ValidationError(
                f"A conversation has at most {MAX_PARTICIPANTS} people, you included."
            )
        return seen


class MessageForm(forms.Form):
    body = _body_field("Your message")


class ReportForm(forms.Form):
    community = forms.ChoiceField(
        label="Report to the moderators of",
        help_text="They see this message and the ones you tick below, nothing else of the conversation.",
    )
    reason = forms.ChoiceField(label="Reason", choices=FlagReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Anything the moderators should know (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )
    include = forms.MultipleChoiceField(
        label="Also show them these messages", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self, *args: Any, communities: list | None = None, context: list | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["community"]).choices = [
            (str(c.pk), c.name) for c in communities or []
        ]
        cast(forms.ChoiceField, self.fields["include"]).choices = [
            (str(m.pk), str(m.pk)) for m in context or []
        ]


class PreferenceForm(forms.Form):
    who_may_message = forms.ChoiceField(
        label="Who may start a conversation with me", choices=WhoMayMessage.choices, widget=forms.RadioSelect
    )


class CommunityMessagingForm(forms.ModelForm):
    class Meta:
        model = CommunityMessaging
        fields = [
            "members_may_message",
            "welcome_template_md",
            "newcomer_days",
            "newcomer_daily_cap",
            "daily_cap",
        ]
        labels = {
            "members_may_message": "Members may message each other",
            "welcome_template_md": "Welcome message template",
            "newcomer_days": "Days before newcomers can message other members",
            "newcomer_daily_cap": "New conversations a day in a member's first 30 days",
            "daily_cap": "New conversations a day after that",
        }
        help_texts = {
            "members_may_message": "Off: only conversations with a moderator or owner in them.",
            "welcome_template_md": "Prefilled when a welcomer greets someone from the newcomers page. "
            "{name} and {community} are replaced; the welcomer can edit it before sending.",
            "newcomer_days": "Until then they can write to moderators and owners, and answer anyone.",
            "newcomer_daily_cap": "Replies are never limited; moderators and owners aren't either.",
            "daily_cap": "A brake on mass messaging.",
        }
        widgets = {"welcome_template_md": forms.Textarea(attrs={"rows": 4})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, top in (("newcomer_days", 90), ("newcomer_daily_cap", 100), ("daily_cap", 500)):
            value = data.get(name)
            if value is not None and value > top:
                self.add_error(name, f"At most {top}.")
        for name in ("newcomer_daily_cap", "daily_cap"):
            if data.get(name) == 0:
                self.add_error(name, "At least 1 (switch member messages off instead).")
        return data


class ModNoteForm(forms.Form):
    subject = forms.CharField(label="Subject (optional)", max_length=MAX_SUBJECT_CHARS, required=False)
    body = _body_field("Note")


class ReportResolveForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("dismiss", "Dismiss"), ("warn", "Warn"), ("mute", "Mute"), ("ban", "Ban")]
    )
    reason = forms.CharField(max_length=1000, required=False)
    mute_days = forms.IntegerField(min_value=1, max_value=365, required=False)
