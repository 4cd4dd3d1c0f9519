"""Every write of the supervision app (R-F1…R-F3): validate, check permission, write,
verify the result is still in the writer's scope, and audit, in one transaction; and
the two time-based refreshes that ``opensro flags refresh`` runs (early warning and
overdue reviews).

The web forms and the API call these functions, so each rule lives here once.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from opensro.core import audit, bulk
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
from opensro.core.permissions import ADD, CHANGE, can, can_on, require
from opensro.directory.models import Agency, Officer, School, SchoolYear
from opensro.supervision import early_warning as ew
from opensro.supervision import periods, selectors
from opensro.supervision.choices import (
    OPEN_REVIEW_STATUSES,
    EvaluationStatus,
    Half,
    ReviewStatus,
    Score,
)
from opensro.supervision.models import (
    EarlyWarningResult,
    Evaluation,
    EvaluationInput,
    Rating,
    RatingCriterion,
    RatingInstrument,
    Review,
    ReviewFollowUp,
)

EARLY_WARNING_FLAG = "early_warning"
REVIEW_OVERDUE_FLAG = "review_overdue"
#: A half-year's review is due this many days after the half-year ends (R-F3).
REVIEW_GRACE_DAYS = 30
#: Peer groups smaller than this are widened (docs/methods.md, "Early warning").
MIN_PEERS = 3

M = TypeVar("M", bound=models.Model)


# =========================================================================== helpers


#: The child rows each model's audit snapshot includes (``audit_children``).
_CHILDREN: dict[type[models.Model], str] = {
    Review: "follow_ups", RatingInstrument: "criteria", Evaluation: "ratings"}


def _reload(obj: M) -> M:
    """The stored object with the children its snapshot includes."""
    model = type(obj)
    qs = model._default_manager.all()
    if model in _CHILDREN:
        qs = qs.prefetch_related(_CHILDREN[model])
    return qs.get(pk=obj.pk)


def _change(actor: User | None, obj: M, *, permission: str, action: str,
            apply: Callable[[M], None], reason: str = "") -> M:
    """Lock ``obj``, check ``permission``, apply the change (which validates and saves,
    children included), verify scope and record one audit event with before and after."""
    model = type(obj)
    with transaction.atomic():
        fresh = model._default_manager.select_for_update().get(pk=obj.pk)
        if actor is not None:
            require(actor, permission, fresh)
        before = audit.snapshot(_reload(fresh))
        apply(fresh)
        if actor is not None and not can_on(actor, permission, fresh):
            raise PermissionDenied(
                f"That change would move the {model._meta.verbose_name} outside your scope.")
        fresh = _reload(fresh)
        after = audit.snapshot(fresh)
        if after != before:
            audit.record(actor, action, fresh, before=before, after=after, reason=reason)
    return fresh


def _clean_save(obj: models.Model) -> None:
    """Validate the fields, then save (uniqueness is checked by the caller, with a
    message a person can act on)."""
    obj.full_clean(validate_constraints=False)
    obj.save()


def _chain_of_command(user: Any, officer: Officer) -> bool:
    """A supervisor or agency administrator of the officer's agency (R-F2)."""
    return selectors.chain_of_command([officer.agency_id]).filter(pk=user.pk).exists()


def _school_leader(user: Any, school: School) -> bool:
    """A school administrator of the school or a district administrator of its district."""
    return selectors.school_leaders(school).filter(pk=user.pk).exists()


def _assigned(officer: Officer, school: School, start: datetime.date,
              end: datetime.date) -> bool:
    return selectors.assignments_during(start, end).filter(officer=officer,
                                                           school=school).exists()


# =========================================================================== flag kinds


def register() -> None:
    """Flag kinds and the due source of the supervision app (called from ``ready()``)."""
    register_kind(FlagKind(
        EARLY_WARNING_FLAG, "Early warning: enforcement count high against peers",
        "An SRO's arrests, citations, searches, seizures, uses of force or restraints over "
        "a half-year are significantly higher than peers' at similar schools (R-F1). A "
        "reason for review, never a verdict.",
        subject_url=lambda flag: reverse("early-warning-detail", args=[flag.subject_id]),
        refresh=refresh_early_warning,
    ))
    register_kind(FlagKind(
        REVIEW_OVERDUE_FLAG, "Twice-yearly review overdue",
        "The half-year review of an SRO's incidents with the school administrator (R-F3) "
        "was not completed by its due date.",
        subject_url=lambda flag: reverse("review-detail", args=[flag.subject_id]),
        refresh=refresh_reviews,
    ))
    register_due_source(due_reviews)


# =========================================================================== early warning


