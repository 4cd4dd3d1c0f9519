"""SRO selection: a selection for a post, its committee, the candidates with their
eligibility, the committee's ratings on the ten qualities, the decision, and the
probationary period with the school administrator's review (GP 5; R-B1…R-B4).

Candidate records are personnel data: the agency's administrators and supervisors see
and write them; a school administrator sees the selections for their school (the
committee they sit on, the candidates it interviews, the probation they review) and
records their own ratings and their probationary review; analysts, other roles and the
public see nothing.
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from opensro.core.audit import audited
from opensro.core.choices import Role
from opensro.core.models import ScopedModel
from opensro.directory.models import Agency, Officer, School
from opensro.selection.choices import (
    QUALITIES,
    QUALITY_FIELDS,
    Decision,
    MemberRole,
    ProbationOutcome,
)

R = Role
#: Who reads selection records: the agency's side, the school's administrator (their
#: school's selections), auditors and system administrators.
VIEWERS = (R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.AUDITOR, R.SYSTEM_ADMIN)
#: Who runs a selection: the agency's supervisors and administrators.
AGENCY_SIDE = (R.SUPERVISOR, R.AGENCY_ADMIN, R.SYSTEM_ADMIN)


@audited
class SelectionProcess(ScopedModel):
    """One selection: an agency filling an SRO post, usually at a school (GP 5)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The school the SRO will serve; its administrator takes part."))
    title = models.CharField(max_length=200)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    notes = models.TextField(blank=True)

    scope_paths: ClassVar[dict[str, str]] = {"agency": "agency", "school": "school"}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": VIEWERS, "add": AGENCY_SIDE, "change": AGENCY_SIDE,
    }

    class Meta:
        ordering = ["-opened_on", "-pk"]
        verbose_name = "selection"

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            errors["closed_on"] = _("A selection cannot close before it opens.")
        if self.school_id and self.agency_id and not Agency.objects.filter(
                pk=self.agency_id, districts_served__schools=self.school_id).exists():
            errors["school"] = _("The agency does not serve this school's district.")
        if errors:
            raise ValidationError(errors)


@audited
class CommitteeMember(ScopedModel):
    """A member of a selection committee and the part they play (R-B2)."""

    process = models.ForeignKey(SelectionProcess, on_delete=models.CASCADE,
                                related_name="members", verbose_name=_("selection"))
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=32, choices=MemberRole.choices)
    organization = models.CharField(max_length=200, blank=True)
    works_with_sro = models.BooleanField(
        _("will work directly with the SRO"), default=False,
        help_text=_("COPS asks that the school representative and the agency supervisor on "
                    "the committee be the people who will work with the SRO."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("OpenSRO account"),
        help_text=_("Lets a school administrator record their own ratings."))

    scope_paths: ClassVar[dict[str, str]] = {"agency": "process__agency",
                                             "school": "process__school"}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": VIEWERS, "add": AGENCY_SIDE, "change": AGENCY_SIDE, "delete": AGENCY_SIDE,
    }

    class Meta:
        ordering = ["process_id", "role", "name"]
        verbose_name = "committee member"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


@audited
class Candidate(ScopedModel):
    """An officer considered in a selection, with what eligibility needs (R-B1) and the
    decision (R-B2)."""

    process = models.ForeignKey(SelectionProcess, on_delete=models.PROTECT,
                                related_name="candidates", verbose_name=_("selection"))
    officer = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The officer's directory record, if they have one."))
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_sworn = models.DateField(help_text=_("Start of sworn law-enforcement service."))
    volunteered = models.BooleanField(
        _("volunteered for the SRO post"), default=False,
        help_text=_("SROs are chosen from volunteers only (R-B1)."))
    youth_complaints = models.BooleanField(
        _("youth-related complaints or discipline"), default=False,
        help_text=_("Any complaint or disciplinary action involving youth (R-B1)."))
    youth_complaint_notes = models.TextField(
        _("notes on complaints or discipline"), blank=True,
        help_text=_("What, when, and the outcome. Personnel data: the agency only."))
    youth_experience = models.TextField(
        _("experience with children and youth"), blank=True,
        help_text=_("Preferred, not required (R-B1)."))
    notes = models.TextField(blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices,
                                default=Decision.PENDING, editable=False)
    decision_reason = models.TextField(blank=True, editable=False)
    decided_on = models.DateField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   editable=False)

    #: Fields only the agency's side reads (a school administrator sees the verdict).
    PERSONNEL_FIELDS: ClassVar[tuple[str, ...]] = ("youth_complaint_notes", "notes")

    scope_paths: ClassVar[dict[str, str]] = {"agency": "process__agency",
                                             "school": "process__school"}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": VIEWERS, "add": AGENCY_SIDE, "change": AGENCY_SIDE, "decide": AGENCY_SIDE,
    }

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.date_sworn and self.date_sworn > datetime.date.today():
            errors["date_sworn"] = _("The date sworn cannot be in the future.")
        if self.youth_complaints and not self.youth_complaint_notes.strip():
            errors["youth_complaint_notes"] = _("Describe the complaint or discipline: what, "
                                                "when and the outcome.")
        if self.officer_id and self.process_id and (
                Officer.objects.filter(pk=self.officer_id).values_list("agency_id", flat=True)
                .first() != SelectionProcess.objects.filter(pk=self.process_id)
                .values_list("agency_id", flat=True).first()):
            errors["officer"] = _("The officer belongs to another agency than the "
                                  "selection's.")
        if errors:
            raise ValidationError(errors)


