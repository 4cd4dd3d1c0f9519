"""Supervision and evaluation of SROs (requirements R-F1…R-F3, COPS Guiding Principle 6).

- :class:`EarlyWarningResult`: one SRO's count of one enforcement measure over a
  half-year, against peers at similar schools (R-F1). Computed by the early-warning
  refresh; a significant result raises an ``early_warning`` flag.
- :class:`Review`: the twice-yearly meeting of supervisor, SRO and school
  administrator about the SRO's incidents at one school (R-F3), with its minutes and
  follow-up items (:class:`ReviewFollowUp`).
- :class:`RatingInstrument` with its :class:`RatingCriterion` rows: an SRO-specific
  rating instrument as data (R-F1), which an agency copies and adapts.
- :class:`Evaluation` with its :class:`Rating` rows: a supervisor's evaluation of an SRO
  over a period; :class:`EvaluationInput`: a school administrator's section (R-F2).

Every write goes through ``services.py``; every read through ``selectors.py``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opensro.core.audit import audited, fields_snapshot
from opensro.core.choices import Role
from opensro.core.models import ScopedModel
from opensro.supervision.choices import (
    EvaluationStatus,
    Half,
    Measure,
    ReviewStatus,
    Score,
)

R = Role


@audited
class EarlyWarningResult(ScopedModel):
    """One SRO's figures for one measure over one half-year, with the peer benchmark
    and the tests (R-F1). ``figures`` holds, for each base ("contact": per 100
    contacts; "enrollment": per 1,000 enrolled), the SRO's rate, the peers' rate, the
    expected count, the ratio, the p- and q-values and whether it is significant."""

    officer = models.ForeignKey("directory.Officer", on_delete=models.PROTECT,
                                related_name="+")
    school = models.ForeignKey("directory.School", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               help_text=_("The SRO's main school in the period."))
    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+")
    half = models.CharField(max_length=8, choices=Half.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    counted_to = models.DateField(help_text=_("Records up to this day were counted."))
    measure = models.CharField(max_length=16, choices=Measure.choices)
    contacts = models.PositiveIntegerField(default=0)
    enrolled = models.FloatField(default=0.0,
                                 help_text=_("Students enrolled at the SRO's schools, "
                                             "weighted by the share of the period assigned."))
    count = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict)
    significant = models.BooleanField(default=False, db_index=True)
    incident_ids = models.JSONField(default=list)
    family_size = models.PositiveIntegerField(default=0,
                                              help_text=_("Tests adjusted together."))
    fdr = models.FloatField(default=0.10)

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "officer__agency",
        "officer": "officer",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        # Performance screening stays in the agency's chain of command (R-F2).
        "view": (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.AUDITOR, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["-period_start", "officer_id", "measure"]
        constraints = [
            models.UniqueConstraint(fields=["officer", "period_start", "measure"],
                                    name="early_warning_one_per_period"),
        ]

    def __str__(self) -> str:
        return (f"{self.get_measure_display()}: {self.officer} — "
                f"{self.school_year} {self.get_half_display().lower()}")

    @property
    def period_label(self) -> str:
        return f"{self.school_year} {self.get_half_display().lower()}"


@audited
class Review(ScopedModel):
    """The twice-yearly review of one SRO's incidents at one school (R-F3): supervisor,
    SRO and school administrator meet about the half-year's incidents involving
    discipline, arrest, restraint or use of force."""

    officer = models.ForeignKey("directory.Officer", on_delete=models.PROTECT,
                                related_name="supervision_reviews")
    school = models.ForeignKey("directory.School", on_delete=models.PROTECT,
                               related_name="supervision_reviews")
    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+")
    half = models.CharField(max_length=8, choices=Half.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField(help_text=_("The review is overdue after this day."))
    status = models.CharField(max_length=16, choices=ReviewStatus.choices,
                              default=ReviewStatus.PLANNED, db_index=True)
    meeting_on = models.DateField(_("meeting date"), null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   help_text=_("The SRO's supervisor, who leads the review."))
    school_administrator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("The school administrator taking part."))
    attendees = models.CharField(max_length=300, blank=True,
                                 help_text=_("Everyone present, as names."))
    minutes = models.TextField(blank=True)
    incidents_reviewed = models.JSONField(default=list, blank=True)
    school_input = models.TextField(_("school administrator's input"), blank=True)
    school_input_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    school_input_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    cancel_reason = models.TextField(blank=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "officer__agency",
        "officer": "officer",
        "school": "school",
        "district": "school__district",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.DISTRICT_ADMIN,
                 R.AUDITOR, R.SYSTEM_ADMIN),
        "add": (R.SUPERVISOR, R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
        "change": (R.SUPERVISOR, R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
        # The school administrator's own section (R-F3: reviewed with the school).
        "school_input": (R.SCHOOL_ADMIN, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["-period_start", "due_date", "officer_id", "school_id"]
        constraints = [
            models.UniqueConstraint(fields=["officer", "school", "school_year", "half"],
                                    name="review_one_per_half"),
        ]

    def __str__(self) -> str:
        return (f"Review of {self.officer} at {self.school} — {self.school_year} "
                f"{self.get_half_display().lower()}")

    @property
    def period_label(self) -> str:
        return f"{self.school_year} {self.get_half_display().lower()}"

    @property
    def overdue(self) -> bool:
        """Not completed (or cancelled) by its due date."""
        return self.status in (ReviewStatus.PLANNED, ReviewStatus.SCHEDULED) and (
            self.due_date < timezone.localdate())

    def audit_children(self) -> dict[str, Any]:
        cache = getattr(self, "_prefetched_objects_cache", {})
        rows = cache["follow_ups"] if "follow_ups" in cache else self.follow_ups.all()
        return {"follow_ups": [fields_snapshot(f) for f in sorted(rows, key=lambda r: r.pk)]}

    @classmethod
    def audit_queryset(cls) -> models.QuerySet[Review]:
        return cls.objects.prefetch_related("follow_ups")


class ReviewFollowUp(models.Model):
    """A follow-up item agreed at a review: what, who, by when, and when it was done.
    Read and written only through its review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="follow_ups")
    action = models.CharField(max_length=300)
    owner = models.CharField(max_length=120, help_text=_("Who will do it."))
    due_date = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["review_id", "id"]

    def __str__(self) -> str:
        return self.action


