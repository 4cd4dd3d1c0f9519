"""The generic write path every domain service uses (architecture rules 2, 3 and 8).

``create``, ``update`` and ``delete`` validate, check permission, write, verify the
object is still inside the writer's scope (save-then-verify) and record the audit
event, all in one transaction: a failure anywhere leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from opensro.core import audit
from opensro.core.models import User
from opensro.core.permissions import ADD, CHANGE, DELETE, can, can_on, require

M = TypeVar("M", bound=models.Model)
Validator = Callable[[Any], None]


def _set_fields(obj: models.Model, data: Mapping[str, Any]) -> dict[str, Any]:
    m2m: dict[str, Any] = {}
    names = {f.name for f in obj._meta.many_to_many}
    for key, value in data.items():
        if key in names:
            m2m[key] = value
        else:
            setattr(obj, key, value)
    return m2m


def _unchanged(before: dict[str, Any], obj: models.Model, m2m: Mapping[str, Any]) -> bool:
    """Whether the pending values of ``obj`` (not yet saved) equal its stored snapshot."""
    pending = audit.snapshot(obj)
    for name, values in m2m.items():
        pending[name] = sorted(getattr(v, "pk", v) for v in values)
    ignore = {"updated_at"}
    return {k: v for k, v in pending.items() if k not in ignore} == {
        k: v for k, v in before.items() if k not in ignore
    }


def create(
    actor: User | None,
    model: type[M],
    data: Mapping[str, Any],
    *,
    validate: Validator | None = None,
    action: str = "create",
    check_permission: bool = True,
) -> M:
    """Create one object through the audited, scoped write path."""
    if check_permission and actor is not None and not can(actor, ADD, model):
        raise PermissionDenied(f"You may not add a {model._meta.verbose_name}.")
    with transaction.atomic():
        obj = model()
        m2m = _set_fields(obj, data)
        obj.full_clean()
        if validate is not None:
            validate(obj)
        obj.save()
        for name, value in m2m.items():
            getattr(obj, name).set(value)
        if check_permission and actor is not None and not can_on(actor, ADD, obj):
            raise PermissionDenied(
                f"That {model._meta.verbose_name} would be outside your scope."
            )
        audit.record(actor, action, obj, after=audit.snapshot(obj))
    return obj


def update(
    actor: User | None,
    obj: M,
    data: Mapping[str, Any],
    *,
    validate: Validator | None = None,
    action: str = "update",
    reason: str = "",
    check_permission: bool = True,
) -> M:
    """Change one stored object; records before and after."""
    with transaction.atomic():
        fresh = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        if check_permission and actor is not None:
            require(actor, CHANGE, fresh)
        before = audit.snapshot(fresh)
        m2m = _set_fields(fresh, data)
        fresh.full_clean()
        if validate is not None:
            validate(fresh)
        if _unchanged(before, fresh, m2m):
            # Saving would only move updated_at: no write, no audit event.
            return fresh
        fresh.save()
        for name, value in m2m.items():
            getattr(fresh, name).set(value)
        if check_permission and actor is not None and not can_on(actor, CHANGE, fresh):
            raise PermissionDenied(
                f"That change would move the {obj._meta.verbose_name} outside your scope."
            )
        after = audit.snapshot(fresh)
        if after != before:
            audit.record(actor, action, fresh, before=before, after=after, reason=reason)
    return fresh


def delete(
    actor: User | None, obj: models.Model, *, reason: str = "", check_permission: bool = True
) -> None:
    """Delete one object; the audit event keeps its last state."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this record is being deleted."})
    with transaction.atomic():
        if check_permission and actor is not None:
            require(actor, DELETE, obj)
        before = audit.snapshot(obj)
        label, pk, text = obj._meta.label, str(obj.pk), str(obj)
        obj.delete()
        audit.record(
            actor, "delete", None, object_type=label, object_id=pk, object_repr=text,
            before=before, after=None, reason=reason,
        )


def grant_role(
    actor: User | None,
    user: User,
    role: str,
    *,
    agency: Any = None,
    district: Any = None,
    school: Any = None,
    identity: bool = False,
) -> Any:
    """Grant ``role`` to ``user`` over one scope (system administrators; audited)."""
    from opensro.core.choices import ROLE_SCOPES, Role, ScopeKind
    from opensro.core.models import RoleGrant
    from opensro.core.permissions import has_role

    if actor is not None and not has_role(actor, Role.SYSTEM_ADMIN):
        raise PermissionDenied("Only a system administrator grants roles.")
    if agency is not None:
        kind = ScopeKind.AGENCY
    elif district is not None:
        kind = ScopeKind.DISTRICT
    elif school is not None:
        kind = ScopeKind.SCHOOL
    else:
        kind = ScopeKind.ALL
    if kind not in ROLE_SCOPES[Role(role)]:
        raise ValidationError({"scope_kind": f"A {Role(role).label} cannot be granted over "
                                             f"{ScopeKind(kind).label.lower()}."})
    with transaction.atomic():
        grant = RoleGrant(user=user, role=role, scope_kind=kind, agency=agency,
                          district=district, school=school, can_view_student_identity=identity)
        grant.full_clean()
        grant.save()
        audit.record(actor, "grant_role", grant, after=audit.snapshot(grant))
    if hasattr(user, "_opensro_scopes"):
        del user._opensro_scopes
    return grant