def refresh_early_warning(day: datetime.date) -> RefreshResult:
    """Recompute the half-year under way on ``day`` (records up to ``day``) and the one
    before it; raise a flag for each significant result and clear those no longer
    significant. One family of tests per half-year (``EARLY_WARNING_FDR``)."""
    current, previous = periods.current_and_previous(SchoolYear.objects.all(), day)
    raised = cleared = 0
    for period in (previous, current):
        if period is None:
            continue
        r, c = evaluate_period(period, period.to_date(day))
        raised += r
        cleared += c
    return RefreshResult(raised, cleared)


def _round(value: float | None, digits: int = 3) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _sig(value: float | None, figures: int = 3) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{figures}g}")


def _base_figures(test: ew.TestResult) -> dict[str, Any]:
    peer = test.peer
    return {
        "rate": _round(test.rate), "peer_rate": _round(test.peer_rate),
        "expected": _round(test.expected, 2), "ratio": _round(test.ratio, 2),
        "shrunk_ratio": _round(test.shrunk_ratio, 2),
        "p_value": _sig(test.p_value), "q_value": _sig(test.q_value),
        "significant": test.significant,
        "peer_group": peer.label if peer else "", "peers": peer.officers if peer else 0,
        "note": test.note,
    }


def evaluate_period(period: periods.Period, to_date: datetime.date,
                    actor: User | None = None) -> tuple[int, int]:
    """Test every SRO over ``period`` (records up to ``to_date``), store the results and
    raise or clear their flags. Returns (flags raised or refreshed, flags cleared)."""
    q = float(settings.OPENSRO["EARLY_WARNING_FDR"])
    rows, info = selectors.period_figures(period.start, to_date, period.year_id)
    analysis = ew.analyse(rows, q=q, min_peers=MIN_PEERS)
    by_key: dict[tuple[int, str], dict[str, ew.TestResult]] = {}
    for test in analysis.results:
        by_key.setdefault((int(test.officer), test.measure), {})[test.base] = test  # type: ignore[call-overload]
    family = analysis.tested
    existing = {(r.officer_id, r.measure): r for r in EarlyWarningResult.objects.filter(
        period_start=period.start)}
    computed: dict[tuple[int, str], dict[str, Any]] = {}
    row_of = {r.officer: r for r in rows}
    for (officer_id, measure), tests in by_key.items():
        item = info[officer_id]
        row = row_of[officer_id]
        computed[(officer_id, measure)] = {
            "officer_id": officer_id, "school_id": item.school.pk if item.school else None,
            "school_year_id": period.year_id, "half": period.half,
            "period_start": period.start, "period_end": period.end, "counted_to": to_date,
            "measure": measure, "contacts": row.contacts, "enrolled": round(row.enrolled, 3),
            "count": tests["contact"].count,
            "figures": {base: _base_figures(t) for base, t in tests.items()},
            "significant": any(t.significant for t in tests.values()),
            "incident_ids": item.incidents.get(measure, []), "family_size": family,
            "fdr": q,
        }
    for key in existing:
        if key not in computed:  # no records or assignment left in the period
            computed[key] = {"count": 0, "contacts": 0, "enrolled": 0.0, "figures": {},
                             "significant": False, "incident_ids": [], "counted_to": to_date,
                             "family_size": family}
    raised = cleared = 0
    with transaction.atomic():
        saved = _store_results(actor, computed, existing)
        open_flags = set(Flag.objects.filter(
            kind=EARLY_WARNING_FLAG, subject_type=EarlyWarningResult._meta.label,
            status=FlagStatus.OPEN, subject_id__in=[str(r.pk) for r in saved],
        ).values_list("subject_id", flat=True))
        officers = {o.pk: o for o in Officer.objects.filter(
            pk__in={r.officer_id for r in saved}).select_related("agency")}
        for result in saved:
            if result.significant:
                flag = raise_flag(EARLY_WARNING_FLAG, result, title=_title(result, officers),
                                  evidence=_evidence(result, officers, analysis.q),
                                  agency=officers[result.officer_id].agency,
                                  officer=officers[result.officer_id], actor=actor,
                                  reopen_decided=False)
                raised += flag.status == FlagStatus.OPEN
            elif str(result.pk) in open_flags:
                cleared += clear_flags(
                    EARLY_WARNING_FLAG, result, actor=actor,
                    reason=(f"No longer significant against peers at a false discovery rate "
                            f"of {q:g} (records to {to_date.isoformat()})."))
    return raised, cleared


