"""Directory codes (R-A1, R-A2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    POLICE_DEPARTMENT = "police_department", _("Police department")
    SHERIFFS_OFFICE = "sheriffs_office", _("Sheriff's office")
    SCHOOL_DISTRICT_POLICE = "school_district_police", _("School district police")


class SchoolLevel(models.TextChoices):
    ELEMENTARY = "elementary", _("Elementary")
    MIDDLE = "middle", _("Middle")
    HIGH = "high", _("High")
    OTHER = "other", _("Other or combined")


class Grade(models.TextChoices):
    PK = "PK", _("Pre-kindergarten")
    KG = "KG", _("Kindergarten")
    G01 = "01", "1"
    G02 = "02", "2"
    G03 = "03", "3"
    G04 = "04", "4"
    G05 = "05", "5"
    G06 = "06", "6"
    G07 = "07", "7"
    G08 = "08", "8"
    G09 = "09", "9"
    G10 = "10", "10"
    G11 = "11", "11"
    G12 = "12", "12"


GRADE_ORDER = [g.value for g in Grade]


class OfficerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LEAVE = "leave", _("On leave")
    SEPARATED = "separated", _("Separated")


class OfficerKind(models.TextChoices):
    SRO = "sro", _("School resource officer")
    SBLE = "sble", _("School-based law enforcement (district police)")
    SUPERVISOR = "supervisor", _("Supervisor")
