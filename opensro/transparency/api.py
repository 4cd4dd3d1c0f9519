"""API endpoints of the transparency app (mounted under /api/transparency/).

Signed-in users (session or token) list and read the published snapshots; system
administrators publish. The public reads the same figures without signing in, on the
portal and as open-data files under /public/data/.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from opensro.core.context import request_context
from opensro.core.permissions import ADD, VIEW, can, restrict
from opensro.transparency import services
from opensro.transparency.models import Publication, PublicationRun

router = Router(tags=["transparency"])


class RunOut(Schema):
    id: int
    school_year: str
    published_at: datetime.datetime
    published_by: str
    min_cell_size: int
    scopes: list[str]
    summary: dict[str, Any]

    @staticmethod
    def resolve_school_year(obj: Any) -> str:
        return obj["school_year"] if isinstance(obj, dict) else obj.school_year.code

    @staticmethod
    def resolve_published_by(obj: Any) -> str:
        return obj["published_by"] if isinstance(obj, dict) else obj.published_by_label


class RunIn(Schema):
    school_year: str | None = None
    scopes: list[str] = []


class PublicationOut(Schema):
    id: int
    run: int
    school_year: str
    scope_kind: str
    scope_id: int
    scope_name: str
    published_at: datetime.datetime
    min_cell_size: int
    digest: str

    @staticmethod
    def resolve_school_year(obj: Any) -> str:
        return obj["school_year"] if isinstance(obj, dict) else obj.school_year.code

    @staticmethod
    def resolve_run(obj: Any) -> int:
        return int(obj["run"] if isinstance(obj, dict) else obj.run_id)


class PublicationDetail(PublicationOut):
    cells: list[dict[str, Any]]
    info: dict[str, Any]


def _run(run: PublicationRun) -> dict[str, Any]:
    return {"id": run.pk, "school_year": run.school_year.code,
            "published_at": run.published_at, "published_by": run.published_by_label,
            "min_cell_size": run.min_cell_size, "scopes": run.scopes, "summary": run.summary}


def _pub(pub: Publication, detail: bool = False) -> dict[str, Any]:
    out = {"id": pub.pk, "run": pub.run_id, "school_year": pub.school_year.code,
           "scope_kind": pub.scope_kind, "scope_id": pub.scope_id,
           "scope_name": pub.scope_name, "published_at": pub.published_at,
           "min_cell_size": pub.min_cell_size, "digest": pub.digest}
    if detail:
        out.update(cells=pub.cells, info=pub.info)
    return out


def _runs(request: HttpRequest) -> Any:
    if not can(request.user, VIEW, PublicationRun):
        raise PermissionDenied("Your role does not read the release log.")
    return restrict(PublicationRun.objects.select_related("school_year").defer("ledger"),
                    request.user, VIEW)


@router.get("/runs", response=list[RunOut])
@paginate(PageNumberPagination, page_size=50)
def list_runs(request: HttpRequest) -> Any:
    return _runs(request)


@router.get("/runs/{run_id}", response=RunOut)
def get_run(request: HttpRequest, run_id: int) -> Any:
    run = _runs(request).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return _run(run)


class Unchanged(Schema):
    detail: str


@router.post("/runs", response={201: RunOut, 200: Unchanged})
def create_run(request: HttpRequest, payload: RunIn) -> Any:
    """Publish now (system administrators): the same as ``opensro publish``. Answers
    200 without storing anything when no figure changed since the last release."""
    if not can(request.user, ADD, PublicationRun):
        raise PermissionDenied("Only a system administrator may publish the figures.")
    with request_context():
        run = services.publish(request.user, payload.school_year,  # type: ignore[arg-type]
                               payload.scopes)
    if run is None:
        return Status(200, {"detail": "No figure changed since the last release."})
    return Status(201, _run(run))


def _pubs(request: HttpRequest) -> Any:
    if not can(request.user, VIEW, Publication):
        raise PermissionDenied("Your account has no role.")
    return restrict(Publication.objects.select_related("school_year"), request.user, VIEW)


@router.get("/publications", response=list[PublicationOut])
@paginate(PageNumberPagination, page_size=50)
def list_publications(request: HttpRequest) -> Any:
    return _pubs(request).defer("cells", "info")


@router.get("/publications/{publication_id}", response=PublicationDetail)
def get_publication(request: HttpRequest, publication_id: int) -> Any:
    pub = _pubs(request).filter(pk=publication_id).first()
    if pub is None:
        raise Http404
    return _pub(pub, detail=True)
