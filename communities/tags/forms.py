"""Forms of tags: choosing a thread's tags (composer and the thread's tags page) and the owner's
tag list."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from communities.tags.models import Tag
from communities.tags.services import MAX_TAG_CHARS, MAX_TAGS_PER_THREAD


class ThreadTagsForm(forms.Form):
    """The thread's tags: a checkbox per community tag, plus new tags when the person may add them."""

    tags = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Tags",
        help_text=f"Up to {MAX_TAGS_PER_THREAD}.",
    )
    new_tags = forms.CharField(
        required=False,
        max_length=200,
        label="New tags",
        help_text="Comma-separated, e.g. “gardening, beginners”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, tags: list[Tag], can_add: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag_field.choices = [(str(t.pk), t.name) for t in tags]
        if not can_add:
            del self.fields["new_tags"]

    @property
    def tag_field(self) -> forms.MultipleChoiceField:
        return cast(forms.MultipleChoiceField, self.fields["tags"])

    @property
    def offers_anything(self) -> bool:
        return bool(self.tag_field.choices) or "new_tags" in self.fields

    def tag_ids(self) -> list[int]:
        return [int(v) for v in self.cleaned_data.get("tags") or []]

    def new_names(self) -> list[str]:
        raw = self.cleaned_data.get("new_tags") or ""
        return [n.strip() for n in raw.split(",") if n.strip()]


class TagForm(forms.Form):
    name = forms.CharField(max_length=MAX_TAG_CHARS + 20)
    description = forms.CharField(max_length=200, required=False)


class TagSettingsForm(forms.Form):
    members_may_add_tags = forms.BooleanField(
        required=False, label="Members may add new tags when they tag their threads"
    )
