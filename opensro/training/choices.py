"""Codes of the training app (R-G1…R-G4), stored as codes and shown translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CourseKind(models.TextChoices):
    BASIC = "basic", _("Basic SRO course")
    ADVANCED = "advanced", _("Advanced SRO course")
    SPECIALIZED = "specialized", _("Specialized course")
    MANAGEMENT = "management", _("Management and leadership")
    TACTICAL = "tactical", _("Tactical or emergency response")
    CONFERENCE = "conference", _("Conference")
    TOPIC = "topic", _("Recommended topic")
    OTHER = "other", _("Other")


class Anchor(models.TextChoices):
    """What a requirement's due date is counted from."""

    PLACEMENT = "placement", _("Placement (start of the first school assignment)")
    BEFORE_ASSIGNMENT = "before_assignment", _("Before the first school assignment")
    COURSE_COMPLETION = "course_completion", _("Completion of another course")
    PROGRAM_START = "program_start", _("Start of the agency's SRO program")


class OffsetUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")


class Audience(models.TextChoices):
    """Who a requirement applies to."""

    SRO = "sro", _("SROs")
    SUPERVISOR = "supervisor", _("Supervisors")
    DISTRICT_ADMIN = "district_admin", _("District administrators")


class State(models.TextChoices):
    """Where one person stands on one requirement."""

    MET = "met", _("Met")
    NOT_DUE = "not_due", _("Not yet due")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    WAITING = "waiting", _("Waiting")


class StaffTopic(models.TextChoices):
    """What school staff should learn about the SRO program (GP 8, R-G4)."""

    SRO_ROLES = "sro_roles", _("SRO roles (emergency manager, problem solver, educator, "
                               "informal counselor)")
    WHEN_TO_INVOLVE = "when_to_involve", _("When staff should and should not involve the SRO, "
                                           "and who decides")
    DISCIPLINE_VS_SAFETY = "discipline_vs_safety", _("School discipline versus threats to "
                                                     "safety")
    CIVIL_RIGHTS = "civil_rights", _("Civil rights, protected classes and constitutional "
                                     "rights")
    EMERGENCY_MANAGEMENT = "emergency_management", _("Emergency management")
    CPTED = "cpted", _("Crime prevention through environmental design (CPTED)")
    COMMUNITY_POLICING = "community_policing", _("Community policing and the SARA model")
    DATA_COLLECTION = "data_collection", _("SRO data collection, reporting and monitoring")
    MOU_FERPA = "mou_ferpa", _("The MOU, FERPA and state law on school policing")
    JUSTICE_CONSEQUENCES = "justice_consequences", _("Consequences of justice-system "
                                                     "involvement for students")
    OTHER = "other", _("Other")
