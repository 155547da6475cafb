"""The community archive format: sections, the fields each carries, limits.

The archive is a zip of a manifest and one JSONL file per section; ``writer`` writes it, ``validate``
checks one fully before anything is written, and ``load`` imports it all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import QuerySet

from communities.models import Community
from members.models import Membership, User

FORMAT_NAME = "hearth-community-archive"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
CHUNK = 1000
# A line holds one row; a post of 32,000 characters is at most ~200 KB of JSON.
MAX_LINE_BYTES = 1_000_000
MAX_ENTRIES = 64
# Entries that inflate more than this (and to more than 1 MB) are treated as compression bombs.
MAX_RATIO = 200
MAX_PROBLEMS = 50
TEXT_LIMIT = 32_000  # TextFields (post bodies, guidelines, reasons)
JSON_LIMIT = 64_000  # serialized size of a JSON field (screening questions, answers, audit data)

Progress = Callable[[int, str], None]


def _no_progress(pct: int, stage: str) -> None:
    return None


# --- Sections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    name: str
    model_label: str
    # Lookup from the model to the community, e.g. "post__community".
    scope: str
    exclude: frozenset[str] = frozenset()
    single: bool = False
    # Skipped when this site has no such model (rituals before they land), and not required in an
    # archive (one written before the section existed imports without it).
    optional: bool = False
    # Extra filters on the rows, as (lookup, value) pairs: e.g. only the ballots of named polls.
    where: tuple[tuple[str, object], ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.name}.json" if self.single else f"{self.name}.jsonl"

    def model(self) -> type[models.Model] | None:
        try:
            return apps.get_model(self.model_label)
        except LookupError:
            return None

    def queryset(self, community: Community, marks: dict[str, int] | None = None) -> QuerySet:
        model = self.model()
        if model is None:
            raise LookupError(self.model_label)
        qs = model._default_manager.filter(**{self.scope: community}, **dict(self.where)).order_by("pk")
        if marks is not None:
            qs = qs.filter(pk__lte=marks.get(self.name, 0))
        return qs


# In import order: every section refers only to sections before it (or to itself).
COMMUNITY = Section("community", "communities.Community", "pk", single=True, exclude=frozenset({"slug"}))
SECTIONS: list[Section] = [
    Section("spaces", "communities.Space", "community"),
    Section("invites", "members.Invite", "community", exclude=frozenset({"token"})),
    Section("invite_redemptions", "members.InviteRedemption", "invite__community"),
    Section("membership_events", "members.MembershipEvent", "community"),
    Section("threads", "communities.Thread", "community"),
    Section("posts", "communities.Post", "community"),
    Section("post_events", "communities.PostEvent", "post__community"),
    Section("post_revisions", "communities.PostRevision", "post__community"),
    Section("reactions", "communities.Reaction", "post__community"),
    # Reactions taken back (the metrics still count the day they were given); optional, so
    # archives written before this section existed still import.
    Section("removed_reactions", "communities.RemovedReaction", "post__community", optional=True),
    Section("flags", "moderation.Flag", "community"),
    Section("sanctions", "moderation.Sanction", "community"),
    Section("word_filters", "moderation.WordFilter", "community"),
    Section("moderation_log", "moderation.AuditLogEntry", "community"),
    Section("join_requests", "members.JoinRequest", "community"),
    Section("rituals", "communities.Ritual", "community", optional=True),
    Section("ritual_occurrences", "communities.RitualOccurrence", "ritual__community", optional=True),
    # Events (reminder claims are this site's job state: the importing site reminds afresh).
    Section(
        "events", "communities.Event", "community", exclude=frozenset({"reminded_24h_at", "reminded_1h_at"})
    ),
    Section("rsvps", "communities.Rsvp", "event__community"),
    Section("ama_questions", "communities.AmaQuestion", "event__community"),
    Section("ama_votes", "communities.AmaVote", "question__event__community"),
    # Tags, polls and highlights (optional: archives written before them still import).
    Section("tags", "communities.Tag", "community", optional=True),
    Section("thread_tags", "communities.ThreadTag", "thread__community", optional=True),
    Section("polls", "communities.Poll", "community", optional=True),
    Section("poll_choices", "communities.PollChoice", "poll__community", optional=True),
    # Who voted for what travels for named polls only; an anonymous poll travels as its counts
    # (Poll.voter_count, PollChoice.vote_count), never as ballots (see docs/polls.md).
    Section(
        "poll_ballots",
        "communities.PollBallot",
        "poll__community",
        optional=True,
        where=(("poll__anonymous", False),),
    ),
    Section(
        "poll_votes",
        "communities.PollVote",
        "ballot__poll__community",
        optional=True,
        where=(("ballot__poll__anonymous", False),),
    ),
    Section("highlights", "communities.Highlight", "community", optional=True),
]
MEMBERS_FILE = "members.jsonl"
USER_FIELDS = ("handle", "display_name", "is_bot", "is_active", "date_joined", "time_zone")

_TARGETS = {
    "members.User": "members",
    "communities.Space": "spaces",
    "communities.Thread": "threads",
    "communities.Post": "posts",
    "members.Invite": "invites",
    "communities.Ritual": "rituals",
    "communities.RitualOccurrence": "ritual_occurrences",
    "communities.Event": "events",
    "communities.AmaQuestion": "ama_questions",
    "communities.Tag": "tags",
    "communities.Poll": "polls",
    "communities.PollChoice": "poll_choices",
    "communities.PollBallot": "poll_ballots",
}


def active_sections() -> list[Section]:
    return [s for s in SECTIONS if s.model() is not None]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    attname: str
    kind: str  # str, slug, text, bool, int, dt, date, time, json, ref
    null: bool
    blank: bool
    required: bool  # no default: an archive row must carry it
    max_length: int | None = None
    choices: frozenset[str] | None = None
    target: str | None = None
    positive: bool = False


def field_specs(model: type[models.Model], exclude: frozenset[str] = frozenset()) -> list[FieldSpec]:
    """The archive fields of a model, derived from the model itself."""
    names = {f.name for f in model._meta.concrete_fields}
    specs = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in exclude:
            continue
        if f.name.endswith("_html") and f.name[:-5] + "_md" in names:
            continue  # derived: rendered again from the Markdown source
        required = not (f.has_default() or f.null or f.blank)
        common = {
            "name": f.name,
            "attname": f.attname,
            "null": f.null,
            "blank": f.blank,
            "required": required,
        }
        if f.is_relation:
            label = f.related_model._meta.label
            if label in {"communities.Community", "members.Membership"}:
                continue  # implied by the archive / resolved from the row's user
            target = _TARGETS.get(label)
            if target is None:
                continue
            specs.append(FieldSpec(kind="ref", target=target, **common))
        elif isinstance(f, models.BooleanField):
            specs.append(FieldSpec(kind="bool", **common))
        elif isinstance(f, models.IntegerField):
            positive = isinstance(f, models.PositiveIntegerField | models.PositiveSmallIntegerField)
            specs.append(FieldSpec(kind="int", positive=positive, **common))
        elif isinstance(f, models.DateTimeField):
            specs.append(FieldSpec(kind="dt", **common))
        elif isinstance(f, models.DateField):
            specs.append(FieldSpec(kind="date", **common))
        elif isinstance(f, models.TimeField):
            specs.append(FieldSpec(kind="time", **common))
        elif isinstance(f, models.JSONField):
            specs.append(FieldSpec(kind="json", **common))
        elif isinstance(f, models.TextField):
            limit = f.max_length or TEXT_LIMIT
            specs.append(FieldSpec(kind="text", max_length=limit, **common))
        elif isinstance(f, models.CharField):
            choices = frozenset(str(c[0]) for c in f.choices) if f.choices else None
            kind = "slug" if isinstance(f, models.SlugField) else "str"
            specs.append(FieldSpec(kind=kind, max_length=f.max_length, choices=choices, **common))
    return specs


def _membership_specs() -> list[FieldSpec]:
    return field_specs(Membership, frozenset({"user"}))


def _user_specs() -> list[FieldSpec]:
    return [s for s in field_specs(User) if s.name in USER_FIELDS]
