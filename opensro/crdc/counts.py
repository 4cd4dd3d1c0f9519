"""The CRDC counts of a district's schools for a school year, from the incident records
(R-E2, R-D4, R-D5).

What counts (docs/crdc.md):

- only final records (submitted, reviewed or amended; never drafts), and only students
  who were the *subject* of the incident: victims and witnesses never count;
- a student counts in the *referral* columns when any of their records at that school
  that year is a referral to law enforcement, and in the *arrest* columns when any is a
  school-related arrest (``rules.crdc_flags`` derives both on every record);
- students are unduplicated by their keyed pseudonym within a school: a student
  referred three times counts once. A record without a student ID cannot be linked to
  any other and counts as a student of its own;
- a student is placed by the attributes of their latest referral at that school that
  year (race, sex, IDEA, Section 504 only, English learner), so that each student sits
  in exactly one race × sex cell and the arrest cells never exceed the referral cells;
- the instance columns count every referral (arrest) record of a student, each placed
  by that record's own disability status;
- a student whose sex code the year does not collect sits in no sex column (and is
  reported in the notes).

The counts are unsuppressed: only district roles may read them (``permissions``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from opensro.crdc.layout import ID_COLUMNS, LAYOUT_NAME, Column, columns
from opensro.directory.models import District, School, SchoolYear
from opensro.incidents import choices as c
from opensro.incidents.models import Involvement


@dataclass
class SchoolCounts:
    school_id: int
    nces_id: str
    name: str
    counts: dict[str, int]

    @property
    def schid(self) -> str:
        return self.nces_id[-5:]

    def students(self, item: str) -> int:
        """Students with the item (referral REF, arrest ARR): the sum of the by-sex totals
        of students with and without IDEA."""
        return sum(n for name, n in self.counts.items()
                   if name.startswith((f"TOT_DISCWODIS_{item}_", f"TOT_DISCWDIS_{item}_IDEA_")))

    def instances(self, item: str) -> int:
        return (self.counts.get(f"SCH_{item}INSTANCES_WODIS", 0)
                + self.counts.get(f"SCH_{item}INSTANCES_IDEA", 0))


@dataclass
class Notes:
    """Facts about the records behind the counts that a person checking them should know."""

    records_without_student_id: int = 0
    students_with_differing_attributes: int = 0
    students_sex_not_collected: int = 0
    sex_not_collected: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        out = []
        if self.records_without_student_id:
            out.append(
                f"{self.records_without_student_id} referral record(s) have no student ID; "
                "each is counted as a different student.")
        if self.students_with_differing_attributes:
            out.append(
                f"{self.students_with_differing_attributes} student(s) were recorded with "
                "different attributes on different records; each is counted by their "
                "latest referral.")
        if self.students_sex_not_collected:
            out.append(
                f"{self.students_sex_not_collected} student(s) are recorded with a sex code "
                f"this school year does not collect ({', '.join(self.sex_not_collected)}); "
                "they are in no sex column but in the instance columns.")
        return out


@dataclass
class CrdcExport:
    district: District
    year: SchoolYear
    columns: list[Column]
    schools: list[SchoolCounts]
    notes: Notes

    @property
    def header(self) -> list[str]:
        return [*ID_COLUMNS, *(c.name for c in self.columns)]

    def rows(self) -> Iterable[list[Any]]:
        """CSV rows (without the header), one per school."""
        for s in self.schools:
            yield [self.district.state, self.district.nces_id, self.district.name, s.schid,
                   s.name, s.nces_id, *(s.counts[c.name] for c in self.columns)]

    def by_nces(self) -> dict[str, SchoolCounts]:
        return {s.nces_id: s for s in self.schools}

    def as_dict(self) -> dict[str, Any]:
        return {
            "layout": LAYOUT_NAME,
            "district": {"name": self.district.name, "nces_id": self.district.nces_id,
                         "state": self.district.state},
            "school_year": self.year.code,
            "sex_codes": list(self.year.sex_codes),
            "columns": [{"name": c.name, "label": c.label, "item": c.item,
                         "instances": c.instances} for c in self.columns],
            "schools": [{"nces_id": s.nces_id, "schid": s.schid, "name": s.name,
                         "counts": s.counts} for s in self.schools],
            "notes": self.notes.messages(),
        }


_ROW = ("id", "school_id", "student_pseudonym", "race", "sex", "idea", "section_504",
        "english_learner", "school_related_arrest", "incident__occurred_at", "incident_id")


def _attributes(row: dict[str, Any]) -> tuple[bool, str, str, bool, bool]:
    return (bool(row["idea"]), row["race"], row["sex"], bool(row["english_learner"]),
            bool(row["section_504"]))


def compute(district: District, year: SchoolYear) -> CrdcExport:
    """The CRDC counts of every school of ``district`` for ``year``. Callers check
    permission first (``services.export``)."""
    cols = columns(year.sex_codes)
    student_cols = [col for col in cols if not col.instances]
    instance_cols = [col for col in cols if col.instances]
    rows = (Involvement.objects
            .filter(school__district=district, school_year=year, final=True,
                    role=c.StudentRole.SUBJECT, referral_to_law_enforcement=True)
            .values(*_ROW).order_by())
    by_student: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list))
    for row in rows:
        key = row["student_pseudonym"] or f"record:{row['id']}"
        by_student[row["school_id"]][key].append(row)
    schools = School.objects.filter(district=district).filter(
        Q(active=True) | Q(pk__in=list(by_student))).order_by("nces_id")
    notes = Notes()
    collected = set(year.sex_codes)
    uncollected: set[str] = set()
    result: list[SchoolCounts] = []
    for school in schools:
        counts = dict.fromkeys((col.name for col in cols), 0)
        for key, records in by_student.get(school.pk, {}).items():
            records.sort(key=lambda r: (r["incident__occurred_at"], r["incident_id"], r["id"]))
            attrs = _attributes(records[-1])
            arrested = any(r["school_related_arrest"] for r in records)
            if key.startswith("record:"):
                notes.records_without_student_id += 1
            if len({_attributes(r) for r in records}) > 1:
                notes.students_with_differing_attributes += 1
            if attrs[2] not in collected:
                notes.students_sex_not_collected += 1
                uncollected.add(attrs[2])
            for col in student_cols:
                if (col.item == "REF" or arrested) and col.counts(*attrs):
                    counts[col.name] += 1
            for r in records:
                own = _attributes(r)
                for col in instance_cols:
                    if (col.item == "REF" or r["school_related_arrest"]) and col.counts(*own):
                        counts[col.name] += 1
        result.append(SchoolCounts(school.pk, school.nces_id, school.name, counts))
    notes.sex_not_collected = sorted(uncollected)
    return CrdcExport(district, year, cols, result, notes)
