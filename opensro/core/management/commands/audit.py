"""``opensro audit verify``: check the audit chain and the audited rows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opensro.core.audit import verify_chain, verify_state


class Command(BaseCommand):
    help = (
        "Audit chain tools. 'verify' recomputes the hash chain, names the first broken "
        "link, and compares every audited row with its last recorded state."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the chain and the audited rows")
        verify.add_argument("--chain-only", action="store_true",
                            help="check only the chain, not the rows (faster on large data)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "verify":  # pragma: no cover - argparse guards this
            raise CommandError("unknown action")
        count, problem = verify_chain()
        if problem is not None:
            raise CommandError(
                f"Audit chain broken at event #{problem.seq}: {problem.message}. "
                f"{count} event(s) read."
            )
        self.stdout.write(f"Audit chain intact: {count} event(s).")
        if options["chain_only"]:
            return
        checked, problems = verify_state()
        if problems:
            for p in problems[:50]:
                self.stderr.write(f"  {p.object_type} {p.object_id}: {p.message}")
            more = len(problems) - 50
            raise CommandError(
                f"{len(problems)} audited row(s) differ from the audit trail"
                + (f" ({more} more not shown)" if more > 0 else "")
                + f"; first: {problems[0].object_type} {problems[0].object_id}: "
                f"{problems[0].message}."
            )
        self.stdout.write(f"Audited rows match the trail: {checked} row(s).")
