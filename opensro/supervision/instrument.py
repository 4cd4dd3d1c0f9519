"""The standard SRO rating instrument (R-F1, COPS Guiding Principle 6; NASRO's triad).

Seeded by the data migration ``0002_standard_instrument``; an agency copies it and
adapts its copy. The criteria rate what an SRO's role asks for, not enforcement
volume: high numbers of arrests, citations, searches or seizures are a reason for
review, never a measure of merit.
"""

from __future__ import annotations

from typing import Any

STANDARD_NAME = "OpenSRO standard SRO evaluation"
STANDARD_DESCRIPTION = (
    "SRO-specific performance criteria (COPS Guiding Principle 6): de-escalation and "
    "alternatives to citation and arrest first. Enforcement counts are shown beside the "
    "ratings as a reason for review, never as merit."
)

#: (code, label, guidance, requirement)
STANDARD_CRITERIA: tuple[tuple[str, str, str, str], ...] = (
    ("deescalation", "De-escalation",
     "Uses time, distance, calm communication and the help of school staff to resolve "
     "situations without force or custody; records whether de-escalation was tried.",
     "R-F1, R-D3"),
    ("alternatives", "Use of alternatives to citation and arrest",
     "Chooses warnings, referrals to counselors and mental-health professionals, "
     "diversion and restorative responses where safety allows; arrest and restraint "
     "only as a last resort.", "R-F1, R-D3"),
    ("discipline", "Staying out of school discipline",
     "Leaves code-of-conduct matters to school staff; reports improper requests to "
     "intervene in discipline to the supervisor.", "R-D2"),
    ("students", "Relationships with students",
     "Known to students as approachable and fair; informal counselling and mentoring; "
     "respectful of all backgrounds and abilities; trauma-informed and developmentally "
     "appropriate.", "R-B3, R-F2"),
    ("teaching", "Teaching and presentations",
     "Classes, safety presentations and family outreach that are prepared, age-"
     "appropriate and requested again.", "R-D6"),
    ("collaboration", "Collaboration with school staff",
     "Works with administrators, counselors and teachers as one member of the school "
     "team; shares information within the MOU and the law.", "R-F2"),
    ("mou_ferpa", "Knowledge of the MOU and FERPA",
     "Knows the memorandum of understanding, the limits of the SRO's role, and how "
     "student records may and may not be used and shared.", "R-C1, R-D7"),
    ("documentation", "Complete and timely records",
     "Records every response to a student incident promptly, with the basis of any "
     "custodial action documented in detail.", "R-D1, R-D3"),
    ("emergency", "Emergency preparedness",
     "Takes part in drills, safety assessments and the school's emergency plans.",
     "R-J4, R-J6"),
)


def seed_standard_instrument(instrument_model: Any, criterion_model: Any) -> Any:
    """Create the standard instrument and its criteria if missing (idempotent). Takes
    the models as arguments so that the data migration can pass its historical ones."""
    instrument, _created = instrument_model.objects.get_or_create(
        agency=None, name=STANDARD_NAME, defaults={"description": STANDARD_DESCRIPTION})
    for order, (code, label, guidance, requirement) in enumerate(STANDARD_CRITERIA, start=1):
        criterion_model.objects.get_or_create(
            instrument=instrument, code=code,
            defaults={"label": label, "guidance": guidance, "requirement": requirement,
                      "sort_order": order * 10})
    return instrument
