"""Every write of the CRDC app, and the audited export (R-E2; architecture rules 2, 8).

- :func:`export` computes a district's CRDC counts for a school year. The counts are
  unsuppressed, so each export is checked against the user's grants, recorded in the
  audit trail (who, when, which district and year, which format) and logged as a
  disclosure of student-level information in aggregate (FERPA, R-D7).
- :func:`upload_sis_counts` checks a district's own counts file, compares it cell by
  cell with OpenSRO's counts and keeps the upload with its result. A file with any
  problem is refused whole: nothing is stored.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from opensro.core import audit
from opensro.core.audit import record_disclosure
from opensro.core.models import User
from opensro.crdc import counts, reconcile, selectors
from opensro.crdc.models import SisUpload
from opensro.directory.models import District, SchoolYear

FORMATS = ("csv", "json", "html")


def export(actor: User, district: District, year: SchoolYear, *, fmt: str = "csv",
           channel: str = "web") -> counts.CrdcExport:
    """The district's CRDC counts for ``year``, audited and logged as a disclosure."""
    if fmt not in FORMATS:
        raise ValidationError({"format": f"Choose one of: {', '.join(FORMATS)}."})
    selectors.district_for(actor, district.nces_id, selectors.EXPORT)
    result = counts.compute(district, year)
    with transaction.atomic():
        audit.record(
            actor, "crdc_export", None, object_type="crdc.Export",
            object_id=f"{district.nces_id}/{year.code}",
            object_repr=f"CRDC referrals and arrests: {district.name}, {year.code}",
            after={"district": district.nces_id, "school_year": year.code, "format": fmt,
                   "channel": channel, "schools": len(result.schools)},
        )
        record_disclosure(actor, None, selectors.DISCLOSED_FIELDS, channel=channel,
                          object_type="crdc.Export",
                          object_id=f"{district.nces_id}/{year.code} {fmt}",
                          purpose="CRDC export (unsuppressed)")
    return result


def upload_sis_counts(actor: User | None, district: District, year: SchoolYear, raw: bytes,
                      *, file_name: str = "", note: str = "", channel: str = "web"
                      ) -> SisUpload:
    """Check a district's counts file, compare it with OpenSRO's counts and keep both.

    Raises ``ValidationError({"file": [...]})`` with one message per problem (line,
    column, reason); the messages are also on the exception as ``row_errors``.
    """
    if actor is not None:
        selectors.district_for(actor, district.nces_id, selectors.RECONCILE)
    parsed = reconcile.parse(raw, district, year)
    if parsed.errors:
        exc = ValidationError({"file": [str(e) for e in parsed.errors]})
        exc.row_errors = parsed.errors  # type: ignore[attr-defined]
        raise exc
    ours = counts.compute(district, year).by_nces()
    upload = SisUpload(
        district=district, school_year=year, uploaded_by=actor,
        file_name=(file_name or "")[:200], file_sha256=hashlib.sha256(raw).hexdigest(),
        note=(note or "").strip(), columns=parsed.columns, sis_counts=parsed.values,
        opensro_counts={n: {c: ours[n].counts[c] for c in parsed.columns}
                        for n in parsed.values},
        school_names={n: ours[n].name if n in ours else "" for n in parsed.values},
        schools_missing=[n for n in ours if n not in parsed.values],
    )
    _summarise(upload)
    upload.full_clean()
    with transaction.atomic():
        upload.save()
        if actor is not None and not selectors.uploads_for(actor).filter(pk=upload.pk).exists():
            raise PermissionDenied("That upload would be outside your scope.")
        audit.record(actor, "create", upload, after=audit.snapshot(upload))
        if actor is not None:
            record_disclosure(actor, upload, selectors.DISCLOSED_FIELDS, channel=channel,
                              purpose="CRDC reconciliation")
    return upload


def _summarise(upload: SisUpload) -> None:
    compared = disagreeing = 0
    schools: set[str] = set()
    for cell in upload.cells():
        if cell.compared:
            compared += 1
        if not cell.agrees:
            disagreeing += 1
            schools.add(cell.school_nces_id)
    upload.cells_compared = compared
    upload.cells_disagreeing = disagreeing
    upload.schools_disagreeing = len(schools)


def summary(upload: SisUpload) -> dict[str, Any]:
    return {
        "cells_compared": upload.cells_compared,
        "cells_disagreeing": upload.cells_disagreeing,
        "schools_compared": len(upload.sis_counts),
        "schools_disagreeing": upload.schools_disagreeing,
        "schools_missing": list(upload.schools_missing),
    }
