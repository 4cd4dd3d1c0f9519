"""Incident codes (R-D1…R-D6). Stored as stable codes; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from opensro.directory.choices import Grade  # one grade list for schools and students

__all__ = ["Grade"]


class Location(models.TextChoices):
    CLASSROOM = "classroom", _("Classroom")
    HALLWAY = "hallway", _("Hallway or stairwell")
    OFFICE = "office", _("Office")
    CAFETERIA = "cafeteria", _("Cafeteria")
    RESTROOM = "restroom", _("Restroom or locker room")
    GYM = "gym", _("Gym or athletic facility")
    GROUNDS = "grounds", _("School grounds or parking lot")
    BUS = "bus", _("School bus or bus stop")
    EVENT = "event", _("School event off campus")
    OTHER = "other", _("Other")


class InvolvementSource(models.TextChoices):
    """How the SRO became involved (R-D1: record who requested the SRO)."""

    SELF_INITIATED = "self", _("Self-initiated")
    SCHOOL_STAFF = "staff", _("Requested by school staff")
    DISPATCH = "dispatch", _("Dispatched call for service")
    STUDENT_PARENT = "student_parent", _("Student or parent request")
    TIP = "tip", _("Tip")


class RequesterRole(models.TextChoices):
    ADMINISTRATOR = "administrator", _("School administrator")
    TEACHER = "teacher", _("Teacher")
    COUNSELOR = "counselor", _("Counselor or mental-health staff")
    SECURITY = "security", _("School security staff")
    OTHER_STAFF = "other_staff", _("Other staff")


class ReasonKind(models.TextChoices):
    CONDUCT = "conduct", _("Code-of-conduct matter")
    SAFETY = "safety", _("Safety matter")


class YesNo(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


class Deescalation(models.TextChoices):
    TRIED = "tried", _("Tried")
    NOT_TRIED = "not_tried", _("Not tried")
    NOT_POSSIBLE = "not_possible", _("Not possible (say why)")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")
    AMENDED = "amended", _("Amended")


class StudentRole(models.TextChoices):
    SUBJECT = "subject", _("Subject")
    VICTIM = "victim", _("Victim")
    WITNESS = "witness", _("Witness")


class Severity(models.TextChoices):
    FELONY = "felony", _("Felony")
    MISDEMEANOR = "misdemeanor", _("Misdemeanor")
    STATUS = "status", _("Status offense or ordinance")
    NONE = "none", _("No offense")


class SearchBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    REASONABLE_SUSPICION = "reasonable_suspicion", _("Reasonable suspicion")
    PROBABLE_CAUSE = "probable_cause", _("Probable cause")
    WARRANT = "warrant", _("Warrant")


class SearchFound(models.TextChoices):
    NOTHING = "nothing", _("Nothing")
    WEAPON = "weapon", _("Weapon")
    DRUGS = "drugs", _("Drugs or alcohol")
    STOLEN = "stolen", _("Stolen property")
    OTHER = "other", _("Other contraband")


class RestraintType(models.TextChoices):
    HANDCUFFS = "handcuffs", _("Handcuffs")
    PHYSICAL_HOLD = "physical_hold", _("Physical hold")
    OTHER = "other", _("Other mechanical restraint")


class ForceType(models.TextChoices):
    PHYSICAL = "physical", _("Physical (hands-on)")
    TASER = "taser", _("Conducted energy device")
    CHEMICAL = "chemical", _("Chemical spray")
    IMPACT = "impact", _("Impact weapon")
    FIREARM_POINTED = "firearm_pointed", _("Firearm pointed")
    OTHER = "other", _("Other")


class Basis(models.TextChoices):
    """Stated bases for a detention, arrest, restraint or use of force (R-D3)."""

    IMMINENT_THREAT = "imminent_threat", _("Imminent threat to safety")
    CRIME_IN_PRESENCE = "crime_in_presence", _("Crime committed in the officer's presence")
    PROBABLE_CAUSE = "probable_cause", _("Probable cause of a crime")
    WARRANT = "warrant", _("Warrant or court order")
    ADMINISTRATOR_DIRECTION = "administrator_direction", _("A school administrator's direction")


class ActivityKind(models.TextChoices):
    """Triad and prevention work (R-D6)."""

    CLASS = "class", _("Class or presentation")
    MENTORING = "mentoring", _("Mentoring session")
    FAMILY_OUTREACH = "family_outreach", _("Family outreach")
    EXTRACURRICULAR = "extracurricular", _("Extracurricular presence")
    CPTED = "cpted", _("CPTED review")
    SAFETY_PRESENTATION = "safety_presentation", _("Safety presentation")
    OTHER = "other", _("Other prevention work")


#: Action fields on an involvement, in the order the form shows them.
ACTIONS: tuple[tuple[str, str], ...] = (
    ("counselled", "None or counselled"),
    ("warning", "Warning"),
    ("referral_admin", "Referral to a school administrator"),
    ("referral_counselor", "Referral to a counselor or mental-health professional"),
    ("diversion", "Diversion"),
    ("citation", "Citation or ticket"),
    ("search", "Search"),
    ("seizure", "Seizure"),
    ("questioning", "Questioning"),
    ("restraint", "Restraint"),
    ("use_of_force", "Use of force"),
    ("detention", "Detention"),
    ("arrest", "Arrest"),
    ("transport", "Transport"),
    ("court_referral", "Court referral"),
)
ACTION_FIELDS = tuple(a for a, _label in ACTIONS)
#: Actions that need the documented legal basis of R-D3 before submission.
CUSTODIAL = ("detention", "arrest", "restraint", "use_of_force")
#: SRO enforcement actions that, on a code-of-conduct matter with no safety threat,
#: make a discipline-involvement case (R-D2).
ENFORCEMENT = ("citation", "search", "restraint", "use_of_force", "detention", "arrest")
