"""Helpers for the training tests: the seeded catalog and profiles by code and name."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from opensro.training import catalog
from opensro.training.models import Course, PolicyProfile, RequirementRule


def seed() -> None:
    """The data migration's catalog (a flushed test database has lost it)."""
    catalog.seed(Course, PolicyProfile, RequirementRule)


def course(code: str) -> Course:
    return Course.objects.get(code=code)


def cops() -> PolicyProfile:
    return PolicyProfile.objects.get(name=catalog.COPS)


def nasro() -> PolicyProfile:
    return PolicyProfile.objects.get(name=catalog.NASRO)


def record_data(officer: Any, code: str, day: datetime.date, hours: str = "8",
                provider: str = "State academy") -> dict[str, Any]:
    return {"officer": officer, "course": course(code), "completed_on": day,
            "hours": Decimal(hours), "provider": provider}
