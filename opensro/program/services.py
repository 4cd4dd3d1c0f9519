"""Every write of the program app (architecture: services validate, check, write, audit)
and the flags its rules raise.

MOUs (R-C1…R-C3): each write re-evaluates the flags of the MOU's agency–district pair
at once (a recorded review clears the overdue-review flag immediately); the time-based
ones are also recomputed daily by ``opensro flags refresh``. Staffing (R-A3, R-A4): the
floating-SRO and school-without-coverage flags are recomputed by the refresh.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from opensro.core import audit
from opensro.core import services as core
from opensro.core.flags import (
    DueItem,
    FlagKind,
    RefreshResult,
    clear_flags,
    raise_flag,
    register_due_source,
    register_kind,
)
from opensro.core.models import Flag, FlagStatus, User
from opensro.core.permissions import ADD, CHANGE, VIEW, can, require
from opensro.directory.models import Agency, Assignment, District, Officer, School
from opensro.program import documents
from opensro.program import selectors as sel
from opensro.program.choices import (
    DUE_MOU_EXPIRY,
    DUE_MOU_REVIEW,
    FLOATING_SRO,
    MOU_EXPIRED,
    MOU_MISSING_ELEMENT,
    MOU_NOT_IN_FORCE,
    MOU_REVIEW_OVERDUE,
    SCHOOL_WITHOUT_COVERAGE,
    MouStatus,
)
from opensro.program.models import (
    Mou,
    MouElement,
    MouElementEntry,
    MouReview,
    StaffingFactors,
    add_months,
)

MOU_KINDS = (MOU_MISSING_ELEMENT, MOU_REVIEW_OVERDUE, MOU_EXPIRED, MOU_NOT_IN_FORCE)


def today() -> datetime.date:
    return timezone.localdate()


# --------------------------------------------------------------------------- MOUs


def next_version(agency: Any, district: Any) -> int:
    last = Mou.objects.filter(agency=agency, district=district).aggregate(
        n=models.Max("version"))["n"]
    return (last or 0) + 1


def check_mou(mou: Mou) -> None:
    """MOU rules (R-C1, R-C3).

    - the agency serves the district (an MOU is between an agency and a district it
      serves: add the district to the agency's districts served first);
    - an executed MOU has its signed document;
    - only an executed MOU is published;
    - an executed MOU does not go back to draft, and an MOU stays with its parties
      (record a new version instead).
    """
    errors: dict[str, str] = {}
    agency, district = mou.agency, mou.district
    if not agency.districts_served.filter(pk=district.pk).exists():
        errors["district"] = (f"{agency} does not serve {district}. An MOU is made with a "
                              "district the agency serves; a system administrator adds it "
                              "to the agency's districts served first.")
    if mou.status == MouStatus.EXECUTED and not mou.document_file:
        errors["document"] = ("An executed MOU needs its signed document: upload the signed "
                              "MOU as a PDF.")
    if mou.public and mou.status != MouStatus.EXECUTED:
        errors["public"] = ("Only an executed MOU is published. Publish it once both "
                            "parties have signed.")
    if mou.pk is not None:
        stored = Mou.objects.filter(pk=mou.pk).values(
            "status", "agency_id", "district_id").first()
        if stored is not None:
            if stored["status"] == MouStatus.EXECUTED and mou.status == MouStatus.DRAFT:
                errors["status"] = ("An executed MOU cannot return to draft. Record a new "
                                    "version for the changes instead.")
            if (stored["agency_id"], stored["district_id"]) != (mou.agency_id,
                                                                mou.district_id):
                errors["district"] = ("An MOU stays with its agency and district. Start a "
                                      "new MOU for other parties.")
    if errors:
        raise ValidationError(errors)


def _document_fields(doc: documents.Document, stored: str) -> dict[str, Any]:
    return {"document_file": stored, "document_name": doc.name,
            "document_size": doc.size, "document_sha256": doc.sha256}


def create_mou(actor: User | None, data: Mapping[str, Any], document: Any = None) -> Mou:
    """Record a new MOU version between an agency and a district, with its signed PDF
    if there is one. A rejected write stores nothing, not even the file."""
    if actor is not None and not can(actor, ADD, Mou):
        raise PermissionDenied("You may not add an MOU.")
    doc = documents.read_document(document) if document is not None else None
    values = dict(data)
    if not values.get("version") and values.get("agency") and values.get("district"):
        values["version"] = next_version(values["agency"], values["district"])
    stored = ""
    try:
        with transaction.atomic():
            if doc is not None:
                stored = documents.store(doc)
                values.update(_document_fields(doc, stored))
            mou = core.create(actor, Mou, values, validate=check_mou)
            evaluate_pair(mou.agency_id, mou.district_id, actor=actor)
    except BaseException:
        documents.delete(stored)
        raise
    return mou


def update_mou(actor: User | None, mou: Mou, data: Mapping[str, Any],
               document: Any = None) -> Mou:
    """Change an MOU (its dates, status, publication…) or replace its document."""
    if actor is not None:
        require(actor, CHANGE, mou)
    doc = documents.read_document(document) if document is not None else None
    values = dict(data)
    if "version" in values and not values["version"]:
        values.pop("version")
    stored = ""
    try:
        with transaction.atomic():
            old = Mou.objects.filter(pk=mou.pk).values_list("document_file", flat=True).first()
            if doc is not None:
                stored = documents.store(doc)
                values.update(_document_fields(doc, stored))
            saved = core.update(actor, mou, values, validate=check_mou)
            evaluate_pair(saved.agency_id, saved.district_id, actor=actor)
            if stored and old and old != stored:
                transaction.on_commit(lambda: documents.delete(old))
    except BaseException:
        documents.delete(stored)
        raise
    return saved


def set_checklist(actor: User | None, mou: Mou,
                  items: Iterable[Mapping[str, Any]]) -> Mou:
    """Mark catalog elements present (with the section where they appear) or missing
    (R-C1, R-C2). ``items``: ``{"element": MouElement or code, "present", "section",
    "notes"}``; elements not listed keep their entry. One audit event for the change."""
    rows = list(items)
    catalog = {e.code: e for e in MouElement.objects.all()}
    errors: dict[str, str] = {}
    resolved: list[tuple[MouElement, bool, str, str]] = []
    for item in rows:
        ref = item.get("element")
        element = ref if isinstance(ref, MouElement) else catalog.get(str(ref))
        if element is None:
            errors[str(ref)] = f"There is no MOU element {ref!r} in the catalog."
            continue
        present = bool(item.get("present"))
        section = str(item.get("section") or "").strip()
        notes = str(item.get("notes") or "").strip()
        if present and not section:
            errors[f"{element.code}.section"] = (
                f"Give the section of the MOU where “{element.label}” appears (e.g. §4.2).")
        if len(section) > 100:
            errors[f"{element.code}.section"] = "Keep the section reference under 100 characters."
        if len(notes) > 300:
            errors[f"{element.code}.notes"] = "Keep the notes under 300 characters."
        resolved.append((element, present, section, notes))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fresh = Mou.objects.select_for_update().get(pk=mou.pk)
        if actor is not None:
            require(actor, CHANGE, fresh)
        before = audit.snapshot(fresh)
        existing = {e.element_id: e for e in MouElementEntry.objects.filter(mou=fresh)}
        for element, present, section, notes in resolved:
            entry = existing.get(element.pk)
            if entry is None:
                if not (present or section or notes):
                    continue
                entry = MouElementEntry(mou=fresh, element=element)
            elif (entry.present, entry.section, entry.notes) == (present, section, notes):
                continue
            entry.present, entry.section, entry.notes = present, section, notes
            entry.full_clean()
            entry.save()
        after = audit.snapshot(fresh)
        if after != before:
            audit.record(actor, "update_checklist", fresh, before=before, after=after)
        evaluate_pair(fresh.agency_id, fresh.district_id, actor=actor)
    return fresh


# --------------------------------------------------------------------------- reviews


def check_review(review: MouReview) -> None:
    """Annual review rules (R-C3): of an executed MOU, not before it took effect, not in
    the future; the next review falls after this one and within 12 months."""
    errors: dict[str, str] = {}
    mou = review.mou
    if mou.status != MouStatus.EXECUTED:
        errors["mou"] = ("This MOU is still a draft. Reviews are recorded for an executed "
                         "MOU.")
    if review.review_date > today():
        errors["review_date"] = "The review date cannot be in the future."
    elif review.review_date < mou.effective_date:
        errors["review_date"] = (f"The review cannot be before the MOU takes effect "
                                 f"({mou.effective_date.isoformat()}).")
    limit = add_months(review.review_date, sel.REVIEW_MONTHS)
    if review.next_review_due <= review.review_date:
        errors["next_review_due"] = "The next review must fall after this one."
    elif review.next_review_due > limit:
        errors["next_review_due"] = (f"The MOU is reviewed at least every 12 months: the next "
                                     f"review is due by {limit.isoformat()} at the latest.")
    if errors:
        raise ValidationError(errors)


def _with_default_due(values: dict[str, Any]) -> dict[str, Any]:
    if not values.get("next_review_due") and isinstance(values.get("review_date"),
                                                        datetime.date):
        values["next_review_due"] = add_months(values["review_date"], sel.REVIEW_MONTHS)
    return values


def record_review(actor: User | None, mou: Mou, data: Mapping[str, Any]) -> MouReview:
    """Record an annual review of ``mou``; the next one is due 12 months later unless an
    earlier date is given. Clears the overdue-review flag at once."""
    values = _with_default_due(dict(data))
    values["mou"] = mou
    with transaction.atomic():
        review = core.create(actor, MouReview, values, validate=check_review,
                             action="record_review")
        evaluate_pair(mou.agency_id, mou.district_id, actor=actor)
    return review


def update_review(actor: User | None, review: MouReview,
                  data: Mapping[str, Any]) -> MouReview:
    values = dict(data)
    values.pop("mou", None)
    if "next_review_due" in values and not values["next_review_due"]:
        values["review_date"] = values.get("review_date") or review.review_date
        values = _with_default_due(values)
    with transaction.atomic():
        saved = core.update(actor, review, values, validate=check_review)
        evaluate_pair(saved.mou.agency_id, saved.mou.district_id, actor=actor)
    return saved


# --------------------------------------------------------------------------- catalog


def create_element(actor: User | None, data: Mapping[str, Any]) -> MouElement:
    with transaction.atomic():
        element = core.create(actor, MouElement, data)
        refresh_mou_flags(today(), kinds={MOU_MISSING_ELEMENT}, actor=actor)
    return element


def update_element(actor: User | None, element: MouElement,
                   data: Mapping[str, Any]) -> MouElement:
    with transaction.atomic():
        saved = core.update(actor, element, data)
        refresh_mou_flags(today(), kinds={MOU_MISSING_ELEMENT}, actor=actor)
    return saved


# --------------------------------------------------------------------------- staffing


def create_staffing_factors(actor: User | None, data: Mapping[str, Any]) -> StaffingFactors:
    return core.create(actor, StaffingFactors, data)


def update_staffing_factors(actor: User | None, factors: StaffingFactors,
                            data: Mapping[str, Any]) -> StaffingFactors:
    return core.update(actor, factors, data)


# --------------------------------------------------------------------------- flags


def _iso(day: datetime.date | None) -> str | None:
    """Flag evidence is stored as JSON: dates as ISO text."""
    return day.isoformat() if day is not None else None


def _apply(kind: str, subject: models.Model, holds: bool, *, title: str = "",
           evidence: dict[str, Any] | None = None, scope: Mapping[str, Any] | None = None,
           reason: str = "", actor: User | None = None) -> tuple[int, int]:
    """Raise (``holds``) or clear the flag of ``kind`` on ``subject``; returns
    (opened, cleared)."""
    is_open = Flag.objects.filter(kind=kind, subject_type=subject._meta.label,
                                  subject_id=str(subject.pk), status=FlagStatus.OPEN).exists()
    if holds:
        raise_flag(kind, subject, title=title, evidence=evidence or {}, actor=actor,
                   **dict(scope or {}))
        return (0 if is_open else 1, 0)
    if is_open:
        return (0, clear_flags(kind, subject, reason=reason, actor=actor))
    return (0, 0)


def evaluate_pair(agency_id: int, district_id: int, day: datetime.date | None = None, *,
                  actor: User | None = None, kinds: Iterable[str] | None = None
                  ) -> dict[str, tuple[int, int]]:
    """Raise or clear the MOU flags of one agency–district pair as of ``day``:
    missing required element, annual review overdue, expired, no MOU in force."""
    day = day or today()
    wanted = set(kinds) if kinds is not None else set(MOU_KINDS)
    result: dict[str, list[int]] = {k: [0, 0] for k in wanted}

    def add(kind: str, counts: tuple[int, int]) -> None:
        result[kind][0] += counts[0]
        result[kind][1] += counts[1]

    mous = list(sel.with_reviews(Mou.objects.filter(
        agency_id=agency_id, district_id=district_id).select_related("agency", "district")))
    state = sel.pair_state(agency_id, district_id, mous, day)
    required = sel.required_elements() if MOU_MISSING_ELEMENT in wanted else []
    for mou in mous:
        scope = {"agency": mou.agency, "district": mou.district}
        if MOU_MISSING_ELEMENT in wanted:
            missing = sel.missing_required(mou, required) if state.current(mou, day) else []
            add(MOU_MISSING_ELEMENT, _apply(
                MOU_MISSING_ELEMENT, mou, bool(missing),
                title=f"{mou}: {len(missing)} required element(s) missing",
                evidence={"missing": [e.code for e in missing],
                          "labels": [e.label for e in missing]},
                scope=scope, actor=actor,
                reason=("The MOU now contains every required element."
                        if state.current(mou, day)
                        else "The MOU is no longer current (expired, replaced or a draft)."),
            ))
        if MOU_REVIEW_OVERDUE in wanted:
            in_force = state.in_force is not None and state.in_force.pk == mou.pk
            due = sel.review_due(mou)
            last = sel.last_review(mou)
            add(MOU_REVIEW_OVERDUE, _apply(
                MOU_REVIEW_OVERDUE, mou, in_force and due < day,
                title=f"{mou}: annual review overdue since {due.isoformat()}",
                evidence={"due": _iso(due), "last_review": _iso(last.review_date if last else None),
                          "effective_date": _iso(mou.effective_date)},
                scope=scope, actor=actor,
                reason=(f"Reviewed on {last.review_date.isoformat()}; next review due "
                        f"{due.isoformat()}." if in_force and last is not None
                        else "The MOU is no longer in force."),
            ))
        if MOU_EXPIRED in wanted:
            add(MOU_EXPIRED, _apply(
                MOU_EXPIRED, mou, state.expired_unrenewed(mou, day),
                title=f"{mou} expired on {mou.expiry_date.isoformat()}"
                if mou.expiry_date else str(mou),
                evidence={"expiry_date": _iso(mou.expiry_date)},
                scope=scope, actor=actor,
                reason="A newer version was executed, or the expiry date was extended.",
            ))
    if MOU_NOT_IN_FORCE in wanted:
        through = Agency.districts_served.through.objects.filter(
            agency_id=agency_id, district_id=district_id).select_related(
            "agency", "district").first()
        if through is not None:
            newest = state.newest
            add(MOU_NOT_IN_FORCE, _apply(
                MOU_NOT_IN_FORCE, through, state.in_force is None,
                title=f"{through.agency} serves {through.district} without an MOU in force",
                evidence={"agency_id": agency_id, "district_id": district_id,
                          "newest_executed_mou": newest.pk if newest else None,
                          "newest_expiry": _iso(newest.expiry_date if newest else None)},
                scope={"agency": through.agency, "district": through.district},
                actor=actor,
                reason=f"{state.in_force} is in force." if state.in_force else "",
            ))
    return {k: (v[0], v[1]) for k, v in result.items()}


def refresh_mou_flags(day: datetime.date, *, kinds: Iterable[str] = MOU_KINDS,
                      actor: User | None = None) -> RefreshResult:
    """Re-evaluate every agency–district pair (those served and those with an MOU)."""
    wanted = set(kinds)
    pairs = set(Mou.objects.values_list("agency_id", "district_id").distinct())
    served = sel.served_pairs()
    if MOU_NOT_IN_FORCE in wanted:
        pairs |= {(a, d) for _pk, a, d in served}
    opened = cleared = 0
    for agency_id, district_id in sorted(pairs):
        for counts in evaluate_pair(agency_id, district_id, day, actor=actor,
                                    kinds=wanted).values():
            opened += counts[0]
            cleared += counts[1]
    if MOU_NOT_IN_FORCE in wanted:
        through = Agency.districts_served.through
        live = {str(pk) for pk, _a, _d in served}
        for flag in Flag.objects.filter(kind=MOU_NOT_IN_FORCE, status=FlagStatus.OPEN,
                                        subject_type=through._meta.label):
            if flag.subject_id not in live:
                cleared += clear_flags(MOU_NOT_IN_FORCE, through(pk=int(flag.subject_id)),
                                       reason="The agency no longer serves this district.",
                                       actor=actor)
    return RefreshResult(opened, cleared)


def _mou_refresher(kind: str) -> Callable[[datetime.date], RefreshResult]:
    def run(day: datetime.date) -> RefreshResult:
        return refresh_mou_flags(day, kinds={kind})

    return run


def _current_schools(day: datetime.date) -> dict[int, set[int]]:
    """officer id -> ids of the schools with a current assignment."""
    out: dict[int, set[int]] = defaultdict(set)
    for officer_id, school_id in Assignment.objects.filter(
            sel.current_assignment_q(day)).values_list("officer_id", "school_id"):
        out[officer_id].add(school_id)
    return out


def refresh_floating(day: datetime.date, actor: User | None = None) -> RefreshResult:
    """Flag each officer currently assigned to more schools than
    FLOATING_SRO_MAX_SCHOOLS (GP 11, R-A3); clear the flag when that is over."""
    limit = int(settings.OPENSRO["FLOATING_SRO_MAX_SCHOOLS"])
    schools_of = _current_schools(day)
    floating = {o: s for o, s in schools_of.items() if len(s) > limit}
    district_of = dict(School.objects.values_list("pk", "district_id"))
    opened = cleared = 0
    for officer in Officer.objects.filter(pk__in=list(floating)).select_related("agency"):
        ids = sorted(floating[officer.pk])
        districts = Counter(district_of[s] for s in ids)
        district_id = min(districts, key=lambda d: (-districts[d], d))
        names = list(School.objects.filter(pk__in=ids).order_by("name")
                     .values_list("name", flat=True))
        o, _c = _apply(
            FLOATING_SRO, officer, True,
            title=f"{officer} is assigned to {len(ids)} schools at once",
            evidence={"schools": ids, "school_names": names, "limit": limit},
            scope={"agency": officer.agency, "district": District(pk=district_id),
                   "officer": officer},
            actor=actor)
        opened += o
    for flag in Flag.objects.filter(kind=FLOATING_SRO, status=FlagStatus.OPEN):
        if int(flag.subject_id) not in floating:
            cleared += clear_flags(
                FLOATING_SRO, Officer(pk=int(flag.subject_id)), actor=actor,
                reason=f"The officer is now assigned to at most {limit} schools.")
    return RefreshResult(opened, cleared)


def _lead_agency(district_ids: Iterable[int], day: datetime.date) -> dict[int, int]:
    """district id -> the serving agency with the most current assignments there (the
    one an uncovered school's flag is scoped to; ties go to the lower id)."""
    serving: dict[int, list[int]] = defaultdict(list)
    for _pk, agency_id, district_id in sel.served_pairs():
        serving[district_id].append(agency_id)
    load = Counter(Assignment.objects.filter(sel.current_assignment_q(day)).values_list(
        "school__district_id", "officer__agency_id"))
    return {d: min(serving[d], key=lambda a: (-load[(d, a)], a))
            for d in district_ids if serving.get(d)}


def refresh_coverage(day: datetime.date, actor: User | None = None) -> RefreshResult:
    """Flag each active school, in a district an agency serves, with no current SRO
    assignment (R-A4: at least one SRO in every school); clear it once one is assigned."""
    served_districts = {d for _pk, _a, d in sel.served_pairs()}
    covered = set(Assignment.objects.filter(sel.current_assignment_q(day))
                  .values_list("school_id", flat=True))
    uncovered = list(School.objects.filter(active=True, district_id__in=served_districts)
                     .exclude(pk__in=covered).select_related("district"))
    lead = _lead_agency({s.district_id for s in uncovered}, day)
    last_end = dict(Assignment.objects.filter(school__in=uncovered).values(
        "school_id").annotate(last=models.Max("end_date")).values_list("school_id", "last"))
    opened = cleared = 0
    for school in uncovered:
        o, _c = _apply(
            SCHOOL_WITHOUT_COVERAGE, school, True,
            title=f"{school} has no SRO assigned",
            evidence={"last_assignment_end": _iso(last_end.get(school.pk))},
            scope={"agency": Agency(pk=lead[school.district_id])
                   if school.district_id in lead else None,
                   "district": school.district, "school": school},
            actor=actor)
        opened += o
    still = {str(s.pk) for s in uncovered}
    for flag in Flag.objects.filter(kind=SCHOOL_WITHOUT_COVERAGE, status=FlagStatus.OPEN):
        if flag.subject_id not in still:
            cleared += clear_flags(
                SCHOOL_WITHOUT_COVERAGE, School(pk=int(flag.subject_id)), actor=actor,
                reason=("An SRO is assigned to the school (or it is inactive, or no agency "
                        "serves its district)."))
    return RefreshResult(opened, cleared)


def refresh_all(day: datetime.date | None = None) -> dict[str, RefreshResult]:
    """Every program flag as of ``day`` (the demo and tests use this)."""
    day = day or today()
    out = {kind: refresh_mou_flags(day, kinds={kind}) for kind in MOU_KINDS}
    out[FLOATING_SRO] = refresh_floating(day)
    out[SCHOOL_WITHOUT_COVERAGE] = refresh_coverage(day)
    return out


def _mou_url(flag: Flag) -> str:
    return reverse("mou-detail", args=[int(flag.subject_id)])


def register_flag_kinds() -> None:
    """Register the program's flag kinds and its due source (called from ready())."""
    register_kind(FlagKind(
        MOU_MISSING_ELEMENT, "MOU missing required content",
        "An executed MOU lacks an element the COPS Office lists as minimum content "
        "(R-C1).", subject_url=_mou_url, refresh=_mou_refresher(MOU_MISSING_ELEMENT)))
    register_kind(FlagKind(
        MOU_REVIEW_OVERDUE, "MOU annual review overdue",
        "The MOU in force was not reviewed within 12 months of taking effect or of its "
        "last review (R-C3).", subject_url=_mou_url,
        refresh=_mou_refresher(MOU_REVIEW_OVERDUE)))
    register_kind(FlagKind(
        MOU_EXPIRED, "MOU expired",
        "The newest executed MOU between an agency and a district has passed its expiry "
        "date (R-C1).", subject_url=_mou_url, refresh=_mou_refresher(MOU_EXPIRED)))
    register_kind(FlagKind(
        MOU_NOT_IN_FORCE, "No MOU in force",
        "An agency serves a district without a fully executed MOU in force (R-C1).",
        subject_url=lambda f: reverse("mou-list") + (
            f"?agency={f.agency_id or ''}&district={f.district_id or ''}"),
        refresh=_mou_refresher(MOU_NOT_IN_FORCE)))
    register_kind(FlagKind(
        FLOATING_SRO, "Floating SRO",
        "An officer is assigned to more schools at once than the program allows "
        "(FLOATING_SRO_MAX_SCHOOLS; GP 11, R-A3).",
        subject_url=lambda f: reverse("officers-detail", args=[int(f.subject_id)]),
        refresh=refresh_floating))
    register_kind(FlagKind(
        SCHOOL_WITHOUT_COVERAGE, "School without SRO coverage",
        "An active school in a district an agency serves has no SRO assigned (R-A4).",
        subject_url=lambda f: reverse("schools-detail", args=[int(f.subject_id)]),
        refresh=refresh_coverage))
    register_due_source(mou_due_items)


# --------------------------------------------------------------------------- due items


def mou_due_items(user: Any, day: datetime.date, horizon_days: int) -> list[DueItem]:
    """Annual reviews and expiries of the MOUs ``user`` may see that fall due within
    ``horizon_days`` (and those overdue)."""
    if not can(user, VIEW, Mou):
        return []
    visible = set(sel.mous_for(user).filter(status=MouStatus.EXECUTED)
                  .values_list("pk", flat=True))
    if not visible:
        return []
    pairs = set(Mou.objects.filter(pk__in=visible).values_list("agency_id", "district_id"))
    rows = sel.with_reviews(Mou.objects.filter(status=MouStatus.EXECUTED).select_related(
        "agency", "district"))
    rows = rows.filter(models.Q(*[models.Q(agency_id=a, district_id=d) for a, d in pairs],
                                _connector=models.Q.OR))
    limit = day + datetime.timedelta(days=horizon_days)
    items: list[DueItem] = []
    for state in sel.pair_states(rows, day).values():
        mou = state.in_force
        if mou is not None and mou.pk in visible:
            url = reverse("mou-detail", args=[mou.pk])
            due = sel.review_due(mou)
            if due <= limit:
                items.append(DueItem(DUE_MOU_REVIEW, f"Annual review of {mou}", due,
                                     url=url + "#reviews", agency_id=mou.agency_id,
                                     district_id=mou.district_id))
            renewed = state.newest is not None and state.newest.pk != mou.pk
            if mou.expiry_date is not None and mou.expiry_date <= limit and not renewed:
                items.append(DueItem(DUE_MOU_EXPIRY, f"{mou} expires: renew it",
                                     mou.expiry_date, url=url, agency_id=mou.agency_id,
                                     district_id=mou.district_id))
        newest = state.newest
        if (newest is not None and newest.pk in visible
                and state.expired_unrenewed(newest, day) and newest.expiry_date):
            items.append(DueItem(DUE_MOU_EXPIRY, f"{newest} expired: renew it",
                                 newest.expiry_date,
                                 url=reverse("mou-detail", args=[newest.pk]),
                                 agency_id=newest.agency_id, district_id=newest.district_id))
    return items