def _store_results(actor: User | None, computed: Mapping[tuple[int, str], dict[str, Any]],
                   existing: Mapping[tuple[int, str], EarlyWarningResult]
                   ) -> list[EarlyWarningResult]:
    """Create or update the period's results: one audit event per created or changed
    row. A result whose figures did not change is left alone, its ``counted_to``
    included, so a daily refresh of an unchanged half-year writes nothing (and its flags'
    histories stay readable)."""
    created: list[EarlyWarningResult] = []
    changed: list[tuple[EarlyWarningResult, dict[str, Any]]] = []
    saved: list[EarlyWarningResult] = []
    for key, values in computed.items():
        result = existing.get(key)
        if result is None:
            result = bulk.new(EarlyWarningResult, values)
            created.append(result)
        else:
            before = audit.fields_snapshot(result)
            kept = result.counted_to
            for name, value in values.items():
                setattr(result, name, value)
            after = audit.fields_snapshot(result)
            if {k: v for k, v in after.items() if k != "counted_to"} == {
                    k: v for k, v in before.items() if k != "counted_to"}:
                result.counted_to = kept  # the same figures: nothing to write
            else:
                result.save()
                changed.append((result, before))
        saved.append(result)
    for result, pk in zip(created, bulk.reserve_ids(EarlyWarningResult, len(created)),
                          strict=True):
        result.pk = pk
    bulk.insert(EarlyWarningResult, created)
    audit.record_many(actor, "create", [(r, None, audit.snapshot(r)) for r in created],
                      json_safe=True)
    audit.record_many(actor, "recompute", [(r, b, audit.snapshot(r)) for r, b in changed],
                      json_safe=True)
    return saved


def _title(result: EarlyWarningResult, officers: Mapping[int, Officer]) -> str:
    officer = officers[result.officer_id]
    ratios = [f.get("ratio") for f in result.figures.values()
              if f.get("significant") and f.get("ratio")]
    times = f" {max(ratios):.1f}× the peer rate" if ratios else " high against peers"
    label = result.get_measure_display().lower()
    return f"{officer}: {label}{times} — {result.period_label}"


def _evidence(result: EarlyWarningResult, officers: Mapping[int, Officer],
              q: float) -> dict[str, Any]:
    """What the rule saw, for the reviewer (rendered by the flag page)."""
    labels = dict(ew.BASES)
    return {
        "officer": str(officers[result.officer_id]),
        "measure": result.get_measure_display(),
        "period": f"{result.period_label} ({result.period_start.isoformat()} to "
                  f"{result.period_end.isoformat()})",
        "counted_to": result.counted_to.isoformat(),
        "main_school": str(result.school) if result.school_id else "",
        "count": result.count, "contacts": result.contacts,
        "enrolled": round(result.enrolled),
        "tests": {labels[base]: figures for base, figures in result.figures.items()},
        "false_discovery_rate": q, "tests_in_family": result.family_size,
        "incidents": [{"id": pk, "number": f"INC-{pk:06d}",
                       "url": reverse("incident-detail", args=[pk])}
                      for pk in result.incident_ids],
        "reading": "A count high against peers is a reason for review, never a verdict "
                   "and never a measure of merit (R-F1).",
    }


# =========================================================================== reviews


def plan_reviews(actor: User | None, day: datetime.date) -> int:
    """Plan the twice-yearly reviews (R-F3) of the half-year under way on ``day`` and of
    the one before: one per SRO and school with an assignment in the half-year. Reviews
    already planned are kept. Returns how many were created."""
    years = list(SchoolYear.objects.all())
    current, previous = periods.current_and_previous(years, day)
    created: list[Review] = []
    for period in (previous, current):
        if period is None:
            continue
        have = set(Review.objects.filter(school_year_id=period.year_id, half=period.half)
                   .values_list("officer_id", "school_id"))
        pairs = sorted(set(selectors.assignments_during(period.start, period.end).filter(
            officer__kind__in=selectors.COMPARED_KINDS).values_list("officer_id",
                                                                    "school_id")))
        for officer_id, school_id in pairs:
            if (officer_id, school_id) in have:
                continue
            created.append(bulk.new(Review, {
                "officer_id": officer_id, "school_id": school_id,
                "school_year_id": period.year_id, "half": period.half,
                "period_start": period.start, "period_end": period.end,
                "due_date": period.end + datetime.timedelta(days=REVIEW_GRACE_DAYS),
                "status": ReviewStatus.PLANNED}))
    if created:
        with transaction.atomic():
            for review, pk in zip(created, bulk.reserve_ids(Review, len(created)),
                                  strict=True):
                review.pk = pk
            bulk.insert(Review, created)
            audit.record_many(actor, "plan_review",
                              [(r, None, {**audit.fields_snapshot(r), "follow_ups": []})
                               for r in created], json_safe=True)
    return len(created)


