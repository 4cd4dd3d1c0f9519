"""Shared test helpers of the program app: PDFs, MOUs written through the services."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from conftest import World
from opensro.program import services
from opensro.program.catalog import COPS, NASRO
from opensro.program.documents import minimal_pdf
from opensro.program.models import Mou

TODAY = datetime.date.today()


def pdf(text: str = "Signed MOU") -> bytes:
    return minimal_pdf([text, "Section 1. Mission."])


def full_checklist(*, leave_out: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    rows = [{"element": code, "present": True, "section": f"§{n}"}
            for n, (code, _l, _d) in enumerate(COPS + NASRO, start=1) if code not in leave_out]
    return rows


def make_mou(agency: Any, district: Any, *, effective: datetime.date | None = None,
             expiry: datetime.date | None = None, version: int | None = None,
             public: bool = False, checklist: bool = True, executed: bool = True,
             title: str = "SRO program MOU") -> Mou:
    """An MOU drafted with its PDF and (by default) a full checklist, then executed."""
    effective = effective or TODAY - datetime.timedelta(days=100)
    mou = services.create_mou(None, {
        "agency": agency, "district": district, "title": title, "version": version,
        "status": "draft", "effective_date": effective, "expiry_date": expiry,
    }, pdf(title))
    if checklist:
        services.set_checklist(None, mou, full_checklist())
    if executed:
        mou = services.update_mou(None, mou, {"status": "executed", "public": public})
    return mou


def media_root(tmp_path_factory: Any) -> Iterator[str]:
    path = tmp_path_factory.mktemp("media")
    yield str(path)


def add_mous(world: World) -> None:
    """County A and county B each get an executed MOU with a review and a complete
    checklist (no flags open)."""
    o = world.objects
    for tag in ("a", "b"):
        mou = make_mou(o[f"agency_{tag}"], o[f"district_{tag}"])
        o[f"mou_{tag}"] = mou
        o[f"review_{tag}"] = services.record_review(None, mou, {
            "review_date": TODAY - datetime.timedelta(days=30),
            "attendees": f"Attendees {tag}", "minutes": f"Minutes {tag}"})
