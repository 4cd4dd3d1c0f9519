"""``opensro import KIND FILE``: bulk imports with a row-by-row error report."""

from __future__ import annotations

import json
import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opensro.core.context import request_context
from opensro.core.imports import IMPORTERS, as_dict


def _count_lines(path: str) -> int:
    total = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            total += chunk.count(b"\n")
    return max(total - 1, 0)


class Command(BaseCommand):
    help = "Import records from a CSV file; every rejected row is reported with its line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS),
                            help="; ".join(f"{k}: {v.help_text}"
                                           for k, v in sorted(IMPORTERS.items())))
        parser.add_argument("file", help="path to the CSV file (UTF-8)")
        parser.add_argument("--user", help="import as this user (their scope applies); "
                            "default: the system, unrestricted")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--all-or-nothing", dest="all_or_nothing", action="store_true",
                          default=None, help="store nothing if any row is rejected "
                          "(the default for enrollment)")
        mode.add_argument("--accept-valid", dest="all_or_nothing", action="store_false",
                          help="store the valid rows and report the rejected ones "
                          "(the default for incidents)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        info = IMPORTERS[options["kind"]]
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        path = options["file"]
        try:
            handle = open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot open {path}: {exc.strerror}") from exc
        mode = info.all_or_nothing if options["all_or_nothing"] is None else \
            options["all_or_nothing"]
        kwargs: dict[str, Any] = {"all_or_nothing": mode}
        bar = None
        if info.streams and not options["no_progress"] and not options["json"]:
            from tqdm import tqdm

            bar = tqdm(total=_count_lines(path), unit="rows", desc=f"import {options['kind']}",
                       disable=os.environ.get("CI") == "true")
            kwargs["progress"] = bar.update
        try:
            with handle, request_context():
                report = info.func(handle, actor, **kwargs)
        finally:
            if bar is not None:
                bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(as_dict(report), indent=2))
        else:
            for error in report.errors[:200]:
                self.stderr.write(str(error))
            if len(report.errors) > 200:
                self.stderr.write(f"… and {len(report.errors) - 200} more problems")
            self.stdout.write(report.summary())
        if report.errors:
            raise CommandError(f"{report.rejected} row(s) rejected; see the report above.",
                               returncode=2)
