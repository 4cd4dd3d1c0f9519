"""Supervision codes (R-F1…R-F3). Stored as stable codes; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from opensro.supervision.early_warning import MEASURES


class Measure(models.TextChoices):
    """The enforcement measures the early warning compares (R-F1)."""

    ARREST = "arrest", _("School-related arrests")
    CITATION = "citation", _("Citations or tickets")
    SEARCH = "search", _("Searches")
    SEIZURE = "seizure", _("Seizures")
    USE_OF_FORCE = "use_of_force", _("Uses of force")
    RESTRAINT = "restraint", _("Restraints")


assert [m.value for m in Measure] == [code for code, _label in MEASURES]


class Half(models.TextChoices):
    """The two halves of a school year: fall (its start to December 31) and spring
    (January 1 to its end). Reviews (R-F3) and early-warning periods follow them."""

    FALL = "fall", _("Fall")
    SPRING = "spring", _("Spring")


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", _("Planned (no meeting date yet)")
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_REVIEW_STATUSES = (ReviewStatus.PLANNED, ReviewStatus.SCHEDULED)


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPLETED = "completed", _("Completed")


class Score(models.IntegerChoices):
    """The rating scale of an evaluation criterion."""

    UNSATISFACTORY = 1, _("1 — Unsatisfactory")
    NEEDS_IMPROVEMENT = 2, _("2 — Needs improvement")
    MEETS = 3, _("3 — Meets expectations")
    EXCEEDS = 4, _("4 — Exceeds expectations")
    OUTSTANDING = 5, _("5 — Outstanding")

