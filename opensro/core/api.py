"""Who am I: the caller's account and grants; the flags in the caller's scope, with
their evidence, and the decision on one (R-F1)."""

import datetime
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from opensro.core import flags
from opensro.core.flag_views import flags_for
from opensro.core.models import Flag, FlagStatus
from opensro.core.permissions import VIEW, can, grants

router = Router(tags=["account"])


class GrantOut(Schema):
    role: str
    scope_kind: str
    scope_id: int | None
    student_identity: bool


class MeOut(Schema):
    username: str
    name: str
    grants: list[GrantOut]


@router.get("/me", response=MeOut, summary="The signed-in account and its role grants")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        username=user.get_username(),
        name=user.get_full_name(),  # type: ignore[union-attr]
        grants=[GrantOut(role=s.role, scope_kind=s.kind, scope_id=s.target_id,
                         student_identity=s.identity) for s in grants(user)],
    )


# --------------------------------------------------------------------------- flags


class ShapedPage:
    """A queryset for ninja's paginator that shapes only the rows of the page asked for
    (``shape`` turns one object into the response's dict)."""

    def __init__(self, qs: Any, shape: Callable[[Any], dict[str, Any]]) -> None:
        self.qs, self.shape = qs, shape

    def __len__(self) -> int:
        return int(self.qs.count())

    def count(self) -> int:
        return int(self.qs.count())

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [self.shape(obj) for obj in self.qs[item]]


class FlagOut(Schema):
    """A flag in the caller's scope (never public: R-F1)."""

    id: int
    kind: str
    kind_label: str
    title: str
    status: str
    subject_type: str
    subject_id: str
    subject_url: str | None
    agency_id: int | None
    district_id: int | None
    school_id: int | None
    officer_id: int | None
    opened_at: datetime.datetime
    decided_at: datetime.datetime | None
    decided_by: str | None
    action_taken: str
    decision_reason: str


class FlagDetailOut(FlagOut):
    evidence: dict[str, Any]


class FlagFilter(FilterSchema):
    status: str | None = Field(None, description="open (default), agreed, dismissed, "
                                                 "cleared, or any")
    kind: str | None = None
    school_id: int | None = None
    officer_id: int | None = None


class DecisionIn(Schema):
    agree: bool = Field(description="true: agree (action_taken required); false: dismiss")
    action_taken: str = Field("", description="What was done (coaching, training, "
                                              "reassignment…); required to agree")
    decision_reason: str = Field("", description="Why; always required")


def _flag_out(flag: Flag) -> dict[str, Any]:
    return {
        **{name: getattr(flag, name) for name in (
            "id", "kind", "title", "status", "subject_type", "subject_id", "agency_id",
            "district_id", "school_id", "officer_id", "opened_at", "decided_at",
            "action_taken", "decision_reason")},
        "kind_label": flags.kind_label(flag.kind),
        "subject_url": flags.subject_url(flag),
        "decided_by": flag.decided_by.get_username() if flag.decided_by else None,
    }


def _flag(request: HttpRequest, flag_id: int) -> Flag:
    flag = flags_for(request.user).filter(pk=flag_id).first()
    if flag is None:
        raise Http404(f"No flag {flag_id} in your scope.")
    return flag


@router.get("/flags", response=list[FlagOut], tags=["flags"], summary="List flags",
            operation_id="list_flags")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_flags(request: HttpRequest, filters: Query[FlagFilter]) -> Any:
    if not can(request.user, VIEW, Flag):
        raise PermissionDenied("Your role does not include reviewing flags.")
    qs = flags_for(request.user)
    status = filters.status or FlagStatus.OPEN
    if status != "any":
        qs = qs.filter(status=status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.school_id:
        qs = qs.filter(school_id=filters.school_id)
    if filters.officer_id:
        qs = qs.filter(officer_id=filters.officer_id)
    return ShapedPage(qs, _flag_out)


@router.get("/flags/{flag_id}", response=FlagDetailOut, tags=["flags"],
            summary="Read one flag with its evidence", operation_id="get_flag")
def get_flag(request: HttpRequest, flag_id: int) -> Any:
    flag = _flag(request, flag_id)
    return {**_flag_out(flag), "evidence": flag.evidence}


@router.post("/flags/{flag_id}/decision", response=FlagDetailOut, tags=["flags"],
             summary="Decide a flag: agree (with the action taken) or dismiss, with a reason",
             operation_id="decide_flag")
def decide(request: HttpRequest, flag_id: int, payload: DecisionIn) -> Any:
    flag = _flag(request, flag_id)
    decided = flags.decide_flag(request.user, flag, agree=payload.agree,  # type: ignore[arg-type]
                                reason=payload.decision_reason,
                                action_taken=payload.action_taken)
    fresh = flags_for(request.user).get(pk=decided.pk)
    return {**_flag_out(fresh), "evidence": fresh.evidence}
