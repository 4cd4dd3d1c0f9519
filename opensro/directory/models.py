"""The directory: agencies, districts, schools, school years, enrollment, officers and
their assignments (requirements R-A1…R-A4).
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from opensro.core.audit import audited
from opensro.core.choices import EnrollmentGroup, Role, Sex
from opensro.core.models import ScopedModel
from opensro.core.permissions import EVERY_ROLE, GLOBAL
from opensro.directory.choices import (
    GRADE_ORDER,
    AgencyKind,
    Grade,
    OfficerKind,
    OfficerStatus,
    SchoolLevel,
)
from opensro.directory.validators import (
    validate_nces_lea_id,
    validate_nces_school_id,
    validate_school_year_code,
)

R = Role
#: Roles that may see named officers (analysts work with aggregates only).
OFFICER_VIEWERS = (
    R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.DISTRICT_ADMIN, R.AUDITOR,
    R.SYSTEM_ADMIN,
)


@audited
class District(ScopedModel):
    """A school district (local education agency, LEA) with its NCES ID (R-A1)."""

    name = models.CharField(max_length=200)
    nces_id = models.CharField(
        _("NCES district (LEA) ID"), max_length=7, unique=True,
        validators=[validate_nces_lea_id],
    )
    state = models.CharField(max_length=2, help_text=_("Two-letter postal code"))
    city = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "district": "pk",
        "agency": "serving_agencies",
        "school": "schools",
        "officer": "serving_agencies__officers",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.SYSTEM_ADMIN,),
        "change": (R.SYSTEM_ADMIN, R.DISTRICT_ADMIN),
        "delete": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.state:
            self.state = str(self.state).upper()
            if len(self.state) != 2 or not self.state.isalpha():
                raise ValidationError({"state": _("Use the two-letter state code, like OH.")})


@audited
class Agency(ScopedModel):
    """A law-enforcement agency that employs SROs. It may serve several districts (R-A1)."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    ori = models.CharField(
        _("ORI"), max_length=9, blank=True,
        help_text=_("Originating Agency Identifier, if the agency has one."),
    )
    state = models.CharField(max_length=2)
    city = models.CharField(max_length=100, blank=True)
    districts_served = models.ManyToManyField(
        District, related_name="serving_agencies", blank=True
    )

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "pk",
        "district": "districts_served",
        "school": "districts_served__schools",
        "officer": "officers",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.SYSTEM_ADMIN,),
        "change": (R.SYSTEM_ADMIN, R.AGENCY_ADMIN),
        "delete": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.state = (self.state or "").upper()
        if len(self.state) != 2 or not self.state.isalpha():
            raise ValidationError({"state": _("Use the two-letter state code, like OH.")})


