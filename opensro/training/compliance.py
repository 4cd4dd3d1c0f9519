"""Training compliance: each person's standing on each requirement of their agency's
profile (R-G1, R-G2, R-G4), computed from the stored rules and records.

Reads for a user go through ``restrict``; the facts a rule needs about a person whom the
user may see (their first placement, their records) are read whole, so that everyone who
may see an officer sees the same due dates.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Min, QuerySet

from opensro.core.choices import Role
from opensro.core.models import RoleGrant, User
from opensro.core.permissions import VIEW, can, restrict
from opensro.directory.choices import OfficerKind, OfficerStatus
from opensro.directory.models import Agency, Assignment, District, Officer
from opensro.training.choices import Audience, State
from opensro.training.models import (
    AdministratorTrainingRecord,
    AgencyPolicy,
    DistrictAdministratorScope,
    PolicyProfile,
    RequirementRule,
    TrainingRecord,
)
from opensro.training.rules import Completion, Facts, RuleSpec, RuleStatus, evaluate_all


def default_window() -> int:
    return int(settings.OPENSRO.get("DUE_SOON_DAYS", 60))


def spec(rule: RequirementRule) -> RuleSpec:
    return RuleSpec(
        id=rule.pk, name=rule.name,
        courses=frozenset(c.pk for c in rule.courses.all()),
        anchor=rule.anchor, anchor_course=rule.anchor_course_id,
        offset_amount=rule.offset_amount, offset_unit=rule.offset_unit,
        recurrence_months=rule.recurrence_months, due_soon_days=rule.due_soon_days,
        min_hours=rule.min_hours, audiences=tuple(rule.audiences),
    )


def profile_specs(profile: PolicyProfile) -> list[RuleSpec]:
    rules = RequirementRule.objects.filter(profile=profile).prefetch_related("courses")
    return [spec(r) for r in rules]


def officer_audience(officer: Officer) -> str:
    return Audience.SUPERVISOR if officer.kind == OfficerKind.SUPERVISOR else Audience.SRO


@dataclass
class PersonCompliance:
    """One person's standing under their agency's profile."""

    agency: Agency
    policy: AgencyPolicy | None
    audience: str
    statuses: list[RuleStatus] = field(default_factory=list)
    officer: Officer | None = None
    person: User | None = None
    district: District | None = None
    placement: datetime.date | None = None

    @property
    def name(self) -> str:
        if self.officer is not None:
            return f"{self.officer.first_name} {self.officer.last_name}"
        assert self.person is not None
        return self.person.get_full_name() or self.person.get_username()

    @property
    def role_label(self) -> str:
        return str(Audience(self.audience).label).rstrip("s")

    @property
    def overdue(self) -> list[RuleStatus]:
        return [s for s in self.statuses if s.state == State.OVERDUE]

    @property
    def due_soon(self) -> list[RuleStatus]:
        return [s for s in self.statuses if s.state == State.DUE_SOON]

    @property
    def by_rule(self) -> dict[int, RuleStatus]:
        return {s.rule.id: s for s in self.statuses}

    @property
    def summary(self) -> str:
        if self.policy is None:
            return "No training policy"
        if self.overdue:
            return "Overdue"
        if self.due_soon:
            return "Due soon"
        return "Up to date"


def placements(officer_ids: Iterable[int]) -> dict[int, datetime.date]:
    """Each officer's placement date: the start of their first school assignment."""
    rows = (Assignment.objects.filter(officer_id__in=list(officer_ids))
            .values("officer_id").annotate(first=Min("start_date")))
    return {r["officer_id"]: r["first"] for r in rows}


def _completions(rows: Iterable[Any], key: str) -> dict[int, list[Completion]]:
    out: dict[int, list[Completion]] = defaultdict(list)
    for r in rows:
        out[r[key]].append(Completion(r["course_id"], r["completed_on"], r["hours"]))
    return out


def officer_completions(officer_ids: Iterable[int]) -> dict[int, list[Completion]]:
    rows = TrainingRecord.objects.filter(officer_id__in=list(officer_ids)).values(
        "officer_id", "course_id", "completed_on", "hours")
    return _completions(rows, "officer_id")


