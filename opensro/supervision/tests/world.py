"""Supervision records added to the two-county test world of ``conftest.py``.

Incidents for fall 2025 (the world's school year is 2025-26) make three SROs outliers
against the others (per 100 contacts, the base every SRO has): officer A on arrests
(20 of 40 students, against 2 of 120 for the others), peer A on restraints, officer B
on searches. A discipline-involvement case exists for
officer A (school A1), peer A (school A2) and officer B (school B1). The fall reviews of
every SRO and school are planned and overdue on the refresh day; evaluations, school
input and agency copies of the rating instrument exist for both counties.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from typing import Any

from conftest import PASSWORD, World
from opensro.core.choices import Role
from opensro.core.models import Flag, User
from opensro.core.services import grant_role
from opensro.directory import services as ds
from opensro.incidents.imports import COLUMNS, import_incidents
from opensro.supervision import periods, services
from opensro.supervision.instrument import STANDARD_NAME
from opensro.supervision.models import (
    EarlyWarningResult,
    Evaluation,
    RatingInstrument,
    Review,
)

ORI = {"a": "OH0000100", "b": "OH0000200"}
#: The day the overdue reviews are flagged: the fall 2025 reviews were due 2026-01-30.
OVERDUE_DAY = datetime.date(2026, 2, 15)
CONTACTS = 40


def row(tag: str, badge: str, school_nces: str, incident_id: str, day: int,
        **changes: str) -> dict[str, str]:
    """One valid CSV row: a counselled student on a safety matter in October 2025."""
    data = dict.fromkeys(COLUMNS, "")
    data.update(source_system="cad", incident_id=incident_id, school_nces_id=school_nces,
                agency_ori=ORI[tag], officer_badge=badge,
                occurred_at=f"2025-10-{day:02d}T10:00", recorded_at=f"2025-10-{day:02d}T11:00",
                location="hallway", involvement_source="self", reason="threat_violence",
                would_call_911="yes", deescalation="tried", race="WH", sex="F",
                actions="counselled", status="submitted")
    data.update(changes)
    return data


ARREST = {"actions": "arrest;detention", "basis": "probable_cause",
          "basis_details": "Struck another student.", "why_at_school": "Victim present.",
          "probable_cause": "Seen by the officer.", "removed_from_public_view": "yes",
          "offense": "Assault", "offense_severity": "misdemeanor", "arrest_charge": "Assault"}
RESTRAINT = {"actions": "restraint", "restraint_type": "handcuffs", "restraint_minutes": "5",
             "basis": "imminent_threat", "basis_details": "Attempted to strike staff.",
             "why_at_school": "Staff at risk.", "removed_from_public_view": "yes"}
SEARCH = {"actions": "search", "search_basis": "reasonable_suspicion",
          "search_found": "nothing"}
DISCIPLINE = {"reason": "dress_code", "would_call_911": "no", "actions": "citation",
              "offense": "Disorderly conduct", "offense_severity": "misdemeanor"}


def officer_rows(tag: str, badge: str, school_nces: str, prefix: str,
                 special: dict[str, str] | None, n_special: int) -> list[dict[str, str]]:
    """``CONTACTS`` one-student records: ``n_special`` with the ``special`` action, one
    discipline-involvement case, the rest counselled."""
    rows = []
    for n in range(CONTACTS):
        changes: dict[str, str] = {}
        if special and n < n_special:
            changes = dict(special)
        elif n == CONTACTS - 1:
            changes = dict(DISCIPLINE)
        rows.append(row(tag, badge, school_nces, f"{prefix}-{n}", 1 + n % 28, **changes))
    return rows


def to_csv(rows: Iterable[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def import_rows(rows: list[dict[str, str]]) -> None:
    report = import_incidents(to_csv(rows), None, all_or_nothing=True)
    assert not report.errors, [str(e) for e in report.errors[:3]]


def incidents(world: World) -> None:
    """The fall 2025 records that make the three outliers (and the discipline cases)."""
    for tag in ("a", "b"):
        ds.update_agency(None, world.objects[f"agency_{tag}"], {"ori": ORI[tag]})
    a1, a2 = world.school_a1.nces_id, world.school_a2.nces_id
    b1, b2 = world.school_b1.nces_id, world.school_b2.nces_id
    rows = (officer_rows("a", "a100", a1, "A", ARREST, 20)
            + officer_rows("a", "a200", a2, "PA", RESTRAINT, 15)
            + officer_rows("b", "b100", b1, "B", SEARCH, 22)
            + officer_rows("b", "b200", b2, "PB", ARREST, 2))
    import_rows(rows)


def fall() -> periods.Period:
    from opensro.directory.models import SchoolYear

    return periods.half(SchoolYear.objects.get(code="2025-26"), "fall")


def early_warning(world: World) -> None:
    """Compute fall 2025 (records to mid-November) and name the results and flags."""
    period = fall()
    services.evaluate_period(period, datetime.date(2025, 11, 15))
    o = world.objects
    for name, officer, measure in (("ew_a", "officer_a", "arrest"),
                                   ("ew_peer_a", "peer_a", "restraint"),
                                   ("ew_b", "officer_b", "search"),
                                   ("ew_peer_b", "peer_b", "arrest")):
        o[name] = EarlyWarningResult.objects.get(officer=o[officer], measure=measure,
                                                 period_start=period.start)
    for name, result in (("flag_ew_a", "ew_a"), ("flag_ew_peer_a", "ew_peer_a"),
                         ("flag_ew_b", "ew_b")):
        o[name] = Flag.objects.get(kind=services.EARLY_WARNING_FLAG,
                                   subject_id=str(o[result].pk))
    for name, officer in (("flag_disc_a", "officer_a"), ("flag_disc_peer_a", "peer_a"),
                          ("flag_disc_b", "officer_b"), ("flag_disc_peer_b", "peer_b")):
        o[name] = Flag.objects.get(kind="discipline_involvement", officer=o[officer])


def reviews(world: World) -> None:
    """Plan fall 2025 and spring 2026 reviews; the fall ones are overdue and flagged."""
    services.refresh_reviews(OVERDUE_DAY)
    o = world.objects
    for tag in ("a", "b"):
        for officer, school, n in (("officer", "1", "1"), ("peer", "2", "2")):
            for half, suffix in (("fall", ""), ("spring", "s")):
                o[f"review_{tag}{n}{suffix}"] = Review.objects.get(
                    officer=o[f"{officer}_{tag}"], school=o[f"school_{tag}{school}"],
                    half=half)
            o[f"flag_rev_{tag}{n}"] = Flag.objects.get(
                kind=services.REVIEW_OVERDUE_FLAG, subject_id=str(o[f"review_{tag}{n}"].pk))


def evaluations(world: World) -> None:
    """A supervisor for agency B; agency copies of the instrument; evaluations (one
    completed for officer A) with their school input requests."""
    o, users = world.objects, world.users
    sup_b = User.objects.create_user(username="supervisor_b", password=PASSWORD)
    grant_role(None, sup_b, Role.SUPERVISOR, agency=o["agency_b"])
    o["supervisor_b"] = sup_b
    admin_b = User.objects.create_user(username="agency_admin_b", password=PASSWORD)
    grant_role(None, admin_b, Role.AGENCY_ADMIN, agency=o["agency_b"])
    standard = RatingInstrument.objects.get(agency=None, name=STANDARD_NAME)
    o["standard"] = standard
    o["instrument_a"] = services.copy_instrument(users["agency_admin"], standard,
                                                 o["agency_a"], "Agency A evaluation")
    o["instrument_b"] = services.copy_instrument(admin_b, standard, o["agency_b"],
                                                 "Agency B evaluation")
    sup = users["supervisor"]
    done = services.create_evaluation(sup, {
        "officer": o["officer_a"], "instrument": standard,
        "period_start": datetime.date(2024, 8, 1), "period_end": datetime.date(2025, 6, 30)})
    services.update_evaluation(sup, done, {"summary": "Meets expectations."}, {
        r.criterion_id: {"score": 4} for r in done.ratings.all()})
    o["eval_a_done"] = services.complete_evaluation(sup, done)
    o["eval_a"] = services.create_evaluation(sup, {
        "officer": o["officer_a"], "instrument": o["instrument_a"],
        "period_start": datetime.date(2025, 8, 18), "period_end": datetime.date(2026, 6, 12)})
    o["eval_peer_a"] = services.create_evaluation(sup, {
        "officer": o["peer_a"], "instrument": standard,
        "period_start": datetime.date(2025, 8, 18), "period_end": datetime.date(2026, 6, 12)})
    o["eval_b"] = services.create_evaluation(sup_b, {
        "officer": o["officer_b"], "instrument": standard,
        "period_start": datetime.date(2025, 8, 18), "period_end": datetime.date(2026, 6, 12)})
    for name, evaluation in (("input_a_done", "eval_a_done"), ("input_a", "eval_a"),
                             ("input_peer_a", "eval_peer_a"), ("input_b", "eval_b")):
        o[name] = Evaluation.objects.get(pk=o[evaluation].pk).inputs.get()


def prepare(world: World) -> None:
    incidents(world)
    early_warning(world)
    reviews(world)
    evaluations(world)


def refresh(obj: Any) -> Any:
    return type(obj)._default_manager.get(pk=obj.pk)
