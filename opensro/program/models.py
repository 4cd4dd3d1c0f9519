"""Program administration: memoranda of understanding between an agency and a district,
their checklist of required content and their annual reviews (R-C1…R-C3), and the
yearly staffing factors of each school (R-A4).
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from opensro.core.audit import audited
from opensro.core.choices import Role
from opensro.core.models import ScopedModel
from opensro.core.permissions import EVERY_ROLE, GLOBAL
from opensro.program.choices import ElementSource, MouStatus

R = Role

#: Who reads MOU records (checklists, reviews, minutes). Analysts read the MOUs the
#: program publishes on the public portal, like anyone else; the records are for the
#: people who run and audit the program (docs/program.md).
MOU_VIEWERS = (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.DISTRICT_ADMIN,
               R.AUDITOR, R.SYSTEM_ADMIN)
#: The two parties: the agency's and the district's administrators (and system admins).
MOU_EDITORS = (R.AGENCY_ADMIN, R.DISTRICT_ADMIN, R.SYSTEM_ADMIN)

MOU_SCOPE: dict[str, str] = {
    "agency": "agency",
    "district": "district",
    "school": "district__schools",
    # An SRO reads the MOUs of their own agency.
    "officer": "agency__officers",
}


def _via(prefix: str, paths: dict[str, str]) -> dict[str, str]:
    return {kind: f"{prefix}__{path}" for kind, path in paths.items()}


class MouElement(models.Model):
    """One element an MOU should contain: the COPS minimum content (required) and
    NASRO's topics (recommended). Reference data, seeded by a data migration."""

    code = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=ElementSource.choices,
                              default=ElementSource.LOCAL)
    required = models.BooleanField(
        default=False,
        help_text=_("An executed MOU without this element raises a flag."))
    sort_order = models.PositiveSmallIntegerField(default=500)
    active = models.BooleanField(default=True)

    scope_paths: ClassVar[dict[str, str]] = {GLOBAL: ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.SYSTEM_ADMIN,),
        "change": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "MOU element"

    def __str__(self) -> str:
        return self.label


