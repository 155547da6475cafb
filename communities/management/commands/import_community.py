"""Import a community archive (as exported by a Hearth site) into a new community."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from communities.portability.load import import_archive
from communities.portability.services import claims_for_community
from communities.portability.validate import ArchiveProblems, open_archive, validate_archive
from members.models import User


class Command(BaseCommand):
    help = (
        "Validate a community archive completely and import it into a new community (all or "
        "nothing). Members are matched by verified email when the archive has it; the others get "
        "placeholder accounts with claim links."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="Path to the .zip archive")
        parser.add_argument(
            "--slug", default="", help="Address for the new community (default: the archive's)"
        )
        parser.add_argument(
            "--owner",
            default="",
            help="Handle of an account here that takes the place of the archive's owner",
        )
        parser.add_argument(
            "--claims-csv", default="", help="Write the placeholder claim links to this CSV file"
        )
        parser.add_argument("--check", action="store_true", help="Only validate; change nothing")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["archive"]))
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        owner = None
        if options["owner"]:
            owner = User.objects.filter(handle__iexact=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No account with the handle {options['owner']!r}.")
        last = [-10]
        started = time.monotonic()

        def progress(pct: int, stage: str) -> None:
            if pct >= last[0] + 5 or pct == 100:
                last[0] = pct
                self.stdout.write(f"{pct:3d}%  {stage}  ({time.monotonic() - started:.1f}s)")

        try:
            if options["check"]:
                with open_archive(path) as zf:
                    _manifest, index = validate_archive(zf, progress=progress)
                self.stdout.write(self.style.SUCCESS(f"The archive is valid: {index.counts}"))
                return
            result = import_archive(path, slug=str(options["slug"]), owner=owner, progress=progress)
        except ArchiveProblems as exc:
            self.stderr.write("The archive was refused; nothing was changed:")
            for problem in exc.problems:
                self.stderr.write(f"  - {problem}")
            raise CommandError(f"{len(exc.problems)} problem(s) in {path.name}") from None
        community = result.community
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {community.name!r} as /c/{community.slug}/ in {time.monotonic() - started:.1f}s: "
                + ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
            )
        )
        self.stdout.write(
            f"{result.matched} people matched to accounts here, {result.placeholders} placeholders."
        )
        if options["claims_csv"]:
            with open(str(options["claims_csv"]), "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["handle", "display_name", "claim_link"])
                for claim in claims_for_community(community).iterator():
                    writer.writerow(
                        [
                            claim.user.handle,
                            claim.user.display_name,
                            settings.SITE_URL + claim.get_absolute_url(),
                        ]
                    )
            self.stdout.write(f"Claim links written to {options['claims_csv']}.")
        elif result.claims:
            self.stdout.write(
                f"{result.claims} claim links: see /c/{community.slug}/claims/ or use --claims-csv."
            )
