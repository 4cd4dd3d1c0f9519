"""Demo data of the selection app (GP 5; R-B1…R-B4).

- Lakeview Police Department filled a second SRO post at Lakeview High School: a full
  committee (the principal, Laura Bennett, who is the demo school administrator; the
  SRO unit supervisor, Sharon Whitfield, the demo supervisor; a teacher, a counselor, a
  parent and a student) interviewed four volunteers. Two were not eligible (under three
  years of service; a sustained complaint involving youth), one was rated lower, and
  Dana Whitaker was selected and is on probation. The principal's part in the
  probationary review is still to be recorded.
- Harmon County Sheriff's Office has opened a selection for Pine Hollow Middle School;
  its committee has no school representative yet, so no one can be selected.
Dates are relative to the day the demo is built.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from opensro.core.models import User
from opensro.directory.models import Agency, School
from opensro.selection import services
from opensro.selection.choices import QUALITY_FIELDS

if TYPE_CHECKING:
    from opensro.demo import DemoContext

DAY = datetime.timedelta(days=1)

# name, date sworn, volunteered, youth complaint notes, experience with youth
CANDIDATES = [
    ("Dana", "Whitaker", datetime.date(2016, 3, 7), True, "",
     "Coached youth basketball for eight years; DARE instructor."),
    ("Morgan", "Price", datetime.date(2014, 9, 2), True, "",
     "Explorer post adviser."),
    ("Chris", "Novak", None, True, "", "Camp counselor before joining the department."),
    ("Jordan", "Ellis", datetime.date(2011, 1, 10), True,
     "2019: complaint by a parent about force used on a 15-year-old at a football game; "
     "sustained, written reprimand.", ""),
]
# Member: name, role, organization, works with the SRO, demo username, rating bias
MEMBERS = [
    ("Laura Bennett", "school_representative", "Principal, Lakeview High School", True,
     "schooladmin", 0),
    ("Lt. Sharon Whitfield", "agency_supervisor", "SRO unit, Lakeview Police Department",
     True, "supervisor", 0),
    ("Marcus Ortiz", "teacher", "Social studies, Lakeview High School", False, None, 1),
    ("Dr. Anita Shah", "counselor", "School psychologist, Lakeview City Schools", False,
     None, -1),
    ("Renee Carter", "family", "Lakeview High parent-teacher organization", False, None, 0),
    ("Isaiah Brooks", "student", "Student council, Lakeview High School", False, None, 1),
]


def build(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = timezone.localdate()
    lpd = Agency.objects.get(name="Lakeview Police Department")
    hcso = Agency.objects.get(name="Harmon County Sheriff's Office")
    high = School.objects.get(nces_id="399990100001")
    opened = today - 200 * DAY
    decided = today - 150 * DAY
    process = services.create_process(None, {
        "agency": lpd, "school": high, "title": "Second SRO for Lakeview High School",
        "opened_on": opened, "closed_on": decided,
        "notes": "Posted to all sworn staff; volunteers only. Interviews held over two "
                 "days with the full committee."})
    members = []
    for name, role, org, works, username, bias in MEMBERS:
        user = User.objects.filter(username=username).first() if username else None
        members.append((services.create_member(None, {
            "process": process, "name": name, "role": role, "organization": org,
            "works_with_sro": works, "user": user}), bias))
    people = []
    for first, last, sworn, volunteered, complaint, youth in CANDIDATES:
        people.append(services.create_candidate(None, {
            "process": process, "first_name": first, "last_name": last,
            "date_sworn": sworn or (today - 2 * 365 * DAY), "volunteered": volunteered,
            "youth_complaints": bool(complaint), "youth_complaint_notes": complaint,
            "youth_experience": youth}))
    whitaker, price, novak, ellis = people
    for candidate, base in ((whitaker, 4.4), (price, 3.6)):
        for member, bias in members:
            scores = {q: max(1, min(5, round(base + bias * 0.3 + rng.uniform(-0.8, 0.8))))
                      for q in QUALITY_FIELDS}
            services.rate(None, candidate, member, scores,
                          "Interviewed on the committee's score sheet.")
    services.decide(None, whitaker, "selected", "Highest ratings from every member; strong "
                    "on diversion and work with families.", decided)
    services.decide(None, price, "not_selected", "Eligible and well rated, but the committee "
                    "rated another candidate higher.", decided)
    services.decide(None, novak, "not_selected", "Not eligible: fewer than three years of "
                    "sworn service (R-B1). Encouraged to apply again.", decided)
    services.decide(None, ellis, "not_selected", "Not eligible: a sustained complaint "
                    "involving a young person (R-B1).", decided)
    services.create_probation(None, {
        "candidate": whitaker, "start_date": today - 100 * DAY,
        "end_date": today + 82 * DAY})

    pine = School.objects.get(nces_id="399990200004")
    open_process = services.create_process(None, {
        "agency": hcso, "school": pine, "title": "SRO for Pine Hollow Middle School",
        "opened_on": today - 20 * DAY})
    services.create_member(None, {
        "process": open_process, "name": "Sgt. Gregory Pruitt", "role": "agency_supervisor",
        "organization": "Harmon County Sheriff's Office", "works_with_sro": True})
    services.create_member(None, {
        "process": open_process, "name": "Ms. Helen Park", "role": "teacher",
        "organization": "Pine Hollow Middle School"})
    services.create_candidate(None, {
        "process": open_process, "first_name": "Taylor", "last_name": "Brooks",
        "date_sworn": datetime.date(2019, 4, 15), "volunteered": True,
        "youth_experience": "Volunteer wrestling coach."})
    ctx.data["selections"] = 2
