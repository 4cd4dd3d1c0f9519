"""Stable codes of the surveys app, shown through translations (architecture rule 7)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RespondentGroup(models.TextChoices):
    """Who answers a survey (R-F2: students, families, teachers and administrators)."""

    STUDENT = "student", _("Students")
    FAMILY = "family", _("Families")
    STAFF = "staff", _("School staff")


#: The groups in the order tables show them.
GROUP_ORDER: tuple[str, ...] = tuple(g.value for g in RespondentGroup)


class Topic(models.TextChoices):
    """What a question is about (R-E4: perceptions of safety and of SRO fairness)."""

    SAFETY = "safety", _("Feeling safe at school")
    FAIRNESS = "fairness", _("SRO fairness and respect")
    ENGAGEMENT = "engagement", _("Knowing how to give feedback")


class Agreement(models.IntegerChoices):
    """The five-point agreement (Likert) scale every question uses."""

    STRONGLY_DISAGREE = 1, _("Strongly disagree")
    DISAGREE = 2, _("Disagree")
    NEITHER = 3, _("Neither agree nor disagree")
    AGREE = 4, _("Agree")
    STRONGLY_AGREE = 5, _("Strongly agree")


#: The form's value for "Don't know / prefer not to answer": no answer is stored.
DONT_KNOW = "dk"


class WindowStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
