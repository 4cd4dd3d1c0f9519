"""``opensro flags refresh``: recompute the time-based flags (run it daily on a schedule)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opensro.core import flags
from opensro.core.context import request_context


class Command(BaseCommand):
    help = (
        "Flag tools. 'refresh' recomputes every time-based flag (overdue reviews, expired "
        "agreements, training deadlines…) as of today or --date; 'kinds' lists the kinds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("refresh", help="recompute the time-based flags")
        run.add_argument("--date", help="as of this date (YYYY-MM-DD); default today")
        run.add_argument("--kind", help="only this kind of flag")
        sub.add_parser("kinds", help="list the kinds of flag")

    def handle(self, *args: Any, **options: Any) -> None:
        registered = flags.kinds()
        if options["action"] == "kinds":
            for code, kind in registered.items():
                when = "time-based" if kind.refresh else "raised by events"
                self.stdout.write(f"{code}\t{kind.label} ({when})")
            return
        day = None
        if options.get("date"):
            try:
                day = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}.") from exc
        only = options.get("kind")
        if only and only not in registered:
            raise CommandError(
                f"Unknown kind {only!r}. Known: {', '.join(sorted(registered))}.")
        with request_context():
            results = flags.refresh(day, only)
        for code, result in results.items():
            self.stdout.write(f"{code}: {result.raised} raised, {result.cleared} cleared")
        self.stdout.write(f"Refreshed {len(results)} kind(s) of flag.")