@audited
class School(ScopedModel):
    """A school with its 12-digit NCES ID, level, grades and address (R-A1, R-A4)."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    nces_id = models.CharField(
        _("NCES school ID"), max_length=12, unique=True, validators=[validate_nces_school_id]
    )
    level = models.CharField(max_length=16, choices=SchoolLevel.choices)
    lowest_grade = models.CharField(max_length=2, choices=Grade.choices)
    highest_grade = models.CharField(max_length=2, choices=Grade.choices)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    campus_acres = models.DecimalField(
        max_digits=7, decimal_places=1, null=True, blank=True,
        help_text=_("Campus size, one of NASRO's staffing factors (R-A4)."),
    )
    buildings = models.PositiveSmallIntegerField(null=True, blank=True)
    non_sworn_safety_staff = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "school": "pk",
        "district": "district",
        "agency": "district__serving_agencies",
        "officer": "assignments__officer",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.SYSTEM_ADMIN, R.DISTRICT_ADMIN),
        "change": (R.SYSTEM_ADMIN, R.DISTRICT_ADMIN, R.SCHOOL_ADMIN),
        "delete": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def grades(self) -> str:
        return f"{self.lowest_grade}–{self.highest_grade}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.nces_id and self.district_id and len(self.nces_id) == 12:
            lea = District.objects.filter(pk=self.district_id).values_list("nces_id", flat=True)
            if lea and not self.nces_id.startswith(lea[0]):
                errors["nces_id"] = _(
                    "An NCES school ID starts with its district's 7-digit ID (%(lea)s)."
                ) % {"lea": lea[0]}
        if (
            self.lowest_grade in GRADE_ORDER and self.highest_grade in GRADE_ORDER
            and GRADE_ORDER.index(self.lowest_grade) > GRADE_ORDER.index(self.highest_grade)
        ):
            errors["highest_grade"] = _("The highest grade cannot be below the lowest grade.")
        if self.state:
            self.state = self.state.upper()
        if errors:
            raise ValidationError(errors)


def default_sex_codes() -> list[str]:
    return [Sex.MALE.value, Sex.FEMALE.value]


@audited
class SchoolYear(ScopedModel):
    """A school year, like 2025-26, with the sex codes its collection uses (methods.md)."""

    code = models.CharField(max_length=7, unique=True, validators=[validate_school_year_code])
    start_date = models.DateField()
    end_date = models.DateField()
    sex_codes = models.JSONField(
        default=default_sex_codes,
        help_text=_("Sex codes collected this year, e.g. [\"M\", \"F\"] or [\"M\", \"F\", \"X\"]."),
    )

    scope_paths: ClassVar[dict[str, str]] = {GLOBAL: ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.SYSTEM_ADMIN,),
        "change": (R.SYSTEM_ADMIN,),
        "delete": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": _("The year must end after it starts.")})
        valid = {s.value for s in Sex}
        if not isinstance(self.sex_codes, list) or not self.sex_codes or not set(
            self.sex_codes
        ) <= valid:
            raise ValidationError(
                {"sex_codes": _("List the sex codes collected, from: M, F, X.")}
            )

    @classmethod
    def for_date(cls, day: datetime.date) -> SchoolYear | None:
        return cls.objects.filter(start_date__lte=day, end_date__gte=day).first()


@audited
class Enrollment(ScopedModel):
    """Students enrolled at a school in a year, by CRDC group and sex (denominators, R-E1).

    The seven race/ethnicity groups partition enrollment; IDEA, Section 504 only and
    English learners are subsets of it.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="enrollment")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    group = models.CharField(max_length=4, choices=EnrollmentGroup.choices)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    count = models.PositiveIntegerField()

    scope_paths: ClassVar[dict[str, str]] = {
        "school": "school",
        "district": "school__district",
        "agency": "school__district__serving_agencies",
        "officer": "school__assignments__officer",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.SYSTEM_ADMIN, R.DISTRICT_ADMIN, R.SCHOOL_ADMIN),
        "change": (R.SYSTEM_ADMIN, R.DISTRICT_ADMIN, R.SCHOOL_ADMIN),
        "delete": (R.SYSTEM_ADMIN, R.DISTRICT_ADMIN),
    }

    class Meta:
        ordering = ["school_id", "school_year_id", "group", "sex"]
        verbose_name_plural = "enrollment"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "group", "sex"], name="enrollment_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.school_year} {self.group} {self.sex}: {self.count}"


@audited
class Officer(ScopedModel):
    """A sworn officer employed by an agency (R-A2)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="officers")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    badge_number = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=OfficerKind.choices, default=OfficerKind.SRO)
    sworn = models.BooleanField(default=True)
    date_sworn = models.DateField(help_text=_("Start of sworn law-enforcement service."))
    status = models.CharField(
        max_length=16, choices=OfficerStatus.choices, default=OfficerStatus.ACTIVE
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="officer",
    )

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "agency",
        "officer": "pk",
        "school": "assignments__school",
        "district": "assignments__school__district",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": OFFICER_VIEWERS,
        "add": (R.SYSTEM_ADMIN, R.AGENCY_ADMIN),
        "change": (R.SYSTEM_ADMIN, R.AGENCY_ADMIN),
        "delete": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "badge_number"], name="officer_unique_badge")
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} (#{self.badge_number})"

    def years_of_service(self, on: datetime.date | None = None) -> float:
        """Years of sworn law-enforcement experience on a date (R-B1 asks for three)."""
        on = on or datetime.date.today()
        return max(0.0, (on - self.date_sworn).days / 365.25)

    def clean(self) -> None:
        if self.date_sworn and self.date_sworn > datetime.date.today():
            raise ValidationError({"date_sworn": _("The date sworn cannot be in the future.")})
        if self.kind == OfficerKind.SRO and not self.sworn:
            raise ValidationError(
                {"sworn": _("An SRO is a sworn officer; security staff are not SROs.")}
            )


@audited
class Assignment(ScopedModel):
    """An officer's fixed duty at a school for a period (R-A3). History is kept whole."""

    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="assignments")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="assignments")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    primary = models.BooleanField(default=True)
    notes = models.CharField(max_length=300, blank=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "officer__agency",
        "officer": "officer",
        "school": "school",
        "district": "school__district",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": OFFICER_VIEWERS,
        "add": (R.SYSTEM_ADMIN, R.AGENCY_ADMIN, R.SUPERVISOR),
        "change": (R.SYSTEM_ADMIN, R.AGENCY_ADMIN, R.SUPERVISOR),
        "delete": (R.SYSTEM_ADMIN, R.AGENCY_ADMIN),
    }

    class Meta:
        ordering = ["-start_date"]

    def __str__(self) -> str:
        end = self.end_date.isoformat() if self.end_date else "present"
        return f"{self.officer} at {self.school} ({self.start_date.isoformat()} – {end})"
