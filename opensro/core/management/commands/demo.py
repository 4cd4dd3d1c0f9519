"""``opensro demo``: build the synthetic demo county, print the sign-ins, and serve."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Build (or with --reset rebuild) the synthetic demo county, print one sign-in "
            "per role, and serve on 127.0.0.1:8000.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="delete all data and rebuild")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="build only, do not serve")
        parser.add_argument("--seed", type=int, default=None, help="random seed")

    def handle(self, *args: Any, **options: Any) -> None:
        from opensro import demo

        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
        if demo.is_built():
            self.stdout.write("The demo county is already built (use --reset to rebuild).")
        else:
            self.stdout.write("Building the demo county…")
            # Query logging (on with DEBUG) would slow the bulk writes several-fold.
            debug, settings.DEBUG = settings.DEBUG, False
            try:
                demo.build(options["seed"] or demo.SEED,
                           progress=lambda m: self.stdout.write("  " + m))
            finally:
                settings.DEBUG = debug
            self.stdout.write(f"Built in {time.perf_counter() - started:.1f} s.")
        self.stdout.write("")
        self.stdout.write(f"Sign in with any of these (password: {demo.DEMO_PASSWORD}):")
        from opensro.demo.directory import DEMO_USERS

        for username, _first, _last, role in DEMO_USERS:
            self.stdout.write(f"  {username:<14} {role.label}")
        self.stdout.write(f"  {'outsider':<14} no role (sees nothing)")
        if options["no_serve"]:
            return
        db = settings.DATABASES["default"]["NAME"]
        self.stdout.write(f"\nDatabase: {db}")
        self.stdout.write(f"Open http://127.0.0.1:{options['port']}/  (Ctrl-C to stop)\n")
        call_command("runserver", f"127.0.0.1:{options['port']}", use_reloader=False)