def refresh_reviews(day: datetime.date) -> RefreshResult:
    """Plan the half-year's reviews, raise a flag on every review not completed by its
    due date, and clear the flags of reviews completed, cancelled or no longer overdue."""
    plan_reviews(None, day)
    raised = cleared = 0
    overdue = Review.objects.filter(status__in=OPEN_REVIEW_STATUSES, due_date__lt=day
                                    ).select_related("officer__agency", "school__district",
                                                     "school_year")
    for review in overdue:
        late = (day - review.due_date).days
        flag = raise_flag(
            REVIEW_OVERDUE_FLAG, review,
            title=f"Review of {review.officer} at {review.school} overdue — "
                  f"{review.period_label}",
            evidence={
                "officer": str(review.officer), "school": str(review.school),
                "period": f"{review.period_label} ({review.period_start.isoformat()} to "
                          f"{review.period_end.isoformat()})",
                "due_date": review.due_date.isoformat(), "status": review.get_status_display(),
                "meeting_date": review.meeting_on.isoformat() if review.meeting_on else "",
                "days_overdue_when_raised": late if late > 0 else 0,
                "requirement": "R-F3: supervisors meet SROs and school administrators at "
                               "least twice a year about incidents of discipline, arrest "
                               "or restraint.",
            },
            agency=review.officer.agency, district=review.school.district,
            school=review.school, officer=review.officer, reopen_decided=False)
        raised += flag.status == FlagStatus.OPEN
    still = {str(pk) for pk in overdue.values_list("pk", flat=True)}
    for flag in Flag.objects.filter(kind=REVIEW_OVERDUE_FLAG, status=FlagStatus.OPEN).exclude(
            subject_id__in=still):
        gone = Review.objects.filter(pk=flag.subject_id).first()
        if gone is None:
            continue
        cleared += clear_flags(REVIEW_OVERDUE_FLAG, gone,
                               reason=f"The review is {gone.get_status_display().lower()}.")
    return RefreshResult(raised, cleared)


def _flag_overdue_review_done(review: Review, actor: User | None) -> None:
    """A review just completed or cancelled is no longer overdue."""
    clear_flags(REVIEW_OVERDUE_FLAG, review, actor=actor,
                reason=f"The review was {review.get_status_display().lower()}.")


def due_reviews(user: Any, today: datetime.date, horizon_days: int) -> list[DueItem]:
    """Reviews not yet completed that fall due within the horizon (or are overdue),
    among those ``user`` may see."""
    limit = today + datetime.timedelta(days=horizon_days)
    items = []
    for review in selectors.reviews_for(user).filter(
            status__in=OPEN_REVIEW_STATUSES, due_date__lte=limit).select_related(
            "school__district"):
        items.append(DueItem(
            kind="supervision_review",
            label=f"Review of {review.officer} at {review.school} ({review.period_label})",
            due=review.due_date, url=reverse("review-detail", args=[review.pk]),
            agency_id=review.officer.agency_id, district_id=review.school.district_id,
            school_id=review.school_id, officer_id=review.officer_id))
    return items


def create_review(actor: User | None, data: Mapping[str, Any]) -> Review:
    """Plan a review by hand (the refresh plans one per assignment automatically)."""
    if actor is not None and not can(actor, ADD, Review):
        raise PermissionDenied("Your role does not plan reviews.")
    officer, school, year = data.get("officer"), data.get("school"), data.get("school_year")
    half = data.get("half") or ""
    errors: dict[str, str] = {}
    for name, value in (("officer", officer), ("school", school), ("school_year", year)):
        if value is None:
            errors[name] = "This field is required."
    if half not in Half.values:
        errors["half"] = "Choose fall or spring."
    if errors:
        raise ValidationError(errors)
    assert officer is not None and school is not None and year is not None
    period = periods.half(year, half)
    if not _assigned(officer, school, period.start, period.end):
        raise ValidationError({"school": f"{officer} was not assigned to {school} during "
                                         f"{period.label}."})
    if Review.objects.filter(officer=officer, school=school, school_year=year,
                             half=half).exists():
        raise ValidationError({"half": f"A review of {officer} at {school} for "
                                       f"{period.label} already exists."})
    with transaction.atomic():
        review = Review(officer=officer, school=school, school_year=year, half=half,
                        period_start=period.start, period_end=period.end,
                        due_date=period.end + datetime.timedelta(days=REVIEW_GRACE_DAYS))
        _apply_schedule(review, data)
        if actor is not None and not can_on(actor, ADD, review):
            raise PermissionDenied("That review would be outside your scope.")
        review = _reload(review)
        audit.record(actor, "create", review, after=audit.snapshot(review))
    return review


SCHEDULE_FIELDS = ("meeting_on", "location", "supervisor", "school_administrator",
                   "attendees", "minutes")


