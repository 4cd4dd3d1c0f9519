"""Each flag kind of the program app is raised and cleared through the service layer, and
``opensro flags refresh`` recomputes the time-based ones (R-A3, R-A4, R-C1, R-C3)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from conftest import World
from opensro.core import flags
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.directory import services as ds
from opensro.directory.models import Agency
from opensro.program import services
from opensro.program.choices import (
    FLOATING_SRO,
    MOU_EXPIRED,
    MOU_MISSING_ELEMENT,
    MOU_NOT_IN_FORCE,
    MOU_REVIEW_OVERDUE,
    SCHOOL_WITHOUT_COVERAGE,
)
from opensro.program.models import add_months
from opensro.program.tests.helpers import TODAY, full_checklist, make_mou

D = datetime.date
DAY = datetime.timedelta(days=1)


def open_flags(kind: str, subject: object | None = None) -> list[Flag]:
    qs = Flag.objects.filter(kind=kind, status=FlagStatus.OPEN)
    if subject is not None:
        qs = qs.filter(subject_type=subject._meta.label, subject_id=str(subject.pk))  # type: ignore[attr-defined]
    return list(qs)


def flag_of(kind: str, subject: object) -> Flag:
    return Flag.objects.filter(kind=kind, subject_type=subject._meta.label,  # type: ignore[attr-defined]
                               subject_id=str(subject.pk)).latest("opened_at")  # type: ignore[attr-defined]


def test_kinds_are_registered_with_refreshers() -> None:
    registered = flags.kinds()
    for code in (MOU_MISSING_ELEMENT, MOU_REVIEW_OVERDUE, MOU_EXPIRED, MOU_NOT_IN_FORCE,
                 FLOATING_SRO, SCHOOL_WITHOUT_COVERAGE):
        assert code in registered
        assert registered[code].refresh is not None
        assert registered[code].subject_url is not None


# --------------------------------------------------------------------------- missing element


def test_missing_required_element_raised_on_execution(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, checklist=False, executed=False)
    services.set_checklist(None, mou, full_checklist(leave_out=("cops_no_discipline",)))
    assert not open_flags(MOU_MISSING_ELEMENT, mou)  # a draft raises nothing
    mou = services.update_mou(None, mou, {"status": "executed"})
    (flag,) = open_flags(MOU_MISSING_ELEMENT, mou)
    assert flag.evidence["missing"] == ["cops_no_discipline"]
    assert (flag.agency_id, flag.district_id) == (w.agency_a.pk, w.district_a.pk)
    assert flags.subject_url(flag) == f"/program/mous/{mou.pk}/"


def test_missing_required_element_cleared_by_the_checklist(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, checklist=False)
    services.set_checklist(None, mou, full_checklist(leave_out=("cops_feedback",)))
    assert open_flags(MOU_MISSING_ELEMENT, mou)
    services.set_checklist(w.users["district_admin"], mou, [
        {"element": "cops_feedback", "present": True, "section": "§8"}])
    assert not open_flags(MOU_MISSING_ELEMENT, mou)
    flag = flag_of(MOU_MISSING_ELEMENT, mou)
    assert flag.status == FlagStatus.CLEARED
    assert flag.decision_reason == "The MOU now contains every required element."
    assert AuditEvent.objects.filter(action="clear_flag", object_id=str(flag.pk),
                                     actor=w.users["district_admin"]).exists()


def test_a_new_required_catalog_element_raises_and_retiring_it_clears(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a)
    assert not open_flags(MOU_MISSING_ELEMENT, mou)
    admin = w.users["system_admin"]
    element = services.create_element(admin, {
        "code": "state_reporting", "label": "State reporting", "source": "local",
        "required": True})
    (flag,) = open_flags(MOU_MISSING_ELEMENT, mou)
    assert flag.evidence["missing"] == ["state_reporting"]
    services.update_element(admin, element, {"active": False})
    assert not open_flags(MOU_MISSING_ELEMENT, mou)


# --------------------------------------------------------------------------- review overdue


def test_review_overdue_raised_and_cleared_by_recording_the_review(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 400 * DAY)
    (flag,) = open_flags(MOU_REVIEW_OVERDUE, mou)
    assert flag.evidence["due"] == add_months(TODAY - 400 * DAY, 12).isoformat()
    assert flag.evidence["last_review"] is None
    review = services.record_review(w.users["agency_admin"], mou, {
        "review_date": TODAY - DAY, "attendees": "Chief; superintendent",
        "minutes": "Reviewed."})
    assert review.next_review_due == add_months(TODAY - DAY, 12)
    assert not open_flags(MOU_REVIEW_OVERDUE, mou)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLEARED
    assert f"Reviewed on {(TODAY - DAY).isoformat()}" in flag.decision_reason


def test_review_overdue_raised_by_the_refresh_when_the_date_passes(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 100 * DAY)
    services.record_review(None, mou, {"review_date": TODAY - 10 * DAY, "attendees": "A",
                                       "minutes": "M", "next_review_due": TODAY + 20 * DAY})
    assert services.refresh_mou_flags(TODAY, kinds={MOU_REVIEW_OVERDUE}).raised == 0
    result = services.refresh_mou_flags(TODAY + 21 * DAY, kinds={MOU_REVIEW_OVERDUE})
    assert result.raised == 1
    assert open_flags(MOU_REVIEW_OVERDUE, mou)


def test_a_replaced_version_has_no_overdue_review(w: World) -> None:
    old = make_mou(w.agency_a, w.district_a, effective=TODAY - 800 * DAY)
    assert open_flags(MOU_REVIEW_OVERDUE, old)
    new = make_mou(w.agency_a, w.district_a, effective=TODAY - 10 * DAY)
    assert not open_flags(MOU_REVIEW_OVERDUE, old)
    assert flag_of(MOU_REVIEW_OVERDUE, old).decision_reason == "The MOU is no longer in force."
    assert not open_flags(MOU_REVIEW_OVERDUE, new)


# --------------------------------------------------------------------------- expired


def test_expired_raised_and_cleared_by_extending(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 300 * DAY,
                   expiry=TODAY + 5 * DAY)
    assert not open_flags(MOU_EXPIRED, mou)
    services.record_review(None, mou, {"review_date": TODAY, "attendees": "A",
                                       "minutes": "M"})
    assert services.refresh_mou_flags(TODAY + 6 * DAY, kinds={MOU_EXPIRED}).raised == 1
    (flag,) = open_flags(MOU_EXPIRED, mou)
    assert flag.evidence == {"expiry_date": (TODAY + 5 * DAY).isoformat()}
    services.update_mou(w.users["agency_admin"], mou, {"expiry_date": TODAY + 400 * DAY})
    # The write re-evaluates as of today; the refresh as of the later day agrees.
    assert not open_flags(MOU_EXPIRED, mou)
    assert services.refresh_mou_flags(TODAY + 6 * DAY, kinds={MOU_EXPIRED}).raised == 0


def test_expired_cleared_by_a_new_executed_version(w: World) -> None:
    old = make_mou(w.agency_a, w.district_a, effective=TODAY - 700 * DAY,
                   expiry=TODAY - DAY)
    assert open_flags(MOU_EXPIRED, old)
    draft = make_mou(w.agency_a, w.district_a, effective=TODAY + 30 * DAY, executed=False)
    assert open_flags(MOU_EXPIRED, old)  # a draft renewal does not count
    services.update_mou(w.users["district_admin"], draft, {"status": "executed"})
    assert not open_flags(MOU_EXPIRED, old)


# --------------------------------------------------------------------------- not in force


def test_not_in_force_raised_for_a_served_pair_and_cleared_on_execution(w: World) -> None:
    through = Agency.districts_served.through.objects.get(agency=w.agency_a,
                                                         district=w.district_a)
    result = services.refresh_mou_flags(TODAY, kinds={MOU_NOT_IN_FORCE})
    assert result.raised == 2  # both counties' pairs have no MOU yet
    (flag,) = open_flags(MOU_NOT_IN_FORCE, through)
    assert flags.subject_url(flag) == (
        f"/program/mous/?agency={w.agency_a.pk}&district={w.district_a.pk}")
    draft = make_mou(w.agency_a, w.district_a, executed=False)
    assert open_flags(MOU_NOT_IN_FORCE, through)
    services.update_mou(w.users["agency_admin"], draft, {"status": "executed"})
    assert not open_flags(MOU_NOT_IN_FORCE, through)
    assert flag_of(MOU_NOT_IN_FORCE, through).decision_reason.endswith("is in force.")


def test_not_in_force_cleared_when_the_agency_stops_serving(w: World) -> None:
    services.refresh_mou_flags(TODAY, kinds={MOU_NOT_IN_FORCE})
    through = Agency.districts_served.through.objects.get(agency=w.agency_b,
                                                         district=w.district_b)
    assert open_flags(MOU_NOT_IN_FORCE, through)
    # End county B's assignments, then the agency no longer serves the district.
    for name in ("assignment_b1", "assignment_b2"):
        ds.end_assignment(None, w.objects[name], TODAY - DAY)
    w.agency_b.districts_served.remove(w.district_b)
    result = services.refresh_mou_flags(TODAY, kinds={MOU_NOT_IN_FORCE})
    assert result.cleared == 1
    assert not open_flags(MOU_NOT_IN_FORCE, through)


# --------------------------------------------------------------------------- staffing


def _third_school(w: World) -> object:
    return ds.create_school(None, {"district": w.district_a, "name": "School A3",
                                   "nces_id": "399999100003", "level": "elementary",
                                   "lowest_grade": "KG", "highest_grade": "05"})


def test_floating_sro_raised_and_cleared(w: World) -> None:
    a3 = _third_school(w)
    officer = w.officer_a  # primary at School A1 since 2024
    extra = [ds.create_assignment(None, {"officer": officer, "school": school,
                                         "start_date": TODAY - 10 * DAY, "primary": False})
             for school in (w.school_a2, a3)]
    assert services.refresh_floating(TODAY).raised == 1
    (flag,) = open_flags(FLOATING_SRO, officer)
    assert flag.evidence["limit"] == 2
    assert sorted(flag.evidence["schools"]) == sorted([w.school_a1.pk, w.school_a2.pk, a3.pk])
    assert (flag.agency_id, flag.district_id, flag.officer_id) == (
        w.agency_a.pk, w.district_a.pk, officer.pk)
    assert services.refresh_floating(TODAY).raised == 0  # already open: no new flag
    ds.end_assignment(None, extra[1], TODAY - DAY)
    assert services.refresh_floating(TODAY).cleared == 1
    assert not open_flags(FLOATING_SRO, officer)


def test_floating_limit_is_a_setting(w: World, settings: object) -> None:
    ds.create_assignment(None, {"officer": w.officer_a, "school": w.school_a2,
                                "start_date": TODAY - 10 * DAY, "primary": False})
    assert services.refresh_floating(TODAY).raised == 0
    settings.OPENSRO = {**settings.OPENSRO, "FLOATING_SRO_MAX_SCHOOLS": 1}  # type: ignore[attr-defined]
    assert services.refresh_floating(TODAY).raised == 1


def test_school_without_coverage_raised_and_cleared(w: World) -> None:
    assert services.refresh_coverage(TODAY).raised == 0  # every school has an SRO
    ds.end_assignment(None, w.assignment_a2, TODAY - DAY)
    assert services.refresh_coverage(TODAY).raised == 1
    (flag,) = open_flags(SCHOOL_WITHOUT_COVERAGE, w.school_a2)
    assert (flag.school_id, flag.district_id, flag.agency_id) == (
        w.school_a2.pk, w.district_a.pk, w.agency_a.pk)
    assert flag.evidence == {"last_assignment_end": (TODAY - DAY).isoformat()}
    assert flags.subject_url(flag) == f"/directory/schools/{w.school_a2.pk}/"
    ds.create_assignment(None, {"officer": w.peer_a, "school": w.school_a2,
                                "start_date": TODAY})
    assert services.refresh_coverage(TODAY).cleared == 1
    assert not open_flags(SCHOOL_WITHOUT_COVERAGE, w.school_a2)


def test_a_school_in_a_district_no_agency_serves_is_not_flagged(w: World) -> None:
    from opensro.directory.models import District

    lone = ds.create_district(None, {"name": "District C", "nces_id": "3999993",
                                     "state": "OH"})
    ds.create_school(None, {"district": District.objects.get(pk=lone.pk), "name": "C1",
                            "nces_id": "399999300001", "level": "high",
                            "lowest_grade": "09", "highest_grade": "12"})
    assert services.refresh_coverage(TODAY).raised == 0


# --------------------------------------------------------------------------- the command


def test_flags_refresh_command_recomputes_every_program_kind(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 300 * DAY,
                   expiry=TODAY + 1000 * DAY)
    review = services.record_review(None, mou, {"review_date": TODAY - 200 * DAY,
                                                "attendees": "A", "minutes": "M"})
    due = review.next_review_due  # 165 days from now
    ds.end_assignment(None, w.assignment_a2, TODAY - DAY)
    assert not open_flags(MOU_REVIEW_OVERDUE)
    later = (due + DAY).isoformat()
    out = io.StringIO()
    call_command("flags", "refresh", "--date", later, stdout=out)
    text = out.getvalue()
    assert "mou_review_overdue: 1 raised, 0 cleared" in text
    assert "mou_not_in_force: 1 raised, 0 cleared" in text  # county B has no MOU
    assert "school_without_coverage: 1 raised, 0 cleared" in text
    assert "floating_sro: 0 raised, 0 cleared" in text
    assert open_flags(MOU_REVIEW_OVERDUE, mou)
    assert open_flags(SCHOOL_WITHOUT_COVERAGE, w.school_a2)
    # Run again: nothing new; only one kind.
    out = io.StringIO()
    call_command("flags", "refresh", "--date", later, "--kind", MOU_REVIEW_OVERDUE,
                 stdout=out)
    assert out.getvalue().splitlines() == [f"{MOU_REVIEW_OVERDUE}: 0 raised, 0 cleared",
                                           "Refreshed 1 kind(s) of flag."]
    # As of the day the review falls due the flag does not hold: the refresh clears it.
    out = io.StringIO()
    call_command("flags", "refresh", "--date", due.isoformat(), "--kind",
                 MOU_REVIEW_OVERDUE, stdout=out)
    assert f"{MOU_REVIEW_OVERDUE}: 0 raised, 1 cleared" in out.getvalue()


@pytest.mark.parametrize("kind", [MOU_MISSING_ELEMENT, FLOATING_SRO])
def test_flags_kinds_lists_the_program_kinds(kind: str) -> None:
    out = io.StringIO()
    call_command("flags", "kinds", stdout=out)
    assert f"{kind}\t" in out.getvalue()
    assert "(time-based)" in out.getvalue()