def for_officers(officers: Sequence[Officer], today: datetime.date) -> list[PersonCompliance]:
    """Compliance of each officer under their agency's profile (officers already chosen
    by the caller, e.g. restricted to what a user may see)."""
    ids = [o.pk for o in officers]
    agency_ids = {o.agency_id for o in officers}
    policies = {p.agency_id: p for p in AgencyPolicy.objects.filter(
        agency_id__in=agency_ids).select_related("profile", "agency")}
    specs: dict[int, list[RuleSpec]] = {}
    for p in policies.values():
        if p.profile_id not in specs:
            specs[p.profile_id] = profile_specs(p.profile)
    placed = placements(ids)
    done = officer_completions(ids)
    window = default_window()
    out = []
    for officer in officers:
        policy = policies.get(officer.agency_id)
        audience = officer_audience(officer)
        comp = PersonCompliance(agency=officer.agency, policy=policy, audience=audience,
                                officer=officer, placement=placed.get(officer.pk))
        if policy is not None:
            facts = Facts(placement=comp.placement, program_start=policy.program_start,
                          placeable=audience == Audience.SRO)
            comp.statuses = evaluate_all(specs[policy.profile_id], audience,
                                         done.get(officer.pk, []), facts, today, window)
        out.append(comp)
    return out


def officer_compliance(officer: Officer, today: datetime.date) -> PersonCompliance:
    return for_officers([officer], today)[0]


def visible_officers(user: Any) -> QuerySet[Officer]:
    """Officers whose training the user may see: training records follow the officer
    record (the same roles and scopes), so this is the officer list itself."""
    if not can(user, VIEW, TrainingRecord):
        return Officer.objects.none()
    return restrict(Officer.objects.select_related("agency"), user, VIEW)


def admin_districts(user: Any | None) -> QuerySet[District]:
    """Districts whose administrators' training the user may see (all for the system)."""
    if user is None:
        return District.objects.all()
    ids = restrict(DistrictAdministratorScope.objects.all(), user, VIEW).values("pk")
    return District.objects.filter(pk__in=ids)


def district_admins(district_ids: Iterable[int]) -> list[tuple[User, District]]:
    """The people who hold a district-administrator grant over these districts."""
    grants = RoleGrant.objects.filter(
        role=Role.DISTRICT_ADMIN, district_id__in=list(district_ids), user__is_active=True,
    ).select_related("user", "district").order_by("district__name", "user__last_name",
                                                   "user__username")
    return [(g.user, g.district) for g in grants if g.district is not None]


def for_district_admins(agency: Agency, today: datetime.date, user: Any | None = None
                        ) -> list[PersonCompliance]:
    """The district administrators of the districts ``agency`` serves, under the agency's
    profile (NASRO: the management course before the program starts, R-G2)."""
    policy = AgencyPolicy.objects.filter(agency=agency).select_related("profile").first()
    if policy is None:
        return []
    specs = [s for s in profile_specs(policy.profile) if Audience.DISTRICT_ADMIN in s.audiences]
    if not specs:
        return []
    districts = admin_districts(user).filter(serving_agencies=agency)
    people = district_admins(districts.values_list("pk", flat=True))
    rows = AdministratorTrainingRecord.objects.filter(
        person_id__in=[p.pk for p, _d in people]).values("person_id", "course_id",
                                                          "completed_on", "hours")
    done = _completions(rows, "person_id")
    facts = Facts(program_start=policy.program_start, placeable=False)
    window = default_window()
    out = []
    for person, district in people:
        comp = PersonCompliance(agency=agency, policy=policy, audience=Audience.DISTRICT_ADMIN,
                                person=person, district=district)
        comp.statuses = evaluate_all(specs, Audience.DISTRICT_ADMIN, done.get(person.pk, []),
                                     facts, today, window)
        out.append(comp)
    return out


def active_officers_with_policy() -> QuerySet[Officer]:
    return Officer.objects.filter(status=OfficerStatus.ACTIVE,
                                  agency__training_policy__isnull=False).select_related("agency")
