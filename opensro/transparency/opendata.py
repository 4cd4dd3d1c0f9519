"""Open-data files: one CSV and one JSON per scope and school year, and their data
dictionary (R-E3; docs/open-data.md). Built only from a published snapshot.

A suppressed count is an empty CSV field (null in JSON) with ``suppressed`` true and its
reason in ``status``; a rate or ratio built from a suppressed count is empty too. The
files hold counts, rates and ratios only: no identifiers, no narratives.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from opensro.transparency import labels
from opensro.transparency.models import Publication

SCHEMA_VERSION = "1.0"


def fields() -> list[dict[str, Any]]:
    """The columns of the open-data files (a Frictionless Table Schema field list)."""
    dims = list(labels.DIMENSION_CODES)
    groups = sorted({g for d in labels.DIMENSIONS.values() for g, _l in d[1]}
                    | {k for k, _l in labels.ACTIVITY_KINDS} | {"total", "unknown"})
    return [
        {"name": "school_year", "type": "string",
         "description": _("School year, like 2025-26.")},
        {"name": "scope_kind", "type": "string",
         "constraints": {"enum": ["agency", "district", "school"]},
         "description": _("What the figures cover: an agency's SRO program (the schools of "
                          "the districts it serves), a school district, or one school.")},
        {"name": "scope_id", "type": "integer",
         "description": _("OpenSRO's number for the agency, district or school (stable "
                          "across releases; also in the page address).")},
        {"name": "scope_name", "type": "string",
         "description": _("Name of the agency, district or school.")},
        {"name": "table", "type": "string",
         "constraints": {"enum": ["summary", *dims, labels.ACTIVITIES]},
         "description": _("summary: the year's totals; race, sex, disability, "
                          "english_learner: the same counts by student group; activities: "
                          "triad and prevention activities by kind.")},
        {"name": "measure", "type": "string",
         "constraints": {"enum": [*labels.MEASURE_CODES, labels.FLAGS, labels.ACTIVITIES]},
         "description": _("What is counted: contact (students involved in an SRO "
                          "response), referral (referrals to law enforcement), citation, "
                          "arrest (school-related arrests), search, use_of_force, restraint "
                          "(each a count of student involvements); discipline_flags "
                          "(records flagged as possible SRO involvement in school "
                          "discipline); activities (triad and prevention activities).")},
        {"name": "group", "type": "string", "constraints": {"enum": groups},
         "description": _("Student group (CRDC codes: HI, AM, AS, HP, BL, WH, TR; M, F, X; "
                          "IDEA, 504, none; EL, non_EL), kind of activity, or total. "
                          "'unknown' holds records without that attribute.")},
        {"name": "count", "type": "integer",
         "description": _("The count. Empty when suppressed.")},
        {"name": "suppressed", "type": "boolean",
         "description": _("true when the count is withheld to protect students' privacy.")},
        {"name": "status", "type": "string",
         "constraints": {"enum": ["published", "suppressed"]},
         "description": _("published, or suppressed: the count is from 1 to the minimum "
                          "cell size minus one, or it is withheld so that such a count "
                          "cannot be worked out by subtraction (which of the two is not "
                          "said, since that would tell which counts are small).")},
        {"name": "rate", "type": "number",
         "description": _("Count per rate_per of rate_base. Empty when the count or its "
                          "base is suppressed, or the base is smaller than the minimum.")},
        {"name": "rate_per", "type": "integer", "description": _("1000 or 100.")},
        {"name": "rate_base", "type": "string",
         "constraints": {"enum": ["enrollment", "contact"]},
         "description": _("enrollment: students enrolled in the group; contact: SRO "
                          "contacts of the group.")},
        {"name": "ratio", "type": "number",
         "description": _("The group's rate divided by the reference group's rate.")},
        {"name": "ratio_ci_low", "type": "number",
         "description": _("Lower end of the ratio's confidence interval (95%).")},
        {"name": "ratio_ci_high", "type": "number",
         "description": _("Upper end of the ratio's confidence interval (95%).")},
        {"name": "ratio_significant", "type": "boolean",
         "description": _("true when the ratio differs from 1 after controlling the false "
                          "discovery rate (Benjamini–Hochberg, 5%) across the table's "
                          "ratios; empty when there is no ratio.")},
        {"name": "reference_group", "type": "string",
         "description": _("The group the ratio compares with (WH, F, none, non_EL).")},
        {"name": "published_at", "type": "datetime",
         "description": _("When this release was published (UTC).")},
        {"name": "min_cell_size", "type": "integer",
         "description": _("Counts from 1 to this number minus one are suppressed.")},
    ]


FIELD_NAMES = [f["name"] for f in fields()]


def schema() -> dict[str, Any]:
    """The machine-readable data dictionary (Frictionless Table Schema)."""
    return {
        "name": "opensro-public-figures",
        "version": SCHEMA_VERSION,
        "title": _("OpenSRO public figures"),
        "description": _("Counts of SRO contacts and their outcomes by student group, with "
                         "rates, ratios, discipline-involvement flags and triad "
                         "activities, for one scope and school year."),
        "missingValues": [""],
        "primaryKey": ["school_year", "scope_kind", "scope_id", "table", "measure", "group"],
        "fields": fields(),
    }


def records(pub: Publication) -> list[dict[str, Any]]:
    """The file rows of one publication, in the dictionary's column order."""
    out = []
    published = pub.published_at.isoformat().replace("+00:00", "Z")
    for c in pub.cells:
        out.append({
            "school_year": pub.info.get("year", ""),
            "scope_kind": pub.scope_kind,
            "scope_id": pub.scope_id,
            "scope_name": pub.scope_name,
            "table": c["table"],
            "measure": c["measure"],
            "group": c["group"],
            "count": c.get("count"),
            "suppressed": c["status"] != "published",
            "status": c["status"],
            "rate": c.get("rate"),
            "rate_per": c.get("rate_per"),
            "rate_base": c.get("rate_base"),
            "ratio": c.get("ratio"),
            "ratio_ci_low": c.get("ratio_ci_low"),
            "ratio_ci_high": c.get("ratio_ci_high"),
            "ratio_significant": c.get("ratio_significant"),
            "reference_group": c.get("ratio_reference"),
            "published_at": published,
            "min_cell_size": pub.min_cell_size,
        })
    return out


def to_csv(pub: Publication) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELD_NAMES, lineterminator="\n")
    writer.writeheader()
    for row in records(pub):
        writer.writerow({k: ("" if v is None else ("true" if v is True else
                                                     "false" if v is False else v))
                         for k, v in row.items()})
    return buffer.getvalue()


def to_json(pub: Publication, dictionary_url: str) -> dict[str, Any]:
    info = pub.info
    return {
        "school_year": info.get("year"),
        "scope": info.get("scope"),
        "published_at": pub.published_at.isoformat().replace("+00:00", "Z"),
        "min_cell_size": pub.min_cell_size,
        "suppression": info.get("suppression"),
        "notes": [
            _("Counts from 1 to %(n)s are suppressed, and so is every rate or ratio built "
              "from them.") % {"n": pub.min_cell_size - 1},
            _("Further counts are suppressed so that no suppressed count can be worked out "
              "by subtraction from totals, other tables or earlier releases of the year."),
            _("Zero counts are shown."),
        ],
        "dictionary": dictionary_url,
        "records": records(pub),
    }
