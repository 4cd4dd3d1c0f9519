"""Every write of the selection app: validated, permission-checked, in one transaction,
audited (architecture rules 1, 2, 8). The pages, the API and the demo call these.

The rules (GP 5): a candidate must be eligible to be selected (three years sworn, a
volunteer, no youth-related complaints or discipline, R-B1); the committee must include
a school representative and the agency supervisor who will work with the SRO (R-B2);
each member rates the ten qualities 1–5 (R-B3); a selected SRO serves a probationary
period whose review the school administrator takes part in (R-B4).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opensro.core import audit
from opensro.core import services as core
from opensro.core.models import User
from opensro.core.permissions import can_on, require
from opensro.selection import rules
from opensro.selection.choices import QUALITY_FIELDS, Decision
from opensro.selection.models import (
    REVIEW_FIELDS,
    Candidate,
    CommitteeMember,
    Probation,
    Rating,
    SelectionProcess,
)


def _keep(data: Mapping[str, Any], obj: Any, *fields: str) -> None:
    for name in fields:
        if name in data and data[name] != getattr(obj, name):
            raise ValidationError({name: "This cannot change once recorded; start a new "
                                         "record instead."})


# --------------------------------------------------------------------------- selections


def create_process(actor: User | None, data: Mapping[str, Any]) -> SelectionProcess:
    return core.create(actor, SelectionProcess, data)


def update_process(actor: User | None, process: SelectionProcess,
                   data: Mapping[str, Any]) -> SelectionProcess:
    _keep(data, process, "agency")
    return core.update(actor, process, data)


def committee_problems(process: SelectionProcess) -> list[str]:
    return rules.committee_problems(
        rules.MemberFacts(m.role, m.works_with_sro) for m in process.members.all())


def create_member(actor: User | None, data: Mapping[str, Any]) -> CommitteeMember:
    return core.create(actor, CommitteeMember, data)


def update_member(actor: User | None, member: CommitteeMember,
                  data: Mapping[str, Any]) -> CommitteeMember:
    _keep(data, member, "process")
    return core.update(actor, member, data)


# --------------------------------------------------------------------------- candidates


def _fill_from_officer(data: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(data)
    officer = values.get("officer")
    if officer is not None:
        for name in ("first_name", "last_name", "date_sworn"):
            if not values.get(name):
                values[name] = getattr(officer, name)
    return values


def create_candidate(actor: User | None, data: Mapping[str, Any]) -> Candidate:
    """Add a candidate; names and date sworn default to the officer's record."""
    return core.create(actor, Candidate, _fill_from_officer(data))


def update_candidate(actor: User | None, candidate: Candidate,
                     data: Mapping[str, Any]) -> Candidate:
    _keep(data, candidate, "process")
    for name in ("decision", "decision_reason", "decided_on", "decided_by"):
        if name in data:
            raise ValidationError({name: "Record the decision with the decision form."})
    return core.update(actor, candidate, _fill_from_officer(data))


def eligibility(candidate: Candidate, as_of: datetime.date | None = None) -> list[rules.Check]:
    return rules.eligibility(candidate.date_sworn, candidate.volunteered,
                             candidate.youth_complaints, as_of or timezone.localdate())


def decide(actor: User | None, candidate: Candidate, decision: str, reason: str,
           decided_on: datetime.date | None = None) -> Candidate:
    """Record the committee's decision. Selecting is refused for an ineligible candidate
    (R-B1) or while the committee is incomplete (R-B2), with the reasons."""
    day = decided_on or timezone.localdate()
    errors: dict[str, str] = {}
    if decision not in (Decision.SELECTED, Decision.NOT_SELECTED):
        errors["decision"] = "Choose “selected” or “not selected”."
    if not (reason or "").strip():
        errors["decision_reason"] = "Give the reason for the decision."
    if day > timezone.localdate():
        errors["decided_on"] = "The decision date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fresh = Candidate.objects.select_for_update().select_related("process").get(
            pk=candidate.pk)
        if actor is not None:
            require(actor, "decide", fresh)
        if decision == Decision.SELECTED:
            failed = [c for c in eligibility(fresh, day) if not c.passed]
            if failed:
                raise ValidationError({"decision": f"{fresh} cannot be selected: not eligible. "
                                       + " ".join(c.reason for c in failed) + " (R-B1)"})
            problems = committee_problems(fresh.process)
            if problems:
                raise ValidationError({"decision": "The committee is incomplete, so no one can "
                                       "be selected yet. " + " ".join(problems) + " (R-B2)"})
        elif hasattr(fresh, "probation"):
            raise ValidationError({"decision": f"{fresh} is serving a probationary period; "
                                               "record its outcome instead."})
        before = audit.snapshot(fresh)
        fresh.decision = decision
        fresh.decision_reason = reason.strip()
        fresh.decided_on = day
        fresh.decided_by = actor if actor is not None and actor.pk else None
        fresh.full_clean()
        fresh.save()
        audit.record(actor, "decide", fresh, before=before, after=audit.snapshot(fresh),
                     reason=reason.strip())
    return fresh


