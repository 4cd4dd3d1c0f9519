"""The CRDC "Referrals and Arrests" columns, named as in the CRDC public-use school files
(R-E2; docs/crdc.md has the full mapping).

The names follow the school-level public-use files of the 2015-16 and 2017-18
collections (file "Referrals and Arrests" from 2017-18 on), which name every discipline
item the same way:

==========================================  =============================================
``SCH_DISCWODIS_{item}_{race}_{sex}``       students not served under IDEA, by race × sex
``TOT_DISCWODIS_{item}_{sex}``              students not served under IDEA, by sex
``SCH_DISCWODIS_{item}_LEP_{sex}``          … of them English learners, by sex
``SCH_DISCWDIS_{item}_IDEA_{race}_{sex}``   students served under IDEA, by race × sex
``TOT_DISCWDIS_{item}_IDEA_{sex}``          students served under IDEA, by sex
``SCH_DISCWDIS_{item}_LEP_{sex}``           … of them English learners, by sex
``SCH_DISCWDIS_{item}_504_{sex}``           students served only under Section 504, by sex
==========================================  =============================================

``item`` is ``REF`` (referral to law enforcement) or ``ARR`` (school-related arrest);
``race`` one of the seven CRDC codes HI, AM, AS, HP, BL, WH, TR; ``sex`` the codes the
school year collects (M and F; X where a year collects nonbinary, the suffix the
2021-22 files use). Every count is of unduplicated students.

Instances (each time a student was referred or arrested) are OpenSRO's addition, named
after the CRDC's instance counts of other items (``SCH_OOSINSTANCES_WODIS`` …):
``SCH_REFINSTANCES_{WODIS|IDEA|504}`` and ``SCH_ARRINSTANCES_{WODIS|IDEA|504}``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from opensro.core.choices import RACE_CODES, RaceEthnicity, Sex

#: The CRDC items: code -> label.
ITEMS: dict[str, str] = {
    "REF": "Referrals to law enforcement",
    "ARR": "School-related arrests",
}
#: Identifying columns, in the public files' order (LEA_STATE_NAME and JJ left out).
ID_COLUMNS: tuple[str, ...] = ("LEA_STATE", "LEAID", "LEA_NAME", "SCHID", "SCH_NAME",
                               "COMBOKEY")
#: Disability groups of the instance columns.
INSTANCE_GROUPS: dict[str, str] = {
    "WODIS": "not served under IDEA",
    "IDEA": "served under IDEA",
    "504": "served only under Section 504",
}
LAYOUT_NAME = "CRDC public-use school file, Referrals and Arrests (2015-16 / 2017-18 names)"

RACE_LABELS = {r.value: str(r.label) for r in RaceEthnicity}
SEX_LABELS = {s.value: str(s.label) for s in Sex}


@dataclass(frozen=True)
class Column:
    """One count column of the layout and what it counts.

    ``idea`` is True (served under IDEA), False (not served under IDEA) or None (any);
    ``race``, ``sex`` None for any; ``el`` True for English learners only; ``s504`` True
    for students served only under Section 504; ``instances`` counts instances instead
    of students.
    """

    name: str
    item: str
    label: str
    idea: bool | None = None
    race: str | None = None
    sex: str | None = None
    el: bool = False
    s504: bool = False
    instances: bool = False

    def counts(self, idea: bool, race: str, sex: str, el: bool, s504: bool) -> bool:
        """Whether a student (or, for an instance column, an instance) with these
        attributes is counted in this column. Section 504 only means not under IDEA."""
        if self.idea is not None and self.idea != idea:
            return False
        if self.s504 and not (s504 and not idea):
            return False
        if self.instances:
            return True
        return ((self.race is None or self.race == race) and self.sex == sex
                and (not self.el or el))


def columns(sex_codes: Sequence[str]) -> list[Column]:
    """The count columns for a school year that collects ``sex_codes``, in file order."""
    return list(_columns(tuple(s for s in ("M", "F", "X") if s in sex_codes)))


@functools.cache
def _columns(sexes: tuple[str, ...]) -> tuple[Column, ...]:
    out: list[Column] = []
    for item, item_label in ITEMS.items():
        for race in RACE_CODES:
            for sex in sexes:
                out.append(Column(f"SCH_DISCWODIS_{item}_{race}_{sex}", item,
                                  f"{item_label}: students without IDEA, {RACE_LABELS[race]}, "
                                  f"{SEX_LABELS[sex].lower()}", idea=False, race=race,
                                  sex=sex))
        for sex in sexes:
            out.append(Column(f"TOT_DISCWODIS_{item}_{sex}", item,
                              f"{item_label}: students without IDEA, {SEX_LABELS[sex].lower()}",
                              idea=False, sex=sex))
        for sex in sexes:
            out.append(Column(f"SCH_DISCWODIS_{item}_LEP_{sex}", item,
                              f"{item_label}: English learners without IDEA, "
                              f"{SEX_LABELS[sex].lower()}", idea=False, sex=sex, el=True))
        for race in RACE_CODES:
            for sex in sexes:
                out.append(Column(f"SCH_DISCWDIS_{item}_IDEA_{race}_{sex}", item,
                                  f"{item_label}: students with IDEA, {RACE_LABELS[race]}, "
                                  f"{SEX_LABELS[sex].lower()}", idea=True, race=race, sex=sex))
        for sex in sexes:
            out.append(Column(f"TOT_DISCWDIS_{item}_IDEA_{sex}", item,
                              f"{item_label}: students with IDEA, {SEX_LABELS[sex].lower()}",
                              idea=True, sex=sex))
        for sex in sexes:
            out.append(Column(f"SCH_DISCWDIS_{item}_LEP_{sex}", item,
                              f"{item_label}: English learners with IDEA, "
                              f"{SEX_LABELS[sex].lower()}", idea=True, sex=sex, el=True))
        for sex in sexes:
            out.append(Column(f"SCH_DISCWDIS_{item}_504_{sex}", item,
                              f"{item_label}: students served only under Section 504, "
                              f"{SEX_LABELS[sex].lower()}", idea=False, sex=sex, s504=True))
        for group, group_label in INSTANCE_GROUPS.items():
            out.append(Column(f"SCH_{item}INSTANCES_{group}", item,
                              f"{item_label}: instances, students {group_label}",
                              idea={"WODIS": False, "IDEA": True, "504": False}[group],
                              s504=group == "504", instances=True))
    return tuple(out)


def column_names(sex_codes: Sequence[str]) -> list[str]:
    return [c.name for c in columns(sex_codes)]


_ALL = {c.name: c for c in _columns(("M", "F", "X"))}
_SEX_SUFFIX = re.compile(r"_(M|F|X)$")


def label_of(name: str) -> str:
    """A column's plain-language label (the name itself for an unknown column)."""
    column = _ALL.get(name)
    return column.label if column else name


def known_in_some_year(name: str) -> bool:
    """Whether ``name`` is a count column of the layout for some set of sex codes."""
    return name in _ALL


def sex_of(name: str) -> str | None:
    match = _SEX_SUFFIX.search(name)
    return match.group(1) if match else None
