"""``opensro import KIND FILE``: bulk imports with a row-by-row error report."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opensro.core.context import request_context
from opensro.core.imports import IMPORTERS, as_dict


class Command(BaseCommand):
    help = "Import records from a CSV file; every rejected row is reported with its line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS),
                            help="; ".join(f"{k}: {v[1]}" for k, v in sorted(IMPORTERS.items())))
        parser.add_argument("file", help="path to the CSV file (UTF-8)")
        parser.add_argument("--user", help="import as this user (their scope applies); "
                            "default: the system, unrestricted")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--all-or-nothing", dest="all_or_nothing", action="store_true",
                          default=True, help="store nothing if any row is rejected (default)")
        mode.add_argument("--accept-valid", dest="all_or_nothing", action="store_false",
                          help="store the valid rows and report the rejected ones")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        func, _help = IMPORTERS[options["kind"]]
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        try:
            handle = open(options["file"], "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot open {options['file']}: {exc.strerror}") from exc
        with handle, request_context():
            report = func(handle, actor, all_or_nothing=options["all_or_nothing"])
        if options["json"]:
            self.stdout.write(json.dumps(as_dict(report), indent=2))
        else:
            for error in report.errors:
                self.stderr.write(str(error))
            self.stdout.write(report.summary())
        if report.errors:
            raise CommandError(f"{report.rejected or 'the file'} rejected; see the report above.",
                               returncode=2)