def _apply_schedule(review: Review, data: Mapping[str, Any]) -> None:
    """Set the meeting's date, place and participants (and draft minutes), validate,
    save. A review with a meeting date and still open is "scheduled"."""
    for name in SCHEDULE_FIELDS:
        if name in data:
            setattr(review, name, data[name] if data[name] is not None else (
                "" if name in ("location", "attendees", "minutes") else None))
    errors: dict[str, str] = {}
    if review.supervisor_id and not _chain_of_command(review.supervisor, review.officer):
        errors["supervisor"] = (f"{review.supervisor} is not a supervisor or administrator "
                                f"of {review.officer.agency}.")
    if review.school_administrator_id and not _school_leader(review.school_administrator,
                                                              review.school):
        errors["school_administrator"] = (f"{review.school_administrator} is not an "
                                          f"administrator of {review.school} or its district.")
    if review.meeting_on and review.meeting_on < review.period_start:
        errors["meeting_on"] = (f"The meeting reviews {review.period_label}; it cannot be "
                                f"before {review.period_start.isoformat()}.")
    if errors:
        raise ValidationError(errors)
    if review.status in OPEN_REVIEW_STATUSES:
        review.status = ReviewStatus.SCHEDULED if review.meeting_on else ReviewStatus.PLANNED
    _clean_save(review)


def update_review(actor: User | None, review: Review, data: Mapping[str, Any]) -> Review:
    """Schedule a review or edit its participants and minutes (a completed review's
    minutes can be corrected; the earlier text stays in the audit trail)."""
    def apply(fresh: Review) -> None:
        if fresh.status == ReviewStatus.CANCELLED:
            raise ValidationError({"status": "This review was cancelled."})
        if fresh.status == ReviewStatus.COMPLETED and "minutes" in data and not str(
                data["minutes"] or "").strip():
            raise ValidationError({"minutes": "A completed review keeps its minutes."})
        _apply_schedule(fresh, data)

    return _change(actor, review, permission=CHANGE, action="update", apply=apply)


def complete_review(actor: User | None, review: Review, data: Mapping[str, Any],
                    follow_ups: Sequence[Mapping[str, Any]] = ()) -> Review:
    """Record the meeting: date, who attended, minutes and follow-up items. The
    incidents the review covered are recorded with it (R-F3)."""
    today = timezone.localdate()

    def apply(fresh: Review) -> None:
        if fresh.status not in OPEN_REVIEW_STATUSES:
            raise ValidationError({"status": f"This review is already "
                                             f"{fresh.get_status_display().lower()}."})
        errors: dict[str, str] = {}
        meeting = data.get("meeting_on") or fresh.meeting_on
        if meeting is None:
            errors["meeting_on"] = "Give the date the review meeting was held."
        elif meeting > today:
            errors["meeting_on"] = "A review is completed after its meeting, not before."
        if not str(data.get("minutes") or fresh.minutes or "").strip():
            errors["minutes"] = "Record the minutes: what was reviewed and what was agreed."
        if not str(data.get("attendees") or fresh.attendees or "").strip():
            errors["attendees"] = "Name who attended (supervisor, SRO, school administrator)."
        items = _follow_up_rows(follow_ups, errors)
        if errors:
            raise ValidationError(errors)
        if not fresh.supervisor_id and actor is not None and _chain_of_command(
                actor, fresh.officer):
            fresh.supervisor = actor
        _apply_schedule(fresh, {k: v for k, v in data.items() if k in SCHEDULE_FIELDS})
        fresh.meeting_on = meeting
        fresh.status = ReviewStatus.COMPLETED
        fresh.completed_at = timezone.now()
        fresh.completed_by = actor
        fresh.incidents_reviewed = list(selectors.review_incidents_query(
            fresh.officer_id, fresh.school_id, fresh.period_start, fresh.period_end
        ).values_list("pk", flat=True))
        _clean_save(fresh)
        for item in items:
            item.review = fresh
            _clean_save(item)
        _flag_overdue_review_done(fresh, actor)

    return _change(actor, review, permission=CHANGE, action="complete_review", apply=apply)


def _follow_up_rows(rows: Sequence[Mapping[str, Any]], errors: dict[str, str]
                    ) -> list[ReviewFollowUp]:
    items = []
    for n, row in enumerate(rows):
        action = str(row.get("action") or "").strip()
        owner = str(row.get("owner") or "").strip()
        if not action and not owner and not row.get("due_date"):
            continue
        if not action:
            errors[f"follow_ups.{n}.action"] = "Say what is to be done."
        if not owner:
            errors[f"follow_ups.{n}.owner"] = "Say who will do it."
        items.append(ReviewFollowUp(action=action, owner=owner,
                                    due_date=row.get("due_date") or None))
    return items


def add_follow_up(actor: User | None, review: Review, data: Mapping[str, Any]) -> Review:
    def apply(fresh: Review) -> None:
        if fresh.status == ReviewStatus.CANCELLED:
            raise ValidationError({"status": "This review was cancelled."})
        errors: dict[str, str] = {}
        items = _follow_up_rows([data], errors)
        if errors or not items:
            raise ValidationError({k.split(".")[-1]: v for k, v in errors.items()} or {
                "action": "Say what is to be done."})
        items[0].review = fresh
        _clean_save(items[0])

    return _change(actor, review, permission=CHANGE, action="add_follow_up", apply=apply)


