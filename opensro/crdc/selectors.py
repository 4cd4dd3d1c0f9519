"""Reads of the CRDC app, always scoped to the user (architecture rule 3).

Who may read unsuppressed CRDC counts is said once, on ``CrdcDistrict`` and
``SisUpload`` (``role_permissions``): district administrators for their district,
auditors and system administrators for every district. Everyone else is refused.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from opensro.core.audit import record_disclosure
from opensro.core.permissions import VIEW, can, restrict
from opensro.crdc.models import CrdcDistrict, SisUpload
from opensro.directory.models import District, SchoolYear

EXPORT, RECONCILE = "export", "reconcile"

#: What a disclosure of CRDC counts names (FERPA record of disclosure, R-D7).
DISCLOSED_FIELDS = ["unsuppressed counts of students referred to law enforcement and "
                    "arrested, by race, sex, disability and English-learner status"]


def districts_for(user: Any, action: str = EXPORT) -> QuerySet[CrdcDistrict]:
    """The districts whose CRDC counts ``user`` may export (or reconcile)."""
    return restrict(CrdcDistrict.objects.all(), user, action).order_by("name")


def may_export(user: Any) -> bool:
    return can(user, EXPORT, CrdcDistrict)


def may_reconcile(user: Any) -> bool:
    return can(user, RECONCILE, CrdcDistrict)


def district_for(user: Any, nces_id: str, action: str = EXPORT) -> District:
    """The district with LEA ID ``nces_id`` if ``user`` may ``action`` it: 404 for an
    unknown district, 403 for one outside the user's scope or role."""
    if not can(user, action, CrdcDistrict):
        raise PermissionDenied("Only district administrators, auditors and system "
                               "administrators read unsuppressed CRDC counts."
                               if action == EXPORT else
                               "Only district and system administrators upload a "
                               "district's counts.")
    district = District.objects.filter(nces_id=nces_id).first()
    if district is None:
        raise Http404(f"No district has the LEA ID {nces_id}.")
    if not districts_for(user, action).filter(pk=district.pk).exists():
        raise PermissionDenied(f"You may not read the CRDC counts of {district.name}."
                               if action == EXPORT else
                               f"You may not reconcile the counts of {district.name}.")
    return district


def year_by_code(code: str) -> SchoolYear:
    year = SchoolYear.objects.filter(code=code).first()
    if year is None:
        raise Http404(f"No school year {code}.")
    return year


def default_year(today: datetime.date | None = None) -> SchoolYear | None:
    """The latest school year that has ended (the one the CRDC asks about), else the
    latest that has begun, else any."""
    today = today or timezone.localdate()
    years = SchoolYear.objects.order_by("-start_date")
    return (years.filter(end_date__lt=today).first()
            or years.filter(start_date__lte=today).first() or years.first())


def uploads_for(user: Any) -> QuerySet[SisUpload]:
    return restrict(SisUpload.objects.all(), user, VIEW).select_related(
        "district", "school_year", "uploaded_by")


def upload_for(user: Any, pk: int, channel: str = "web") -> SisUpload:
    """One upload the user may see, its reading logged as a disclosure (the result shows
    OpenSRO's unsuppressed counts)."""
    upload = uploads_for(user).filter(pk=pk).first()
    if upload is None:
        if not can(user, VIEW, SisUpload):
            raise PermissionDenied("Only district administrators, auditors and system "
                                   "administrators read CRDC reconciliations.")
        raise Http404("No such upload in your scope.")
    record_disclosure(user, upload, DISCLOSED_FIELDS, channel=channel,
                      purpose="CRDC reconciliation result")
    return upload
