"""Stakeholder surveys: questionnaires, survey windows at schools, their links, and the
anonymous responses (requirements R-E4, R-F2).

Questionnaires are reference data seeded by a data migration. A survey window
(:class:`Campaign`) belongs to one school and has one link per respondent group.
Responses carry no identifying data at all: no user, no IP address, no user agent, no
time finer than the date, no sequential id (their keys are random UUIDs) and no tie to
the single-use ticket that let them in. Nobody reads a single response; people read
aggregates that passed small-cell suppression (``selectors.py``).
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from typing import Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from opensro.core.audit import audited
from opensro.core.choices import Role
from opensro.core.models import ScopedModel
from opensro.core.permissions import EVERY_ROLE, GLOBAL
from opensro.surveys.choices import RespondentGroup, Topic, WindowStatus

R = Role
#: The action that reads suppressed aggregates of responses (nobody reads one response).
RESULTS = "results"
#: Roles that set up survey windows (school and district administrators, R-F2).
MANAGERS = (R.SCHOOL_ADMIN, R.DISTRICT_ADMIN, R.SYSTEM_ADMIN)
#: Roles that see survey windows and their links.
WINDOW_VIEWERS = (*MANAGERS, R.AUDITOR)
#: Roles that read suppressed results, each within their scope: an SRO for the schools
#: they work at, supervisors and agency administrators for the schools their agency
#: serves, school and district administrators for theirs, analysts and auditors
#: aggregated over theirs.
RESULT_READERS = (R.SRO, R.SUPERVISOR, R.AGENCY_ADMIN, R.SCHOOL_ADMIN, R.DISTRICT_ADMIN,
                  R.ANALYST, R.AUDITOR, R.SYSTEM_ADMIN)

#: Response and answer scoping: through the survey window's school.
_RESPONSE_SCOPE = {
    "school": "campaign__school",
    "district": "campaign__school__district",
    "agency": "campaign__school__district__serving_agencies",
    "officer": "campaign__school__assignments__officer",
}


def in_language(english: str, spanish: str) -> str:
    """The Spanish text when Spanish is active and the text exists, else the English."""
    language = (translation.get_language() or "en").split("-")[0]
    return spanish if language == "es" and spanish else english


class Questionnaire(models.Model):
    """A standard questionnaire for one respondent group, in English and Spanish.

    Seeded by a data migration (``questionnaires.py``). Its wording does not change in
    place: a new version is a new questionnaire, so that results stay comparable.
    Exactly one questionnaire per group is active; new survey windows use it.
    """

    code = models.SlugField(max_length=40, unique=True)
    group = models.CharField(_("respondent group"), max_length=16,
                             choices=RespondentGroup.choices)
    version = models.PositiveSmallIntegerField(default=1)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_es = models.CharField(_("title (Spanish)"), max_length=200)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    intro_es = models.TextField(_("introduction (Spanish)"), blank=True)
    active = models.BooleanField(default=True)

    scope_paths: ClassVar[dict[str, str]] = {GLOBAL: ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"view": EVERY_ROLE}

    class Meta:
        ordering = ["group", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["group"], condition=models.Q(active=True),
                                    name="questionnaire_one_active_per_group"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return in_language(self.title_en, self.title_es)

    @property
    def intro(self) -> str:
        return in_language(self.intro_en, self.intro_es)


class Question(models.Model):
    """One statement to rate on the five-point agreement scale.

    ``code`` names the item across groups (students, families and staff are asked the
    same thing in their own words), so results line up item by item.
    """

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE,
                                      related_name="questions")
    position = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=40)
    topic = models.CharField(max_length=16, choices=Topic.choices)
    label_en = models.CharField(_("short label (English)"), max_length=80)
    label_es = models.CharField(_("short label (Spanish)"), max_length=80)
    text_en = models.CharField(_("question (English)"), max_length=300)
    text_es = models.CharField(_("question (Spanish)"), max_length=300)

    scope_paths: ClassVar[dict[str, str]] = {GLOBAL: ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"view": EVERY_ROLE}

    class Meta:
        ordering = ["questionnaire_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "position"],
                                    name="question_unique_position"),
            models.UniqueConstraint(fields=["questionnaire", "code"],
                                    name="question_unique_code"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return in_language(self.text_en, self.text_es)

    @property
    def label(self) -> str:
        return in_language(self.label_en, self.label_es)


@audited
class Campaign(ScopedModel):
    """A survey window at one school: open from ``opens_on`` to ``closes_on`` (both
    days included) for the chosen respondent groups, each with its own link.

    Results are shown only once the window has closed, and a closed window cannot be
    reopened: otherwise results read before and after one more response would give
    that response away by subtraction (methods.md, "Publication safety").
    """

    school = models.ForeignKey("directory.School", on_delete=models.PROTECT,
                               related_name="survey_windows")
    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+", editable=False)
    name = models.CharField(
        max_length=120, blank=True,
        help_text=_("Optional, for example “Fall climate survey”."))
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"),
                                 help_text=_("The last day answers are accepted."))
    groups = models.JSONField(_("respondent groups"), default=list)

    scope_paths: ClassVar[dict[str, str]] = {
        "school": "school",
        "district": "school__district",
        "agency": "school__district__serving_agencies",
        "officer": "school__assignments__officer",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": WINDOW_VIEWERS,
        "add": MANAGERS,
        "change": MANAGERS,
        "delete": MANAGERS,
        # Reading the window's suppressed results (once it has closed).
        RESULTS: RESULT_READERS,
    }

    class Meta:
        ordering = ["-opens_on", "school__name"]
        verbose_name = _("survey window")
        verbose_name_plural = _("survey windows")

    def __str__(self) -> str:
        if self.name:
            return f"{self.name} — {self.school}"
        return str(_("Survey %(start)s to %(end)s — %(school)s") % {
            "start": self.opens_on.isoformat(), "end": self.closes_on.isoformat(),
            "school": self.school})

    def status(self, today: datetime.date | None = None) -> str:
        today = today or datetime.date.today()
        if today < self.opens_on:
            return WindowStatus.SCHEDULED
        if today > self.closes_on:
            return WindowStatus.CLOSED
        return WindowStatus.OPEN

    def status_label(self) -> str:
        return str(WindowStatus(self.status()).label)

    def is_open(self, today: datetime.date | None = None) -> bool:
        return self.status(today) == WindowStatus.OPEN

    def has_closed(self, today: datetime.date | None = None) -> bool:
        return self.status(today) == WindowStatus.CLOSED

    def group_labels(self) -> str:
        labels = dict(RespondentGroup.choices)
        return ", ".join(str(labels.get(g, g)) for g in self.groups)


def new_link_token() -> str:
    """An unguessable link token (128 random bits, URL-safe)."""
    return secrets.token_urlsafe(16)


@audited
class SurveyLink(ScopedModel):
    """The link (and QR code) through which one respondent group answers a window's
    questionnaire. A link whose group was taken off the window no longer opens."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    group = models.CharField(max_length=16, choices=RespondentGroup.choices)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT,
                                      related_name="+")
    token = models.CharField(max_length=40, unique=True, default=new_link_token)

    scope_paths: ClassVar[dict[str, str]] = {
        "school": "campaign__school",
        "district": "campaign__school__district",
        "agency": "campaign__school__district__serving_agencies",
        "officer": "campaign__school__assignments__officer",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": WINDOW_VIEWERS,
        "change": MANAGERS,
    }

    class Meta:
        ordering = ["campaign_id", "group"]
        verbose_name = _("survey link")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "group"], name="surveylink_one_per_group"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.get_group_display()}"

    @property
    def active(self) -> bool:
        return self.group in (self.campaign.groups or [])