def follow_up_done(actor: User | None, review: Review, item_id: int,
                   done_on: datetime.date | None) -> Review:
    def apply(fresh: Review) -> None:
        item = fresh.follow_ups.filter(pk=item_id).first()
        if item is None:
            raise ValidationError({"follow_up": "No such follow-up item on this review."})
        if done_on is not None and done_on > timezone.localdate():
            raise ValidationError({"done_on": "The date it was done cannot be in the future."})
        item.done_on = done_on
        _clean_save(item)

    return _change(actor, review, permission=CHANGE, action="follow_up_done", apply=apply)


def record_school_input(actor: User | None, review: Review, text: str) -> Review:
    """The school administrator's input for a review of their school (R-F3)."""
    def apply(fresh: Review) -> None:
        if fresh.status == ReviewStatus.CANCELLED:
            raise ValidationError({"status": "This review was cancelled."})
        if not text.strip():
            raise ValidationError({"school_input": "Write the school's input: incidents "
                                                   "to discuss, concerns, what works."})
        fresh.school_input = text.strip()
        fresh.school_input_by = actor
        fresh.school_input_at = timezone.now()
        _clean_save(fresh)

    return _change(actor, review, permission="school_input", action="school_input",
                   apply=apply)


def cancel_review(actor: User | None, review: Review, reason: str) -> Review:
    """Cancel a review that will not take place (the assignment ended early…)."""
    def apply(fresh: Review) -> None:
        if fresh.status not in OPEN_REVIEW_STATUSES:
            raise ValidationError({"status": f"This review is already "
                                             f"{fresh.get_status_display().lower()}."})
        if not reason.strip():
            raise ValidationError({"cancel_reason": "Say why the review will not take place."})
        fresh.status = ReviewStatus.CANCELLED
        fresh.cancel_reason = reason.strip()
        _clean_save(fresh)
        _flag_overdue_review_done(fresh, actor)

    return _change(actor, review, permission=CHANGE, action="cancel_review", apply=apply,
                   reason=reason)


# =========================================================================== instruments


def copy_instrument(actor: User | None, source: RatingInstrument, agency: Agency,
                    name: str) -> RatingInstrument:
    """An agency's own copy of an instrument, criteria included, to adapt (R-F1)."""
    if actor is not None and not can(actor, ADD, RatingInstrument):
        raise PermissionDenied("Your role does not adapt rating instruments.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the agency's instrument."})
    if RatingInstrument.objects.filter(agency=agency, name=name).exists():
        raise ValidationError({"name": f"{agency} already has an instrument named {name!r}."})
    with transaction.atomic():
        copy = RatingInstrument(name=name, description=source.description, agency=agency,
                                based_on=source)
        _clean_save(copy)
        for criterion in source.criteria.all():
            RatingCriterion.objects.create(
                instrument=copy, code=criterion.code, label=criterion.label,
                guidance=criterion.guidance, requirement=criterion.requirement,
                sort_order=criterion.sort_order)
        if actor is not None and not can_on(actor, ADD, copy):
            raise PermissionDenied(f"{agency} is outside your scope.")
        copy = _reload(copy)
        audit.record(actor, "copy_instrument", copy, after=audit.snapshot(copy),
                     reason=f"Copied from {source}.")
    return copy


def update_instrument(actor: User | None, instrument: RatingInstrument,
                      data: Mapping[str, Any],
                      criteria: Sequence[Mapping[str, Any]] | None = None
                      ) -> RatingInstrument:
    """Rename an agency's instrument, (de)activate it, or change its criteria. The
    standard instrument never changes; criteria of an instrument already used by an
    evaluation do not change either (copy it instead)."""
    def apply(fresh: RatingInstrument) -> None:
        if fresh.is_standard:
            raise ValidationError({"name": "The standard instrument does not change: copy it "
                                           "to adapt it for your agency."})
        for name in ("name", "description", "active"):
            if name in data:
                setattr(fresh, name, data[name])
        fresh.name = (fresh.name or "").strip()
        if RatingInstrument.objects.filter(agency=fresh.agency, name=fresh.name
                                           ).exclude(pk=fresh.pk).exists():
            raise ValidationError({"name": "Another instrument of the agency has this name."})
        _clean_save(fresh)
        if criteria is not None:
            _replace_criteria(fresh, criteria)

    return _change(actor, instrument, permission=CHANGE, action="update", apply=apply)