@audited
class Mou(ScopedModel):
    """One version of the memorandum of understanding between an agency and a district
    it serves (R-C1). Its checklist rows are part of its audited state."""

    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT,
                               related_name="mous")
    district = models.ForeignKey("directory.District", on_delete=models.PROTECT,
                                 related_name="mous")
    title = models.CharField(max_length=200)
    version = models.PositiveSmallIntegerField(
        help_text=_("1 for the first MOU between these parties, 2 for the next…"))
    status = models.CharField(max_length=16, choices=MouStatus.choices,
                              default=MouStatus.DRAFT)
    effective_date = models.DateField(_("takes effect"))
    expiry_date = models.DateField(
        _("expires"), null=True, blank=True,
        help_text=_("Leave empty if the MOU runs until it is replaced."))
    public = models.BooleanField(
        _("published"), default=False,
        help_text=_("Shown with its signed document on the public portal (R-C3)."))
    notes = models.TextField(blank=True)
    document_file = models.CharField(max_length=200, blank=True, editable=False)
    document_name = models.CharField(max_length=200, blank=True, editable=False)
    document_size = models.PositiveIntegerField(null=True, blank=True, editable=False)
    document_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    scope_paths: ClassVar[dict[str, str]] = MOU_SCOPE
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": MOU_VIEWERS,
        "add": MOU_EDITORS,
        "change": MOU_EDITORS,
    }

    class Meta:
        ordering = ["agency__name", "district__name", "-version"]
        verbose_name = "MOU"
        verbose_name_plural = "MOUs"
        constraints = [
            models.UniqueConstraint(fields=["agency", "district", "version"],
                                    name="mou_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} – {self.district} MOU v{self.version}"

    @property
    def has_document(self) -> bool:
        return bool(self.document_file)

    def audit_children(self) -> dict[str, Any]:
        """The checklist is part of the MOU's audited state."""
        rows = [{"element": e.element_id, "present": e.present, "section": e.section,
                 "notes": e.notes}
                for e in sorted(self.checklist.all(), key=lambda e: e.element_id)]
        return {"checklist": rows}

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.effective_date and self.expiry_date and self.expiry_date <= self.effective_date:
            errors["expiry_date"] = str(_("The MOU must expire after it takes effect."))
        if self.agency_id and self.district_id and self.version:
            clash = Mou.objects.filter(agency_id=self.agency_id, district_id=self.district_id,
                                       version=self.version).exclude(pk=self.pk)
            if clash.exists():
                errors["version"] = str(_(
                    "Version %(v)s already exists for this agency and district; use the "
                    "next number.") % {"v": self.version})
        if errors:
            raise ValidationError(errors)


class MouElementEntry(ScopedModel):
    """Whether one catalog element is in one MOU, and where (its section reference)."""

    mou = models.ForeignKey(Mou, on_delete=models.CASCADE, related_name="checklist")
    element = models.ForeignKey(MouElement, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(default=False)
    section = models.CharField(
        _("section reference"), max_length=100, blank=True,
        help_text=_("Where in the MOU, e.g. “§4.2” or “page 6”."))
    notes = models.CharField(max_length=300, blank=True)

    scope_paths: ClassVar[dict[str, str]] = _via("mou", MOU_SCOPE)
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": MOU_VIEWERS,
        "add": MOU_EDITORS,
        "change": MOU_EDITORS,
    }

    class Meta:
        ordering = ["mou_id", "element__sort_order"]
        verbose_name = "MOU checklist entry"
        verbose_name_plural = "MOU checklist entries"
        constraints = [
            models.UniqueConstraint(fields=["mou", "element"], name="mou_entry_unique"),
        ]

    def __str__(self) -> str:
        mark = "present" if self.present else "missing"
        return f"{self.element}: {mark}" + (f" ({self.section})" if self.section else "")


@audited
class MouReview(ScopedModel):
    """An annual review of an MOU by the district and the agency (R-C3)."""

    mou = models.ForeignKey(Mou, on_delete=models.PROTECT, related_name="reviews")
    review_date = models.DateField(_("reviewed on"))
    attendees = models.TextField(
        help_text=_("Who took part, one per line, with their role (e.g. “A. Diaz, "
                    "district safety director”)."))
    minutes = models.TextField(
        help_text=_("What was reviewed and decided: is the program meeting school and "
                    "community expectations, and what must change?"))
    next_review_due = models.DateField(
        _("next review due"),
        help_text=_("At most 12 months after this review; 12 months if left empty."))

    scope_paths: ClassVar[dict[str, str]] = _via("mou", MOU_SCOPE)
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": MOU_VIEWERS,
        "add": MOU_EDITORS,
        "change": MOU_EDITORS,
    }

    class Meta:
        ordering = ["-review_date", "-id"]
        verbose_name = "MOU review"

    def __str__(self) -> str:
        return f"Review of {self.mou} on {self.review_date.isoformat()}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.attendees is not None and not self.attendees.strip():
            errors["attendees"] = str(_("List who took part in the review."))
        if self.minutes is not None and not self.minutes.strip():
            errors["minutes"] = str(_("Write the minutes: what was reviewed and decided."))
        if errors:
            raise ValidationError(errors)


@audited
class StaffingFactors(ScopedModel):
    """NASRO's staffing factors of a school for a school year beyond enrollment and
    campus size: non-sworn safety staff and calls for service (R-A4)."""

    school = models.ForeignKey("directory.School", on_delete=models.PROTECT,
                               related_name="staffing_factors")
    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+")
    non_sworn_safety_staff = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text=_("Security officers, monitors and other non-sworn safety staff."))
    calls_for_service = models.PositiveIntegerField(
        null=True, blank=True,
        help_text=_("Calls for police service at the school during the year."))
    notes = models.CharField(max_length=300, blank=True)

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
    }

    class Meta:
        ordering = ["school__name", "-school_year__start_date"]
        verbose_name = "staffing factors"
        verbose_name_plural = "staffing factors"
        constraints = [
            models.UniqueConstraint(fields=["school", "school_year"],
                                    name="staffing_factors_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.school_year}"

    def clean(self) -> None:
        if self.non_sworn_safety_staff is None and self.calls_for_service is None:
            raise ValidationError({"non_sworn_safety_staff": _(
                "Give the non-sworn safety staff, the calls for service, or both.")})
        if self.school_id and self.school_year_id:
            clash = StaffingFactors.objects.filter(
                school_id=self.school_id, school_year_id=self.school_year_id
            ).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"school_year": _(
                    "This school already has staffing factors for this year; edit them "
                    "instead.")})


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months (the 29th–31st clamp to the month's last day)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover
