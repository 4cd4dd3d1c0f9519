"""``opensro disparity --counts FILE.csv``: see ``opensro.analytics.disparity_cli``."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Disparity table (rates, ratios, intervals, index of disparity, Gini) from a "
            "CSV of counts with the header group,base,count. See docs/methods.md.")

    def run_from_argv(self, argv: list[str]) -> None:
        """Hand the arguments to the analyst command's own parser (exit 2 on bad input)."""
        from opensro.analytics.disparity_cli import main

        code = main(argv[2:], sys.stdout, sys.stderr)
        if code:
            sys.exit(code)
