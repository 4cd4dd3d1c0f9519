"""Roles, scopes and the one helper that scopes every queryset (architecture rule 3).

A user's access comes only from their :class:`~opensro.core.models.RoleGrant` rows.
Each model says two things:

- ``role_permissions``: for each action (view, add, change, delete, and any
  model-specific action), the roles that may perform it;
- ``scope_paths``: for each scope kind, the lookup from the model to the scoping
  object (``GLOBAL`` for reference data that any role allowed to view sees whole).

:func:`restrict` combines them. Views, the API and exports call it (through
selectors); nothing filters by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet

from opensro.core.choices import Role, ScopeKind
from opensro.core.models import RoleGrant, User

GLOBAL = "*"
M = TypeVar("M", bound=models.Model)

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"

#: Roles that see every scope's directory and reference data.
EVERY_ROLE: tuple[str, ...] = tuple(r.value for r in Role)


@dataclass(frozen=True)
class EffectiveScope:
    """One grant, resolved: a role over a kind of scope and the scoping object's id."""

    role: str
    kind: str
    target_id: int | None
    identity: bool


def grants(user: Any) -> list[EffectiveScope]:
    """The user's grants, resolved once per user object (an SRO's scope is their own record)."""
    cached: list[EffectiveScope] | None = getattr(user, "_opensro_scopes", None)
    if cached is not None:
        return cached
    scopes: list[EffectiveScope] = []
    if user is None or not user.is_authenticated or not user.is_active:
        return scopes
    officer_id = _officer_id(user)
    for g in RoleGrant.objects.filter(user=user):
        if g.role == Role.SRO:
            if officer_id is not None:
                scopes.append(EffectiveScope(g.role, ScopeKind.OFFICER, officer_id,
                                             g.can_view_student_identity))
            continue
        target = {
            ScopeKind.AGENCY: g.agency_id,
            ScopeKind.DISTRICT: g.district_id,
            ScopeKind.SCHOOL: g.school_id,
        }.get(ScopeKind(g.scope_kind))
        scopes.append(EffectiveScope(g.role, g.scope_kind, target, g.can_view_student_identity))
    if user.is_superuser and not any(s.role == Role.SYSTEM_ADMIN for s in scopes):
        scopes.append(EffectiveScope(Role.SYSTEM_ADMIN, ScopeKind.ALL, None, False))
    user._opensro_scopes = scopes
    return scopes


def _officer_id(user: User) -> int | None:
    officer = getattr(user, "officer", None) if hasattr(user, "officer") else None
    return officer.pk if officer is not None else None


def roles(user: Any) -> set[str]:
    return {s.role for s in grants(user)}


def has_role(user: Any, *wanted: str) -> bool:
    return bool(roles(user) & set(wanted))


def _is_to_many(model: type[models.Model], path: str) -> bool:
    current = model
    for part in path.split("__"):
        if part == "pk":
            return False
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.many_to_many or field.one_to_many:
            return True
        if field.related_model is None:
            return False
        current = field.related_model  # type: ignore[assignment]
    return False


def _scope_q(model: type[models.Model], scope: EffectiveScope) -> Q | None:
    """The filter one grant contributes, ``Q()`` for everything, None for nothing."""
    paths: dict[str, str] = getattr(model, "scope_paths", {})
    if scope.kind == ScopeKind.ALL or GLOBAL in paths:
        return Q()
    path = paths.get(scope.kind)
    if path is None or scope.target_id is None:
        return None
    if _is_to_many(model, path):
        inner = model._default_manager.filter(**{path: scope.target_id}).values("pk")
        return Q(pk__in=inner)
    return Q(**{path: scope.target_id})


def allowed_roles(model: type[models.Model], action: str) -> tuple[str, ...]:
    table: dict[str, tuple[str, ...]] = getattr(model, "role_permissions", {})
    return table.get(action, ())


def restrict(queryset: QuerySet[M], user: Any, action: str = VIEW) -> QuerySet[M]:
    """Filter ``queryset`` to the rows ``user`` may perform ``action`` on."""
    model = queryset.model
    permitted = allowed_roles(model, action)
    combined: Q | None = None
    for scope in grants(user):
        if scope.role not in permitted:
            continue
        q = _scope_q(model, scope)
        if q is None:
            continue
        if not q:  # everything
            return queryset
        combined = q if combined is None else combined | q
    if combined is None:
        return queryset.none()
    return queryset.filter(combined)


def can(user: Any, action: str, model: type[models.Model]) -> bool:
    """Whether any of the user's grants allows ``action`` on some rows of ``model``."""
    permitted = allowed_roles(model, action)
    return any(
        s.role in permitted and _scope_q(model, s) is not None for s in grants(user)
    )


def can_on(user: Any, action: str, obj: models.Model) -> bool:
    """Whether ``user`` may perform ``action`` on this stored object."""
    model = type(obj)
    return restrict(model._default_manager.filter(pk=obj.pk), user, action).exists()


def require(user: Any, action: str, obj: models.Model) -> None:
    """Raise PermissionDenied unless ``user`` may perform ``action`` on ``obj`` (saved)."""
    if not can_on(user, action, obj):
        raise PermissionDenied(
            f"You may not {action} this {obj._meta.verbose_name} in your scope."
        )

