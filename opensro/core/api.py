"""Who am I: the caller's account and grants."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from opensro.core.permissions import grants

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