def _replace_criteria(instrument: RatingInstrument,
                      rows: Sequence[Mapping[str, Any]]) -> None:
    current = {c.pk: c for c in instrument.criteria.all()}
    wanted = [r for r in rows if not r.get("delete")]
    unchanged = len(wanted) == len(current) and all(
        r.get("id") in current and all(
            getattr(current[r["id"]], f) == r.get(f, getattr(current[r["id"]], f))
            for f in ("code", "label", "guidance", "requirement", "sort_order"))
        for r in wanted)
    if unchanged:
        return
    used = Evaluation.objects.filter(instrument=instrument).count()
    if used:
        raise ValidationError({"criteria": f"{instrument} is used by {used} evaluation(s): "
                                           "copy it to change its criteria."})
    errors: dict[str, str] = {}
    codes: set[str] = set()
    for n, row in enumerate(wanted):
        code = str(row.get("code") or "").strip()
        if not str(row.get("label") or "").strip():
            errors[f"criteria.{n}.label"] = "Name the criterion."
        if not code:
            errors[f"criteria.{n}.code"] = "Give the criterion a short code."
        elif code in codes:
            errors[f"criteria.{n}.code"] = f"The code {code!r} is used twice."
        codes.add(code)
        if row.get("id") and row["id"] not in current:
            errors[f"criteria.{n}.id"] = "No such criterion on this instrument."
    if not wanted:
        errors["criteria"] = "An instrument needs at least one criterion."
    if errors:
        raise ValidationError(errors)
    keep = {r["id"] for r in wanted if r.get("id")}
    instrument.criteria.exclude(pk__in=keep).delete()
    for n, row in enumerate(wanted):
        criterion = current.get(row.get("id") or 0) or RatingCriterion(instrument=instrument)
        criterion.code = str(row["code"]).strip()
        criterion.label = str(row["label"]).strip()
        criterion.guidance = str(row.get("guidance") or "").strip()
        criterion.requirement = str(row.get("requirement") or "").strip()
        criterion.sort_order = int(row.get("sort_order") or (n + 1) * 10)
        try:
            _clean_save(criterion)
        except ValidationError as exc:
            raise ValidationError({f"criteria.{n}.{k}": v for k, v in
                                   exc.message_dict.items()}) from exc


# =========================================================================== evaluations


def create_evaluation(actor: User | None, data: Mapping[str, Any]) -> Evaluation:
    """Start an SRO's evaluation (R-F1): owned by a supervisor of the SRO's agency
    (R-F2); a request for input goes to each school the SRO served in the period."""
    if actor is not None and not can(actor, ADD, Evaluation):
        raise PermissionDenied("Your role does not evaluate SROs.")
    officer: Officer | None = data.get("officer")
    instrument: RatingInstrument | None = data.get("instrument")
    start, end = data.get("period_start"), data.get("period_end")
    evaluator = data.get("evaluator") or actor
    errors: dict[str, str] = {}
    if officer is None:
        errors["officer"] = "Choose the SRO."
    if instrument is None:
        errors["instrument"] = "Choose the rating instrument."
    if start is None:
        errors["period_start"] = "Give the first day of the period."
    if end is None:
        errors["period_end"] = "Give the last day of the period."
    if errors:
        raise ValidationError(errors)
    assert officer is not None and instrument is not None and start and end
    if end < start:
        errors["period_end"] = "The period cannot end before it starts."
    if not instrument.active:
        errors["instrument"] = f"{instrument} is no longer in use."
    elif instrument.agency_id not in (None, officer.agency_id):
        errors["instrument"] = (f"Use the standard instrument or one of {officer.agency}'s "
                                "own.")
    if evaluator is None or not _chain_of_command(evaluator, officer):
        errors["evaluator"] = (f"The evaluation belongs to the SRO's chain of command: the "
                               f"evaluator must be a supervisor of {officer.agency} (R-F2).")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        evaluation = Evaluation(officer=officer, instrument=instrument, period_start=start,
                                period_end=end, evaluator=evaluator,
                                summary=data.get("summary", "") or "")
        _clean_save(evaluation)
        for criterion in instrument.criteria.all():
            Rating.objects.create(evaluation=evaluation, criterion=criterion)
        if actor is not None and not can_on(actor, ADD, evaluation):
            raise PermissionDenied("That SRO is outside your scope.")
        evaluation = _reload(evaluation)
        audit.record(actor, "create", evaluation, after=audit.snapshot(evaluation))
        for school in selectors.schools_served(officer, start, end):
            _new_input(actor, evaluation, school)
    return evaluation


def _new_input(actor: User | None, evaluation: Evaluation, school: School) -> EvaluationInput:
    item = EvaluationInput(evaluation=evaluation, school=school)
    _clean_save(item)
    audit.record(actor, "request_input", item, after=audit.snapshot(item))
    return item


