"""Stable codes shared by every app (architecture rule 7: stored as codes, shown translated).

CRDC groups follow ``docs/methods.md`` (from ``shared/domain/methods.md``, section "Groups").
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles a user can be granted over a scope (requirements R-D7, R-D8, R-F2)."""

    SRO = "sro", _("School resource officer")
    SUPERVISOR = "supervisor", _("SRO supervisor")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")
    SCHOOL_ADMIN = "school_admin", _("School administrator")
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


class ScopeKind(models.TextChoices):
    ALL = "all", _("Everything")
    AGENCY = "agency", _("Agency")
    DISTRICT = "district", _("District")
    SCHOOL = "school", _("School")
    OFFICER = "officer", _("Own records")


#: Which scope kinds each role may be granted over.
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    Role.SRO: (ScopeKind.AGENCY,),
    Role.SUPERVISOR: (ScopeKind.AGENCY,),
    Role.AGENCY_ADMIN: (ScopeKind.AGENCY,),
    Role.SCHOOL_ADMIN: (ScopeKind.SCHOOL,),
    Role.DISTRICT_ADMIN: (ScopeKind.DISTRICT,),
    Role.ANALYST: (ScopeKind.ALL, ScopeKind.AGENCY, ScopeKind.DISTRICT, ScopeKind.SCHOOL),
    Role.AUDITOR: (ScopeKind.ALL,),
    Role.SYSTEM_ADMIN: (ScopeKind.ALL,),
}


class RaceEthnicity(models.TextChoices):
    """CRDC race/ethnicity, seven categories, with the CRDC column codes."""

    HISPANIC = "HI", _("Hispanic or Latino of any race")
    AMERICAN_INDIAN = "AM", _("American Indian or Alaska Native")
    ASIAN = "AS", _("Asian")
    NATIVE_HAWAIIAN = "HP", _("Native Hawaiian or Other Pacific Islander")
    BLACK = "BL", _("Black or African American")
    WHITE = "WH", _("White")
    TWO_OR_MORE = "TR", _("Two or more races")


class Sex(models.TextChoices):
    """Sex codes. Which ones a school year collects is set per year (SchoolYear.sex_codes)."""

    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    NONBINARY = "X", _("Nonbinary")


class EnrollmentGroup(models.TextChoices):
    """Enrollment groups: the seven races partition enrollment; the others are subsets."""

    HISPANIC = "HI", _("Hispanic or Latino of any race")
    AMERICAN_INDIAN = "AM", _("American Indian or Alaska Native")
    ASIAN = "AS", _("Asian")
    NATIVE_HAWAIIAN = "HP", _("Native Hawaiian or Other Pacific Islander")
    BLACK = "BL", _("Black or African American")
    WHITE = "WH", _("White")
    TWO_OR_MORE = "TR", _("Two or more races")
    IDEA = "IDEA", _("Students with disabilities (IDEA)")
    SECTION_504 = "504", _("Students with disabilities (Section 504 only)")
    ENGLISH_LEARNER = "EL", _("English learners")


RACE_CODES: tuple[str, ...] = tuple(c.value for c in RaceEthnicity)
SUBSET_GROUPS: tuple[str, ...] = ("IDEA", "504", "EL")
