"""The incident rules, in one place (architecture rule 1). The web form, the API and
the bulk import all call :func:`check`, so each gives the same message for the same
mistake. Requirements R-D1…R-D5; CRDC definitions in :func:`crdc_flags`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from opensro.incidents import choices as c

#: A record entered this long after the incident is a late entry and needs a reason.
LATE_ENTRY = datetime.timedelta(hours=settings.OPENSRO.get("LATE_ENTRY_HOURS", 24))

MESSAGES = {
    "future": "The incident cannot be in the future; check the date and time.",
    "recorded_before": "The record cannot be entered before the incident happened; check "
                       "both times.",
    "late": "This record is entered more than {hours} hours after the incident; "
            "say why it is late.",
    "requester": "Say who on the school staff requested the SRO (R-D1).",
    "agency": "{agency} does not serve {district}; choose a school your agency serves.",
    "no_students": "Add at least one student before submitting.",
    "no_action": "Choose what was done for this student (\u201cNone or counselled\u201d "
                 "if nothing else).",
    "admin_only": "A detention or arrest cannot rest only on a school administrator's "
                  "direction (R-D3); state the law-enforcement basis or do not detain.",
    "sogi": "Sexual orientation and gender identity are recorded only when the student "
            "volunteered them; tick \u201cvolunteered by the student\u201d or leave them "
            "blank (R-D5).",
    "idea_504": "A student is either served under IDEA or under Section 504 only, not both.",
    "basis": "State the basis for the {action} (R-D3).",
    "basis_details": "Describe the basis for the {action} in sufficient detail (R-D3).",
    "why_at_school": "Explain why the {action} had to happen at school (R-D3).",
    "probable_cause": "List the factors supporting probable cause for the arrest (R-D3).",
    "deescalation": "Say whether de-escalation was tried before the {action} (R-D3).",
    "deescalation_notes": "Explain why de-escalation was not tried (R-D3).",
    "public_view": "Say whether the student was removed from public view (R-D3).",
    "accommodations": "The student has a disability plan: describe the accommodations "
                      "made (R-D3).",
    "search_basis": "Give the legal basis for the search.",
    "restraint_type": "Give the type of restraint.",
    "force_type": "Give the type of force used.",
    "arrest_charge": "Give the charge for the arrest.",
    "amend_reason": "Say why this submitted record is being changed (amendment reason).",
}


@dataclass
class Problems:
    """Rule violations keyed by field path (``involvements.0.probable_cause``)."""

    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, key: str, **params: Any) -> None:
        self.errors.setdefault(path, []).append(MESSAGES[key].format(**params))

    def __bool__(self) -> bool:
        return bool(self.errors)


def _label(action: str) -> str:
    return {"use_of_force": "use of force"}.get(action, action)


def check(
    incident: Any,
    involvements: Sequence[Any],
    *,
    submitting: bool,
    now: datetime.datetime | None = None,
    agency_serves_school: bool | None = None,
) -> Problems:
    """Every incident rule. ``submitting`` adds the rules a draft may skip.

    ``incident`` and ``involvements`` are unsaved or saved model instances (or any
    objects with the same attributes).
    """
    p = Problems()
    now = now or timezone.now()
    occurred = incident.occurred_at
    if occurred and occurred > now + datetime.timedelta(minutes=5):
        p.add("occurred_at", "future")
    recorded = incident.recorded_at or now
    if occurred and incident.recorded_at and incident.recorded_at < occurred:
        p.add("recorded_at", "recorded_before")
    if (submitting and occurred and recorded - occurred > LATE_ENTRY
            and not (incident.late_entry_reason or "").strip()):
        p.add("late_entry_reason", "late", hours=int(LATE_ENTRY.total_seconds() // 3600))
    if incident.involvement_source == c.InvolvementSource.SCHOOL_STAFF and not \
            incident.requester_role:
        p.add("requester_role", "requester")
    if agency_serves_school is False:
        p.add("school", "agency", agency=incident.officer.agency,
              district=incident.school.district)
    if submitting and not involvements:
        p.add("involvements", "no_students")
    custodial_any = False
    for n, inv in enumerate(involvements):
        path = f"involvements.{n}."
        basis = set(inv.basis or [])
        if (inv.detention or inv.arrest) and basis == {c.Basis.ADMINISTRATOR_DIRECTION}:
            p.add(path + "basis", "admin_only")
        if (inv.sexual_orientation or inv.gender_identity) and not inv.sogi_volunteered:
            p.add(path + "sogi_volunteered", "sogi")
        if inv.idea and inv.section_504:
            p.add(path + "section_504", "idea_504")
        if not submitting:
            continue
        if not any(getattr(inv, a) for a in c.ACTION_FIELDS):
            p.add(path + "counselled", "no_action")
        custodial = [a for a in c.CUSTODIAL if getattr(inv, a)]
        if custodial:
            custodial_any = True
            action = _label(custodial[0])
            if not basis:
                p.add(path + "basis", "basis", action=action)
            if not (inv.basis_details or "").strip():
                p.add(path + "basis_details", "basis_details", action=action)
            if not (inv.why_at_school or "").strip():
                p.add(path + "why_at_school", "why_at_school", action=action)
            if inv.arrest and not (inv.probable_cause or "").strip():
                p.add(path + "probable_cause", "probable_cause")
            if not inv.removed_from_public_view:
                p.add(path + "removed_from_public_view", "public_view")
            if (inv.idea or inv.section_504) and not (inv.accommodations or "").strip():
                p.add(path + "accommodations", "accommodations")
        if inv.search and not inv.search_basis:
            p.add(path + "search_basis", "search_basis")
        if inv.restraint and not inv.restraint_type:
            p.add(path + "restraint_type", "restraint_type")
        if inv.use_of_force and not inv.force_type:
            p.add(path + "force_type", "force_type")
        if inv.arrest and not (inv.arrest_charge or "").strip():
            p.add(path + "arrest_charge", "arrest_charge")
    if custodial_any:
        first = next(_label(a) for inv in involvements for a in c.CUSTODIAL if getattr(inv, a))
        if not incident.deescalation:
            p.add("deescalation", "deescalation", action=first)
        elif incident.deescalation != c.Deescalation.TRIED and not (
            incident.deescalation_notes or ""
        ).strip():
            p.add("deescalation_notes", "deescalation_notes")
    return p


def discipline_case(incident: Any, involvements: Sequence[Any], reason_kind: str
                    ) -> dict[str, Any] | None:
    """A code-of-conduct matter with no safety threat that ended in SRO enforcement is a
    discipline-involvement case (R-D2). Returns the evidence, or None."""
    if reason_kind != c.ReasonKind.CONDUCT or incident.would_call_911 != c.YesNo.NO:
        return None
    actions = sorted({a for inv in involvements for a in c.ENFORCEMENT if getattr(inv, a)})
    if not actions:
        return None
    return {
        "reason": incident.reason.label if incident.reason_id else "",
        "would_call_911": incident.would_call_911,
        "enforcement_actions": actions,
        "requested_by": incident.involvement_source,
        "requester_role": incident.requester_role,
        "students": len(involvements),
    }


def crdc_flags(incident: Any, inv: Any) -> tuple[bool, bool]:
    """(referral to law enforcement, school-related arrest) as the CRDC defines them.

    CRDC: a *school-related arrest* is an arrest of a student for any activity on
    school grounds, during off-campus school activities (including school
    transportation), or due to a referral by any school official; every
    school-related arrest is also a referral. A *referral to law enforcement* is an
    action by which a student is reported to any law-enforcement agency or official,
    including a school police unit, for an incident on school grounds, at a school
    event or on school transportation, whether or not official action is taken;
    citations, tickets and court referrals are referrals.

    Here every incident is school-related by construction (its location is a school
    place or a school event), so for a student who is the *subject* of the incident:
    an arrest is a school-related arrest; a citation, court referral or arrest is a
    referral; and a request for the SRO by school staff is a referral (the school
    reported the student to a law-enforcement official). Victims and witnesses are
    never counted.
    """
    if inv.role != c.StudentRole.SUBJECT:
        return False, False
    arrest = bool(inv.arrest)
    referral = arrest or bool(inv.citation) or bool(inv.court_referral) or (
        incident.involvement_source == c.InvolvementSource.SCHOOL_STAFF
    )
    return referral, arrest
