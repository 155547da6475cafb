"""Export a community's daily snapshots and retention cohorts as CSV (long format) or JSON."""

from __future__ import annotations

import csv
import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from communities.models import Community
from metrics.selectors import export_csv_lines, export_rows


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (use YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Print a community's metrics (daily snapshots and retention cohorts) as CSV or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", metavar="SLUG", required=True)
        parser.add_argument("--from", dest="start", type=_date, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=_date, metavar="YYYY-MM-DD")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: object, **options: object) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"No community with slug {options['community']!r}.")
        data = export_rows(community=community, start=options["start"], end=options["end"])
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2))
        else:
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerows(export_csv_lines(data))