@audited
class RatingInstrument(ScopedModel):
    """An SRO-specific rating instrument (R-F1): criteria as data. The standard one
    (no agency) is seeded by a data migration; an agency copies it and adapts the copy.
    An instrument used by an evaluation no longer changes: copy it instead."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    agency = models.ForeignKey("directory.Agency", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               help_text=_("Empty for the standard instrument."))
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="copies")
    active = models.BooleanField(default=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "agency",
        "officer": "agency__officers",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.AUDITOR, R.SYSTEM_ADMIN),
        "add": (R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
        "change": (R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["agency_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="instrument_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_standard(self) -> bool:
        return self.agency_id is None

    def audit_children(self) -> dict[str, Any]:
        cache = getattr(self, "_prefetched_objects_cache", {})
        rows = cache["criteria"] if "criteria" in cache else self.criteria.all()
        return {"criteria": [fields_snapshot(c) for c in sorted(rows, key=lambda r: r.pk)]}

    @classmethod
    def audit_queryset(cls) -> models.QuerySet[RatingInstrument]:
        """Agency instruments; the standard one is reference data from a migration and
        never changes (copy it to adapt it)."""
        return cls.objects.filter(agency__isnull=False).prefetch_related("criteria")


class RatingCriterion(models.Model):
    """One criterion of an instrument, with the guidance a rater reads."""

    instrument = models.ForeignKey(RatingInstrument, on_delete=models.CASCADE,
                                   related_name="criteria")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=120)
    guidance = models.TextField(blank=True)
    requirement = models.CharField(max_length=40, blank=True,
                                   help_text=_("The requirement it serves, e.g. R-F1."))
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["instrument_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="criterion_unique_code"),
        ]

    def __str__(self) -> str:
        return self.label


@audited
class Evaluation(ScopedModel):
    """A supervisor's evaluation of an SRO over a period (R-F1), owned by the agency's
    chain of command (R-F2). School administrators give input in their own section
    (:class:`EvaluationInput`) and do not see the ratings."""

    officer = models.ForeignKey("directory.Officer", on_delete=models.PROTECT,
                                related_name="evaluations")
    instrument = models.ForeignKey(RatingInstrument, on_delete=models.PROTECT,
                                   related_name="evaluations")
    period_start = models.DateField()
    period_end = models.DateField()
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+",
                                  help_text=_("A supervisor in the SRO's agency."))
    status = models.CharField(max_length=16, choices=EvaluationStatus.choices,
                              default=EvaluationStatus.DRAFT, db_index=True)
    summary = models.TextField(blank=True)
    strengths = models.TextField(blank=True)
    development_goals = models.TextField(_("goals and development plan"), blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "officer__agency",
        "officer": "officer",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.AUDITOR, R.SYSTEM_ADMIN),
        "add": (R.SUPERVISOR, R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
        "change": (R.SUPERVISOR, R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["-period_end", "officer_id"]

    def __str__(self) -> str:
        return (f"Evaluation of {self.officer}, {self.period_start.isoformat()} – "
                f"{self.period_end.isoformat()}")

    def audit_children(self) -> dict[str, Any]:
        cache = getattr(self, "_prefetched_objects_cache", {})
        rows = cache["ratings"] if "ratings" in cache else self.ratings.all()
        return {"ratings": [fields_snapshot(r) for r in sorted(rows, key=lambda r: r.pk)]}

    @classmethod
    def audit_queryset(cls) -> models.QuerySet[Evaluation]:
        return cls.objects.prefetch_related("ratings")


class Rating(models.Model):
    """The rating of one criterion in one evaluation: a score, or "not observed"."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE,
                                   related_name="ratings")
    criterion = models.ForeignKey(RatingCriterion, on_delete=models.PROTECT,
                                  related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True, choices=Score.choices)
    not_observed = models.BooleanField(default=False)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["evaluation_id", "criterion__sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "criterion"],
                                    name="rating_one_per_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score or 'not observed'}"


@audited
class EvaluationInput(ScopedModel):
    """A school administrator's input to an SRO's evaluation, for one school (R-F2:
    feedback from school staff is factored in; the SRO does not report to them)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE,
                                   related_name="inputs")
    school = models.ForeignKey("directory.School", on_delete=models.PROTECT, related_name="+")
    works_well = models.TextField(_("what works well"), blank=True)
    concerns = models.TextField(_("concerns and suggestions"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "school": "school",
        "agency": "evaluation__officer__agency",
        "officer": "evaluation__officer",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.AUDITOR,
                 R.SYSTEM_ADMIN),
        "add": (R.SUPERVISOR, R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
        "change": (R.SCHOOL_ADMIN, R.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["evaluation_id", "school_id"]
        verbose_name = "school input"
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "school"],
                                    name="evaluation_input_one_per_school"),
        ]

    def __str__(self) -> str:
        return f"Input from {self.school} on {self.evaluation.officer}"
