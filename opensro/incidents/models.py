"""Incident records: every SRO response to a student incident, the students involved,
the actions taken and their legal basis; and the triad and prevention activities.

Requirements R-D1…R-D8. The rules live in ``rules.py``; every write goes through
``services.py``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from opensro.core.audit import audited, fields_snapshot
from opensro.core.choices import RaceEthnicity, Role, Sex
from opensro.core.models import ScopedModel
from opensro.incidents import choices as c

R = Role
#: Roles that read incident records (analysts work from aggregates only, R-D7).
RECORD_VIEWERS = (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.DISTRICT_ADMIN,
                  R.AUDITOR, R.SYSTEM_ADMIN)


class IncidentReason(models.Model):
    """The maintained taxonomy of reasons for SRO involvement, each marked as a
    code-of-conduct matter or a safety matter (R-D2)."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=c.ReasonKind.choices)
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    scope_paths: ClassVar[dict[str, str]] = {"*": ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": tuple(r.value for r in Role),
        "add": (Role.SYSTEM_ADMIN,),
        "change": (Role.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["kind", "sort_order", "label"]

    def __str__(self) -> str:
        return self.label


@audited
class Incident(ScopedModel):
    """One SRO response to a student incident (R-D1)."""

    # The school and officer are the first columns of the list's indexes (Meta), which
    # also serve their foreign keys; a separate index each would only slow imports.
    school = models.ForeignKey("directory.School", on_delete=models.PROTECT,
                               related_name="incidents", db_index=False)
    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+")
    officer = models.ForeignKey("directory.Officer", on_delete=models.PROTECT,
                                related_name="incidents", db_index=False,
                                help_text=_("The SRO who responded and records the incident."))
    other_officers = models.ManyToManyField("directory.Officer", blank=True, related_name="+")
    occurred_at = models.DateTimeField(_("when it happened"))
    recorded_at = models.DateTimeField(_("when it was recorded"))
    late_entry_reason = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=16, choices=c.Location.choices)
    involvement_source = models.CharField(_("how the SRO became involved"), max_length=16,
                                          choices=c.InvolvementSource.choices)
    requester_role = models.CharField(_("requested by"), max_length=16, blank=True,
                                      choices=c.RequesterRole.choices)
    reason = models.ForeignKey(IncidentReason, on_delete=models.PROTECT, related_name="+")
    would_call_911 = models.CharField(
        _("would the school have called 911?"), max_length=3, choices=c.YesNo.choices,
        help_text=_("A matter that would not need a 911 call is outside the SRO's law "
                    "enforcement duties (R-D2)."),
    )
    deescalation = models.CharField(_("de-escalation"), max_length=16, blank=True,
                                    choices=c.Deescalation.choices)
    deescalation_notes = models.CharField(max_length=500, blank=True)
    narrative = models.TextField(blank=True)
    # Indexed first in incident_status_officer (Meta).
    status = models.CharField(max_length=16, choices=c.Status.choices, default=c.Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    review_comment = models.TextField(blank=True)
    source_system = models.CharField(max_length=40, blank=True)
    source_record_id = models.CharField(max_length=64, blank=True)
    source_hash = models.CharField(max_length=64, blank=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "officer": "officer",
        "agency": "officer__agency",
        "school": "school",
        "district": "school__district",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": RECORD_VIEWERS,
        "add": (R.SRO, R.SUPERVISOR, R.SYSTEM_ADMIN),
        "change": (R.SRO, R.SUPERVISOR, R.SYSTEM_ADMIN),
        "review": (R.SUPERVISOR, R.AGENCY_ADMIN, R.SYSTEM_ADMIN),
        "delete": (R.SYSTEM_ADMIN,),
    }
    audit_exclude: ClassVar[tuple[str, ...]] = ("source_hash",)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # A scope's records in the list's order. With the id, PostgreSQL reads a
            # page's ids, and counts, from the index alone (an index-only scan).
            models.Index(fields=["school", "occurred_at", "id"], name="incident_school_time"),
            models.Index(fields=["officer", "occurred_at", "id"], name="incident_officer_time"),
            # The review queue (status, then the officers of a scope) in its order, from
            # the index alone; it also serves the status filter.
            models.Index(fields=["status", "officer", "submitted_at", "id"],
                         name="incident_status_officer"),
            # The list's order for users who see every record (newest first).
            models.Index(fields=["occurred_at", "id"], name="incident_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "source_record_id"],
                condition=~models.Q(source_record_id=""),
                name="incident_unique_source_record",
            )
        ]

    def __str__(self) -> str:
        return f"Incident {self.pk or 'new'} at {self.school_id and self.school}"

    @property
    def number(self) -> str:
        return self.number_for(self.pk) if self.pk else "new"

    @staticmethod
    def number_for(pk: int) -> str:
        """The record number shown for the incident with primary key ``pk``."""
        return f"INC-{pk:06d}"

    def audit_children(self) -> dict[str, Any]:
        cache = getattr(self, "_prefetched_objects_cache", {})
        rows = cache["involvements"] if "involvements" in cache else self.involvements.all()
        return {"involvements": [fields_snapshot(i) for i in sorted(rows, key=lambda r: r.pk)]}

    @classmethod
    def audit_queryset(cls) -> models.QuerySet[Incident]:
        return cls.objects.prefetch_related("involvements", "other_officers")


class Involvement(ScopedModel):
    """One student in an incident: attributes for disaggregation (R-D5), the actions
    taken (R-D4) and, for custodial actions, their documented basis (R-D3).

    ``school``, ``school_year``, ``officer`` and ``final`` copy the incident's values
    so that the analytics count in one table (kept in step by the services).
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE,
                                 related_name="involvements")
    school = models.ForeignKey("directory.School", on_delete=models.PROTECT, related_name="+")
    # Both lead an index of Meta, which serves the foreign key too.
    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+", db_index=False)
    officer = models.ForeignKey("directory.Officer", on_delete=models.PROTECT,
                                related_name="+", db_index=False)
    final = models.BooleanField(default=False, help_text=_("Incident is no longer a draft."))

    student_pseudonym = models.CharField(max_length=64, blank=True)  # indexed in Meta
    age = models.PositiveSmallIntegerField(null=True, blank=True,
                                           validators=[MinValueValidator(3),
                                                       MaxValueValidator(22)])
    grade = models.CharField(max_length=2, blank=True, choices=c.Grade.choices)
    race = models.CharField(_("race/ethnicity"), max_length=2, choices=RaceEthnicity.choices)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    idea = models.BooleanField(_("disability (IDEA)"), default=False)
    section_504 = models.BooleanField(_("disability (Section 504 only)"), default=False)
    english_learner = models.BooleanField(default=False)
    sexual_orientation = models.CharField(max_length=40, blank=True)
    gender_identity = models.CharField(max_length=40, blank=True)
    sogi_volunteered = models.BooleanField(
        _("volunteered by the student"), default=False,
        help_text=_("Sexual orientation and gender identity are recorded only when the "
                    "student volunteered them; never inferred (R-D5)."))
    role = models.CharField(max_length=8, choices=c.StudentRole.choices,
                            default=c.StudentRole.SUBJECT)
    offense = models.CharField(_("alleged offense"), max_length=120, blank=True)
    offense_severity = models.CharField(max_length=12, choices=c.Severity.choices,
                                        default=c.Severity.NONE)
    statute = models.CharField(_("statute or code"), max_length=60, blank=True)

    counselled = models.BooleanField(_("none or counselled"), default=False)
    warning = models.BooleanField(default=False)
    referral_admin = models.BooleanField(_("referral to a school administrator"), default=False)
    referral_counselor = models.BooleanField(_("referral to a counselor or mental-health "
                                               "professional"), default=False)
    diversion = models.BooleanField(default=False)
    citation = models.BooleanField(_("citation or ticket"), default=False)
    search = models.BooleanField(default=False)
    search_basis = models.CharField(max_length=24, blank=True, choices=c.SearchBasis.choices)
    search_found = models.CharField(max_length=12, blank=True, choices=c.SearchFound.choices)
    seizure = models.BooleanField(default=False)
    questioning = models.BooleanField(default=False)
    rights_advised = models.CharField(max_length=3, blank=True, choices=c.YesNo.choices)
    parent_notified = models.CharField(max_length=3, blank=True, choices=c.YesNo.choices)
    restraint = models.BooleanField(default=False)
    restraint_type = models.CharField(max_length=16, blank=True,
                                      choices=c.RestraintType.choices)
    restraint_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    use_of_force = models.BooleanField(_("use of force"), default=False)
    force_type = models.CharField(max_length=16, blank=True, choices=c.ForceType.choices)
    detention = models.BooleanField(default=False)
    arrest = models.BooleanField(default=False)
    arrest_charge = models.CharField(max_length=120, blank=True)
    transport = models.BooleanField(default=False)
    court_referral = models.BooleanField(default=False)

    basis = models.JSONField(_("stated basis"), default=list, blank=True)
    basis_details = models.TextField(_("basis in detail"), blank=True)
    why_at_school = models.TextField(_("why it had to happen at school"), blank=True)
    probable_cause = models.TextField(_("probable-cause factors"), blank=True)
    removed_from_public_view = models.CharField(_("removed from public view"), max_length=3,
                                                blank=True, choices=c.YesNo.choices)
    accommodations = models.TextField(_("disability accommodations made"), blank=True)

    referral_to_law_enforcement = models.BooleanField(default=False, editable=False)
    school_related_arrest = models.BooleanField(default=False, editable=False)

    scope_paths: ClassVar[dict[str, str]] = {
        "officer": "officer",
        "agency": "officer__agency",
        "school": "school",
        "district": "school__district",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = Incident.role_permissions
    audit_exclude: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")

    class Meta:
        ordering = ["incident_id", "id"]
        indexes = [
            models.Index(fields=["school_year", "school"], name="involvement_year_school"),
            models.Index(fields=["officer", "school_year"], name="involvement_officer_year"),
            # A plain index: no LIKE companion (PostgreSQL), which db_index would add.
            models.Index(fields=["student_pseudonym"], name="involvement_pseudonym"),
            # The list's action filter ("students arrested"): a small index per action
            # holds only the students who had it. Not for "counselled", which nearly
            # every student has (the incident index serves it).
            *(models.Index(fields=["incident"], condition=models.Q(**{action: True}),
                           name=f"involvement_{action}")
              for action in c.ACTION_FIELDS if action != "counselled"),
        ]

    def __str__(self) -> str:
        return f"Student {self.pk} in incident {self.incident_id}"

    @property
    def actions(self) -> list[str]:
        return [a for a in c.ACTION_FIELDS if getattr(self, a)]


@audited
class Activity(ScopedModel):
    """Triad and prevention work with no student identity (R-D6)."""

    officer = models.ForeignKey("directory.Officer", on_delete=models.PROTECT,
                                related_name="activities")
    school = models.ForeignKey("directory.School", on_delete=models.PROTECT,
                               related_name="activities")
    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+")
    date = models.DateField()
    kind = models.CharField(max_length=24, choices=c.ActivityKind.choices)
    topic = models.CharField(max_length=200, blank=True)
    minutes = models.PositiveIntegerField(null=True, blank=True)
    participants = models.PositiveIntegerField(_("participant count"), default=0)
    audience = models.CharField(max_length=60, blank=True,
                                help_text=_("Students, staff, families…"))
    notes = models.TextField(blank=True)
    source_system = models.CharField(max_length=40, blank=True)
    source_record_id = models.CharField(max_length=64, blank=True)

    scope_paths: ClassVar[dict[str, str]] = Incident.scope_paths
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        # Analysts work from aggregates only: activity records name officers.
        "view": RECORD_VIEWERS,
        "add": (R.SRO, R.SUPERVISOR, R.SYSTEM_ADMIN),
        "change": (R.SRO, R.SUPERVISOR, R.SYSTEM_ADMIN),
        "delete": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.school} on {self.date.isoformat()}"
