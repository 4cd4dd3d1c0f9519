"""Training: the course catalog, training records with certificates, requirement rules
held as data (policy profiles), each agency's chosen profile, and school staff training
on the SRO program (GP 8; requirements R-G1…R-G4).
"""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from opensro.core.audit import audited
from opensro.core.choices import Role
from opensro.core.models import ScopedModel
from opensro.core.permissions import EVERY_ROLE, GLOBAL
from opensro.directory.models import OFFICER_VIEWERS, Agency, District, Officer, School
from opensro.training.choices import Anchor, CourseKind, OffsetUnit, StaffTopic

R = Role

#: Roles that record an officer's training: the SRO (their own), supervisors and agency
#: administrators (their agency), system administrators.
RECORD_WRITERS = (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.SYSTEM_ADMIN)


def tenths(value: Any) -> Any:
    """A decimal as the database returns it (one decimal place), so that the audit
    snapshot taken at write time equals the stored row."""
    if isinstance(value, Decimal) and value.is_finite():
        return value.quantize(Decimal("0.1"))
    return value


def certificate_path(instance: Any, filename: str) -> str:
    """A random stored name (the uploaded name is never used on disk)."""
    ext = ""
    if "." in filename:
        ext = "." + filename.rsplit(".", 1)[1].lower()
    if ext not in (".pdf", ".png", ".jpg", ".jpeg"):
        ext = ""
    return f"training/certificates/{secrets.token_hex(16)}{ext}"


