"""Forms for events. They never take community, host or status from the request: those come
from the URL and the access check. Times are typed in the community's time zone."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone

from communities.discussions.services import MAX_BODY_CHARS, MAX_TITLE_CHARS
from communities.events.models import Event, EventKind
from communities.events.services import MAX_SERIES, EventFields
from communities.models import Community, Space
from communities.rituals import schedule as schedule_math
from communities.rituals.models import Ritual

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time with no zone (the form attaches the community's)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is not None and timezone.is_aware(result):
            result = timezone.make_naive(result)
        return result


def to_utc(local: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """A wall-clock time in ``tz`` as UTC, with the ritual schedule's rule for the DST gap
    (shifted forward) and the repeated hour (its first occurrence)."""
    return schedule_math.local_to_utc(local.date(), local.time(), tz)


class EventForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE_CHARS)
    kind = forms.ChoiceField(choices=EventKind.choices, initial=EventKind.MEETUP)
    starts = LocalDateTimeField(label="Starts")
    ends = LocalDateTimeField(label="Ends")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_BODY_CHARS,
        help_text="Markdown. This is also the opening post of the event's discussion thread.",
    )
    location = forms.CharField(
        max_length=200, required=False, label="Place", help_text="An address or a room."
    )
    online_url = forms.URLField(
        max_length=500,
        required=False,
        label="Online link",
        assume_scheme="https",
        help_text="A video-call link; shown to members who can see the event.",
    )
    capacity = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="Leave empty for no limit. When full, people join a waiting list.",
    )
    space = forms.ModelChoiceField(
        queryset=Space.objects.none(), label="Discussion in space", empty_label=None
    )

    def __init__(self, *args: Any, community: Community, spaces: list[Space], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        self.tz = community.tz
        space_field = cast(forms.ModelChoiceField, self.fields["space"])
        space_field.queryset = Space.objects.filter(pk__in=[s.pk for s in spaces])
        space_field.label_from_instance = lambda space: space.name  # type: ignore[method-assign,assignment]
        zone = community.time_zone
        self.fields["starts"].help_text = f"In the community's time zone ({zone})."
        self.fields["ends"].help_text = f"In the community's time zone ({zone})."

    def clean_online_url(self) -> str:
        url = self.cleaned_data.get("online_url", "")
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Use an http(s) link.")
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends:
            data["starts_at"] = to_utc(starts, self.tz)
            data["ends_at"] = to_utc(ends, self.tz)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("ends", "The end must be after the start.")
        if not (data.get("location") or "").strip() and not data.get("online_url"):
            self.add_error("location", "Give a place or an online link.")
        return data

    def event_fields(self) -> EventFields:
        d = self.cleaned_data
        return EventFields(
            title=d["title"],
            description=d["description"],
            kind=d["kind"],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            location=d.get("location") or "",
            online_url=d.get("online_url") or "",
            capacity=d.get("capacity"),
        )

    @classmethod
    def initial_for(cls, event: Event) -> dict[str, Any]:
        tz = event.tz
        return {
            "title": event.thread.title,
            "kind": event.kind,
            "starts": timezone.localtime(event.starts_at, tz).replace(tzinfo=None),
            "ends": timezone.localtime(event.ends_at, tz).replace(tzinfo=None),
            "location": event.location,
            "online_url": event.online_url,
            "capacity": event.capacity,
            "space": event.thread.space_id,
        }


class NewEventForm(EventForm):
    """Creating: optionally repeat on a ritual's schedule (the ritual scheduling code computes
    the dates; the first event's start/end give the time of day's duration)."""

    ritual = forms.ModelChoiceField(
        queryset=Ritual.objects.none(),
        required=False,
        label="Repeat on a ritual's schedule",
        empty_label="Don't repeat",
        help_text="Makes one event per upcoming date of that ritual (its time of day, this event's length).",
    )
    repeat_count = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_SERIES, initial=4, label="How many events"
    )

    def __init__(self, *args: Any, community: Community, spaces: list[Space], **kwargs: Any) -> None:
        super().__init__(*args, community=community, spaces=spaces, **kwargs)
        ritual_field = cast(forms.ModelChoiceField, self.fields["ritual"])
        ritual_field.queryset = Ritual.objects.filter(community=community, paused=False)
        if not ritual_field.queryset.exists():
            del self.fields["ritual"]
            del self.fields["repeat_count"]


class RsvpForm(forms.Form):
    status = forms.ChoiceField(choices=[("going", "Going"), ("maybe", "Maybe"), ("not_going", "Not going")])


class QuestionForm(forms.Form):
    body = forms.CharField(
        label="Your question",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="Markdown. Questions close when the AMA starts.",
    )


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Answer",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_BODY_CHARS,
        required=False,
        help_text="Posted as a reply to the question in the thread. Leave empty to only mark it answered.",
    )
