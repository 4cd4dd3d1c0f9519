"""What the public portal may show of the program's agreements (R-C3)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from opensro.program.choices import MouStatus
from opensro.program.models import Mou


def public_mous(*, agency_id: int | None = None, district_id: int | None = None,
                school_id: int | None = None) -> list[dict[str, Any]]:
    """The MOUs in force that are marked public, for the given scope (any filter may be
    None). Each item: agency, district (names), title, version, effective, expiry,
    last_review (date or None), document_url (public download or None)."""
    from opensro.program import selectors as sel

    day = timezone.localdate()
    qs = Mou.objects.filter(status=MouStatus.EXECUTED).select_related("agency", "district")
    if agency_id is not None:
        qs = qs.filter(agency_id=agency_id)
    if district_id is not None:
        qs = qs.filter(district_id=district_id)
    if school_id is not None:
        qs = qs.filter(district__schools__pk=school_id)
    # Every executed version of the pairs involved decides which one is in force.
    pairs = set(qs.values_list("agency_id", "district_id"))
    if not pairs:
        return []
    every = sel.with_reviews(Mou.objects.filter(
        status=MouStatus.EXECUTED, agency_id__in={a for a, _d in pairs},
        district_id__in={d for _a, d in pairs}).select_related("agency", "district"))
    items = []
    for (agency, district), state in sorted(sel.pair_states(every, day).items()):
        mou = state.in_force
        if mou is None or not mou.public or (agency, district) not in pairs:
            continue
        last = sel.last_review(mou)
        items.append({
            "agency": mou.agency.name,
            "district": mou.district.name,
            "title": mou.title,
            "version": mou.version,
            "effective": mou.effective_date,
            "expiry": mou.expiry_date,
            "last_review": last.review_date if last else None,
            "document_url": reverse("mou-public-document", args=[mou.pk])
            if mou.document_file else None,
        })
    return sorted(items, key=lambda i: (i["agency"], i["district"]))
