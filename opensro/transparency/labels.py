"""What the public tables contain, with their labels in the portal's languages (R-E1, R-E3).

Codes are stable (they are column values in the open data); labels are translated.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: Student counts published for every scope: (code, label, rate base, per).
#: Bases follow docs/methods.md "Decision points": the first steps per 1,000 enrolled,
#: actions taken during a contact per 100 contacts.
MEASURES: tuple[tuple[str, Promise, str, int], ...] = (
    ("contact", _("SRO contacts"), "enrollment", 1000),
    ("referral", _("Referrals to law enforcement"), "enrollment", 1000),
    ("citation", _("Citations or tickets"), "enrollment", 1000),
    ("arrest", _("School-related arrests"), "enrollment", 1000),
    ("search", _("Searches"), "contact", 100),
    ("use_of_force", _("Uses of force"), "contact", 100),
    ("restraint", _("Restraints"), "contact", 100),
)
MEASURE_CODES = tuple(m[0] for m in MEASURES)
MEASURE_LABELS = {code: label for code, label, _b, _p in MEASURES}
MEASURE_BASE = {code: (base, per) for code, _l, base, per in MEASURES}
#: ``small`` ≤ ``big`` in every cell: the students counted by a measure are among the
#: students contacted, and every school-related arrest is also a referral (CRDC).
ORDERS: tuple[tuple[str, str], ...] = tuple(
    (m, "contact") for m in MEASURE_CODES if m != "contact") + (("arrest", "referral"),)

FLAGS = "discipline_flags"
ACTIVITIES = "activities"
FLAGS_LABEL = _("Discipline-involvement flags")
ACTIVITIES_LABEL = _("Triad and prevention activities")

#: Dimensions of the disaggregated tables: code → (label, groups, reference group).
DIMENSIONS: dict[str, tuple[Promise, tuple[tuple[str, Promise], ...], str]] = {
    "race": (_("Race/ethnicity"), (
        ("HI", _("Hispanic or Latino of any race")),
        ("AM", _("American Indian or Alaska Native")),
        ("AS", _("Asian")),
        ("HP", _("Native Hawaiian or Other Pacific Islander")),
        ("BL", _("Black or African American")),
        ("WH", _("White")),
        ("TR", _("Two or more races")),
    ), "WH"),
    "sex": (_("Sex"), (("M", _("Male")), ("F", _("Female")), ("X", _("Nonbinary"))), "F"),
    "disability": (_("Disability"), (
        ("IDEA", _("Students with disabilities (IDEA)")),
        ("504", _("Section 504 only")),
        ("none", _("Students without disabilities")),
    ), "none"),
    "english_learner": (_("English learners"), (
        ("EL", _("English learners")),
        ("non_EL", _("Not English learners")),
    ), "non_EL"),
}
DIMENSION_CODES = tuple(DIMENSIONS)

ACTIVITY_KINDS: tuple[tuple[str, Promise], ...] = (
    ("class", _("Classes or presentations")),
    ("mentoring", _("Mentoring sessions")),
    ("family_outreach", _("Family outreach")),
    ("extracurricular", _("Extracurricular presence")),
    ("cpted", _("CPTED reviews")),
    ("safety_presentation", _("Safety presentations")),
    ("other", _("Other prevention work")),
)

SCOPE_KINDS: dict[str, Promise] = {
    "agency": _("SRO program"),
    "district": _("School district"),
    "school": _("School"),
}

STATUS_LABELS: dict[str, Promise] = {
    "published": _("published"),
    "suppressed": _("suppressed"),
}

BASE_LABELS: dict[str, Promise] = {
    "enrollment": _("per 1,000 students enrolled"),
    "contact": _("per 100 SRO contacts"),
}


def group_label(dimension: str, group: str) -> str:
    if group == "total":
        return str(_("All students"))
    for code, label in DIMENSIONS[dimension][1]:
        if code == group:
            return str(label)
    return group


def activity_label(kind: str) -> str:
    if kind == "total":
        return str(_("All activities"))
    return str(dict(ACTIVITY_KINDS).get(kind, kind))
