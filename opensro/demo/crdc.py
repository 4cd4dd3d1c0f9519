"""Demo data of the crdc app: Lakeview City Schools' upload of the CRDC counts from its
student information system for the latest complete school year, so that the
reconciliation page has something to show (R-E2).

The file is OpenSRO's own export for that year (student columns only; the SIS has no
instance counts) with a few planted disagreements, as a district would meet them:

- Lakeview High School: the SIS counts one more Black male student referred (a
  referral the SRO never recorded);
- Eastgate High School: the SIS counts one fewer female student arrested, in the
  race cell with the most such arrests (an arrest the school did not hear about);
- Lincoln Middle School: one male student referred is served under IDEA in OpenSRO's
  records but not in the SIS (the disability flag was out of date on the SRO's record);
- Lakeview Alternative Academy: the SIS counts two more female students served only
  under Section 504 among those referred.
"""

from __future__ import annotations

import csv
import datetime
import io
from typing import TYPE_CHECKING

from opensro.core.models import User
from opensro.crdc import counts, services
from opensro.directory.models import District, SchoolYear

if TYPE_CHECKING:
    from opensro.demo import DemoContext

#: The demo's "today" (the incident records run up to it).
DEMO_TODAY = datetime.date(2026, 11, 20)
LAKEVIEW = "3999901"


def latest_complete_year() -> SchoolYear:
    year = SchoolYear.objects.filter(end_date__lt=DEMO_TODAY).order_by("-end_date").first()
    if year is None:
        raise RuntimeError("the demo has no complete school year")
    return year


def _largest(values: dict[str, int], prefix: str, suffix: str) -> str:
    """The race cell (column name) with the largest count among ``prefix``{race}``suffix``."""
    names = [n for n in values if n.startswith(prefix) and n.endswith(suffix)
             and len(n) == len(prefix) + 2 + len(suffix)]
    return max(names, key=lambda n: (values[n], n))


def sis_file(district: District, year: SchoolYear) -> tuple[bytes, list[str]]:
    """The district's SIS counts file, and a description of each planted disagreement."""
    export = counts.compute(district, year)
    names = [c.name for c in export.columns if not c.instances]
    rows: dict[str, dict[str, int]] = {
        s.nces_id: {n: s.counts[n] for n in names} for s in export.schools}
    planted: list[str] = []
    lea = district.nces_id

    def change(school: str, column: str, by: int) -> None:
        rows[f"{lea}{school}"][column] = max(rows[f"{lea}{school}"][column] + by, 0)
        planted.append(f"{lea}{school} {column} {by:+d}")

    change("00001", "SCH_DISCWODIS_REF_BL_M", +1)
    change("00001", "TOT_DISCWODIS_REF_M", +1)
    cell = _largest(rows[f"{lea}00002"], "SCH_DISCWODIS_ARR_", "_F")
    if rows[f"{lea}00002"][cell] > 0:
        change("00002", cell, -1)
        change("00002", "TOT_DISCWODIS_ARR_F", -1)
    idea = _largest(rows[f"{lea}00004"], "SCH_DISCWDIS_REF_IDEA_", "_M")
    if rows[f"{lea}00004"][idea] > 0:
        race = idea.removeprefix("SCH_DISCWDIS_REF_IDEA_")[:2]
        change("00004", idea, -1)
        change("00004", "TOT_DISCWDIS_REF_IDEA_M", -1)
        change("00004", f"SCH_DISCWODIS_REF_{race}_M", +1)
        change("00004", "TOT_DISCWODIS_REF_M", +1)
    change("00014", "SCH_DISCWDIS_REF_504_F", +2)

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["LEAID", "SCHID", "SCH_NAME", "COMBOKEY", *names])
    for s in export.schools:
        writer.writerow([lea, s.schid, s.name, s.nces_id, *(rows[s.nces_id][n] for n in names)])
    return buffer.getvalue().encode(), planted


def build(ctx: DemoContext) -> None:
    lakeview = District.objects.get(nces_id=LAKEVIEW)
    year = latest_complete_year()
    raw, planted = sis_file(lakeview, year)
    admin = User.objects.filter(username="districtadmin").first()
    upload = services.upload_sis_counts(
        admin, lakeview, year, raw, file_name=f"lakeview-sis-crdc-{year.code}.csv",
        note="Student information system extract for the CRDC")
    ctx.data["crdc_upload"] = upload.pk
    ctx.data["crdc_planted"] = planted
