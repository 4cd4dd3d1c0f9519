"""The counting rules of the CRDC export on small, hand-made cases (R-E2, R-D4, R-D5):
unduplicated students and instances, what never counts, the disability and
English-learner groups, students without an ID, changed attributes, schools, years and
the sex codes a year collects. Each case starts from conftest's empty world.
"""

from __future__ import annotations

import datetime

from conftest import World
from opensro.core.context import request_context
from opensro.crdc import counts
from opensro.crdc.tests.helpers import NY, log, student
from opensro.directory import services as ds


def _cells(world: World, school: str = "school_a1") -> dict[str, int]:
    export = counts.compute(world.district_a, world.year)
    values = export.by_nces()[world.objects[school].nces_id].counts
    return {k: v for k, v in values.items() if v}


def _at(day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2025, 10, day, hour, 0, tzinfo=NY)


def test_a_student_referred_three_times_counts_once(world: World) -> None:
    """Unduplicated students; instances count each referral (and arrest)."""
    log(world, "school_a1", [student("BL", "M", ("citation",), student_id="S-1")], when=_at(6))
    log(world, "school_a1", [student("BL", "M", ("court_referral",), student_id="S-1")],
        when=_at(7))
    log(world, "school_a1", [student("BL", "M", ("arrest", "detention"), student_id="S-1")],
        when=_at(8))
    assert _cells(world) == {
        "SCH_DISCWODIS_REF_BL_M": 1, "TOT_DISCWODIS_REF_M": 1, "SCH_REFINSTANCES_WODIS": 3,
        "SCH_DISCWODIS_ARR_BL_M": 1, "TOT_DISCWODIS_ARR_M": 1, "SCH_ARRINSTANCES_WODIS": 1,
    }


def test_drafts_victims_witnesses_and_non_referrals_never_count(world: World) -> None:
    log(world, "school_a1", [student("WH", "F", ("arrest", "detention"), student_id="D")],
        draft=True)
    log(world, "school_a1", [
        student("HI", "M", ("counselled",), student_id="SUBJ"),
        student("AS", "F", ("citation",), student_id="V", role="victim"),
        student("TR", "M", ("arrest", "detention"), student_id="W", role="witness"),
    ])
    # Self-initiated, counselled: no referral.
    assert _cells(world) == {}
    # Requested by school staff: the subject was reported to a law-enforcement official
    # (a referral); the victim still does not count.
    log(world, "school_a1", [
        student("HI", "M", ("counselled",), student_id="SUBJ2"),
        student("AS", "F", ("citation",), student_id="V2", role="victim"),
    ], source="staff")
    assert _cells(world) == {"SCH_DISCWODIS_REF_HI_M": 1, "TOT_DISCWODIS_REF_M": 1,
                             "SCH_REFINSTANCES_WODIS": 1}


def test_groups_idea_504_and_english_learners(world: World) -> None:
    log(world, "school_a1", [student("WH", "F", ("citation",), student_id="I", idea=True,
                                     el=True)])
    log(world, "school_a1", [student("AM", "M", ("arrest", "detention"), student_id="F",
                                     s504=True)])
    log(world, "school_a1", [student("HP", "F", ("citation",), student_id="E", el=True)])
    assert _cells(world) == {
        # IDEA, English learner, White female.
        "SCH_DISCWDIS_REF_IDEA_WH_F": 1, "TOT_DISCWDIS_REF_IDEA_F": 1,
        "SCH_DISCWDIS_REF_LEP_F": 1, "SCH_REFINSTANCES_IDEA": 1,
        # Section 504 only: counted with the students without IDEA, and in the 504 column.
        "SCH_DISCWODIS_REF_AM_M": 1, "TOT_DISCWODIS_REF_M": 1, "SCH_DISCWDIS_REF_504_M": 1,
        "SCH_DISCWODIS_ARR_AM_M": 1, "TOT_DISCWODIS_ARR_M": 1, "SCH_DISCWDIS_ARR_504_M": 1,
        "SCH_REFINSTANCES_504": 1, "SCH_ARRINSTANCES_WODIS": 1, "SCH_ARRINSTANCES_504": 1,
        # English learner without IDEA, Native Hawaiian female.
        "SCH_DISCWODIS_REF_HP_F": 1, "TOT_DISCWODIS_REF_F": 1, "SCH_DISCWODIS_REF_LEP_F": 1,
        "SCH_REFINSTANCES_WODIS": 2,
    }


def test_no_student_id_and_changed_attributes(world: World) -> None:
    """Records without an ID are separate students; a student recorded differently on two
    records is placed by the latest referral."""
    log(world, "school_a1", [student("BL", "F", ("citation",))], when=_at(6))
    log(world, "school_a1", [student("BL", "F", ("citation",))], when=_at(7))
    log(world, "school_a1", [student("WH", "M", ("citation",), student_id="K")], when=_at(9))
    log(world, "school_a1", [student("WH", "M", ("arrest", "detention"), student_id="K",
                                     idea=True)], when=_at(8))
    cells = _cells(world)
    assert cells["SCH_DISCWODIS_REF_BL_F"] == 2
    # K's latest referral (9 October) says no IDEA; the arrest (8 October) is K's too.
    assert cells["SCH_DISCWODIS_REF_WH_M"] == 1 and "SCH_DISCWDIS_REF_IDEA_WH_M" not in cells
    assert cells["SCH_DISCWODIS_ARR_WH_M"] == 1
    # Instances keep each record's own disability status.
    assert cells["SCH_ARRINSTANCES_IDEA"] == 1 and cells["SCH_REFINSTANCES_IDEA"] == 1
    assert cells["SCH_REFINSTANCES_WODIS"] == 3
    notes = counts.compute(world.district_a, world.year).notes
    assert notes.records_without_student_id == 2
    assert notes.students_with_differing_attributes == 1


def test_a_student_counts_at_each_school(world: World) -> None:
    log(world, "school_a1", [student("BL", "M", ("citation",), student_id="MOVER")])
    log(world, "school_a2", [student("BL", "M", ("citation",), student_id="MOVER")])
    assert _cells(world)["SCH_DISCWODIS_REF_BL_M"] == 1
    assert _cells(world, "school_a2")["SCH_DISCWODIS_REF_BL_M"] == 1


def test_other_years_and_districts_are_left_out(world: World) -> None:
    with request_context():
        ds.create_school_year(None, {"code": "2024-25", "start_date": datetime.date(2024, 8, 19),
                                     "end_date": datetime.date(2025, 6, 13)})
    log(world, "school_a1", [student("BL", "M", ("citation",), student_id="OLD")],
        when=datetime.datetime(2025, 3, 3, 10, 0, tzinfo=NY))
    log(world, "school_b1", [student("BL", "M", ("citation",), student_id="B")])
    assert _cells(world) == {}
    export = counts.compute(world.district_a, world.year)
    assert [s.nces_id for s in export.schools] == [world.school_a1.nces_id,
                                                   world.school_a2.nces_id]


def test_sex_codes_of_the_year(world: World) -> None:
    log(world, "school_a1", [student("TR", "X", ("citation",), student_id="NB")])
    cells = _cells(world)
    # A year that collects M and F only: in no sex column, but an instance.
    assert cells == {"SCH_REFINSTANCES_WODIS": 1}
    with request_context():
        ds.update_school_year(None, world.year, {"sex_codes": ["M", "F", "X"]})
    world.year.refresh_from_db()
    assert _cells(world) == {"SCH_DISCWODIS_REF_TR_X": 1, "TOT_DISCWODIS_REF_X": 1,
                             "SCH_REFINSTANCES_WODIS": 1}