def _score() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        choices=[(n, str(n)) for n in range(1, 6)])


@audited
class Rating(ScopedModel):
    """One committee member's ratings of one candidate on the ten qualities, 1 (weak) to
    5 (strong) (GP 5, R-B3)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="ratings")
    member = models.ForeignKey(CommitteeMember, on_delete=models.PROTECT,
                               related_name="ratings", verbose_name=_("committee member"))
    works_with_school_community = _score()
    interpersonal_communication = _score()
    public_speaking = _score()
    teaching = _score()
    diversion = _score()
    trauma_informed = _score()
    respectful = _score()
    negative_impact = _score()
    local_needs = _score()
    youth_interest = _score()
    comments = models.TextField(blank=True)

    scope_paths: ClassVar[dict[str, str]] = {"agency": "candidate__process__agency",
                                             "school": "candidate__process__school"}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": VIEWERS,
        "add": (R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.SYSTEM_ADMIN),
        "change": (R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["candidate_id", "member_id"]
        constraints = [models.UniqueConstraint(fields=["candidate", "member"],
                                               name="rating_one_per_member")]

    def __str__(self) -> str:
        return f"{self.member.name} on {self.candidate}"

    @property
    def scores(self) -> list[tuple[str, int | None]]:
        return [(label, getattr(self, name)) for name, label in QUALITIES]

    @property
    def average(self) -> float | None:
        values = [getattr(self, f) for f in QUALITY_FIELDS if getattr(self, f) is not None]
        return round(sum(values) / len(values), 2) if values else None

    def clean(self) -> None:
        if self.candidate_id and self.member_id and not CommitteeMember.objects.filter(
                pk=self.member_id, process__candidates=self.candidate_id).exists():
            raise ValidationError({"member": _("This member is not on the committee of the "
                                               "candidate's selection.")})


#: The fields of a probation that the school administrator documents (R-B4).
REVIEW_FIELDS = ("reviewed_on", "school_admin_comments")


@audited
class Probation(ScopedModel):
    """A selected SRO's probationary period, with the school administrator's part in the
    probationary review (NASRO, R-B4)."""

    candidate = models.OneToOneField(Candidate, on_delete=models.PROTECT,
                                     related_name="probation")
    start_date = models.DateField()
    end_date = models.DateField()
    school_admin_name = models.CharField(
        _("school administrator"), max_length=200, blank=True,
        help_text=_("Who reviewed for the school."))
    school_admin_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+",
                                          editable=False)
    reviewed_on = models.DateField(_("school administrator's review date"), null=True,
                                   blank=True)
    school_admin_comments = models.TextField(_("school administrator's review"), blank=True)
    outcome = models.CharField(max_length=16, choices=ProbationOutcome.choices,
                               default=ProbationOutcome.PENDING)
    outcome_reason = models.TextField(blank=True)

    scope_paths: ClassVar[dict[str, str]] = {"agency": "candidate__process__agency",
                                             "school": "candidate__process__school"}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": VIEWERS,
        "add": AGENCY_SIDE,
        "change": (R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["-start_date"]
        verbose_name = "probationary period"

    def __str__(self) -> str:
        return f"Probation of {self.candidate} ({self.start_date.isoformat()} – " \
               f"{self.end_date.isoformat()})"

    @property
    def reviewed_by_school(self) -> bool:
        return bool(self.reviewed_on and self.school_admin_name.strip()
                    and self.school_admin_comments.strip())

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            errors["end_date"] = _("The probationary period must end after it starts.")
        if self.reviewed_on and self.start_date and self.reviewed_on < self.start_date:
            errors["reviewed_on"] = _("The review cannot come before the period starts.")
        if self.reviewed_on and self.reviewed_on > datetime.date.today():
            errors["reviewed_on"] = _("Record the review once it has taken place.")
        if self.outcome != ProbationOutcome.PENDING:
            if not self.reviewed_by_school:
                errors["outcome"] = _("The school administrator's review (who, when, and "
                                      "their comments) must be recorded before the "
                                      "probation ends (R-B4).")
            if not self.outcome_reason.strip():
                errors["outcome_reason"] = _("Give the reason for the outcome.")
        if errors:
            raise ValidationError(errors)
