"""The ``opensro`` command: OpenSRO's own commands first, then Django's.

``opensro --help`` lists what it can do; ``opensro COMMAND --help`` explains one.
"""

from __future__ import annotations

import os
import sys

OWN_COMMANDS = {
    "demo": "build the synthetic demo county and serve it on 127.0.0.1:8000",
    "audit": "audit chain: 'opensro audit verify' checks it and names the first broken link",
    "import": "bulk imports: 'opensro import enrollment FILE.csv'",
    "disparity": "disparity table from a counts CSV (group,base,count)",
    "grant": "grant a role over a scope to a user",
    "token": "create or revoke a personal API token",
    "publish": "publish the year's suppressed figures to the public portal (run on a schedule)",
    "flags": "flags: 'opensro flags refresh' recomputes time-based flags (run daily)",
    "migrate": "create or upgrade the database tables",
    "createsuperuser": "create a system administrator account",
    "runserver": "serve the web application (development server)",
    "check": "check the configuration ('check --deploy' for production)",
}


def _help() -> str:
    lines = [
        "usage: opensro COMMAND [options]",
        "",
        "OpenSRO: records, oversight and transparency for school resource officer programs.",
        "",
        "Commands:",
    ]
    width = max(len(c) for c in OWN_COMMANDS)
    for name, text in OWN_COMMANDS.items():
        lines.append(f"  {name.ljust(width)}  {text}")
    lines += [
        "",
        "Every Django management command also works (opensro help --commands lists them).",
        "Settings come from the environment: OPENSRO_DATABASE_URL selects PostgreSQL;",
        "without it the database is SQLite in var/. See docs/admin-guide.md.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensro.settings")
    if len(args) < 2 or args[1] in {"-h", "--help"}:
        print(_help())
        return
    if args[1] == "help" and len(args) == 2:
        print(_help())
        return
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["opensro", *args[1:]])
    except RuntimeError as exc:
        if "OPENSRO_" not in str(exc):
            raise
        # A configuration mistake: say what to set, without a traceback.
        print(f"opensro: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