class Response(models.Model):
    """One anonymous response: which window and group, and the day it came in. Nothing
    else (no user, IP address, user agent, time of day, language or ticket)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="responses")
    group = models.CharField(max_length=16, choices=RespondentGroup.choices)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT,
                                      related_name="+")
    submitted_on = models.DateField()

    scope_paths: ClassVar[dict[str, str]] = dict(_RESPONSE_SCOPE)
    #: Nobody views a single response; results are read as suppressed aggregates.
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"view": (),
                                                              RESULTS: RESULT_READERS}

    class Meta:
        # No ordering by time: there is no time.
        ordering = ["campaign_id", "group"]
        indexes = [models.Index(fields=["campaign", "group"], name="response_campaign_group")]

    def __str__(self) -> str:
        return f"{self.get_group_display()} response, {self.campaign}"


class Answer(models.Model):
    """One rating (1 to 5) of one question in one response. "Don't know" is no row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)])

    scope_paths: ClassVar[dict[str, str]] = {
        kind: f"response__{path}" for kind, path in _RESPONSE_SCOPE.items()}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"view": (),
                                                              RESULTS: RESULT_READERS}

    class Meta:
        ordering = ["response_id", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_once"),
            models.CheckConstraint(condition=models.Q(value__gte=1, value__lte=5),
                                   name="answer_value_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.value}"


class UsedTicket(models.Model):
    """The digest of a response ticket that has been used, so it cannot be used again.

    Deliberately holds nothing else: no time, no window, no tie to the response.
    """

    digest = models.CharField(max_length=64, primary_key=True)

    def __str__(self) -> str:
        return self.digest[:12]


def group_label(code: str) -> Any:
    return dict(RespondentGroup.choices).get(code, code)
