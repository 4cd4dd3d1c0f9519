"""Models of the CRDC app: who may report a district's CRDC counts, and the district's
uploads of its student information system's counts with their reconciliation (R-E2).

The export itself is computed on demand from the incident records (``counts.py``); it
is not stored. What is stored is each upload of the district's own counts, with the
OpenSRO counts it was compared with at the time, so that the district can come back to
the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opensro.core.audit import audited
from opensro.core.choices import Role
from opensro.core.models import ScopedModel
from opensro.directory.models import District

R = Role
#: Roles that read unsuppressed CRDC counts (R-E2): the district's administrators for
#: their district; auditors and system administrators for every district.
CRDC_READERS = (R.DISTRICT_ADMIN, R.AUDITOR, R.SYSTEM_ADMIN)
#: Roles that upload a district's own counts for reconciliation.
CRDC_RECONCILERS = (R.DISTRICT_ADMIN, R.SYSTEM_ADMIN)


class CrdcDistrict(District):
    """A district as the CRDC reporting unit (a proxy: no table of its own).

    It carries the CRDC permissions, so that ``restrict(CrdcDistrict.objects.all(),
    user, "export")`` gives the districts whose unsuppressed counts a user may export.
    """

    scope_paths: ClassVar[dict[str, str]] = {"district": "pk"}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": CRDC_READERS,
        "export": CRDC_READERS,
        "reconcile": CRDC_RECONCILERS,
    }

    class Meta:
        proxy = True
        verbose_name = "district (CRDC reporting)"
        verbose_name_plural = "districts (CRDC reporting)"


@dataclass(frozen=True)
class Cell:
    """One compared cell: a school, a CRDC column, the district's value and OpenSRO's."""

    school_nces_id: str
    school_name: str
    column: str
    label: str
    sis: int | None
    opensro: int

    @property
    def compared(self) -> bool:
        return self.sis is not None

    @property
    def difference(self) -> int | None:
        """The district's count minus OpenSRO's (None where the upload left it empty)."""
        return None if self.sis is None else self.sis - self.opensro

    @property
    def agrees(self) -> bool:
        return self.sis is None or self.sis == self.opensro


@audited
class SisUpload(ScopedModel):
    """One upload of a district's CRDC counts from its student information system, kept
    with the OpenSRO counts it was compared with (R-E2). Uploads are never changed: a
    corrected file is a new upload."""

    district = models.ForeignKey("directory.District", on_delete=models.PROTECT,
                                 related_name="+")
    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    note = models.CharField(max_length=300, blank=True,
                            help_text=_("What this file is, e.g. “SIS extract of 3 March”."))
    #: The count columns the file had, in the file's order.
    columns = models.JSONField(default=list, blank=True)
    #: {NCES school ID: {column: count or None for an empty cell}} as uploaded.
    sis_counts = models.JSONField(default=dict, blank=True)
    #: {NCES school ID: {column: count}}: OpenSRO's counts at the time of the upload.
    opensro_counts = models.JSONField(default=dict, blank=True)
    #: {NCES school ID: school name} at the time of the upload.
    school_names = models.JSONField(default=dict, blank=True)
    #: District schools the file did not include.
    schools_missing = models.JSONField(default=list, blank=True)
    cells_compared = models.PositiveIntegerField(default=0)
    cells_disagreeing = models.PositiveIntegerField(default=0)
    schools_disagreeing = models.PositiveIntegerField(default=0)

    scope_paths: ClassVar[dict[str, str]] = {"district": "district"}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": CRDC_READERS,
        "add": CRDC_RECONCILERS,
    }
    #: OpenSRO's counts are derived from the audited incident records; the audit event
    #: keeps what the district uploaded.
    audit_exclude: ClassVar[tuple[str, ...]] = ("opensro_counts", "updated_at")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "SIS upload"
        indexes = [models.Index(fields=["district", "school_year"], name="sisupload_district_year")]

    def __str__(self) -> str:
        when = self.created_at.date().isoformat() if self.created_at else "new"
        district = self.district.name if self.district_id else "?"
        year = self.school_year.code if self.school_year_id else "?"
        return f"SIS counts for {district} {year} ({when})"

    @property
    def agrees(self) -> bool:
        return self.cells_disagreeing == 0

    def cells(self, only_disagreements: bool = False) -> Iterator[Cell]:
        """Every compared cell, school by school in the file's order, column by column."""
        for nces_id in self.sis_counts:
            for cell in self.cells_of(nces_id):
                if not (only_disagreements and cell.agrees):
                    yield cell

    def school_summary(self) -> list[dict[str, Any]]:
        """Per school: cells compared and disagreeing."""
        rows = []
        for nces_id in self.sis_counts:
            cells = list(self.cells_of(nces_id))
            rows.append({
                "school_nces_id": nces_id,
                "school_name": self.school_names.get(nces_id, ""),
                "cells_compared": sum(1 for c in cells if c.compared),
                "cells_disagreeing": sum(1 for c in cells if not c.agrees),
            })
        return rows

    def cells_of(self, nces_id: str) -> Iterator[Cell]:
        """The cells of one school, in the file's column order."""
        from opensro.crdc.layout import label_of

        values = self.sis_counts.get(nces_id, {})
        ours = self.opensro_counts.get(nces_id, {})
        for column in self.columns:
            yield Cell(nces_id, self.school_names.get(nces_id, ""), column, label_of(column),
                       values.get(column), int(ours.get(column, 0)))
