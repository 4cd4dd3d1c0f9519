"""Program codes: MOU status and where a checklist element comes from (R-C1, R-C2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MouStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    EXECUTED = "executed", _("Executed (signed by both parties)")


class ElementSource(models.TextChoices):
    COPS = "cops", _("COPS Office minimum content (GP 2, R-C1)")
    NASRO = "nasro", _("NASRO topic (R-C2)")
    LOCAL = "local", _("Local requirement")


#: Flag kinds raised by the program app (registered in ``services.register_flag_kinds``).
MOU_MISSING_ELEMENT = "mou_missing_element"
MOU_REVIEW_OVERDUE = "mou_review_overdue"
MOU_EXPIRED = "mou_expired"
MOU_NOT_IN_FORCE = "mou_not_in_force"
FLOATING_SRO = "floating_sro"
SCHOOL_WITHOUT_COVERAGE = "school_without_coverage"

#: Due-item kinds the program app lists on dashboards.
DUE_MOU_REVIEW = "mou_review"
DUE_MOU_EXPIRY = "mou_expiry"
