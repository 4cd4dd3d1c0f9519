"""Training-record import from CSV (R-G4: tracked completion).

Format (UTF-8, one row per completed course)::

    agency,badge_number,course,completed_on,hours,provider,notes
    OH0999900,L1200,basic_sro,2024-06-14,40,Ohio SRO Academy,

``agency`` is the agency's ORI or its exact name; ``badge_number`` the officer's badge
in that agency; ``course`` a course code from the catalog (``/training/courses/``);
``completed_on`` a date (YYYY-MM-DD); ``hours`` a number; ``notes`` is optional.
A record is identified by officer, course and date: importing the same file again
changes nothing, and a row whose hours, provider or notes differ updates the record.
Every write goes through the training services (same checks, same audit, same flags).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from opensro.core.imports import (
    FileProblem,
    ImportReport,
    open_text,
    read_rows,
    register_importer,
    validation_messages,
)
from opensro.core.models import User
from opensro.core.permissions import CHANGE, can_on
from opensro.directory.models import Agency, Officer
from opensro.training import services
from opensro.training.models import Course, TrainingRecord

COLUMNS = ("agency", "badge_number", "course", "completed_on", "hours", "provider")
OPTIONAL = ("notes",)


class _Rollback(Exception):
    pass


@dataclass
class _Row:
    line: int
    officer: Officer
    course: Course
    completed_on: datetime.date
    hours: Decimal
    provider: str
    notes: str


def _agencies() -> dict[str, Agency]:
    out: dict[str, Agency] = {}
    for agency in Agency.objects.all():
        out[agency.name.casefold()] = agency
        if agency.ori:
            out[agency.ori.casefold()] = agency
    return out


def _parse(line: int, row: dict[str, str], agencies: dict[str, Agency],
           officers: dict[tuple[int, str], Officer], courses: dict[str, Course],
           report: ImportReport) -> _Row | None:
    problems: list[tuple[str, str]] = []
    agency = agencies.get(row["agency"].casefold()) if row["agency"] else None
    officer = None
    if not row["agency"]:
        problems.append(("agency", "give the agency's ORI or name"))
    elif agency is None:
        problems.append(("agency", f"no agency with ORI or name {row['agency']!r}"))
    elif not row["badge_number"]:
        problems.append(("badge_number", "give the officer's badge number"))
    else:
        officer = officers.get((agency.pk, row["badge_number"].casefold()))
        if officer is None:
            problems.append(("badge_number", f"no officer with badge {row['badge_number']!r} "
                                             f"in {agency}"))
    course = courses.get(row["course"])
    if course is None:
        problems.append(("course", f"unknown course code {row['course']!r}; the codes are "
                                   "listed in the course catalog"))
    completed_on = None
    try:
        completed_on = datetime.date.fromisoformat(row["completed_on"])
    except ValueError:
        problems.append(("completed_on", f"{row['completed_on']!r} is not a date; write it "
                                         "as YYYY-MM-DD"))
    hours = None
    try:
        hours = Decimal(row["hours"])
        if not hours.is_finite() or hours <= 0:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(("hours", f"{row['hours']!r} is not a positive number of hours"))
    if not row["provider"]:
        problems.append(("provider", "say who gave the course"))
    for field_name, reason in problems:
        report.reject(line, field_name, reason)
    if problems:
        return None
    assert officer is not None and course is not None and completed_on and hours is not None
    return _Row(line, officer, course, completed_on, hours, row["provider"],
                row.get("notes", ""))


def import_training(source: IO[bytes] | bytes, actor: User | None, *,
                    all_or_nothing: bool = True) -> ImportReport:
    """Read, check and store training records. With ``all_or_nothing`` (the default),
    one bad row means nothing is stored."""
    report = ImportReport()
    agencies = _agencies()
    officers = {(o.agency_id, o.badge_number.casefold()): o
                for o in Officer.objects.select_related("agency")}
    courses = {c.code: c for c in Course.objects.all()}
    rows: list[_Row] = []
    seen: dict[tuple[int, int, datetime.date], int] = {}
    try:
        for line, raw in read_rows(open_text(source), COLUMNS, OPTIONAL):
            report.rows_in += 1
            if "__extra__" in raw:
                report.reject(line, "", "the row has more values than the header has columns")
                continue
            parsed = _parse(line, raw, agencies, officers, courses, report)
            if parsed is None:
                continue
            key = (parsed.officer.pk, parsed.course.pk, parsed.completed_on)
            if key in seen:
                report.reject(line, "completed_on", f"duplicate of line {seen[key]} (same "
                                                    "officer, course and date)")
                continue
            seen[key] = line
            rows.append(parsed)
    except FileProblem as exc:
        report.reject(0, "", str(exc))
        return report
    # The rows that passed the checks above are written through the services (which
    # apply the remaining rules); with all-or-nothing, any problem rolls all back.
    try:
        with transaction.atomic():
            for row in rows:
                _store(row, actor, report)
            if all_or_nothing and report.errors:
                raise _Rollback
    except _Rollback:
        report.created = report.updated = report.unchanged = 0
        report.accepted = sum(1 for r in rows if r.line not in report.rejected_lines)
        return report
    report.accepted = report.created + report.updated + report.unchanged
    report.stored = report.accepted > 0 or not report.errors
    return report


def _store(row: _Row, actor: User | None, report: ImportReport) -> None:
    data: dict[str, Any] = {"hours": row.hours, "provider": row.provider, "notes": row.notes}
    existing = TrainingRecord.objects.filter(officer=row.officer, course=row.course,
                                             completed_on=row.completed_on).first()
    if existing is not None and actor is not None and not can_on(actor, CHANGE, existing):
        report.reject(row.line, "badge_number", f"{row.officer} is outside the officers whose "
                                                "training you may record")
        return
    try:
        with transaction.atomic():
            if existing is None:
                services.create_record(actor, {"officer": row.officer, "course": row.course,
                                               "completed_on": row.completed_on, **data})
                report.created += 1
            elif (existing.hours, existing.provider, existing.notes) == (
                    row.hours, row.provider, row.notes):
                report.unchanged += 1
            else:
                services.update_record(actor, existing, data)
                report.updated += 1
    except ValidationError as exc:
        for field_name, message in validation_messages(exc):
            report.reject(row.line, "" if field_name == "__all__" else field_name, message)
    except PermissionDenied:
        report.reject(row.line, "badge_number", f"{row.officer} is outside the officers whose "
                                                "training you may record")


register_importer(
    "training", import_training,
    "training records (agency,badge_number,course,completed_on,hours,provider[,notes])",
    all_or_nothing=True,
)
