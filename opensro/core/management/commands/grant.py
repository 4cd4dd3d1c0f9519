"""``opensro grant USER ROLE [--agency|--district|--school ID]``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opensro.core.choices import Role
from opensro.core.context import request_context
from opensro.core.models import User
from opensro.core.services import grant_role


class Command(BaseCommand):
    help = "Grant a role to a user over an agency, a district, a school, or everything."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=[r.value for r in Role])
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--agency", type=int, help="agency id")
        scope.add_argument("--district", help="district id or 7-digit NCES ID")
        scope.add_argument("--school", help="school id or 12-digit NCES ID")
        parser.add_argument("--student-identity", action="store_true",
                            help="also allow reading student identifiers (FERPA)")

    def handle(self, *args: Any, **options: Any) -> None:
        from opensro.directory.models import Agency, District, School

        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}; create it first.")
        kwargs: dict[str, Any] = {}
        try:
            if options["agency"]:
                kwargs["agency"] = Agency.objects.get(pk=options["agency"])
            if options["district"]:
                d = options["district"]
                kwargs["district"] = District.objects.get(
                    **({"nces_id": d} if len(d) == 7 else {"pk": int(d)}))
            if options["school"]:
                s = options["school"]
                kwargs["school"] = School.objects.get(
                    **({"nces_id": s} if len(s) == 12 else {"pk": int(s)}))
        except (Agency.DoesNotExist, District.DoesNotExist, School.DoesNotExist,
                ValueError) as exc:
            raise CommandError(f"Scope not found: {exc}") from exc
        try:
            with request_context():
                grant = grant_role(None, user, options["role"],
                                   identity=options["student_identity"], **kwargs)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Granted {grant}.")
