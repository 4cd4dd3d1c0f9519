"""``opensro token create USER NAME`` and ``opensro token revoke PREFIX``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opensro.core import tokens
from opensro.core.context import request_context
from opensro.core.models import ApiToken, User


class Command(BaseCommand):
    help = "Create or revoke a personal API token."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("username")
        create.add_argument("name")
        create.add_argument("--days", type=int, default=90)
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        with request_context():
            if options["action"] == "create":
                user = User.objects.filter(username=options["username"]).first()
                if user is None:
                    raise CommandError(f"No user {options['username']!r}.")
                _token, raw = tokens.create_token(user, options["name"], days=options["days"])
                self.stdout.write(raw)
                return
            token = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if token is None:
                raise CommandError(f"No token starting with {options['prefix']!r}.")
            tokens.revoke_token(token.user, token)
            self.stdout.write(f"Revoked {token}.")