def update_evaluation(actor: User | None, evaluation: Evaluation, data: Mapping[str, Any],
                      ratings: Mapping[int, Mapping[str, Any]] | None = None) -> Evaluation:
    """Change a draft: summary, strengths, goals, and the ratings by criterion id
    (``score`` 1–5 or ``not_observed``, and a ``comment``)."""
    def apply(fresh: Evaluation) -> None:
        if fresh.status != EvaluationStatus.DRAFT:
            raise ValidationError({"status": "A completed evaluation does not change."})
        for name in ("summary", "strengths", "development_goals"):
            if name in data:
                setattr(fresh, name, (data[name] or "").strip())
        _clean_save(fresh)
        if ratings:
            _set_ratings(fresh, ratings)

    return _change(actor, evaluation, permission=CHANGE, action="update", apply=apply)


def _set_ratings(evaluation: Evaluation, ratings: Mapping[int, Mapping[str, Any]]) -> None:
    rows = {r.criterion_id: r for r in evaluation.ratings.select_related("criterion")}
    errors: dict[str, str] = {}
    for criterion_id, values in ratings.items():
        rating = rows.get(int(criterion_id))
        if rating is None:
            errors[f"ratings.{criterion_id}"] = "No such criterion in this evaluation."
            continue
        raw = values.get("score")
        not_observed = bool(values.get("not_observed"))
        score: int | None = None
        if raw in ("", None):
            score = None
        elif str(raw).isdigit() and int(str(raw)) in Score.values:
            score = int(str(raw))
        else:
            errors[f"ratings.{criterion_id}.score"] = "Choose a score from 1 to 5."
            continue
        if score is not None and not_observed:
            errors[f"ratings.{criterion_id}.score"] = (
                f"{rating.criterion}: give a score or mark it not observed, not both.")
            continue
        rating.score, rating.not_observed = score, not_observed
        rating.comment = str(values.get("comment") or "").strip()
        rating.save()
    if errors:
        raise ValidationError(errors)


def complete_evaluation(actor: User | None, evaluation: Evaluation) -> Evaluation:
    """Sign off a draft: every criterion rated (or not observed) and a summary written."""
    def apply(fresh: Evaluation) -> None:
        if fresh.status != EvaluationStatus.DRAFT:
            raise ValidationError({"status": "This evaluation is already completed."})
        missing = [str(r.criterion) for r in fresh.ratings.select_related("criterion")
                   if r.score is None and not r.not_observed]
        errors: dict[str, str] = {}
        if missing:
            errors["ratings"] = ("Rate every criterion or mark it not observed: "
                                 + ", ".join(missing) + ".")
        if not fresh.summary.strip():
            errors["summary"] = "Write the summary of the evaluation."
        if errors:
            raise ValidationError(errors)
        fresh.status = EvaluationStatus.COMPLETED
        fresh.completed_at = timezone.now()
        _clean_save(fresh)

    return _change(actor, evaluation, permission=CHANGE, action="complete_evaluation",
                   apply=apply)


def request_input(actor: User | None, evaluation: Evaluation, school: School
                  ) -> EvaluationInput:
    """Ask one more school's administrator for input on a draft evaluation."""
    if actor is not None and not can(actor, ADD, EvaluationInput):
        raise PermissionDenied("Your role does not request school input.")
    if evaluation.status != EvaluationStatus.DRAFT:
        raise ValidationError({"evaluation": "This evaluation is completed."})
    if not evaluation.officer.agency.districts_served.filter(pk=school.district_id).exists():
        raise ValidationError({"school": f"{evaluation.officer.agency} does not serve "
                                         f"{school}."})
    if EvaluationInput.objects.filter(evaluation=evaluation, school=school).exists():
        raise ValidationError({"school": f"Input from {school} was already requested."})
    with transaction.atomic():
        item = _new_input(actor, evaluation, school)
        if actor is not None and not can_on(actor, ADD, item):
            raise PermissionDenied("That evaluation is outside your scope.")
    return item


def submit_input(actor: User | None, item: EvaluationInput, data: Mapping[str, Any]
                 ) -> EvaluationInput:
    """The school administrator's section of an evaluation (R-F2)."""
    def apply(fresh: EvaluationInput) -> None:
        if fresh.evaluation.status != EvaluationStatus.DRAFT:
            raise ValidationError({"evaluation": "This evaluation is completed; its input "
                                                 "no longer changes."})
        works = str(data.get("works_well") or "").strip()
        concerns = str(data.get("concerns") or "").strip()
        if not works and not concerns:
            raise ValidationError({"works_well": "Write what works well, your concerns, or "
                                                 "both."})
        fresh.works_well, fresh.concerns = works, concerns
        fresh.author = actor
        fresh.submitted_at = timezone.now()
        _clean_save(fresh)

    return _change(actor, item, permission=CHANGE, action="update", apply=apply)
