"""Reads of incident records, always scoped to the user (architecture rule 3)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar, overload

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from opensro.core.audit import record_disclosure
from opensro.core.models import Flag, FlagStatus
from opensro.core.permissions import VIEW, grants, restrict
from opensro.directory.models import Assignment, Officer, School
from opensro.incidents import choices as c
from opensro.incidents.models import Incident, Involvement

DISCIPLINE_FLAG = "discipline_involvement"


def incidents_for(user: Any, action: str = VIEW) -> QuerySet[Incident]:
    qs = Incident.objects.select_related("school", "officer", "reason")
    return restrict(qs, user, action)


def _day_start(day: datetime.date) -> datetime.datetime:
    """The first instant of ``day`` in the current time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filter_incidents(qs: QuerySet[Incident], params: Mapping[str, Any]) -> QuerySet[Incident]:
    """Apply the list filters (dates, school, officer, action, status, flag).

    Dates are days in the current time zone, compared as a range of instants so that
    the ``occurred_at`` indexes serve them (the same rows as ``occurred_at__date``)."""
    if params.get("date_from"):
        qs = qs.filter(occurred_at__gte=_day_start(params["date_from"]))
    if params.get("date_to"):
        qs = qs.filter(occurred_at__lt=_day_start(params["date_to"]
                                                  + datetime.timedelta(days=1)))
    if params.get("school"):
        qs = qs.filter(school=params["school"])
    if params.get("officer"):
        qs = qs.filter(officer=params["officer"])
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    action = params.get("action")
    if action and action in c.ACTION_FIELDS:
        qs = qs.filter(Exists(Involvement.objects.filter(incident=OuterRef("pk"),
                                                         **{action: True})))
    flag = params.get("flag")
    if flag:
        flags = Flag.objects.filter(kind=DISCIPLINE_FLAG, subject_type=Incident._meta.label)
        if flag == "open":
            flags = flags.filter(status=FlagStatus.OPEN)
        # Flags name their incident by id as text: the database compares them, without
        # loading every flagged id into the query.
        qs = qs.filter(Exists(flags.filter(subject_id=Cast(OuterRef("pk"), CharField()))))
    return qs


T = TypeVar("T")


class PageOf(Generic[T]):
    """A list of incidents for a paginator that reads a page in two short queries: the
    page's ids first (the ordering's index covers them, so skipping to a deep page
    reads the index only), then those rows with their related objects.

    ``len()`` is the exact count. Pages in the back half are read from the end (the
    last page costs what the first does). ``shape`` turns each row into what the page
    shows."""

    @overload
    def __init__(self: PageOf[Incident], qs: QuerySet[Incident]) -> None: ...

    @overload
    def __init__(self, qs: QuerySet[Incident], shape: Callable[[Incident], T]) -> None: ...

    def __init__(self, qs: QuerySet[Incident],
                 shape: Callable[[Incident], Any] | None = None) -> None:
        self.qs = qs
        self.shape = shape
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = int(self.qs.count())
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[T]:
        return iter(self[0:self.count()])

    def _reversible(self) -> bool:
        """Whether the ordering ends on the id, so that read backwards it gives exactly
        the same rows in reverse."""
        if not self.qs.ordered:
            return False
        ordering = list(self.qs.query.order_by or self.qs.model._meta.ordering or [])
        return bool(ordering) and isinstance(ordering[-1], str) and \
            ordering[-1].lstrip("-") in ("id", "pk")

    def _ids(self, item: slice) -> list[int]:
        """The ids of a slice. A slice in the back half is read from the end, in the
        reverse order: the last page then skips as few rows as the first one."""
        start, stop, step = item.start or 0, item.stop, item.step
        if (step is None and stop is not None and 0 <= start <= stop
                and self._count is not None and start > self._count // 2
                and self._reversible()):
            stop = min(stop, self._count)
            if start >= stop:
                return []
            back = self.qs.reverse().values_list("pk", flat=True)
            return list(back[self._count - stop:self._count - start])[::-1]
        return list(self.qs.values_list("pk", flat=True)[item])

    @overload
    def __getitem__(self, item: int) -> T: ...

    @overload
    def __getitem__(self, item: slice) -> list[T]: ...

    def __getitem__(self, item: int | slice) -> Any:
        if isinstance(item, int):
            return self[item:item + 1][0]
        ids = self._ids(item)
        rows = {i.pk: i for i in self.qs.filter(pk__in=ids).order_by()}
        page = [rows[pk] for pk in ids if pk in rows]
        return [self.shape(i) for i in page] if self.shape else page


def review_queue(user: Any) -> QuerySet[Incident]:
    return restrict(
        Incident.objects.select_related("school", "officer", "reason").filter(
            status__in=[c.Status.SUBMITTED, c.Status.AMENDED]),
        user, "review",
    ).order_by("submitted_at", "id")


def may_see_identity(user: Any, incident: Incident) -> bool:
    """A grant with student identity that covers this incident (R-D7)."""
    if not any(s.identity for s in grants(user)):
        return False
    for scope in grants(user):
        if not scope.identity:
            continue
        if scope.kind == "all":
            return True
        if scope.kind == "agency" and incident.officer.agency_id == scope.target_id:
            return True
        if scope.kind == "district" and incident.school.district_id == scope.target_id:
            return True
        if scope.kind == "school" and incident.school_id == scope.target_id:
            return True
        if scope.kind == "officer" and incident.officer_id == scope.target_id:
            return True
    return False


def involvements_for_display(user: Any, incident: Incident, channel: str = "web"
                             ) -> tuple[list[Involvement], bool]:
    """The incident's students, with pseudonyms blanked unless the user may see them.
    Showing an identified record writes a disclosure entry (FERPA, R-D7)."""
    rows = list(incident.involvements.all())
    identified = may_see_identity(user, incident) and any(r.student_pseudonym for r in rows)
    if identified:
        record_disclosure(user, incident, ["student_pseudonym"], channel=channel,
                          purpose="view incident record")
    else:
        for r in rows:
            r.student_pseudonym = ""
    return rows, identified


def schools_for_logging(user: Any, on: datetime.date | None = None) -> QuerySet[School]:
    """Schools an SRO may log at: their current assignments; others: their scope."""
    on = on or datetime.date.today()
    officer = getattr(user, "officer", None)
    if officer is not None:
        current = Assignment.objects.filter(officer=officer, start_date__lte=on).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on)).values("school_id")
        assigned = School.objects.filter(pk__in=current)
        if assigned.exists():
            return assigned
    return restrict(School.objects.all(), user, VIEW)


def officers_for_logging(user: Any) -> QuerySet[Officer]:
    return restrict(Officer.objects.select_related("agency"), user, VIEW)


def primary_school(user: Any, on: datetime.date | None = None) -> School | None:
    officer = getattr(user, "officer", None)
    if officer is None:
        return None
    on = on or datetime.date.today()
    a = Assignment.objects.filter(officer=officer, primary=True, start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on)).select_related("school").first()
    return a.school if a else None
