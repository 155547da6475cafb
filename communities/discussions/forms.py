"""Forms of the discussions area: composer, edit, spaces, moving threads, search.

Forms never take author, community, status or role from the request: those come from the
access check and the services.
"""

from __future__ import annotations

from django import forms

from communities.discussions.services import MAX_TITLE_CHARS
from communities.models import Space
from members.models import Role
from members.submissions.forms import SubmissionKeyMixin

BODY_HELP = "Markdown: **bold**, _italic_, `code`, > quote, lists, links, @handle to mention someone."


class BodyField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", "Message")
        kwargs.setdefault("help_text", BODY_HELP)
        # No maxlength: a browser would silently cut a longer paste. The service explains the
        # limit with the count and the form keeps the whole text to trim.
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8, "class": "composer-body"}))
        kwargs.setdefault("strip", False)
        kwargs.setdefault("error_messages", {"required": "Write something before posting."})
        super().__init__(**kwargs)


class ReplyForm(SubmissionKeyMixin, forms.Form):
    body = BodyField(label="Your reply")
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ThreadForm(SubmissionKeyMixin, forms.Form):
    title = forms.CharField(
        max_length=MAX_TITLE_CHARS + 100,
        error_messages={"required": "Give the thread a title."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    space = forms.ModelChoiceField(queryset=Space.objects.none(), empty_label=None)
    body = BodyField()

    def __init__(self, *args: object, spaces: list[Space], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = Space.objects.filter(pk__in=[s.pk for s in spaces])
        self.fields["space"].choices = [(s.pk, s.name) for s in spaces]


class PostEditForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE_CHARS + 100, required=False)
    body = BodyField()

    def __init__(self, *args: object, is_opening: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not is_opening:
            del self.fields["title"]
        else:
            self.fields["title"].required = True
            self.fields["title"].error_messages["required"] = "Give the thread a title."


MIN_ROLE_CHOICES = [
    ("", "Every member"),
    (Role.WELCOMER.value, "Welcomers, topic leads and staff"),
    (Role.MODERATOR.value, "Moderators and owners only"),
    (Role.OWNER.value, "Owners only"),
]


class SpaceForm(forms.Form):
    name = forms.CharField(max_length=60)
    description = forms.CharField(max_length=200, required=False)
    position = forms.IntegerField(min_value=0, max_value=10_000, initial=0, help_text="Lower comes first.")
    min_role = forms.ChoiceField(
        choices=MIN_ROLE_CHOICES,
        required=False,
        label="Who can see it",
        help_text="Members below this role don't see the space or anything in it.",
    )


class MoveThreadForm(forms.Form):
    space = forms.ModelChoiceField(queryset=Space.objects.none(), empty_label=None, label="Move to")

    def __init__(self, *args: object, spaces: list[Space], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = Space.objects.filter(pk__in=[s.pk for s in spaces])
