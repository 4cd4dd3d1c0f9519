"""Codes of the selection app (R-B1…R-B4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberRole(models.TextChoices):
    """Who sits on a selection committee (GP 5, R-B2)."""

    SCHOOL_REPRESENTATIVE = "school_representative", _("School representative")
    AGENCY_SUPERVISOR = "agency_supervisor", _("Agency supervisor")
    TEACHER = "teacher", _("Teacher")
    COUNSELOR = "counselor", _("Guidance counselor or school psychologist")
    STUDENT = "student", _("Student")
    FAMILY = "family", _("Family member")
    COMMUNITY = "community", _("Community member or stakeholder")
    SAFETY_TEAM = "safety_team", _("School safety team member")
    YOUTH_EXPERT = "youth_expert", _("Youth development expert")
    OTHER = "other", _("Other")


class Decision(models.TextChoices):
    PENDING = "pending", _("Not decided")
    SELECTED = "selected", _("Selected")
    NOT_SELECTED = "not_selected", _("Not selected")


class ProbationOutcome(models.TextChoices):
    PENDING = "pending", _("In progress")
    CONFIRMED = "confirmed", _("Completed: confirmed as SRO")
    EXTENDED = "extended", _("Extended")
    REMOVED = "removed", _("Removed from the SRO position")


#: The ten qualities the committee rates (GP 5, R-B3): field name, label.
QUALITIES: list[tuple[str, str]] = [
    ("works_with_school_community",
     "Works effectively with students, parents/guardians, teachers and school administrators"),
    ("interpersonal_communication", "Strong interpersonal communication skills"),
    ("public_speaking", "Competent public speaking"),
    ("teaching", "Effective teaching skills"),
    ("diversion", "Understands diversion programs and alternatives to arrest for youth"),
    ("trauma_informed", "Understands developmentally appropriate, trauma-informed practices"),
    ("respectful", "Respectful and responsive to youth and families of all backgrounds, "
                   "cultures and abilities"),
    ("negative_impact", "Understands the potential negative impact of SRO programs on "
                        "students"),
    ("local_needs", "Knows the specific needs and local concerns of the community"),
    ("youth_interest", "Interest in promoting and enriching the lives of young people"),
]
QUALITY_FIELDS = [q for q, _label in QUALITIES]
