"""Enrollment import from CSV (R-A1, denominators for R-E1).

Format (UTF-8, one row per cell)::

    nces_school_id,school_year,group,sex,count
    390000100001,2025-26,WH,F,212

``group`` is one of HI, AM, AS, HP, BL, WH, TR (the seven race/ethnicity groups,
which partition enrollment) or IDEA, 504, EL (subsets). ``sex`` is one of the
codes the school year collects. Documented in ``docs/imports/enrollment.md``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from opensro.core.choices import RACE_CODES, SUBSET_GROUPS, EnrollmentGroup
from opensro.core.imports import (
    FileProblem,
    ImportReport,
    open_text,
    parse_count,
    read_rows,
    register_importer,
    validation_messages,
)
from opensro.core.models import User
from opensro.core.permissions import CHANGE, restrict
from opensro.directory.models import School, SchoolYear
from opensro.directory.services import bulk_set_enrollment
from opensro.directory.validators import validate_nces_school_id

COLUMNS = ("nces_school_id", "school_year", "group", "sex", "count")
GROUPS = {g.value for g in EnrollmentGroup}


class _Rollback(Exception):
    pass


def import_enrollment(
    source: IO[bytes] | bytes, actor: User | None, *, all_or_nothing: bool = True
) -> ImportReport:
    """Read, check and store enrollment cells. With ``all_or_nothing`` (the default),
    one bad row means nothing is stored."""
    report = ImportReport()
    schools = {s.nces_id: s for s in School.objects.all()}
    writable = (
        # The schools whose enrollment the actor may set: those they may change (system,
        # district and school administrators; the same roles that add enrollment).
        set(restrict(School.objects.all(), actor, CHANGE).values_list("nces_id", flat=True))
        if actor is not None
        else set(schools)
    )
    years = {y.code: y for y in SchoolYear.objects.all()}
    seen: dict[tuple[str, str, str, str], int] = {}
    parsed: list[tuple[int, School, SchoolYear, str, str, int]] = []
    try:
        for line, row in read_rows(open_text(source), COLUMNS):
            report.rows_in += 1
            if "__extra__" in row:
                report.reject(line, "", "the row has more values than the header has columns")
                continue
            problems = _check_row(line, row, schools, writable, years)
            if problems:
                for field_name, reason in problems:
                    report.reject(line, field_name, reason)
                continue
            key = (row["nces_school_id"], row["school_year"], row["group"], row["sex"])
            if key in seen:
                report.reject(line, "group", f"duplicate of line {seen[key]} (same school, "
                              "year, group and sex)")
                continue
            seen[key] = line
            parsed.append((line, schools[key[0]], years[key[1]], key[2], key[3],
                           int(row["count"])))
    except FileProblem as exc:
        report.reject(0, "", str(exc))
        return report
    _check_subsets(parsed, report)
    good = [p for p in parsed if p[0] not in report.rejected_lines]
    report.accepted = len(good)
    if all_or_nothing and report.errors:
        # Nothing is stored (report.stored stays False), but the counts still add up:
        # rows in = rows that passed every check + rows rejected (architecture rule 8).
        return report
    try:
        with transaction.atomic():
            try:
                report.created, report.updated, report.unchanged = bulk_set_enrollment(
                    actor, [(school, year, group, sex, count)
                            for _line, school, year, group, sex, count in good])
            except (ValidationError, PermissionDenied) as exc:
                msgs = (validation_messages(exc) if isinstance(exc, ValidationError)
                        else [("nces_school_id", str(exc))])
                for f, m in msgs:
                    report.reject(0, f, m)
                raise _Rollback from exc
    except _Rollback:
        # The checked rows stay "accepted"; the write failed as a whole, so none is stored.
        report.created = report.updated = report.unchanged = 0
        return report
    report.stored = True
    return report


def _check_row(
    line: int,
    row: dict[str, str],
    schools: dict[str, School],
    writable: set[str],
    years: dict[str, SchoolYear],
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    nces = row["nces_school_id"]
    try:
        validate_nces_school_id(nces)
    except ValidationError as exc:
        problems.append(("nces_school_id", exc.messages[0]))
    else:
        if nces not in schools:
            problems.append(("nces_school_id", f"no school with NCES ID {nces} is in the "
                             "directory; add the school first"))
        elif nces not in writable:
            problems.append(("nces_school_id", f"school {nces} is outside the schools you "
                             "may change"))
    year = years.get(row["school_year"])
    if year is None:
        problems.append(("school_year", f"unknown school year {row['school_year']!r}; "
                         f"known: {', '.join(sorted(years)) or 'none yet'}"))
    if row["group"] not in GROUPS:
        problems.append(("group", f"unknown group code {row['group']!r}; use one of "
                         + ", ".join(sorted(GROUPS))))
    if year is not None and row["sex"] not in year.sex_codes:
        problems.append(("sex", f"unknown sex code {row['sex']!r} for {year.code}; use one of "
                         + ", ".join(year.sex_codes)))
    try:
        parse_count(row["count"])
    except ValueError as exc:
        problems.append(("count", str(exc)))
    return problems


def _check_subsets(
    parsed: list[tuple[int, School, SchoolYear, str, str, int]], report: ImportReport
) -> None:
    """IDEA, 504-only and EL counts cannot exceed the school's total for that sex."""
    totals: dict[tuple[int, int, str], int] = defaultdict(int)
    has_races: set[tuple[int, int, str]] = set()
    for _line, school, year, group, sex, count in parsed:
        if group in RACE_CODES:
            totals[(school.pk, year.pk, sex)] += count
            has_races.add((school.pk, year.pk, sex))
    for line, school, year, group, sex, count in parsed:
        key = (school.pk, year.pk, sex)
        if group in SUBSET_GROUPS and key in has_races and count > totals[key]:
            report.reject(
                line, "count",
                f"{group} count {count} is above the school's total of {totals[key]} for sex "
                f"{sex} (the sum of the race/ethnicity rows)",
            )


register_importer(
    "enrollment", import_enrollment,
    "enrollment by school, year, group and sex (nces_school_id,school_year,group,sex,count)",
    all_or_nothing=True,
)