# --------------------------------------------------------------------------- ratings


def _check_rater(actor: User | None, member: CommitteeMember) -> None:
    """The agency's side records any member's ratings (from the interview score sheets);
    a school administrator records only their own."""
    if actor is None or can_on(actor, "add", member):
        return
    if member.user_id != actor.pk:
        raise PermissionDenied("A school administrator records only their own ratings, as "
                               "the committee member linked to their account.")


def create_rating(actor: User | None, data: Mapping[str, Any]) -> Rating:
    """One member's ratings of one candidate on the ten qualities (R-B3)."""
    member = data.get("member")
    if isinstance(member, CommitteeMember):
        _check_rater(actor, member)
    return core.create(actor, Rating, data)


def update_rating(actor: User | None, rating: Rating, data: Mapping[str, Any]) -> Rating:
    _keep(data, rating, "candidate", "member")
    _check_rater(actor, rating.member)
    return core.update(actor, rating, data)


def rate(actor: User | None, candidate: Candidate, member: CommitteeMember,
         scores: Mapping[str, int], comments: str = "") -> Rating:
    """Record or change a member's ratings of a candidate."""
    unknown = set(scores) - set(QUALITY_FIELDS)
    if unknown:
        raise ValidationError({"scores": "Unknown quality: " + ", ".join(sorted(unknown))})
    existing = Rating.objects.filter(candidate=candidate, member=member).first()
    data = {**scores, "comments": comments}
    if existing is not None:
        return update_rating(actor, existing, data)
    return create_rating(actor, {"candidate": candidate, "member": member, **data})


def rating_summary(candidate: Candidate) -> dict[str, Any]:
    """Per quality: the mean of the members' ratings; overall mean; who has rated."""
    ratings = list(candidate.ratings.select_related("member"))
    per_quality = {}
    for name in QUALITY_FIELDS:
        values = [getattr(r, name) for r in ratings]
        per_quality[name] = round(sum(values) / len(values), 2) if values else None
    averages = [r.average for r in ratings if r.average is not None]
    members = list(candidate.process.members.all())
    rated = {r.member_id for r in ratings}
    return {
        "per_quality": per_quality,
        "overall": round(sum(averages) / len(averages), 2) if averages else None,
        "rated": len(rated),
        "members": len(members),
        "missing": [m for m in members if m.pk not in rated],
    }


# --------------------------------------------------------------------------- probation


def _check_probation(probation: Probation) -> None:
    decision = Candidate.objects.filter(pk=probation.candidate_id).values_list(
        "decision", flat=True).first()
    if decision != Decision.SELECTED:
        raise ValidationError({"candidate": "Only a selected candidate serves a probationary "
                                            "period."})


def create_probation(actor: User | None, data: Mapping[str, Any]) -> Probation:
    return core.create(actor, Probation, data, validate=_check_probation)


def update_probation(actor: User | None, probation: Probation,
                     data: Mapping[str, Any]) -> Probation:
    """Change a probationary period. A school administrator documents their review (the
    review date and comments, R-B4); the period itself and its outcome are the agency's."""
    _keep(data, probation, "candidate")
    values = dict(data)
    agency_side = actor is None or can_on(actor, "add", probation)
    if not agency_side:
        changed = [k for k, v in values.items()
                   if k not in REVIEW_FIELDS and v != getattr(probation, k)]
        if changed:
            raise PermissionDenied("A school administrator records their review (date and "
                                   "comments); the period and its outcome are the agency's.")
        assert actor is not None
        values = {k: v for k, v in values.items() if k in REVIEW_FIELDS}
        values["school_admin_user"] = actor
        values["school_admin_name"] = actor.get_full_name() or actor.get_username()
    return core.update(actor, probation, values, validate=_check_probation)
