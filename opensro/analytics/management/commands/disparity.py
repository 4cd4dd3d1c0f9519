"""``opensro disparity --counts FILE.csv``: see ``opensro.analytics.disparity_cli``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Disparity table (rates, ratios, intervals, index of disparity, Gini) from a "
            "CSV of counts with the header group,base,count. See docs/methods.md.")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        from opensro.analytics.disparity_cli import main

        code = main(argv[2:], sys.stdout, sys.stderr)
        if code:
            sys.exit(code)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--counts", required=True)

    def handle(self, *args: Any, **options: Any) -> None:  # pragma: no cover - run_from_argv
        from opensro.analytics.disparity_cli import main

        code = main(["--counts", options["counts"]], self.stdout, self.stderr)
        if code:
            sys.exit(code)
