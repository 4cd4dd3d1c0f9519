"""Raising, clearing and deciding flags (one mechanism for every rule that needs a
person's review). Every change is audited; a decision needs a reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from opensro.core import audit
from opensro.core.models import Flag, FlagStatus, User
from opensro.core.permissions import require


@dataclass(frozen=True)
class RefreshResult:
    """What one kind's refresh did: flags opened (or re-evidenced) and flags cleared."""

    raised: int = 0
    cleared: int = 0


@dataclass(frozen=True)
class FlagKind:
    """A kind of flag, registered by the app whose rule raises it (from ``ready()``).

    ``subject_url`` links a flag to the page where its subject is handled (the MOU, the
    incident…). ``refresh`` recomputes the time-based flags of this kind as of a date and
    is what ``opensro flags refresh`` runs; kinds raised by an event (a saved incident)
    have none.
    """

    code: str
    label: str
    description: str = ""
    subject_url: Callable[[Flag], str | None] | None = None
    refresh: Callable[[datetime.date], RefreshResult] | None = None


_KINDS: dict[str, FlagKind] = {}


def register_kind(kind: FlagKind) -> FlagKind:
    _KINDS[kind.code] = kind
    return kind


def kinds() -> dict[str, FlagKind]:
    """Every registered kind by code, in registration order."""
    return dict(_KINDS)


def kind_label(code: str) -> str:
    kind = _KINDS.get(code)
    return kind.label if kind else code.replace("_", " ").capitalize()


def subject_url(flag: Flag) -> str | None:
    kind = _KINDS.get(flag.kind)
    if kind is None or kind.subject_url is None:
        return None
    return kind.subject_url(flag)


def refresh(today: datetime.date | None = None,
            only: str | None = None) -> dict[str, RefreshResult]:
    """Run every registered refresher (or only ``only``) as of ``today``."""
    day = today or timezone.localdate()
    results: dict[str, RefreshResult] = {}
    for code, kind in _KINDS.items():
        if kind.refresh is None or (only and code != only):
            continue
        results[code] = kind.refresh(day)
    return results


@dataclass(frozen=True)
class DueItem:
    """Something coming due (or overdue) that a dashboard lists: an MOU review, a
    training course, a twice-yearly review… ``due`` is the date it falls due."""

    kind: str  # e.g. "mou_review", "training"
    label: str  # what is due, in words
    due: datetime.date
    url: str | None = None
    agency_id: int | None = None
    district_id: int | None = None
    school_id: int | None = None
    officer_id: int | None = None

    def overdue(self, today: datetime.date) -> bool:
        return self.due < today


#: Functions ``(user, today, horizon_days) -> list[DueItem]``, registered by apps from
#: ``ready()``; each returns only what ``user`` may see, due before today + horizon.
DueSource = Callable[[Any, datetime.date, int], list[DueItem]]
_DUE_SOURCES: list[DueSource] = []


def register_due_source(source: DueSource) -> DueSource:
    if source not in _DUE_SOURCES:
        _DUE_SOURCES.append(source)
    return source


def due_items(user: Any, today: datetime.date, horizon_days: int = 60) -> list[DueItem]:
    """Everything coming due within ``horizon_days`` (and everything overdue) that
    ``user`` may see, soonest first."""
    items: list[DueItem] = []
    for source in _DUE_SOURCES:
        items.extend(source(user, today, horizon_days))
    return sorted(items, key=lambda i: (i.due, i.label))


def raise_flag(
    kind: str,
    subject: models.Model,
    *,
    title: str,
    evidence: dict[str, Any],
    agency: Any = None,
    district: Any = None,
    school: Any = None,
    officer: Any = None,
    actor: User | None = None,
    reopen_decided: bool = True,
) -> Flag:
    """Open a flag for ``subject``, or refresh the evidence of the one already open.

    With ``reopen_decided=False`` (time-based refreshes, which run every day) a flag
    that a person has already decided (agreed or dismissed) for this subject is not
    opened again: the decided flag is returned unchanged.
    """
    with transaction.atomic():
        flag = Flag.objects.select_for_update().filter(
            kind=kind, subject_type=subject._meta.label, subject_id=str(subject.pk),
            status=FlagStatus.OPEN,
        ).first()
        if flag is None and not reopen_decided:
            decided = Flag.objects.filter(
                kind=kind, subject_type=subject._meta.label, subject_id=str(subject.pk),
                status__in=(FlagStatus.AGREED, FlagStatus.DISMISSED),
            ).order_by("-decided_at").first()
            if decided is not None:
                return decided
        if flag is not None:
            if flag.evidence != audit._json_safe(evidence):
                before = audit.snapshot(flag)
                flag.evidence = evidence
                flag.title = title
                flag.save(update_fields=["evidence", "title"])
                audit.record(actor, "refresh_flag", flag, before=before,
                             after=audit.snapshot(flag))
            return flag
        flag = Flag.objects.create(
            kind=kind, subject_type=subject._meta.label, subject_id=str(subject.pk),
            title=title[:255], evidence=evidence, agency=agency, district=district,
            school=school, officer=officer,
        )
        audit.record(actor, "raise_flag", flag, after=audit.snapshot(flag))
    return flag


def clear_flags(kind: str, subject: models.Model, *, reason: str,
                actor: User | None = None) -> int:
    """Close open flags of ``kind`` on ``subject`` whose condition no longer holds."""
    cleared = 0
    with transaction.atomic():
        for flag in Flag.objects.select_for_update().filter(
            kind=kind, subject_type=subject._meta.label, subject_id=str(subject.pk),
            status=FlagStatus.OPEN,
        ):
            before = audit.snapshot(flag)
            flag.status = FlagStatus.CLEARED
            flag.decided_at = timezone.now()
            flag.decision_reason = reason
            flag.save(update_fields=["status", "decided_at", "decision_reason"])
            audit.record(actor, "clear_flag", flag, before=before, after=audit.snapshot(flag),
                         reason=reason)
            cleared += 1
    return cleared


def decide_flag(actor: User, flag: Flag, *, agree: bool, reason: str,
                action_taken: str = "") -> Flag:
    """A reviewer's decision: agree (and record the action taken) or dismiss (with a
    reason). Either way the flag leaves the open queue."""
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["decision_reason"] = "Give the reason for your decision."
    if agree and not action_taken.strip():
        errors["action_taken"] = ("Say what action was taken (coaching, training, "
                                  "reassignment…).")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fresh = Flag.objects.select_for_update().get(pk=flag.pk)
        require(actor, "change", fresh)
        if fresh.status != FlagStatus.OPEN:
            raise ValidationError({"status": "This flag was already decided."})
        before = audit.snapshot(fresh)
        fresh.status = FlagStatus.AGREED if agree else FlagStatus.DISMISSED
        fresh.decided_at = timezone.now()
        fresh.decided_by = actor
        fresh.decision_reason = reason.strip()
        fresh.action_taken = action_taken.strip()
        fresh.save()
        audit.record(actor, "decide_flag", fresh, before=before, after=audit.snapshot(fresh),
                     reason=reason)
    return fresh
