"""The acceptance test of architecture rule 1 ("one place for each rule"): the same invalid
record, sent through the web form, the JSON API and the CSV import, is refused by each
with the same message (the text of ``rules.MESSAGES``), and none of them stores anything.

Each case is written once, in neutral terms (incident values and one student's values),
and translated into a form POST, an API payload and a CSV row below.
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from conftest import World, module_world
from opensro.core.models import AuditEvent, Disclosure, Flag
from opensro.directory import services as ds
from opensro.incidents import choices as c
from opensro.incidents.imports import COLUMNS, import_incidents
from opensro.incidents.models import Incident, IncidentReason, Involvement
from opensro.incidents.rules import MESSAGES

TZ = ZoneInfo("America/New_York")
WHEN = datetime.datetime(2025, 10, 14, 10, 0, tzinfo=TZ)
ORI_A = "OH0000100"


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(
        django_db_blocker,
        lambda world: ds.update_agency(None, world.agency_a, {"ori": ORI_A}) and None)


# --------------------------------------------------------------------------- the cases

BASIS_OK = {
    "basis": [c.Basis.IMMINENT_THREAT],
    "basis_details": "He swung a chair at a classmate.",
    "why_at_school": "The threat was immediate and on campus.",
    "removed_from_public_view": "yes",
}


@dataclass(frozen=True)
class Case:
    name: str
    message: str
    #: the field the API reports and the column the import reports.
    api_field: str
    column: str
    incident: dict[str, Any] = field(default_factory=dict)
    student: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("arrest-without-probable-cause", MESSAGES["probable_cause"],
         "involvements.0.probable_cause", "probable_cause",
         {"deescalation": "tried"},
         {"actions": ["arrest"], **BASIS_OK, "arrest_charge": "Assault",
          "probable_cause": ""}),
    Case("detention-on-administrator-direction-only", MESSAGES["admin_only"],
         "involvements.0.basis", "basis",
         {"deescalation": "tried", "involvement_source": "staff",
          "requester_role": "administrator"},
         {"actions": ["detention"], **BASIS_OK, "basis": ["administrator_direction"]}),
    Case("sogi-not-volunteered", MESSAGES["sogi"],
         "involvements.0.sogi_volunteered", "sogi_volunteered",
         {}, {"actions": ["counselled"], "gender_identity": "nonbinary",
              "sogi_volunteered": False}),
    Case("staff-request-without-requester", MESSAGES["requester"],
         "requester_role", "requester_role",
         {"involvement_source": "staff", "requester_role": ""},
         {"actions": ["counselled"]}),
    Case("late-entry-without-reason", MESSAGES["late"].format(hours=24),
         "late_entry_reason", "late_entry_reason",
         {"late_entry_reason": "", "recorded_at": WHEN + datetime.timedelta(days=3)},
         {"actions": ["counselled"]}),
    Case("idea-and-504", MESSAGES["idea_504"],
         "involvements.0.section_504", "section_504",
         {}, {"actions": ["counselled"], "idea": True, "section_504": True}),
    Case("restraint-without-basis", MESSAGES["basis"].format(action="restraint"),
         "involvements.0.basis", "basis",
         {"deescalation": "tried"},
         {"actions": ["restraint"], **BASIS_OK, "basis": [], "restraint_type": "handcuffs"}),
    Case("student-without-action", MESSAGES["no_action"],
         "involvements.0.counselled", "actions",
         {}, {"actions": []}),
]

#: The incident every case starts from: valid, with a late-entry reason because the web
#: form always records "now", long after the incident.
BASE_INCIDENT: dict[str, Any] = {
    "occurred_at": WHEN, "recorded_at": WHEN + datetime.timedelta(hours=1),
    "late_entry_reason": "Typed up from my notebook.", "location": "hallway",
    "involvement_source": "self", "requester_role": "", "reason": "defiance",
    "would_call_911": "no", "deescalation": "", "deescalation_notes": "", "narrative": "",
}
BASE_STUDENT: dict[str, Any] = {"race": "BL", "sex": "M", "role": "subject", "actions": []}
STUDENT_BOOLS = ("idea", "section_504", "english_learner", "sogi_volunteered")


def values(case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    return {**BASE_INCIDENT, **case.incident}, {**BASE_STUDENT, **case.student}


# --------------------------------------------------------------------------- three channels


def web_data(w: World, case: Case) -> dict[str, Any]:
    inc, stu = values(case)
    data: dict[str, Any] = {
        "school": str(w.school_a1.pk), "officer": str(w.officer_a.pk),
        "occurred_at": inc["occurred_at"].strftime("%Y-%m-%dT%H:%M"),
        "reason": str(IncidentReason.objects.get(code=inc["reason"]).pk),
        "students-TOTAL_FORMS": "1", "students-INITIAL_FORMS": "0",
        "students-MIN_NUM_FORMS": "1", "students-MAX_NUM_FORMS": "1000",
        "students-0-offense_severity": "none", "submit": "1",
    }
    for name in ("late_entry_reason", "location", "involvement_source", "requester_role",
                 "would_call_911", "deescalation", "deescalation_notes", "narrative"):
        data[name] = inc[name]
    for name, value in stu.items():
        key = f"students-0-{name}"
        if name == "actions":
            data.update({f"students-0-{a}": "on" for a in value})
        elif name == "basis":
            data[key] = list(value)
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        else:
            data[key] = value
    return data


def api_payload(w: World, case: Case) -> dict[str, Any]:
    inc, stu = values(case)
    payload = {k: v for k, v in inc.items() if k not in ("occurred_at", "recorded_at")}
    payload.update(school_id=w.school_a1.pk, occurred_at=inc["occurred_at"].isoformat(),
                   recorded_at=inc["recorded_at"].isoformat(), students=[stu], submit=True)
    return payload


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def csv_row(w: World, case: Case) -> dict[str, str]:
    inc, stu = values(case)
    row = dict.fromkeys(COLUMNS, "")
    row.update(source_system="cad", incident_id=f"CAD-{case.name}",
               school_nces_id=w.school_a1.nces_id, agency_ori=ORI_A,
               officer_badge=w.officer_a.badge_number,
               occurred_at=inc["occurred_at"].isoformat(),
               recorded_at=inc["recorded_at"].isoformat(), status="submitted")
    for name in ("late_entry_reason", "location", "involvement_source", "requester_role",
                 "reason", "would_call_911", "deescalation", "deescalation_notes",
                 "narrative"):
        row[name] = inc[name]
    for name, value in stu.items():
        if isinstance(value, list):
            row[name] = ";".join(value)
        elif isinstance(value, bool):
            row[name] = "1" if value else "0"
        else:
            row[name] = value
    return row


def stored() -> tuple[int, int, int, int, int]:
    return (Incident.objects.count(), Involvement.objects.count(),
            AuditEvent.objects.count(), Flag.objects.count(), Disclosure.objects.count())


def error_summary(response: Any) -> str:
    page = response.content.decode()
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "the form shows no error summary"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(0)))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_same_rule_same_message_in_web_api_and_import(w: World, case: Case) -> None:
    client = Client()
    client.force_login(w.users["sro"])
    before = stored()
    assert before[:2] == (0, 0)

    # (a) the web form
    response = client.post("/incidents/new/", web_data(w, case))
    assert response.status_code == 400, response.content.decode()[-3000:]
    assert case.message in error_summary(response)
    assert stored() == before

    # (b) the API
    response = client.post("/api/incidents", json.dumps(api_payload(w, case)),
                           content_type="application/json")
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert {"field": case.api_field, "message": case.message} in detail, detail
    assert stored() == before

    # (c) the import
    report = import_incidents(csv_bytes([csv_row(w, case)]), None)
    reasons = [(e.line, e.field, e.reason) for e in report.errors]
    assert (2, case.column, case.message) in reasons, reasons
    assert report.rejected == 1
    assert report.created == report.updated == 0
    assert stored() == before


def test_the_base_record_is_accepted_by_all_three(w: World) -> None:
    """The control: without the case's mistake the same record is stored by each channel,
    so the refusals above come from the rules and not from a malformed request."""
    ok = Case("valid", "", "", "", {}, {"actions": ["counselled"]})
    client = Client()
    client.force_login(w.users["sro"])
    response = client.post("/incidents/new/", web_data(w, ok))
    assert response.status_code == 302, response.content.decode()[-3000:]
    response = client.post("/api/incidents", json.dumps(api_payload(w, ok)),
                           content_type="application/json")
    assert response.status_code == 201, response.content
    report = import_incidents(csv_bytes([csv_row(w, ok)]), None)
    assert report.errors == []
    assert report.created == 1
    assert Incident.objects.filter(status=c.Status.SUBMITTED).count() == 3
    assert Involvement.objects.count() == 3
