"""``opensro publish``: release the public figures of a school year (R-E3).

Run it on a schedule (e.g. nightly from cron or a systemd timer); each run stores a new
immutable release, protected together with the year's earlier releases.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opensro.core.context import request_context
from opensro.core.imports import validation_messages
from opensro.directory.models import SchoolYear
from opensro.transparency import services
from opensro.transparency.suppression import SuppressionError


class Command(BaseCommand):
    help = (
        "Publish the public figures (portal pages and open-data files) of a school year "
        "from the live records, with small-cell and complementary suppression. By default "
        "the current school year and every scope (agency programs, districts, schools)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", help="school year code, like 2025-26 (default: current)")
        parser.add_argument("--all-years", action="store_true",
                            help="publish every school year that has started")
        parser.add_argument(
            "--scope", action="append", default=[],
            help="only these scopes: agency, district, school, or kind:id "
                 "(e.g. district:3); repeat or separate with commas. Default: all")
        parser.add_argument("--force", action="store_true",
                            help="publish even if no figure changed since the last release")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all_years"] and options.get("year"):
            raise CommandError("Give either --year or --all-years, not both.")
        try:
            if options["all_years"]:
                years: list[Any] = list(SchoolYear.objects.order_by("start_date"))
            else:
                years = [services.resolve_year(options.get("year"))]
            for year in years:
                with request_context():
                    run = services.publish(None, year, options["scope"],
                                           force=options["force"])
                if run is None:
                    self.stdout.write(f"{year.code}: no figure changed since the last "
                                      "release; nothing published.")
                    continue
                s = run.summary
                self.stdout.write(
                    f"Published {year.code}: {len(run.scopes)} scope(s), {s['cells']} cells, "
                    f"{s['suppressed_small']} suppressed (fewer than {run.min_cell_size}), "
                    f"{s['suppressed_complementary']} suppressed to protect them "
                    f"(release {run.pk}, {s['earlier_releases']} earlier this year).")
        except ValidationError as exc:
            raise CommandError("; ".join(f"{f}: {m}" if f else m
                                         for f, m in validation_messages(exc))) from exc
        except SuppressionError as exc:
            raise CommandError(str(exc)) from exc
