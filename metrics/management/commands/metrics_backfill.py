"""Recompute daily snapshots (and the cohort table) for one community or all, with progress."""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from communities.models import Community
from metrics.services import metrics_compute_range


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (use YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Recompute metrics snapshots for a date range (default: from creation to yesterday)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", metavar="SLUG", help="Only this community (default: all).")
        parser.add_argument("--from", dest="start", type=_date, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=_date, metavar="YYYY-MM-DD")

    def handle(self, *args: object, **options: object) -> None:
        start, end = options["start"], options["end"]
        if start and end and end < start:
            raise CommandError("--to is before --from.")
        communities = Community.objects.order_by("slug")
        if options["community"]:
            communities = communities.filter(slug=options["community"])
            if not communities.exists():
                raise CommandError(f"No community with slug {options['community']!r}.")
        for community in communities:
            self.stdout.write(f"{community.slug} ({community.time_zone})")
            began = time.monotonic()
            shown = [0.0]

            def progress(done: int, total: int, day: date, began: float = began, shown: list = shown) -> None:
                now = time.monotonic()
                if done < total and now - shown[0] < 0.2:
                    return
                shown[0] = now
                elapsed = now - began
                eta = elapsed / done * (total - done)
                width = 30
                filled = int(width * done / total)
                bar = "#" * filled + "-" * (width - filled)
                self.stdout.write(
                    f"\r  [{bar}] {done}/{total} days  {day}  elapsed {elapsed:.0f}s  ETA {eta:.0f}s",
                    ending="",
                )
                self.stdout.flush()

            days = metrics_compute_range(community_id=community.pk, start=start, end=end, progress=progress)
            if days:
                self.stdout.write("")
            self.stdout.write(
                self.style.SUCCESS(f"  {days} days computed in {time.monotonic() - began:.1f}s")
                if days
                else "  nothing to compute in that range"
            )
