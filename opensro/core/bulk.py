"""Fast bulk inserts for imports and generated data.

Django's ``bulk_create`` builds its SQL again for every small batch (SQLite allows
few parameters per statement), which dominates large imports. :func:`insert` builds
one ``INSERT`` per table and hands all rows to the driver's ``executemany``. Primary
keys are reserved first with :func:`reserve_ids` (inside the caller's transaction:
SQLite's write lock or PostgreSQL's sequence make them safe), so children can point
at their parents and audit snapshots can name the ids.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')  # noqa: S608
        start = int(cursor.fetchone()[0]) + 1
        # Keep SQLite's AUTOINCREMENT-free rowid allocator ahead of what we used.
        return list(range(start, start + count))


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How to turn a Python value into what the driver stores, for field types that
    need it; None where the value passes as it is (text, integers, booleans)."""
    if isinstance(field, models.JSONField):
        adapt = connection.ops.adapt_json_value
        return lambda v: None if v is None else adapt(v, field.encoder)
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "postgresql":
            return None
        def to_text(v: datetime.datetime | None) -> str | None:
            if v is None:
                return None
            if timezone.is_aware(v):
                v = v.astimezone(datetime.UTC).replace(tzinfo=None)
            return v.isoformat(" ")
        return to_text
    if isinstance(field, models.DateField):
        return None if connection.vendor == "postgresql" else (
            lambda v: None if v is None else v.isoformat())
    if isinstance(field, models.DecimalField):
        return lambda v: None if v is None else (
            str(v) if connection.vendor == "sqlite" else decimal.Decimal(v))
    return None


def insert(model: type[models.Model], objs: Sequence[models.Model],
           chunk: int = 2000) -> None:
    """Insert ``objs`` (with their primary keys already set) in one statement shape.

    ``auto_now`` and ``auto_now_add`` fields are filled in on the objects as Django's
    own save would. No signals are sent (none are used for these models).
    """
    if not objs:
        return
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    stamped = [f for f in fields if getattr(f, "auto_now", False)
               or getattr(f, "auto_now_add", False)]
    for obj in objs:
        for f in stamped:
            if getattr(obj, f.attname) is None or getattr(f, "auto_now", False):
                setattr(obj, f.attname, now)
    converters = [(_converter(f), f.attname) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
           f"({columns}) VALUES ({marks})")
    with connection.cursor() as cursor:
        for start in range(0, len(objs), chunk):
            rows = []
            for obj in objs[start:start + chunk]:
                values = obj.__dict__
                rows.append([conv(values[name]) if conv else values[name]
                             for conv, name in converters])
            cursor.executemany(sql, rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


_DEFAULTS: dict[type[models.Model], tuple[dict[str, Any], list[tuple[str, Any]],
                                          dict[str, str]]] = {}


def _defaults(model: type[models.Model]) -> tuple[dict[str, Any], list[tuple[str, Any]],
                                                   dict[str, str]]:
    cached = _DEFAULTS.get(model)
    if cached is None:
        plain: dict[str, Any] = {}
        factories: list[tuple[str, Any]] = []
        relations: dict[str, str] = {}
        for f in model._meta.concrete_fields:
            if f.is_relation:
                relations[f.name] = f.attname
            if f.has_default() and callable(f.default):
                factories.append((f.attname, f.default))
            else:
                plain[f.attname] = f.get_default()
        cached = (plain, factories, relations)
        _DEFAULTS[model] = cached
    return cached


def new(model: type[models.Model], values: dict[str, Any]) -> Any:
    """An unsaved instance built directly, without per-field descriptor work: the same
    state ``model(**values)`` would have, several times faster, for bulk paths.
    Related objects given by name are cached on the instance as Django does."""
    from django.db.models.base import ModelState

    plain, factories, relations = _defaults(model)
    obj = model.__new__(model)
    state = obj.__dict__
    state.update(plain)
    for name, factory in factories:
        state[name] = factory()
    model_state = ModelState()
    obj._state = model_state
    for key, value in values.items():
        related = relations.get(key)
        if related is not None and related != key:
            state[related] = value.pk if value is not None else None
            model_state.fields_cache[key] = value
        else:
            state[key] = value
    return obj
