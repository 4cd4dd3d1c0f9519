"""Every write of the surveys app (architecture: services validate, check, write, audit).

Survey windows and their links are set up by school and district administrators;
those writes are audited like any other. Responses come from the public, anonymously,
through single-use tickets: :func:`issue_ticket` signs a fresh random nonce into each
form that is served, and :func:`submit_response` consumes it (a second use is refused)
and stores the answers with nothing that identifies the respondent.

Responses are deliberately *not* written to the audit chain: an audit event carries the
time to the second and the request id, which would tie a response to web-server logs
(and so to an IP address). See docs/surveys.md, "Anonymity".
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from opensro.core import audit
from opensro.core import services as core
from opensro.core.models import User
from opensro.core.permissions import CHANGE, DELETE, require
from opensro.directory.models import SchoolYear
from opensro.surveys.choices import GROUP_ORDER, RespondentGroup
from opensro.surveys.models import (
    Answer,
    Campaign,
    Questionnaire,
    Response,
    SurveyLink,
    UsedTicket,
    new_link_token,
)

#: A form left open longer than this must be reloaded (answers are kept).
TICKET_MAX_AGE = datetime.timedelta(days=3)
_TICKET_SALT = "opensro.surveys.ticket"


# ---------------------------------------------------------------- survey windows


def _clean_groups(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise ValidationError({"groups": "Choose at least one respondent group."})
    groups = [str(g) for g in value]
    unknown = [g for g in groups if g not in GROUP_ORDER]
    if unknown:
        raise ValidationError({"groups": f"Unknown respondent group {unknown[0]!r}; choose "
                                         f"from {', '.join(GROUP_ORDER)}."})
    if not groups:
        raise ValidationError({"groups": "Choose at least one respondent group."})
    return [g for g in GROUP_ORDER if g in groups]


def check_window(campaign: Campaign, before: Campaign | None,
                 today: datetime.date | None = None) -> None:
    """The rules of a survey window (R-E4, methods.md "Publication safety").

    - it closes on or after the day it opens, within one school year;
    - a new window does not close in the past;
    - one school has no two windows over the same days (each link is unambiguous);
    - a window that has closed keeps its dates (its results are out; reopening it would
      let results read before and after a response give that response away);
    - once answers came in, the opening day stays and the window cannot close before
      the last day answers came in; a group that answered stays on the window.
    """
    today = today or datetime.date.today()
    errors: dict[str, str] = {}
    start, end = campaign.opens_on, campaign.closes_on
    if end < start:
        errors["closes_on"] = "The window must close on or after the day it opens."
    if before is not None and before.has_closed(today):
        if (start, end) != (before.opens_on, before.closes_on):
            errors["closes_on"] = (
                f"This window closed on {before.closes_on.isoformat()} and its results are "
                "published; its dates cannot change. Set up a new window instead.")
        if list(campaign.groups) != list(before.groups):
            errors["groups"] = ("This window has closed; its respondent groups cannot "
                                "change.")
    if errors:
        raise ValidationError(errors)
    year = year_for(start)
    if end > year.end_date:
        errors["closes_on"] = (f"A window stays within one school year; {year} ends on "
                               f"{year.end_date.isoformat()}.")
    if before is None and end < today:
        errors["closes_on"] = "A new window cannot close in the past."
    clash = Campaign.objects.filter(school=campaign.school, opens_on__lte=end,
                                    closes_on__gte=start).exclude(pk=campaign.pk).first()
    if clash is not None:
        errors["opens_on"] = (f"{campaign.school} already has a survey window from "
                              f"{clash.opens_on.isoformat()} to {clash.closes_on.isoformat()}; "
                              "windows at one school cannot overlap.")
    if before is not None and campaign.pk is not None:
        answered = Response.objects.filter(campaign_id=campaign.pk)
        if answered.exists():
            if start != before.opens_on:
                errors["opens_on"] = ("Answers have come in, so the opening day cannot "
                                      "change.")
            last = answered.order_by("-submitted_on").values_list(
                "submitted_on", flat=True).first()
            if last is not None and end < last:
                errors["closes_on"] = (f"Answers came in up to {last.isoformat()}; the window "
                                       "cannot close before then.")
            kept = set(answered.values_list("group", flat=True).distinct())
            dropped = sorted(kept - set(campaign.groups))
            if dropped:
                label = RespondentGroup(dropped[0]).label
                errors["groups"] = (f"{label} have already answered; a group that has "
                                    "answered cannot be taken off the window.")
    if errors:
        raise ValidationError(errors)
    campaign.school_year = year


def year_for(day: Any) -> SchoolYear:
    """The school year a window opening on ``day`` belongs to."""
    if not isinstance(day, datetime.date):
        raise ValidationError({"opens_on": "Enter the day the window opens."})
    year = SchoolYear.for_date(day)
    if year is None:
        raise ValidationError({"opens_on": "No school year covers this date. Ask a system "
                                           "administrator to add the school year first."})
    return year


def _active_questionnaire(group: str) -> Questionnaire:
    questionnaire = Questionnaire.objects.filter(group=group, active=True).first()
    if questionnaire is None:
        raise ValidationError({"groups": f"There is no active questionnaire for "
                                         f"{RespondentGroup(group).label.lower()}."})
    return questionnaire


def _ensure_links(actor: User | None, campaign: Campaign) -> None:
    """A link for every group on the window (a group added back keeps its old link)."""
    have = set(campaign.links.values_list("group", flat=True))
    for group in campaign.groups:
        if group in have:
            continue
        link = SurveyLink(campaign=campaign, group=group,
                          questionnaire=_active_questionnaire(group))
        link.full_clean()
        link.save()
        audit.record(actor, "create", link, after=audit.snapshot(link))


def create_campaign(actor: User | None, data: Mapping[str, Any],
                    today: datetime.date | None = None) -> Campaign:
    """Set up a survey window at a school, with one link per respondent group."""
    payload = dict(data)
    payload["groups"] = _clean_groups(payload.get("groups"))
    payload["school_year"] = year_for(payload.get("opens_on"))
    with transaction.atomic():
        campaign = core.create(actor, Campaign, payload,
                               validate=lambda c: check_window(c, None, today))
        _ensure_links(actor, campaign)
    return campaign


def update_campaign(actor: User | None, campaign: Campaign, data: Mapping[str, Any],
                    today: datetime.date | None = None) -> Campaign:
    """Change a window's name, dates or groups (within the rules of :func:`check_window`)."""
    payload = dict(data)
    if "groups" in payload:
        payload["groups"] = _clean_groups(payload["groups"])
    if "school" in payload and payload["school"] != campaign.school:
        raise ValidationError({"school": "A survey window stays at its school; set up a new "
                                         "window at the other school instead."})
    before = Campaign.objects.get(pk=campaign.pk)
    with transaction.atomic():
        saved = core.update(actor, campaign, payload,
                            validate=lambda c: check_window(c, before, today))
        _ensure_links(actor, saved)
    return saved


