"""Bulk import of incident records: ``opensro import incidents FILE.csv``.

The interchange format (version 1) is documented in ``docs/imports/incidents.md`` and
described for machines by ``opensro/incidents/schema/incidents-v1.schema.json``. One
CSV row is one student in one incident; the rows of an incident are consecutive and
share ``source_system`` and ``incident_id``.

The same rules as the web form and the API apply (``rules.check``); every rejected
row is reported with its line, column and reason; a re-import is idempotent by the
source system's incident ID (an unchanged record is skipped, a changed one updated
as an amendment). The file is streamed in batches, so memory stays flat.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from opensro.core import audit, bulk
from opensro.core.choices import RaceEthnicity, Sex
from opensro.core.imports import (
    FileProblem,
    ImportReport,
    open_text,
    read_aside,
    read_rows,
    register_importer,
)
from opensro.core.models import AuditEvent, Flag, FlagStatus, User
from opensro.core.permissions import ADD, can, restrict
from opensro.directory.models import Agency, Officer, School, SchoolYear
from opensro.incidents import choices as c
from opensro.incidents import rules, services
from opensro.incidents.models import Incident, IncidentReason, Involvement

FORMAT_VERSION = 1
INCIDENT_COLUMNS = (
    "source_system", "incident_id", "school_nces_id", "agency_ori", "officer_badge",
    "occurred_at", "recorded_at", "late_entry_reason", "location", "involvement_source",
    "requester_role", "reason", "would_call_911", "deescalation", "deescalation_notes",
    "narrative", "status",
)
STUDENT_COLUMNS = (
    "student_id", "age", "grade", "race", "sex", "idea", "section_504", "english_learner",
    "sexual_orientation", "gender_identity", "sogi_volunteered", "role", "offense",
    "offense_severity", "statute", "actions", "search_basis", "search_found",
    "rights_advised", "parent_notified", "restraint_type", "restraint_minutes",
    "force_type", "arrest_charge", "basis", "basis_details", "why_at_school",
    "probable_cause", "removed_from_public_view", "accommodations",
)
REQUIRED = ("source_system", "incident_id", "school_nces_id", "agency_ori", "officer_badge",
            "occurred_at", "location", "involvement_source", "reason", "would_call_911",
            "race", "sex")
OPTIONAL = tuple(col for col in INCIDENT_COLUMNS + STUDENT_COLUMNS if col not in REQUIRED)
COLUMNS = INCIDENT_COLUMNS + STUDENT_COLUMNS
_BLANKS = ("",) * len(COLUMNS)
BATCH = 500
#: Incidents written per transaction when valid records are stored as they come.
COMMIT_EVERY = 2000
#: A load that created this many records refreshes the query planner's statistics.
ANALYZE_AFTER = 10_000

TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"0", "false", "no", "n", "f", ""}
ACTION_CODES = set(c.ACTION_FIELDS)
BASIS_CODES = {b.value for b in c.Basis}
#: Rule paths that name an incident-level or a student-level column.
PATH_TO_COLUMN = {"officer": "officer_badge", "school": "school_nces_id",
                  "counselled": "actions", "involvements": "race"}


class RowProblem(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass
class Lookups:
    """Everything a row refers to, loaded once per import."""

    schools: dict[str, School]
    officers: dict[tuple[str, str], Officer]
    agencies_by_ori: dict[str, list[Agency]]
    reasons: dict[str, IncidentReason]
    years: list[SchoolYear]
    serves: set[tuple[int, int]]
    writable_officers: set[int] | None
    #: The time zone of "the local day" (as ``timezone.localtime`` uses it).
    local_zone: datetime.tzinfo = field(default_factory=timezone.get_current_timezone)
    #: The school year of each day seen so far (one entry per calendar day: small).
    years_by_day: dict[datetime.date, SchoolYear | None] = field(default_factory=dict)

    def year_for(self, moment: datetime.datetime) -> SchoolYear | None:
        """The school year covering the local day of ``moment``."""
        day = moment.astimezone(self.local_zone).date()
        try:
            return self.years_by_day[day]
        except KeyError:
            year = self.years_by_day[day] = _year_of_day(self.years, day)
            return year

    @classmethod
    def load(cls, actor: User | None) -> Lookups:
        agencies: dict[str, list[Agency]] = {}
        for agency in Agency.objects.all():
            if agency.ori:
                agencies.setdefault(agency.ori.upper(), []).append(agency)
        officers = {
            (o.agency.ori.upper(), o.badge_number.upper()): o
            for o in Officer.objects.select_related("agency")
            if o.agency.ori
        }
        writable = None
        if actor is not None:
            # An importing user may record for the officers in their scope.
            writable = set(restrict(Officer.objects.all(), actor, "view").values_list(
                "pk", flat=True))
        return cls(
            schools={s.nces_id: s for s in School.objects.select_related("district")},
            officers=officers,
            agencies_by_ori=agencies,
            reasons={r.code: r for r in IncidentReason.objects.all()},
            years=list(SchoolYear.objects.all()),
            serves=set(Agency.districts_served.through.objects.values_list(
                "agency_id", "district_id")),
            writable_officers=writable,
        )


def _choice(value: str, column: str, options: dict[str, Any], blank: bool = False) -> str:
    if not value and blank:
        return ""
    if value not in options:
        raise RowProblem(column, f"unknown code {value!r}; use one of "
                         + ", ".join(sorted(options)))
    return value


def _bool(value: str, column: str) -> bool:
    low = value.lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise RowProblem(column, f"{value!r} is not yes or no (use true/false, yes/no or 1/0)")


def _int(value: str, column: str) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise RowProblem(column, f"{value!r} is not a whole number") from None
    if number < 0:
        raise RowProblem(column, f"{number} is negative")
    return number


def _datetime(value: str, column: str, zone: ZoneInfo) -> datetime.datetime | None:
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise RowProblem(column, f"{value!r} is not a date and time like "
                         "2025-10-14T09:35 or 2025-10-14T09:35-04:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def _codes(value: str, column: str, allowed: set[str]) -> list[str]:
    codes = [v.strip() for v in value.replace(",", ";").split(";") if v.strip()]
    unknown = [v for v in codes if v not in allowed]
    if unknown:
        raise RowProblem(column, f"unknown code(s) {', '.join(unknown)}; use "
                         + ", ".join(sorted(allowed)))
    return codes


CHOICES: dict[str, dict[str, Any]] = {
    "location": dict(c.Location.choices),
    "involvement_source": dict(c.InvolvementSource.choices),
    "requester_role": dict(c.RequesterRole.choices),
    "would_call_911": dict(c.YesNo.choices),
    "deescalation": dict(c.Deescalation.choices),
    "grade": dict(c.Grade.choices),
    "race": dict(RaceEthnicity.choices),
    "sex": dict(Sex.choices),
    "role": dict(c.StudentRole.choices),
    "offense_severity": dict(c.Severity.choices),
    "search_basis": dict(c.SearchBasis.choices),
    "search_found": dict(c.SearchFound.choices),
    "rights_advised": dict(c.YesNo.choices),
    "parent_notified": dict(c.YesNo.choices),
    "restraint_type": dict(c.RestraintType.choices),
    "force_type": dict(c.ForceType.choices),
    "removed_from_public_view": dict(c.YesNo.choices),
    "status": {"draft": "Draft", "submitted": "Submitted"},
}
OPTIONAL_CHOICES = {"requester_role", "deescalation", "grade", "search_basis", "search_found",
                    "rights_advised", "parent_notified", "restraint_type", "force_type",
                    "removed_from_public_view"}
TEXT = {"late_entry_reason": 300, "deescalation_notes": 500, "narrative": 20000,
        "sexual_orientation": 40, "gender_identity": 40, "offense": 120, "statute": 60,
        "arrest_charge": 120, "basis_details": 20000, "why_at_school": 20000,
        "probable_cause": 20000, "accommodations": 20000}


def parse_incident(row: dict[str, str], look: Lookups, zone: ZoneInfo) -> dict[str, Any]:
    """Incident-level values of a row, checked and converted."""
    problems: list[RowProblem] = []
    data: dict[str, Any] = {"source_system": row["source_system"],
                            "source_record_id": row["incident_id"]}
    if not row["source_system"]:
        problems.append(RowProblem("source_system", "required"))
    if not row["incident_id"]:
        problems.append(RowProblem("incident_id", "required"))
    school = look.schools.get(row["school_nces_id"])
    if school is None:
        problems.append(RowProblem("school_nces_id", f"no school with NCES ID "
                                   f"{row['school_nces_id']!r} in the directory"))
    data["school"] = school
    ori, badge = row["agency_ori"].upper(), row["officer_badge"].upper()
    officer = look.officers.get((ori, badge))
    if ori not in look.agencies_by_ori:
        problems.append(RowProblem("agency_ori", f"no agency with ORI {row['agency_ori']!r}"))
    elif officer is None:
        problems.append(RowProblem("officer_badge", f"no officer with badge {badge!r} in "
                                   f"agency {row['agency_ori']}"))
    elif look.writable_officers is not None and officer.pk not in look.writable_officers:
        problems.append(RowProblem("officer_badge", f"officer {badge} is outside your scope"))
    data["officer"] = officer
    for column, parse in (("occurred_at", True), ("recorded_at", False)):
        try:
            data[column] = _datetime(row.get(column, ""), column, zone)
            if parse and data[column] is None:
                problems.append(RowProblem(column, "required"))
        except RowProblem as exc:
            problems.append(exc)
    if data.get("recorded_at") is None:
        data["recorded_at"] = data.get("occurred_at")
    for column, options, blank in _INCIDENT_CHOICES:
        value = row.get(column, "")
        if value in options:
            data[column] = value
            continue
        try:
            data[column] = _choice(value, column, options, blank=blank)
        except RowProblem as exc:
            problems.append(exc)
    reason = look.reasons.get(row["reason"])
    if reason is None:
        problems.append(RowProblem("reason", f"unknown reason code {row['reason']!r}; see "
                                   "docs/imports/incidents.md for the list"))
    data["reason"] = reason
    try:
        data["status"] = _choice(row.get("status") or "submitted", "status", CHOICES["status"])
    except RowProblem as exc:
        problems.append(exc)
    for column in ("late_entry_reason", "deescalation_notes", "narrative"):
        data[column] = _text(row, column, problems)
    if problems:
        raise _Problems(problems)
    return data


_INCIDENT_CHOICES = tuple((column, CHOICES[column], column in OPTIONAL_CHOICES) for column in (
    "location", "involvement_source", "requester_role", "would_call_911", "deescalation"))


def _text(row: dict[str, str], column: str, problems: list[RowProblem]) -> str:
    value = row.get(column, "")
    if len(value) > TEXT[column]:
        problems.append(RowProblem(column, f"longer than {TEXT[column]} characters"))
    return value


class _Problems(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(p.reason for p in problems))
        self.problems = problems


#: (column, allowed codes, may be blank, value when blank) of the student-level choices,
#: in the order their problems are reported.
_STUDENT_CHOICES: tuple[tuple[str, dict[str, Any], bool, str], ...] = tuple(
    (column, CHOICES[column], column in OPTIONAL_CHOICES,
     {"role": c.StudentRole.SUBJECT, "offense_severity": c.Severity.NONE}.get(column, ""))
    for column in ("grade", "race", "sex", "role", "offense_severity", "search_basis",
                   "search_found", "rights_advised", "parent_notified", "restraint_type",
                   "force_type", "removed_from_public_view")
)
_STUDENT_BOOLS = ("idea", "section_504", "english_learner", "sogi_volunteered")
_STUDENT_TEXT = tuple((column, TEXT[column]) for column in (
    "sexual_orientation", "gender_identity", "offense", "statute", "arrest_charge",
    "basis_details", "why_at_school", "probable_cause", "accommodations"))
_BOOLS = {**dict.fromkeys(TRUE, True), **dict.fromkeys(FALSE, False)}


class _Memo:
    """A small cache of parsed codes by the text of the cell (the same few values repeat
    on every row): the value, or the problem it raised. Bounded, so memory stays flat."""

    def __init__(self, parse: Callable[[str], Any], size: int = 512) -> None:
        self.parse, self.size = parse, size
        self.seen: dict[str, tuple[Any, tuple[str, str] | None]] = {}

    def __call__(self, value: str) -> Any:
        hit = self.seen.get(value)
        if hit is None:
            try:
                hit = (self.parse(value), None)
            except RowProblem as exc:
                hit = (None, (exc.column, exc.reason))
            if len(self.seen) >= self.size:
                self.seen.clear()
            self.seen[value] = hit
        if hit[1] is not None:
            raise RowProblem(*hit[1])
        return hit[0]


def _parse_actions(value: str) -> dict[str, bool]:
    actions = _codes(value, "actions", ACTION_CODES)
    return {action: action in actions for action in c.ACTION_FIELDS}


_actions = _Memo(_parse_actions)
_basis = _Memo(lambda value: tuple(_codes(value, "basis", BASIS_CODES)))


def parse_student(row: dict[str, str]) -> dict[str, Any]:
    """Student-level values of a row, checked and converted."""
    problems: list[RowProblem] = []
    get = row.get
    data: dict[str, Any] = {"student_id": get("student_id", "")}
    for column, options, blank, default in _STUDENT_CHOICES:
        value = get(column, "")
        if not value:
            if default:
                value = default
            elif blank:
                data[column] = ""
                continue
        if value in options:
            data[column] = value
        else:
            problems.append(RowProblem(column, f"unknown code {value!r}; use one of "
                                       + ", ".join(sorted(options))))
    for column in _STUDENT_BOOLS:
        value = get(column, "")
        flag = _BOOLS.get(value)
        if flag is None:
            flag = _BOOLS.get(value.lower())
        if flag is None:
            problems.append(RowProblem(column, f"{value!r} is not yes or no (use true/false, "
                                               "yes/no or 1/0)"))
        else:
            data[column] = flag
    for column in ("age", "restraint_minutes"):
        value = get(column, "")
        if not value:
            data[column] = None
            continue
        try:
            data[column] = _int(value, column)
        except RowProblem as exc:
            problems.append(exc)
    if data.get("age") is not None and not 3 <= data["age"] <= 22:
        problems.append(RowProblem("age", f"{data['age']} is outside 3 to 22"))
    try:
        data.update(_actions(get("actions", "")))
    except RowProblem as exc:
        problems.append(exc)
    try:
        data["basis"] = list(_basis(get("basis", "")))
    except RowProblem as exc:
        problems.append(exc)
    for column, limit in _STUDENT_TEXT:
        value = data[column] = get(column, "")
        if len(value) > limit:
            problems.append(RowProblem(column, f"longer than {limit} characters"))
    if problems:
        raise _Problems(problems)
    return data


@dataclass
class Group:
    """The rows of one incident."""

    key: tuple[str, str]
    lines: list[int] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)

    def digest(self) -> str:
        h = hashlib.sha256()
        for row in self.rows:
            h.update("\x1f".join(map(row.get, COLUMNS, _BLANKS)).encode())
            h.update(b"\x1e")
        return h.hexdigest()


def _groups(rows: Iterator[tuple[int, dict[str, str]]], report: ImportReport
            ) -> Iterator[Group]:
    current: Group | None = None
    for line, row in rows:
        report.rows_in += 1
        if "__extra__" in row:
            report.reject(line, "", "the row has more values than the header has columns")
            continue
        key = (row["source_system"], row["incident_id"])
        if current is not None and key == current.key:
            current.lines.append(line)
            current.rows.append(row)
            continue
        if current is not None:
            yield current
        current = Group(key, [line], [row])
    if current is not None:
        yield current


def _column_for(path: str) -> tuple[int | None, str]:
    parts = path.split(".")
    if parts[0] == "involvements" and len(parts) == 3:
        return int(parts[1]), PATH_TO_COLUMN.get(parts[2], parts[2])
    return None, PATH_TO_COLUMN.get(parts[0], parts[0])


@dataclass
class Prepared:
    group: Group
    data: dict[str, Any]
    students: list[dict[str, Any]]
    incident: Incident
    involvements: list[Involvement]
    digest: str


def _prepare(group: Group, look: Lookups, zone: ZoneInfo, report: ImportReport,
             now: datetime.datetime) -> Prepared | None:
    failed = False
    try:
        data = parse_incident(group.rows[0], look, zone)
    except _Problems as exc:
        for p in exc.problems:
            report.reject(group.lines[0], p.column, p.reason)
        data, failed = {}, True
    students: list[dict[str, Any]] = []
    for line, row in zip(group.lines, group.rows, strict=True):
        try:
            students.append(parse_student(row))
        except _Problems as exc:
            for p in exc.problems:
                report.reject(line, p.column, p.reason)
            failed = True
    if failed:
        for line in group.lines:
            report.rejected_lines.add(line)
        return None
    status = data.pop("status")
    incident = services.build_incident(data)
    incident.status = c.Status.SUBMITTED if status == "submitted" else c.Status.DRAFT
    rows = services.build_involvements(incident, students)
    officer, school = incident.officer, incident.school
    serves = (officer.agency_id, school.district_id) in look.serves
    problems = rules.check(incident, rows, submitting=status == "submitted", now=now,
                           agency_serves_school=serves)
    year = look.year_for(incident.occurred_at)
    if year is None:
        day = timezone.localtime(incident.occurred_at).date().isoformat()
        problems.errors.setdefault("occurred_at", []).append(
            f"No school year covers {day}; a system administrator must add it first.")
    if year is not None:
        for n, inv in enumerate(rows):
            if inv.sex not in year.sex_codes:
                problems.errors.setdefault(f"involvements.{n}.sex", []).append(
                    f"School year {year.code} collects sex codes {', '.join(year.sex_codes)}.")
    if problems:
        for path, messages in problems.errors.items():
            index, column = _column_for(path)
            line = group.lines[index] if index is not None else group.lines[0]
            for message in messages:
                report.reject(line, column, message)
        for line in group.lines:
            report.rejected_lines.add(line)
        return None
    # As ``incident.school_year = year`` would, without the descriptor's checks.
    assert year is not None  # no school year is a problem reported above
    incident.__dict__["school_year_id"] = year.pk
    incident._state.fields_cache["school_year"] = year
    if incident.status == c.Status.SUBMITTED:
        incident.submitted_at = incident.recorded_at
    data["status"] = status
    return Prepared(group, data, students, incident, rows, group.digest())


def _year_of_day(years: list[SchoolYear], day: datetime.date) -> SchoolYear | None:
    for year in years:
        if year.start_date <= day <= year.end_date:
            return year
    return None


#: Stand-ins for the primary keys a record is given when it is written: the reading
#: side builds every row and audit snapshot with them, the writing side puts the
#: reserved ids in their places (decision 0008). Larger than any id a table reaches.
INCIDENT_SLOT = 8_888_888_888_888_888_881
INVOLVEMENT_SLOT = 8_888_888_888_888_888_882
#: Where a stand-in id stands in a snapshot's canonical text: the value of a key (a
#: key ends in a letter; a quote inside a text value is always escaped, "\\"").
_SLOTS = re.compile(f'(?<=[a-z]":)({INCIDENT_SLOT}|{INVOLVEMENT_SLOT})(?=[,}}])')
_INCIDENT_ID = bulk.attnames(Incident).index("id")
_INVOLVEMENT_ID = bulk.attnames(Involvement).index("id")
_INVOLVEMENT_INCIDENT = bulk.attnames(Involvement).index("incident_id")


class Ready(NamedTuple):
    """One checked record, ready to store: what the reading side hands the writing
    side (through a pipe, so plain values only). Ids are written in by the writer."""

    key: tuple[str, str]
    lines: list[int]
    #: The record's cells as read (COLUMNS order), to prepare it again as an amendment
    #: when a record with its source key is already stored.
    cells: list[tuple[str, ...]]
    digest: str
    #: The incident's and its students' values in the driver's form (bulk.rows).
    incident: list[Any]
    involvements: list[list[Any]]
    #: The audit snapshot's canonical text, cut where the ids go; ``slots`` says which
    #: id goes in each cut ("I" the incident's, "V" the next student row's).
    after: list[str]
    slots: str
    #: The school's name, for the audit event's description of the record.
    school: str
    #: (evidence, who asked, agency, district, school, officer) of the discipline-
    #: involvement flag (R-D2) the record raises, or None.
    flag: tuple[dict[str, Any], str, int, int, int, int] | None


_SOURCE_LABELS = dict(c.InvolvementSource.choices)
_REQUESTER_LABELS = dict(c.RequesterRole.choices)


def _ready(batch: list[Prepared], now: datetime.datetime) -> list[Ready]:
    """The values, snapshots and flags of prepared records, with stand-in ids."""
    incidents = [p.incident for p in batch]
    students = [inv for p in batch for inv in p.involvements]
    for p in batch:
        p.incident.pk = INCIDENT_SLOT
        p.incident.source_hash = p.digest
        services.derive(p.incident, p.involvements)
    for inv in students:
        inv.pk = INVOLVEMENT_SLOT
    incident_rows = bulk.rows(Incident, incidents, now)
    student_rows = iter(bulk.rows(Involvement, students, now))
    snapshot = audit.fields_snapshot
    out = []
    for p, incident_row in zip(batch, incident_rows, strict=True):
        incident, rows = p.incident, p.involvements
        after = snapshot(incident)
        after["other_officers"] = []
        after["involvements"] = [snapshot(i) for i in rows]
        pieces, slots = _cut(audit.canonical_text(after), len(rows))
        flag = None
        if incident.status != c.Status.DRAFT:
            evidence = rules.discipline_case(incident, rows, incident.reason.kind)
            if evidence is not None:
                who = str(_SOURCE_LABELS.get(incident.involvement_source, ""))
                if incident.requester_role:
                    who += f" ({_REQUESTER_LABELS.get(incident.requester_role)})"
                school = incident.school
                flag = (evidence, who, incident.officer.agency_id, school.district_id,
                        school.pk, incident.officer_id)
        out.append(Ready(
            p.group.key, p.group.lines,
            [tuple(map(row.get, COLUMNS, _BLANKS)) for row in p.group.rows], p.digest,
            incident_row, [next(student_rows) for _ in rows], pieces, slots,
            str(incident.school), flag))
    return out


_AT_SLOT = f'":{str(INCIDENT_SLOT)[:-1]}'
_SLOT_KINDS = {str(INCIDENT_SLOT)[-1]: "I", str(INVOLVEMENT_SLOT)[-1]: "V"}


def _cut(text: str, students: int) -> tuple[list[str], str]:
    """``text`` cut where the stand-in ids are, and which id goes in each cut."""
    parts = text.split(_AT_SLOT)
    # Each cut must follow an id key ('"id"' or '"incident_id"', whose closing quote
    # is not escaped, so it cannot be inside a text value) and be one of the two ids.
    if all(part.endswith(('"id', '"incident_id')) and not part.endswith('\\"id')
           for part in parts[:-1]) and all(part[:1] in _SLOT_KINDS for part in parts[1:]):
        pieces = [parts[0]]
        slots = []
        for part in parts[1:]:
            slots.append(_SLOT_KINDS[part[0]])
            pieces[-1] += '":'
            pieces.append(part[1:])
    else:  # a text value holds the digits: find the ids by their place instead
        found = _SLOTS.split(text)
        pieces = found[0::2]
        slots = ["I" if int(v) == INCIDENT_SLOT else "V" for v in found[1::2]]
    kinds = "".join(slots)
    if kinds.count("I") != students + 1 or kinds.count("V") != students:
        raise RuntimeError("an audit snapshot has its ids out of place")
    return pieces, kinds


@dataclass
class Run:
    """What one import remembers across batches, in constant memory: the first id it
    gave a new incident (ids only grow), so a record it created can be told from one
    that was stored before; and how to prepare a record again as an amendment."""

    again: Callable[[Ready], Prepared]
    first_id: int | None = None

    def created_here(self, pk: int) -> bool:
        return self.first_id is not None and pk >= self.first_id


def _repeat(report: ImportReport, r: Ready, where: str) -> None:
    report.reject(r.lines[0], "incident_id", f"incident {r.key[1]} already appeared "
                  f"{where}; keep the rows of one incident together")
    report.rejected_lines.update(r.lines)


def _write(actor: User | None, batch: list[Ready], report: ImportReport, run: Run) -> None:
    """Store one batch: new incidents in bulk (one audit event each, chained in order);
    changed ones through the service as amendments; unchanged ones skipped. An
    incident whose rows are split (it appears again later in the file) is rejected
    the second time."""
    firsts: dict[tuple[str, str], int] = {}
    unique: list[Ready] = []
    for r in batch:
        if r.key in firsts:
            _repeat(report, r, f"starting at line {firsts[r.key]}")
            continue
        firsts[r.key] = r.lines[0]
        unique.append(r)
    if not unique:
        return
    existing = _stored({r.key for r in unique})
    new: list[Ready] = []
    for r in unique:
        stored = existing.get(r.key)
        if stored is None:
            new.append(r)
        elif run.created_here(stored[0]):
            _repeat(report, r, "earlier in this file")
        elif stored[1] == r.digest:
            report.unchanged += 1
        else:
            _amend(actor, run.again(r), Incident.objects.get(pk=stored[0]), report)
    if new:
        _store(actor, new, run)
        report.created += len(new)


def _stored(keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(id, source hash) of the stored incidents with these source keys. One query in
    the shape of the partial unique index on the source key (its condition included,
    so the database uses it), without building model instances: most keys of a large
    import are new."""
    systems = sorted({k[0] for k in keys})
    records = sorted({k[1] for k in keys})
    table = connection.ops.quote_name(Incident._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            where = "source_system = ANY(%s) AND source_record_id = ANY(%s)"
            params: list[Any] = [systems, records]
        else:
            where = (f"source_system IN ({', '.join(['%s'] * len(systems))}) AND "
                     f"source_record_id IN ({', '.join(['%s'] * len(records))})")
            params = systems + records
        cursor.execute(f"SELECT id, source_system, source_record_id, source_hash "  # noqa: S608
                       f"FROM {table} WHERE {where} AND NOT (source_record_id = '')",
                       params)
        return {(system, record): (pk, digest)
                for pk, system, record, digest in cursor.fetchall()
                if (system, record) in keys}


def _amend(actor: User | None, p: Prepared, old: Incident, report: ImportReport) -> None:
    data = {**p.data, "source_hash": p.digest}
    submit = data.pop("status") == "submitted"
    try:
        with transaction.atomic():
            services.save_incident(actor, data, p.students, incident=old, submit=submit,
                                   amend_reason="Updated by re-import from "
                                                f"{p.incident.source_system}")
    except ValidationError as exc:
        for path, messages in exc.message_dict.items():
            index, column = _column_for(path)
            line = p.group.lines[index] if index is not None else p.group.lines[0]
            for message in messages:
                report.reject(line, column, f"cannot update the stored record: {message}")
        report.rejected_lines.update(p.group.lines)
        return
    except PermissionDenied as exc:
        report.reject(p.group.lines[0], "incident_id",
                      f"cannot update the stored record: {exc}")
        report.rejected_lines.update(p.group.lines)
        return
    report.updated += 1


_INCIDENT_LABEL = Incident._meta.label


def _store(actor: User | None, new: list[Ready], run: Run) -> None:
    """Insert new records with fresh ids, one audit event each, and their flags."""
    ids = bulk.reserve_ids(Incident, len(new))
    if run.first_id is None:
        run.first_id = ids[0]
    row_ids = iter(bulk.reserve_ids(Involvement, sum(len(r.involvements) for r in new)))
    incidents: list[list[Any]] = []
    involvements: list[list[Any]] = []
    events = []
    for r, pk in zip(new, ids, strict=True):
        r.incident[_INCIDENT_ID] = pk
        incidents.append(r.incident)
        mine = str(pk)
        theirs = []
        for row in r.involvements:
            row_id = row[_INVOLVEMENT_ID] = next(row_ids)
            row[_INVOLVEMENT_INCIDENT] = pk
            involvements.append(row)
            theirs.append(str(row_id))
        rest = iter(theirs)
        text = [r.after[0]]
        for slot, piece in zip(r.slots, r.after[1:], strict=True):
            text.append(mine if slot == "I" else next(rest))
            text.append(piece)
        events.append((_INCIDENT_LABEL, mine, f"Incident {pk} at {r.school}", None,
                       "".join(text)))
    bulk.insert_rows(Incident, bulk.attnames(Incident), incidents)
    bulk.insert_rows(Involvement, bulk.attnames(Involvement), involvements)
    audit.record_encoded(actor, "import", events)
    _raise_discipline_flags([(r, pk) for r, pk in zip(new, ids, strict=True) if r.flag],
                            actor)


def _raise_discipline_flags(cases: list[tuple[Ready, int]], actor: User | None) -> None:
    """Raise the discipline-involvement flag (R-D2) of every new record that is a case,
    as ``services.refresh_discipline_flag`` would one record at a time (same flag, same
    ``raise_flag`` audit event, in the same order), with one insert and one audit write
    per batch. A record that already has an open flag (its id was used before) goes
    through the service itself. ``test_import`` keeps the two paths equal."""
    if not cases:
        return
    already_open = set(Flag.objects.filter(
        kind=services.DISCIPLINE_FLAG, subject_type=_INCIDENT_LABEL,
        subject_id__in=[str(pk) for _, pk in cases], status=FlagStatus.OPEN,
    ).values_list("subject_id", flat=True))
    pending: list[Flag] = []

    def flush() -> None:
        if not pending:
            return
        for flag, pk in zip(pending, bulk.reserve_ids(Flag, len(pending)), strict=True):
            flag.pk = pk
        bulk.insert(Flag, pending)
        audit.record_many(actor, "raise_flag", [(f, None, audit.snapshot(f)) for f in pending],
                          json_safe=True)
        pending.clear()

    for r, pk in cases:
        assert r.flag is not None  # only records that raise one are given
        if str(pk) in already_open:
            flush()
            incident = Incident.objects.select_related(
                "officer__agency", "school__district", "reason").get(pk=pk)
            services.refresh_discipline_flag(incident, list(incident.involvements.all()),
                                             actor)
            continue
        evidence, who, agency, district, school, officer = r.flag
        title = f"{Incident.number_for(pk)}: SRO enforcement on a code-of-conduct matter — {who}"
        pending.append(bulk.new(Flag, {
            "kind": services.DISCIPLINE_FLAG, "subject_type": _INCIDENT_LABEL,
            "subject_id": str(pk), "title": title[:255], "evidence": evidence,
            "agency_id": agency, "district_id": district, "school_id": school,
            "officer_id": officer,
        }))
    flush()


class _Rollback(Exception):
    pass


def import_incidents(
    source: IO[bytes] | bytes,
    actor: User | None,
    *,
    all_or_nothing: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import incident records (format version 1). With ``all_or_nothing`` one bad row
    means nothing is stored; otherwise valid incidents are stored and bad ones reported.
    """
    report = ImportReport()
    if actor is not None and not can(actor, ADD, Incident):
        report.reject(0, "", "You may not import incident records.")
        return report
    look = Lookups.load(actor)
    zone = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()

    def again(r: Ready) -> Prepared:
        group = Group(r.key, r.lines, [dict(zip(COLUMNS, cells, strict=True))
                                       for cells in r.cells])
        prepared = _prepare(group, look, zone, ImportReport(), now)
        assert prepared is not None  # it passed the same checks on the reading side
        return prepared

    run = Run(again)

    def batches() -> Iterator[tuple[list[Ready], ImportReport]]:
        """Batches of ready records, each with what the reading side found since the
        one before (rows read, rows rejected and why): runs in the second process."""
        seen = ImportReport()
        batch: list[Prepared] = []

        def found() -> ImportReport:
            since = ImportReport(seen.rows_in, 0, set(seen.rejected_lines), list(seen.errors))
            seen.rows_in = 0
            seen.rejected_lines.clear()
            seen.errors.clear()
            return since

        try:
            for group in _groups(read_rows(open_text(source), REQUIRED, OPTIONAL), seen):
                prepared = _prepare(group, look, zone, seen, now)
                if prepared is not None:
                    batch.append(prepared)
                if len(batch) >= BATCH or seen.rows_in >= 4 * BATCH:
                    yield _ready(batch, timezone.now()), found()
                    batch = []
        except FileProblem:
            yield _ready(batch, timezone.now()), found()
            raise
        yield _ready(batch, timezone.now()), found()

    def received() -> Generator[list[Ready], None, None]:
        """The batches, in this process, with the reading side's findings merged into
        the report before each batch is written."""
        aside = read_aside(batches())
        try:
            for batch, seen in aside:
                report.rows_in += seen.rows_in
                report.errors.extend(seen.errors)
                report.rejected_lines.update(seen.rejected_lines)
                if progress is not None:
                    progress(seen.rows_in)
                yield batch
        finally:
            aside.close()

    pending = received()
    # The source-key lookup of every batch needs the planner to know the table's size.
    growing = bulk.GrowingTables(Incident, Flag)
    with bulk.long_load():
        try:
            if all_or_nothing:
                with transaction.atomic():
                    for batch in pending:
                        if not report.errors:
                            _write(actor, batch, report, run)
                            growing.grew(report.created)
                    if report.errors:
                        raise _Rollback
            else:
                # Several batches per transaction: fewer commits (each may checkpoint
                # SQLite's write-ahead log, which bulk.long_load makes rarer), still
                # bounded so other writers wait little.
                # Only the last commit waits for the disk, which makes the earlier ones
                # durable with it (bulk.commit_without_waiting).
                more = True
                while more:
                    with transaction.atomic():
                        bulk.commit_without_waiting()
                        written = 0
                        for batch in pending:
                            _write(actor, batch, report, run)
                            growing.grew(report.created)
                            written += len(batch)
                            if written >= COMMIT_EVERY:
                                break
                        else:
                            more = False
                            bulk.commit_without_waiting(durable=True)
        except FileProblem as exc:
            report.reject(0, "", str(exc))
            if all_or_nothing:
                report.created = report.updated = report.unchanged = 0
            report.stored = report.created + report.updated > 0
            report.accepted = report.rows_in - report.rejected
            return report
        except _Rollback:
            # Every row was checked; the valid ones count as accepted, none is stored.
            report.created = report.updated = report.unchanged = 0
            report.accepted = report.rows_in - report.rejected
            return report
        except (ValidationError, PermissionDenied) as exc:
            report.reject(0, "", f"stopped: {exc}")
            report.created = report.updated = report.unchanged = 0
            report.accepted = report.rows_in - report.rejected
            return report
        finally:
            pending.close()
            report.errors.sort(key=lambda e: e.line)
    report.accepted = report.rows_in - report.rejected
    report.stored = True
    if report.created >= ANALYZE_AFTER:
        bulk.refresh_statistics(Incident, Involvement, AuditEvent)
    return report


register_importer(
    "incidents", import_incidents,
    "incident records, one row per student (docs/imports/incidents.md, format version 1)",
    all_or_nothing=False,
)


def json_schema() -> dict[str, Any]:
    """The interchange format as JSON Schema (draft 2020-12): one object per CSV row,
    every value a string as it appears in the file. The committed copy is
    ``opensro/incidents/schema/incidents-v1.schema.json`` (a test keeps them equal)."""
    props: dict[str, Any] = {}
    descriptions = {
        "source_system": "Name of the system the record comes from; with incident_id, the "
                         "key that makes a re-import update instead of duplicate.",
        "incident_id": "The source system's incident ID. Rows of one incident are "
                       "consecutive and share it (one row per student).",
        "school_nces_id": "12-digit NCES school ID.",
        "agency_ori": "The employing agency's ORI.",
        "officer_badge": "The responding officer's badge number in that agency.",
        "occurred_at": "ISO 8601 date and time, with offset or in the server's time zone.",
        "recorded_at": "When it was recorded in the source system (default: occurred_at).",
        "late_entry_reason": "Required when recorded more than 24 hours after occurred_at.",
        "reason": "Reason code (GET /api/incidents/reasons).",
        "status": "draft or submitted (default submitted).",
        "student_id": "District student ID; stored only as a keyed pseudonym.",
        "actions": "Action codes separated by ';'.",
        "basis": "Basis codes separated by ';' (required for detention, arrest, restraint "
                 "or use of force).",
    }
    for column in COLUMNS:
        spec: dict[str, Any] = {"type": "string"}
        if column in CHOICES:
            options = sorted(CHOICES[column])
            spec["enum"] = ([""] if column not in REQUIRED else []) + options
        elif column in ("idea", "section_504", "english_learner", "sogi_volunteered"):
            spec["pattern"] = ("^(|0|1|[YyNnTtFf]|[Yy][Ee][Ss]|[Nn][Oo]|[Tt][Rr][Uu][Ee]|"
                               "[Ff][Aa][Ll][Ss][Ee])$")
        elif column in ("age", "restraint_minutes"):
            spec["pattern"] = r"^\d*$"
        elif column == "school_nces_id":
            spec["pattern"] = r"^\d{12}$"
        elif column == "actions":
            spec["pattern"] = "^((" + "|".join(c.ACTION_FIELDS) + ")(;|$))*$"
        elif column == "basis":
            spec["pattern"] = "^((" + "|".join(sorted(BASIS_CODES)) + ")(;|$))*$"
        elif column in TEXT:
            spec["maxLength"] = TEXT[column]
        if column in descriptions:
            spec["description"] = descriptions[column]
        props[column] = spec
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:opensro:schema:incidents:v1",
        "title": f"OpenSRO incident interchange format, version {FORMAT_VERSION}",
        "description": "One CSV row per student in an incident (UTF-8, header row with "
                       "these column names). See docs/imports/incidents.md.",
        "type": "object",
        "properties": props,
        "required": list(REQUIRED),
        "additionalProperties": False,
    }
