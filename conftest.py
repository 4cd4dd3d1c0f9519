"""Shared test fixtures: a small two-county world and a fixed cast of personas.

Every persona holds exactly one role in county A (Agency A, District A, School A1),
except the outsider, who holds nothing, and the analyst, auditor and system
administrator, who are granted over everything. County B's records exist so that
tests can prove scoped personas never see them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from opensro.core.choices import Role
from opensro.core.context import request_context

PASSWORD = "correct-horse-battery"  # noqa: S105

PERSONAS = (
    "sro", "supervisor", "agency_admin", "school_admin", "district_admin", "analyst",
    "auditor", "system_admin", "outsider",
)


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def build_world() -> World:
    from opensro.core.models import User
    from opensro.core.services import grant_role
    from opensro.directory import services as ds
    from opensro.incidents.models import IncidentReason
    from opensro.incidents.taxonomy import seed_reasons

    seed_reasons(IncidentReason)  # a transactional test may have flushed the seeded rows
    w = World()
    o = w.objects
    with request_context():
        o["year"] = ds.create_school_year(None, {
            "code": "2025-26", "start_date": datetime.date(2025, 8, 18),
            "end_date": datetime.date(2026, 6, 12)})
        for tag, lea in (("a", "3999991"), ("b", "3999992")):
            district = ds.create_district(None, {"name": f"District {tag.upper()}",
                                                 "nces_id": lea, "state": "OH"})
            agency = ds.create_agency(None, {"name": f"Agency {tag.upper()}",
                                             "kind": "police_department", "state": "OH",
                                             "districts_served": [district]})
            s1 = ds.create_school(None, {"district": district, "name": f"School {tag.upper()}1",
                                         "nces_id": f"{lea}00001", "level": "high",
                                         "lowest_grade": "09", "highest_grade": "12"})
            s2 = ds.create_school(None, {"district": district, "name": f"School {tag.upper()}2",
                                         "nces_id": f"{lea}00002", "level": "middle",
                                         "lowest_grade": "06", "highest_grade": "08"})
            officer = ds.create_officer(None, {"agency": agency, "first_name": "Pat",
                                               "last_name": f"Officer{tag.upper()}",
                                               "badge_number": f"{tag}100",
                                               "date_sworn": datetime.date(2015, 1, 5)})
            peer = ds.create_officer(None, {"agency": agency, "first_name": "Sam",
                                            "last_name": f"Peer{tag.upper()}",
                                            "badge_number": f"{tag}200",
                                            "date_sworn": datetime.date(2012, 3, 1)})
            a1 = ds.create_assignment(None, {"officer": officer, "school": s1,
                                             "start_date": datetime.date(2024, 8, 1)})
            a2 = ds.create_assignment(None, {"officer": peer, "school": s2,
                                             "start_date": datetime.date(2024, 8, 1)})
            cell = ds.set_enrollment(None, s1, o["year"], "WH", "F", 300)
            o.update({f"district_{tag}": district, f"agency_{tag}": agency,
                      f"school_{tag}1": s1, f"school_{tag}2": s2, f"officer_{tag}": officer,
                      f"peer_{tag}": peer, f"assignment_{tag}1": a1,
                      f"assignment_{tag}2": a2, f"enrollment_{tag}": cell})
        for name in PERSONAS:
            user = User.objects.create_user(username=name, password=PASSWORD,
                                            first_name=name.replace("_", " ").title())
            w.users[name] = user
        grant_role(None, w.users["sro"], Role.SRO, agency=o["agency_a"])
        ds.update_officer(None, o["officer_a"], {"user": w.users["sro"]})
        grant_role(None, w.users["supervisor"], Role.SUPERVISOR, agency=o["agency_a"])
        grant_role(None, w.users["agency_admin"], Role.AGENCY_ADMIN, agency=o["agency_a"])
        grant_role(None, w.users["school_admin"], Role.SCHOOL_ADMIN, school=o["school_a1"])
        grant_role(None, w.users["district_admin"], Role.DISTRICT_ADMIN,
                   district=o["district_a"])
        grant_role(None, w.users["analyst"], Role.ANALYST)
        grant_role(None, w.users["auditor"], Role.AUDITOR)
        grant_role(None, w.users["system_admin"], Role.SYSTEM_ADMIN)
    for user in w.users.values():
        user.refresh_from_db()
    return w


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    """PBKDF2 at production strength costs ~0.25 s per user; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the site's language: a request made with the test client
    runs in the test's thread and leaves its language active (as Django does in a
    server thread), which would otherwise carry into the next test."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def module_world(django_db_blocker: Any, prepare: Callable[[World], None] | None = None
                 ) -> Iterator[World]:
    """One world for a whole test module, rolled back at its end; each test runs in its
    own savepoint inside it (the ``w`` fixture). ``prepare`` adds module-specific records.
    """
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
            if prepare is not None:
                with request_context():
                    prepare(world)
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """The module's world; a module overrides this fixture to add its own records."""
    yield from module_world(django_db_blocker)


@pytest.fixture
def w(db: Any, shared_world: World) -> World:
    for user in shared_world.users.values():
        user.__dict__.pop("_opensro_scopes", None)  # grants may change inside a test
    return shared_world


# --------------------------------------------------------------------------- test helpers


def login(world: World, persona: str) -> Any:
    """A test client signed in as one of the world's personas."""
    from django.test import Client

    client = Client()
    client.force_login(world.users[persona])
    return client


def last_seq() -> int:
    """The newest audit event's sequence number (0 when there is none)."""
    from opensro.core.models import AuditEvent

    seq: int | None = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    return seq or 0


def post_value(value: Any) -> Any:
    """A form field's value as a browser would post it."""
    import datetime

    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def form_data(form: Any, **changes: Any) -> dict[str, Any]:
    """The POST data of a bound or initial form, with ``changes`` applied (a ticked
    checkbox is sent as "on", an unticked one not at all)."""
    data: dict[str, Any] = {}
    for name in form.fields:
        value = changes[name] if name in changes else form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = post_value(value)
    return data