def delete_campaign(actor: User | None, campaign: Campaign, reason: str) -> None:
    """Delete a window that nobody has answered yet (for one set up by mistake)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this survey window is being deleted."})
    if actor is not None:
        require(actor, DELETE, campaign)
    if Response.objects.filter(campaign=campaign).exists():
        raise ValidationError({"reason": "People have answered this window, so it cannot be "
                                         "deleted. Close it early instead."})
    with transaction.atomic():
        for link in list(campaign.links.all()):
            core.delete(actor, link, reason=reason, check_permission=False)
        core.delete(actor, campaign, reason=reason)


def renew_link(actor: User | None, link: SurveyLink, reason: str = "") -> SurveyLink:
    """Give a link a new token (e.g. the old one was posted where it should not be). The
    old link, and every QR code printed from it, stop working at once."""
    if actor is not None:
        require(actor, CHANGE, link)
    if link.campaign.has_closed():
        raise ValidationError({"token": "This window has closed; its links no longer open."})
    return core.update(actor, link, {"token": new_link_token()}, action="renew_link",
                       reason=reason or "New link issued")


# ---------------------------------------------------------------- tickets and responses


class TicketError(Exception):
    """A response ticket that cannot be used; ``code`` says why."""

    USED = "used"
    INVALID = "invalid"
    EXPIRED = "expired"

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class WindowClosed(Exception):
    """The window is not open today (not yet open, closed, or the group was removed)."""


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue_ticket(link: SurveyLink) -> str:
    """A signed single-use ticket for one form served from ``link``: the link's id and a
    random nonce, signed with a time stamp (which is checked, never stored)."""
    return signing.dumps({"l": link.pk, "n": secrets.token_urlsafe(18)}, salt=_TICKET_SALT,
                         compress=False)


def _open_ticket(ticket: str, link: SurveyLink) -> str:
    """The nonce of a valid ticket for ``link``; raises :class:`TicketError`."""
    try:
        payload = signing.loads(ticket, salt=_TICKET_SALT,
                                max_age=TICKET_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise TicketError(TicketError.EXPIRED) from exc
    except signing.BadSignature as exc:
        raise TicketError(TicketError.INVALID) from exc
    if not isinstance(payload, dict) or payload.get("l") != link.pk or not isinstance(
            payload.get("n"), str):
        raise TicketError(TicketError.INVALID)
    return str(payload["n"])


def ticket_state(ticket: str, link: SurveyLink) -> str:
    """"unused", "used", or "invalid" (forged, for another link, or too old)."""
    try:
        nonce = _open_ticket(ticket, link)
    except TicketError:
        return TicketError.INVALID
    if UsedTicket.objects.filter(digest=_digest(nonce)).exists():
        return TicketError.USED
    return "unused"


@dataclass(frozen=True)
class Submitted:
    response_id: Any
    answers: int


def validate_answers(questionnaire: Questionnaire, raw: Mapping[str, Any]
                     ) -> dict[int, int]:
    """Check one form's answers: ``raw`` maps ``q<question id>`` to 1–5 or "dk"
    ("Don't know"). Every question needs a choice, and at least one a rating.
    Returns question id -> rating (1–5). Errors are keyed ``q<id>``."""
    from opensro.surveys.choices import DONT_KNOW

    questions = list(questionnaire.questions.all())
    errors: dict[str, str] = {}
    ratings: dict[int, int] = {}
    for position, question in enumerate(questions, start=1):
        key = f"q{question.pk}"
        value = str(raw.get(key, "") or "").strip()
        if value == "":
            errors[key] = _("Question %(number)s: choose an answer, or “Don't know”.") % {
                "number": position}
        elif value == DONT_KNOW:
            continue
        elif value in {"1", "2", "3", "4", "5"}:
            ratings[question.pk] = int(value)
        else:
            errors[key] = _("Question %(number)s: choose one of the answers shown.") % {
                "number": position}
    known = {f"q{q.pk}" for q in questions}
    extra = [k for k in raw if k.startswith("q") and k[1:].isdigit() and k not in known]
    if extra:
        errors["__all__"] = _("The form contains a question that is not on this survey.")
    if errors:
        raise ValidationError(errors)
    if not ratings:
        raise ValidationError({"__all__": _("Answer at least one question: a form with only "
                                            "“Don't know” answers is not counted.")})
    return ratings


def submit_response(link: SurveyLink, ticket: str, raw: Mapping[str, Any],
                    today: datetime.date | None = None) -> Submitted:
    """Store one anonymous response from a form served with ``ticket``.

    Checks, in order: the window is open today for the link's group (else
    :class:`WindowClosed`); the ticket is genuine, for this link and not too old (else
    :class:`TicketError`); the answers are complete (else ``ValidationError``, and the
    ticket stays unused so the person can correct and resend). Then, in one
    transaction, the ticket is consumed (a unique row: a second use, even at the same
    instant, fails) and the response stored. A used ticket raises
    ``TicketError("used")`` and stores nothing.
    """
    today = today or datetime.date.today()
    campaign = link.campaign
    if not link.active or not campaign.is_open(today):
        raise WindowClosed
    nonce = _open_ticket(ticket, link)
    digest = _digest(nonce)
    if UsedTicket.objects.filter(digest=digest).exists():
        raise TicketError(TicketError.USED)
    ratings = validate_answers(link.questionnaire, raw)
    try:
        with transaction.atomic():
            UsedTicket.objects.create(digest=digest)
            response = Response.objects.create(campaign=campaign, group=link.group,
                                               questionnaire=link.questionnaire,
                                               submitted_on=today)
            Answer.objects.bulk_create([
                Answer(response=response, question_id=qid, value=value)
                for qid, value in sorted(ratings.items())
            ])
    except IntegrityError as exc:
        # The same ticket, sent twice at the same moment: the second insert loses.
        raise TicketError(TicketError.USED) from exc
    return Submitted(response.pk, len(ratings))
