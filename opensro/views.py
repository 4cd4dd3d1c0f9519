"""Cross-app pages: the home page and the dashboard of each role."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from opensro.core.choices import Role
from opensro.core.models import AuditEvent, Disclosure, Flag, FlagStatus
from opensro.core.permissions import ADD, VIEW, can, grants, restrict
from opensro.directory.models import (
    Agency,
    Assignment,
    District,
    Enrollment,
    Officer,
    School,
    SchoolYear,
)
from opensro.incidents.choices import Status as IncidentStatus
from opensro.incidents.models import Incident
from opensro.incidents.selectors import DISCIPLINE_FLAG, review_queue


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    # Anonymous visitors are the public: the portal of published figures (R-E3), which
    # links the staff sign-in in its footer.
    return redirect("portal-home")


def _current_assignments(user: Any, today: datetime.date) -> Any:
    return restrict(
        Assignment.objects.select_related("officer", "school").filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today
        ),
        user, VIEW,
    )


def _compliance(user: Any, today: datetime.date, cards: list[dict[str, Any]],
                todo: list[str]) -> None:
    """The compliance summary card and what it asks for (every registered flag kind and
    due item in the user's scope; the program app's compliance dashboard has the detail)."""
    from opensro.program.views import compliance_summary

    summary = compliance_summary(user, today)
    url = reverse("program-compliance")
    cards.append({"label": "Open compliance flags", "value": summary["open_total"],
                  "url": url})
    cards.append({"label": "Overdue items", "value": summary["overdue_total"], "url": url})
    overdue = [r["item"] for r in summary["due"] if r["overdue"]]
    if overdue:
        todo.append(f"{len(overdue)} item(s) are overdue (first: {overdue[0].label}); "
                    "see Compliance.")
    soon = len(summary["due"]) - len(overdue)
    if soon:
        todo.append(f"{soon} item(s) fall due within {summary['horizon']} days; see "
                    "Compliance.")


def _section(user: Any, role: str, today: datetime.date) -> dict[str, Any]:
    year = SchoolYear.for_date(today) or SchoolYear.objects.first()
    schools = restrict(School.objects.filter(active=True), user, VIEW)
    current = _current_assignments(user, today)
    covered = set(current.values_list("school_id", flat=True))
    section: dict[str, Any] = {"role": Role(role).label, "code": role, "cards": [], "todo": []}
    cards, todo = section["cards"], section["todo"]

    incidents = restrict(Incident.objects.all(), user, VIEW)
    this_year = incidents.filter(school_year=year) if year else incidents.none()

    if role == Role.SRO:
        mine = list(current)
        drafts = incidents.filter(status=IncidentStatus.DRAFT).count()
        cards += [
            {"label": "Log an incident", "value": "+", "url": reverse("incident-create")},
            {"label": "My drafts", "value": drafts,
             "url": reverse("incident-list") + "?status=draft"},
            {"label": f"My incidents ({year})" if year else "My incidents",
             "value": this_year.count(), "url": reverse("incident-list")},
            {"label": "Current assignments", "value": len(mine),
             "url": reverse("assignments-list")},
        ]
        section["list"] = [str(a.school) for a in mine]
        if not mine:
            todo.append("You have no current school assignment. Ask your supervisor to record it.")
        if drafts:
            todo.append(f"You have {drafts} draft(s): finish and submit them.")
        return section

    if role in (Role.SUPERVISOR, Role.AGENCY_ADMIN):
        officers = restrict(Officer.objects.filter(status="active"), user, VIEW)
        unassigned = officers.exclude(pk__in=current.values("officer_id"))
        waiting = review_queue(user).count()
        flags = restrict(Flag.objects.filter(status=FlagStatus.OPEN, kind=DISCIPLINE_FLAG),
                         user, VIEW).count()
        cards += [
            {"label": "Awaiting your review", "value": waiting,
             "url": reverse("incident-review-queue")},
            {"label": "Open discipline-involvement flags", "value": flags,
             "url": reverse("incident-list") + "?flag=open"},
        ]
        if waiting:
            todo.append(f"{waiting} submitted record(s) await review (R-D8).")
        cards += [
            {"label": "Active officers", "value": officers.count(),
             "url": reverse("officers-list")},
            {"label": "Officers without a current assignment", "value": unassigned.count(),
             "url": reverse("officers-list")},
            {"label": "Schools served without an SRO",
             "value": schools.exclude(pk__in=covered).count(), "url": reverse("schools-list")},
        ]
        if not officers.exists():
            todo.append("No officers yet: add your agency's SROs under Officers.")
        elif unassigned.exists():
            todo.append("Record a school assignment for each active officer under Assignments.")
        _compliance(user, today, cards, todo)
        return section

    if role in (Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN):
        enrolled = restrict(Enrollment.objects.filter(school_year=year), user, VIEW)
        missing = schools.exclude(pk__in=enrolled.values("school_id"))
        total = enrolled.filter(group__in=["HI", "AM", "AS", "HP", "BL", "WH", "TR"]).aggregate(
            n=Sum("count"))["n"] or 0
        cards += [
            {"label": f"SRO incidents ({year})" if year else "SRO incidents",
             "value": this_year.exclude(status=IncidentStatus.DRAFT).count(),
             "url": reverse("incident-list")},
            {"label": "Open discipline-involvement flags",
             "value": restrict(Flag.objects.filter(status=FlagStatus.OPEN,
                                                   kind=DISCIPLINE_FLAG), user, VIEW).count(),
             "url": reverse("incident-list") + "?flag=open"},
            {"label": "Schools", "value": schools.count(), "url": reverse("schools-list")},
            {"label": f"Students enrolled ({year})" if year else "Students enrolled",
             "value": total, "url": reverse("enrollment-list")},
            {"label": "Schools without an SRO", "value": schools.exclude(pk__in=covered).count(),
             "url": reverse("schools-list")},
            {"label": "SROs on duty", "value": current.values("officer_id").distinct().count(),
             "url": reverse("assignments-list")},
        ]
        if missing.exists() and can(user, ADD, Enrollment):
            todo.append(
                f"{missing.count()} school(s) have no enrollment for {year}: "
                "upload it under Enrollment → Import CSV."
            )
        _compliance(user, today, cards, todo)
        return section

    if role == Role.ANALYST:
        cards += [
            {"label": "Schools in scope", "value": schools.count(), "url": reverse("schools-list")},
            {"label": "Districts", "value": restrict(District.objects.all(), user, VIEW).count(),
             "url": reverse("districts-list")},
        ]
        if year is None:
            todo.append("No school year is defined yet; a system administrator adds one.")
        return section

    if role == Role.AUDITOR:
        last = AuditEvent.objects.order_by("-seq").first()
        cards += [
            {"label": "Audit events", "value": last.seq if last else 0,
             "url": reverse("audit-log")},
            {"label": "Disclosures of student data", "value": Disclosure.objects.count(),
             "url": reverse("audit-log") + "?view=disclosures"},
        ]
        todo.append("Run 'opensro audit verify' on the server to check the audit chain.")
        return section

    # System administrator
    cards += [
        {"label": "Agencies", "value": Agency.objects.count(), "url": reverse("agencies-list")},
        {"label": "Districts", "value": District.objects.count(), "url": reverse("districts-list")},
        {"label": "Schools", "value": School.objects.count(), "url": reverse("schools-list")},
        {"label": "Officers", "value": Officer.objects.count(), "url": reverse("officers-list")},
    ]
    if not SchoolYear.objects.exists():
        todo.append("Add the current school year under School years.")
    if not District.objects.exists():
        todo.append("Add your first district under Districts.")
    return section


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = datetime.date.today()
    seen: set[str] = set()
    sections = []
    for scope in grants(request.user):
        if scope.role in seen:
            continue
        seen.add(scope.role)
        sections.append(_section(request.user, scope.role, today))
    return render(request, "dashboard.html", {"sections": sections})