class Course(models.Model):
    """A course in the catalog (R-G1…R-G3). Reference data: seeded, editable by system
    administrators; the code is stable once rules or imports refer to it."""

    code = models.SlugField(max_length=64, unique=True,
                            help_text=_("Stable short code used by CSV imports, e.g. "
                                        "basic_sro."))
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=CourseKind.choices)
    nominal_hours = models.DecimalField(
        _("nominal hours"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("Usual length, if the course has a set length."))
    source = models.CharField(max_length=100, blank=True,
                              help_text=_("Who recommends or offers it (COPS, NASRO, state…)."))
    description = models.TextField(blank=True)
    recommended_topic = models.BooleanField(
        _("COPS recommended topic"), default=False,
        help_text=_("One of the COPS Office's recommended training topics (R-G3)."))
    active = models.BooleanField(default=True, help_text=_("Inactive courses stay on old "
                                                           "records but are not offered."))
    sort_order = models.PositiveIntegerField(default=0)

    scope_paths: ClassVar[dict[str, str]] = {GLOBAL: ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.SYSTEM_ADMIN,),
        "change": (R.SYSTEM_ADMIN,),
        "delete": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.nominal_hours = tenths(self.nominal_hours)


class PolicyProfile(models.Model):
    """A named set of training requirements (R-G1, R-G2): the COPS and NASRO profiles are
    seeded and built in; administrators copy one and adapt the copy (state law) without
    any change to the code."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    built_in = models.BooleanField(
        default=False, editable=False,
        help_text=_("Seeded as published; copy it to adapt it."))
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="copies", editable=False)

    scope_paths: ClassVar[dict[str, str]] = {GLOBAL: ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.SYSTEM_ADMIN,),
        "change": (R.SYSTEM_ADMIN,),
        "delete": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RequirementRule(models.Model):
    """One requirement of a profile, held as data: who it applies to, which course(s)
    satisfy it, when it falls due (anchor + offset), whether it recurs, and how early it
    counts as due soon (R-G1, R-G2, R-G4)."""

    profile = models.ForeignKey(PolicyProfile, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    for_sros = models.BooleanField(_("applies to SROs"), default=True)
    for_supervisors = models.BooleanField(_("applies to supervisors"), default=False)
    for_district_admins = models.BooleanField(_("applies to district administrators"),
                                              default=False)
    courses = models.ManyToManyField(
        Course, related_name="satisfies", verbose_name=_("satisfying courses"),
        help_text=_("Completing any one of these meets the requirement."))
    min_hours = models.DecimalField(
        _("minimum hours"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("A record counts only if it has at least this many hours (e.g. 40 for "
                    "the basic course). Leave empty for any length."))
    anchor = models.CharField(_("counted from"), max_length=24, choices=Anchor.choices)
    anchor_course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("When counted from the completion of another course: which course."))
    offset_amount = models.IntegerField(
        _("due after"), default=0,
        validators=[MinValueValidator(-3650), MaxValueValidator(3650)],
        help_text=_("How long after the starting point the requirement falls due "
                    "(0: on that day; negative: before it)."))
    offset_unit = models.CharField(_("unit"), max_length=8, choices=OffsetUnit.choices,
                                   default=OffsetUnit.MONTHS)
    recurrence_months = models.PositiveSmallIntegerField(
        _("repeat every (months)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Leave empty for a one-time requirement."))
    due_soon_days = models.PositiveSmallIntegerField(
        _("due-soon window (days)"), null=True, blank=True,
        validators=[MaxValueValidator(730)],
        help_text=_("How many days before the due date it shows as due soon. Empty: the "
                    "site default."))

    scope_paths: ClassVar[dict[str, str]] = {GLOBAL: ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = PolicyProfile.role_permissions

    class Meta:
        ordering = ["profile_id", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def audiences(self) -> list[str]:
        out = []
        if self.for_sros:
            out.append("sro")
        if self.for_supervisors:
            out.append("supervisor")
        if self.for_district_admins:
            out.append("district_admin")
        return out

    @property
    def audience_label(self) -> str:
        labels = {"sro": "SROs", "supervisor": "supervisors",
                  "district_admin": "district administrators"}
        return ", ".join(labels[a] for a in self.audiences)

    @property
    def schedule(self) -> str:
        """When the requirement falls due, in words."""
        amount = abs(self.offset_amount)
        unit = str(self.offset_unit)
        if amount == 1:
            unit = unit.rstrip("s")
        span = f"{amount} {unit}"
        after = "after" if self.offset_amount >= 0 else "before"
        if self.anchor == Anchor.PLACEMENT:
            text = (f"within {span} of placement" if self.offset_amount > 0
                    else f"{span} {after} placement" if amount else "at placement")
        elif self.anchor == Anchor.BEFORE_ASSIGNMENT:
            text = "before the first school assignment"
            if self.offset_amount > 0:
                text += f", at the latest {span} after it"
        elif self.anchor == Anchor.COURSE_COMPLETION:
            course = self.anchor_course.name if self.anchor_course else "another course"
            text = f"{span} {after} completing {course}" if amount else f"with {course}"
        else:
            text = (f"{span} {after} the program starts" if amount
                    else "before the program starts")
        if self.recurrence_months:
            text += f", then every {self.recurrence_months} months"
        return text

    def clean(self) -> None:
        self.min_hours = tenths(self.min_hours)
        errors: dict[str, Any] = {}
        if not (self.for_sros or self.for_supervisors or self.for_district_admins):
            errors["for_sros"] = _("Say who the requirement applies to: SROs, supervisors "
                                   "or district administrators.")
        if self.anchor == Anchor.COURSE_COMPLETION and self.anchor_course_id is None:
            errors["anchor_course"] = _("Choose the course whose completion starts the "
                                        "clock.")
        if self.anchor != Anchor.COURSE_COMPLETION and self.anchor_course_id is not None:
            errors["anchor_course"] = _("Only a requirement counted from the completion of "
                                        "another course names a course here.")
        if self.anchor in (Anchor.PLACEMENT, Anchor.BEFORE_ASSIGNMENT) and not (
                self.for_sros) and (self.for_supervisors or self.for_district_admins):
            errors["anchor"] = _("Only SROs are placed at schools; count a supervisors' or "
                                 "district administrators' requirement from the program "
                                 "start or another course.")
        if errors:
            raise ValidationError(errors)


@audited
class AgencyPolicy(ScopedModel):
    """The training profile an agency follows and its SRO program's start date."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE,
                                  related_name="training_policy")
    profile = models.ForeignKey(PolicyProfile, on_delete=models.PROTECT,
                                related_name="agencies")
    program_start = models.DateField(
        _("program start date"), null=True, blank=True,
        help_text=_("When the agency's SRO program started or starts; requirements "
                    "counted from the program start use it."))

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "agency",
        "district": "agency__districts_served",
        "school": "agency__districts_served__schools",
        "officer": "agency__officers",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
        "change": (R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
        "delete": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["agency__name"]
        verbose_name = "agency training policy"
        verbose_name_plural = "agency training policies"

    def __str__(self) -> str:
        return f"{self.agency}: {self.profile}"


class TrainingFields(ScopedModel):
    """What every training record holds: the course, when, how long, who gave it, and
    an optional certificate (PDF or image, checked on upload)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="+")
    completed_on = models.DateField(_("date completed"))
    hours = models.DecimalField(max_digits=5, decimal_places=1,
                                validators=[MinValueValidator(Decimal("0.5")),
                                            MaxValueValidator(Decimal("400"))])
    provider = models.CharField(max_length=200,
                                help_text=_("Who gave the course (NASRO, a state academy…)."))
    certificate = models.CharField(
        max_length=200, blank=True, editable=False,
        help_text=_("Stored name of the certificate file under MEDIA_ROOT (random)."))
    certificate_type = models.CharField(max_length=40, blank=True, editable=False)
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        self.hours = tenths(self.hours)
        if self.completed_on and self.completed_on > datetime.date.today():
            raise ValidationError({"completed_on": _("The completion date cannot be in the "
                                                     "future.")})


@audited
class TrainingRecord(TrainingFields):
    """A course an officer (SRO or supervisor) completed (R-G4: tracked completion).
    Readable where the officer is (the same roles and scopes as the officer record)."""

    officer = models.ForeignKey(Officer, on_delete=models.PROTECT,
                                related_name="training_records")

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "officer__agency",
        "officer": "officer",
        "school": "officer__assignments__school",
        "district": "officer__assignments__school__district",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": OFFICER_VIEWERS,
        "add": RECORD_WRITERS,
        "change": RECORD_WRITERS,
        "delete": (R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["-completed_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["officer", "course", "completed_on"],
                                    name="training_record_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.officer}: {self.course} ({self.completed_on.isoformat()})"


#: Who sees and records district administrators' training (R-G2: the management course).
ADMIN_RECORD_VIEWERS = (R.SUPERVISOR, R.AGENCY_ADMIN, R.DISTRICT_ADMIN, R.AUDITOR,
                        R.SYSTEM_ADMIN)


@audited
class AdministratorTrainingRecord(TrainingFields):
    """A course a district administrator completed (NASRO: the SRO management course
    before the program starts, R-G2). ``person`` holds a district-administrator grant
    over ``district``."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("district administrator"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")

    scope_paths: ClassVar[dict[str, str]] = {
        "district": "district",
        "agency": "district__serving_agencies",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": ADMIN_RECORD_VIEWERS,
        "add": (R.DISTRICT_ADMIN, R.SYSTEM_ADMIN),
        "change": (R.DISTRICT_ADMIN, R.SYSTEM_ADMIN),
        "delete": (R.DISTRICT_ADMIN, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["-completed_on", "pk"]
        verbose_name = "district administrator training record"
        constraints = [
            models.UniqueConstraint(fields=["person", "course", "completed_on"],
                                    name="admin_training_record_unique"),
        ]

    def __str__(self) -> str:
        name = self.person.get_full_name() or self.person.get_username()
        return f"{name}: {self.course} ({self.completed_on.isoformat()})"


class DistrictAdministratorScope(District):
    """The districts whose administrators' training a user may see: the same roles and
    scopes as :class:`AdministratorTrainingRecord`, on the district itself, so that people
    with no record yet (overdue) are listed too. A proxy: no table of its own."""

    scope_paths: ClassVar[dict[str, str]] = {
        "district": "pk",
        "agency": "serving_agencies",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": ADMIN_RECORD_VIEWERS,
    }

    class Meta:
        proxy = True


@audited
class StaffTrainingSession(ScopedModel):
    """A session training a school's staff on the SRO program (GP 8, R-G4): roles, when
    to involve the SRO, civil rights, data collection, the MOU and FERPA…"""

    school = models.ForeignKey(School, on_delete=models.PROTECT,
                               related_name="staff_training_sessions")
    held_on = models.DateField(_("date"))
    title = models.CharField(max_length=200)
    topics = models.JSONField(default=list, help_text=_("Topic codes covered."))
    attendees = models.PositiveIntegerField(
        _("staff attending"), validators=[MinValueValidator(1), MaxValueValidator(5000)])
    hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True,
                                validators=[MinValueValidator(Decimal("0.25"))])
    presenter = models.CharField(max_length=200, blank=True)
    joint_with_sro = models.BooleanField(
        _("joint training with the SRO"), default=False,
        help_text=_("The school's SRO took part (joint SRO–staff training)."))
    notes = models.CharField(max_length=500, blank=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "school": "school",
        "district": "school__district",
        "agency": "school__district__serving_agencies",
        "officer": "school__assignments__officer",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.DISTRICT_ADMIN,
                 R.ANALYST, R.AUDITOR, R.SYSTEM_ADMIN),
        "add": (R.SCHOOL_ADMIN, R.DISTRICT_ADMIN, R.SYSTEM_ADMIN),
        "change": (R.SCHOOL_ADMIN, R.DISTRICT_ADMIN, R.SYSTEM_ADMIN),
        "delete": (R.DISTRICT_ADMIN, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["-held_on", "pk"]
        verbose_name = "staff training session"

    def __str__(self) -> str:
        return f"{self.school}: {self.title} ({self.held_on.isoformat()})"

    @property
    def topic_labels(self) -> str:
        labels = dict(StaffTopic.choices)
        return "; ".join(str(labels.get(t, t)) for t in self.topics or [])

    def clean(self) -> None:
        self.hours = tenths(self.hours)
        errors: dict[str, Any] = {}
        valid = set(StaffTopic.values)
        if not isinstance(self.topics, list) or not self.topics:
            errors["topics"] = _("Choose at least one topic the session covered.")
        elif not set(self.topics) <= valid:
            unknown = ", ".join(sorted(str(t) for t in set(self.topics) - valid))
            errors["topics"] = _("Unknown topic code(s): %(codes)s.") % {"codes": unknown}
        if self.held_on and self.held_on > datetime.date.today():
            errors["held_on"] = _("Record a session once it has taken place.")
        if errors:
            raise ValidationError(errors)
