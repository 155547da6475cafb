"""Demo data for profiles and email settings: bios, links and a few privacy choices.

``seed(stdout)`` is idempotent: it works on whatever people the base demo created (ordered by
handle, bots and staff-only accounts skipped) and writes the same values on every run.
"""

from __future__ import annotations

from typing import TextIO

from members.models import User
from members.notifications.models import EmailDelivery, Notification, NotificationPreference
from members.profiles.models import DigestFrequency, FieldVisibility, Profile

DEMO_PROFILES = [
    {
        "bio": "Allotment gardener, amateur beekeeper. Ask me about tomatoes.",
        "links": ["https://example.org/allotment-diary"],
        "time_zone": "Europe/London",
        "privacy": {"time_zone_visibility": FieldVisibility.MEMBERS},
        "digest": (DigestFrequency.WEEKLY, 8, 0),
    },
    {
        "bio": "Weekend woodworker. I mostly lurk and read, but I love the weekly wins thread.",
        "links": [],
        "time_zone": "America/New_York",
        "privacy": {"last_seen_visibility": FieldVisibility.NOBODY},
        "digest": (DigestFrequency.DAILY, 7, 0),
    },
    {
        "bio": "Nurse on night shifts, so I'm around at odd hours.",
        "links": ["https://example.com/~nightowl"],
        "time_zone": "Australia/Sydney",
        "privacy": {"bio_visibility": FieldVisibility.MEMBERS, "links_visibility": FieldVisibility.NOBODY},
        "digest": (DigestFrequency.WEEKLY, 18, 5),
        "mentions": EmailDelivery.DIGEST,
    },
    {
        "bio": "Runs the local repair café. Happy to help fix things.",
        "links": ["https://example.net/repair-cafe", "https://example.net/blog"],
        "time_zone": "Europe/Berlin",
        "privacy": {"time_zone_visibility": FieldVisibility.MEMBERS},
        "digest": (DigestFrequency.OFF, 8, 0),
    },
    {
        "bio": "New here! Learning to bake sourdough.",
        "links": [],
        "time_zone": "Asia/Tokyo",
        "privacy": {
            "avatar_visibility": FieldVisibility.NOBODY,
            "last_seen_visibility": FieldVisibility.NOBODY,
        },
        "digest": (DigestFrequency.WEEKLY, 9, 0),
    },
]


def seed(stdout: TextIO) -> None:
    people = list(User.objects.filter(is_bot=False, is_active=True).order_by("handle")[: len(DEMO_PROFILES)])
    for person, demo in zip(people, DEMO_PROFILES, strict=False):
        profile, _ = Profile.objects.get_or_create(user=person)
        profile.bio = demo["bio"]
        profile.links = demo["links"]
        for name, value in demo["privacy"].items():
            setattr(profile, name, value)
        profile.digest_frequency, profile.digest_hour, profile.digest_weekday = demo["digest"]
        profile.save()
        if person.time_zone != demo["time_zone"]:
            person.time_zone = demo["time_zone"]
            person.save(update_fields=["time_zone"])
        if "mentions" in demo:
            NotificationPreference.objects.update_or_create(
                user=person, kind=Notification.Kind.MENTION, defaults={"delivery": demo["mentions"]}
            )
    stdout.write(f"Profiles: {len(people)} demo profiles with bios, links, privacy and digest settings.\n")
