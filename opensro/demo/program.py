"""Demo data of the program app: an executed MOU for each agency–district pair with its
checklist, reviews and signed PDF; staffing factors for every school; then the
program's flags, computed as of today.

Planted for the compliance dashboard:
- Lakeview Police Department – Lakeview City Schools: version 2 is in force and
  published, but its last annual review was 14 months ago (review overdue). Version 1
  is kept as the earlier, replaced agreement.
- Harmon County Sheriff's Office – Lakeview City Schools: expires within six weeks, its
  annual review falls due within a month, and its checklist lacks the feedback
  mechanism the COPS Office asks for (a required element is missing). A draft renewal
  is on file.
- Harmon County Sheriff's Office – Harmon County Local Schools: in order.
- The directory's floating SROs (one officer covers four schools) and the Harmon
  elementary schools without an SRO raise the staffing flags.
Dates are relative to the day the demo is built, so the picture stays the same.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import SimpleUploadedFile

from opensro.directory import services as directory
from opensro.directory.models import Agency, Assignment, District, School, SchoolYear
from opensro.program import selectors as sel
from opensro.program import services
from opensro.program.catalog import COPS, NASRO
from opensro.program.documents import minimal_pdf
from opensro.program.models import Mou, MouElement, add_months

if TYPE_CHECKING:
    from opensro.demo import DemoContext

ATTENDEES = {
    "3999901": ["Victor Hale, Lakeview City Schools, director of student services",
                "Laura Bennett, principal, Lakeview High School",
                "Lt. Sharon Whitfield, SRO unit supervisor",
                "A parent representative from the district family council"],
    "3999902": ["Dana Ruiz, Harmon County Local Schools, superintendent's office",
                "Sgt. Gregory Pruitt, Harmon County Sheriff's Office",
                "A student member of the district safety committee"],
}


def _document(agency: Agency, district: District, version: int,
              effective: datetime.date) -> bytes:
    return minimal_pdf([
        "MEMORANDUM OF UNDERSTANDING",
        f"between {agency.name} and {district.name}",
        f"School resource officer program, version {version}",
        f"Effective {effective.isoformat()}",
        "",
        "1. Mission and SRO duties.  2. Roles of the parties.",
        "3. SROs do not take part in school discipline or enforce codes of conduct.",
        "4. Reporting and data collection.  5. Annual assessment of SROs.",
        "6. Training, including nondiscrimination.  7. Supervision of the SROs.",
        "8. Feedback from the district and the community.",
        "(Demonstration document: not a real agreement.)",
    ])


def _slug(name: str) -> str:
    return "-".join("".join(c for c in word if c.isalnum()) for word in name.lower().split())


def _checklist(leave_out: Collection[str] = ()) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for n, (code, _label, _desc) in enumerate(COPS, start=1):
        if code not in leave_out:
            items.append({"element": code, "present": True, "section": f"§{n}"})
    for n, (code, _label, _desc) in enumerate(NASRO, start=1):
        if code not in leave_out and n % 5 != 0:  # a few NASRO topics left uncovered
            items.append({"element": code, "present": True, "section": f"Appendix A.{n}"})
    return items


def _executed(agency: Agency, district: District, version: int, effective: datetime.date,
              expiry: datetime.date | None, *, public: bool,
              leave_out: Collection[str] = ()) -> Mou:
    """Drafted with its checklist, then signed: the way an MOU is recorded."""
    mou = services.create_mou(None, {
        "agency": agency, "district": district, "version": version,
        "title": "School resource officer program MOU", "status": "draft",
        "effective_date": effective, "expiry_date": expiry,
        "notes": "Signed by the chief (or sheriff) and the superintendent.",
    }, SimpleUploadedFile(f"{_slug(agency.name)}-{_slug(district.name)}-mou-v{version}.pdf",
                          _document(agency, district, version, effective)))
    services.set_checklist(None, mou, _checklist(leave_out))
    return services.update_mou(None, mou, {"status": "executed", "public": public})


def _review(mou: Mou, day: datetime.date, district: District) -> None:
    services.record_review(None, mou, {
        "review_date": day,
        "attendees": "\n".join(ATTENDEES[district.nces_id]),
        "minutes": (
            "Reviewed the year's SRO incident figures by student group, the complaints "
            "received and the training completed. The parties confirmed that SROs are not "
            "involved in school discipline and asked for the feedback form to be linked "
            "from every school's website. No change to the text this year."),
    })


def build(ctx: DemoContext) -> None:
    if not MouElement.objects.exists():  # a flushed database lost the seeded catalog
        from opensro.program.catalog import seed_elements

        seed_elements(MouElement)
    today = services.today()
    y = today.year
    lakeview = District.objects.get(nces_id="3999901")
    harmon = District.objects.get(nces_id="3999902")
    lpd = Agency.objects.get(name="Lakeview Police Department")
    hcso = Agency.objects.get(name="Harmon County Sheriff's Office")

    # Lakeview PD – Lakeview: v2 in force, published, review overdue; v1 replaced.
    lpd_mou = _executed(lpd, lakeview, 2, datetime.date(y - 2, 7, 1),
                        datetime.date(y + 2, 6, 30), public=True)
    _review(lpd_mou, add_months(today, -14), lakeview)
    v1 = _executed(lpd, lakeview, 1, datetime.date(y - 5, 7, 1), datetime.date(y - 2, 6, 30),
                   public=True)
    _review(v1, datetime.date(y - 4, 6, 15), lakeview)
    _review(v1, datetime.date(y - 3, 6, 10), lakeview)

    # Harmon County SO – Harmon: in order.
    harmon_mou = _executed(hcso, harmon, 1, datetime.date(y - 1, 7, 1),
                           datetime.date(y + 2, 6, 30), public=True)
    _review(harmon_mou, add_months(today, -5), harmon)

    # Harmon County SO – Lakeview: expiring, review due soon, an element missing.
    county_line = _executed(hcso, lakeview, 1, add_months(today, -35),
                            today + datetime.timedelta(days=40), public=False,
                            leave_out={"cops_feedback"})
    _review(county_line, add_months(today, -11), lakeview)
    services.create_mou(None, {
        "agency": hcso, "district": lakeview, "version": 2,
        "title": "School resource officer program MOU (renewal)", "status": "draft",
        "effective_date": today + datetime.timedelta(days=41),
        "expiry_date": datetime.date(y + 4, 6, 30),
        "notes": "Renewal under negotiation; adds the feedback section."})
    ctx.data["mous"] = [lpd_mou, harmon_mou, county_line]

    _staffing_factors(ctx, today)
    _ensure_staffing_warnings(ctx, today)
    services.refresh_all(today)


def _staffing_factors(ctx: DemoContext, today: datetime.date) -> None:
    rng = ctx.rng
    years = list(SchoolYear.objects.filter(start_date__lte=today).order_by(
        "-start_date")[:2])
    calls = {"high": (60, 180), "middle": (25, 90), "elementary": (2, 20), "other": (15, 70)}
    for school in School.objects.filter(active=True).order_by("pk"):
        for year in years:
            low, high = calls.get(school.level, (5, 40))
            services.create_staffing_factors(None, {
                "school": school, "school_year": year,
                "non_sworn_safety_staff": (school.non_sworn_safety_staff
                                           if school.non_sworn_safety_staff is not None
                                           else rng.randint(0, 3)),
                "calls_for_service": rng.randint(low, high),
                "notes": "From the agency's computer-aided dispatch records.",
            })


def _ensure_staffing_warnings(ctx: DemoContext, today: datetime.date) -> None:
    """The directory demo already has a floating SRO and uncovered schools; keep it so
    even if its plan changes."""
    if not sel.floating_counts(today):
        officer = next(o for o in ctx.data["officers"]  # type: ignore[attr-defined]
                       if o.kind == "sro")
        served = officer.agency.districts_served.values_list("pk", flat=True)
        for school in School.objects.filter(district__in=served).exclude(
                assignments__officer=officer)[:3]:
            directory.create_assignment(None, {
                "officer": officer, "school": school, "start_date": today, "primary": False,
                "notes": "Covers this school part of the week."})
    covered = Assignment.objects.filter(sel.current_assignment_q(today)).values("school_id")
    if not School.objects.filter(active=True).exclude(pk__in=covered).exists():
        last = Assignment.objects.filter(end_date__isnull=True, primary=False).first()
        if last is not None:
            directory.end_assignment(None, last, today - datetime.timedelta(days=1),
                                     reason="The school is left without an SRO.")
