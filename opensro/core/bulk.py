"""Fast bulk inserts for imports and generated data.

Django's ``bulk_create`` builds its SQL again for every small batch (SQLite allows
few parameters per statement), which dominates large imports. :func:`insert` builds
one ``INSERT`` per table and hands all rows to the driver's ``executemany`` (SQLite),
or streams them with ``COPY … FROM STDIN`` (PostgreSQL). Primary
keys are reserved first with :func:`reserve_ids` (inside the caller's transaction:
SQLite's write lock or PostgreSQL's sequence make them safe), so children can point
at their parents and audit snapshots can name the ids.
"""

from __future__ import annotations

import datetime
import decimal
import json
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models.base import ModelState
from django.utils import timezone


def commit_without_waiting(durable: bool = False) -> None:
    """For the current transaction of a long bulk load: on PostgreSQL, let its commit
    return before the write-ahead log reaches the disk (``synchronous_commit = off``;
    the database stays consistent, a crash can lose only the last moments of commits).
    A load calls it with ``durable=True`` in its last transaction, whose ordinary
    commit waits for the log up to that point and so makes every earlier commit of the
    load durable too. Elsewhere it does nothing (SQLite's commits in WAL mode are
    already cheap)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL synchronous_commit TO {'ON' if durable else 'OFF'}")


@contextmanager
def long_load(pages: int = 25_000) -> Iterator[None]:
    """For a long load that commits as it goes, on SQLite: copy the write-ahead log
    back into the database file (a checkpoint, which waits for the disk) once it holds
    ``pages`` pages (about 100 MB) instead of SQLite's 1,000. Each commit of a large
    import writes more than 1,000 pages, so without this every commit checkpoints,
    and the index pages that every batch changes are written out again each time.
    The connection's own setting is restored after. Elsewhere it does nothing."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {before}")


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


def _memo(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` remembering its last value (datetimes are immutable, and the rows of a
    batch share their ``created_at``/``updated_at``, so most are converted once)."""
    memo: list[tuple[Any, Any]] = [(None, None)]

    def remembered(value: Any) -> Any:
        last = memo[0]  # one tuple, read and replaced whole: safe across threads
        if value is last[0] and value is not None:
            return last[1]
        out = convert(value)
        memo[0] = (value, out)
        return out

    return remembered


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How to turn a Python value into what the driver stores, for field types that
    need it; None where the value passes as it is (text, integers, booleans)."""
    vendor = connection.vendor
    if isinstance(field, models.JSONField):
        adapt = connection.ops.adapt_json_value
        encoder = field.encoder
        if vendor == "postgresql":
            # Text: COPY parses it as the column's type (and text can be handed from
            # the process that prepares an import's rows to the one that writes them).
            dumps = json.JSONEncoder if encoder is None else encoder
            return lambda v: None if v is None else json.dumps(v, cls=dumps)

        def to_json(v: Any) -> Any:
            if v is None:
                return None
            if type(v) is list and not v:
                return "[]"  # what json.dumps gives, without building an encoder
            return adapt(v, encoder)

        return to_json
    if isinstance(field, models.DateTimeField):
        if vendor == "postgresql":
            return None

        def to_text(v: datetime.datetime | None) -> str | None:
            if v is None:
                return None
            if timezone.is_aware(v):
                v = v.astimezone(datetime.UTC).replace(tzinfo=None)
            return v.isoformat(" ")
        return _memo(to_text)
    if isinstance(field, models.DateField):
        return None if vendor == "postgresql" else (
            lambda v: None if v is None else v.isoformat())
    if isinstance(field, models.DecimalField):
        return lambda v: None if v is None else (
            str(v) if vendor == "sqlite" else decimal.Decimal(v))
    return None


def db_value(model: type[models.Model], attname: str, value: Any) -> Any:
    """``value`` of the field ``attname`` as :func:`insert` hands it to the driver."""
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    convert = _converter(field)
    return convert(value) if convert else value


@dataclass(frozen=True)
class _Plan:
    columns: tuple[str, ...]
    names: tuple[str, ...]
    get: Callable[[dict[str, Any]], tuple[Any, ...]]
    converts: tuple[tuple[int, Callable[[Any], Any]], ...]
    stamped: tuple[tuple[str, bool], ...]


_PLANS: dict[tuple[type[models.Model], str, str], _Plan] = {}


def _plan(model: type[models.Model]) -> _Plan:
    key = (model, connection.alias, connection.vendor)
    plan = _PLANS.get(key)
    if plan is None:
        fields = list(model._meta.concrete_fields)
        names = tuple(f.attname for f in fields)
        converts = tuple((i, conv) for i, f in enumerate(fields)
                         if (conv := _converter(f)) is not None)
        stamped = tuple((f.attname, bool(getattr(f, "auto_now", False))) for f in fields
                        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        getter = operator.itemgetter(*names)
        get = getter if len(names) > 1 else (lambda d: (getter(d),))
        plan = _Plan(tuple(f.column for f in fields), names, get, converts, stamped)
        _PLANS[key] = plan
    return plan


def insert(model: type[models.Model], objs: Sequence[models.Model],
           chunk: int = 2000) -> None:
    """Insert ``objs`` (with their primary keys already set) in one statement shape.

    ``auto_now`` and ``auto_now_add`` fields are filled in on the objects as Django's
    own save would. No signals are sent (none are used for these models).
    """
    if not objs:
        return
    now = timezone.now()
    columns = _plan(model).columns
    for start in range(0, len(objs), chunk):
        _write_rows(model, columns, rows(model, objs[start:start + chunk], now))
    alias = connection.alias
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def attnames(model: type[models.Model]) -> tuple[str, ...]:
    """The attribute names of the values :func:`rows` gives, in order (the model's
    concrete fields; no database connection is needed, so modules may compute column
    positions when they load)."""
    return tuple(f.attname for f in model._meta.concrete_fields)


def rows(model: type[models.Model], objs: Sequence[models.Model],
         now: datetime.datetime) -> list[list[Any]]:
    """The values :func:`insert` would write for ``objs``, in the driver's form, one list
    per object in :func:`attnames` order, after filling in ``auto_now`` and
    ``auto_now_add`` fields with ``now`` on the objects. Needs no database connection,
    so a process that prepares rows for another to write (an import) can build them;
    they are written with :func:`insert_rows`."""
    plan = _plan(model)
    if plan.stamped:
        for obj in objs:
            state = obj.__dict__
            for name, always in plan.stamped:
                if always or state.get(name) is None:
                    state[name] = now
    get, converts = plan.get, plan.converts
    out = []
    for obj in objs:
        row = list(get(obj.__dict__))
        for i, convert in converts:
            row[i] = convert(row[i])
        out.append(row)
    return out


def insert_rows(model: type[models.Model], columns: Sequence[str],
                rows: Sequence[Sequence[Any]], chunk: int = 2000) -> None:
    """Insert rows given as values already in the driver's form (see :func:`db_value`),
    one per column named by attribute name. For bulk paths that never build model
    instances (the audit trail's events)."""
    if not rows:
        return
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    names = tuple(by_attname[c] for c in columns)
    for start in range(0, len(rows), chunk):
        _write_rows(model, names, rows[start:start + chunk])


def _write_rows(model: type[models.Model], columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """One statement for all ``rows``: ``COPY … FROM STDIN`` on PostgreSQL (one round
    trip, the server's fastest path), one ``INSERT`` shape through ``executemany``
    elsewhere."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                               rows)


@dataclass(frozen=True)
class _Defaults:
    plain: dict[str, Any]
    factories: tuple[tuple[str, Any], ...]
    #: (field name, attname) of the relations, whose objects are given by name.
    relations: tuple[tuple[str, str], ...]


_DEFAULTS: dict[type[models.Model], _Defaults] = {}


def _defaults(model: type[models.Model]) -> _Defaults:
    cached = _DEFAULTS.get(model)
    if cached is None:
        plain: dict[str, Any] = {}
        factories: list[tuple[str, Any]] = []
        relations: list[tuple[str, str]] = []
        for f in model._meta.concrete_fields:
            if f.is_relation and f.name != f.attname:
                relations.append((f.name, f.attname))
            if f.has_default() and callable(f.default):
                factories.append((f.attname, f.default))
            else:
                plain[f.attname] = f.get_default()
        cached = _Defaults(plain, tuple(factories), tuple(relations))
        _DEFAULTS[model] = cached
    return cached


def new(model: type[models.Model], values: dict[str, Any]) -> Any:
    """An unsaved instance built directly, without per-field descriptor work: the same
    state ``model(**values)`` would have, several times faster, for bulk paths.
    Related objects given by name are cached on the instance as Django does."""
    defaults = _defaults(model)
    obj = model.__new__(model)
    state = obj.__dict__
    state.update(defaults.plain)
    for name, factory in defaults.factories:
        state[name] = factory()
    model_state = ModelState()
    state["_state"] = model_state
    state.update(values)
    for name, attname in defaults.relations:
        if name in state:
            value = state.pop(name)
            state[attname] = value.pk if value is not None else None
            model_state.fields_cache[name] = value
    return obj


def refresh_statistics(*tables: type[models.Model]) -> None:
    """Bring the query planner's statistics up to date after a bulk load.

    SQLite keeps none until ``ANALYZE`` runs; without them it takes any equality on an
    index as selective (``status = 'submitted'`` over every record) and picks poor
    plans for the list pages. ``analysis_limit`` samples each index, so this takes
    well under a second at a million rows. PostgreSQL's autovacuum would analyze the
    tables later; doing it now gives the next request good plans at once."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            for model in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


class GrowingTables:
    """Keeps the query planner's statistics up to date while a long load grows
    ``tables`` (PostgreSQL; SQLite's planner keeps using the indexes without them).

    A table the planner has never analyzed (new, emptied, or with autovacuum off) is
    planned as if it were tiny: a lookup of 500 source keys in the incidents table was
    then answered by reading every row with the batch's source system, so each batch
    cost more as the table grew (measured: 69 ms per batch at 222,000 records,
    docs/performance.md). :meth:`grew` re-analyzes the tables each time the rows a load
    has added reach the size they had at the last analysis (at least ``least``), so
    about log2(growth) times in all."""

    def __init__(self, *tables: type[models.Model], least: int = 5000) -> None:
        self.tables = tables
        self.active = connection.vendor == "postgresql"
        self.least = least
        self.start = 0
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class "
                               "WHERE oid = %s::regclass", [tables[0]._meta.db_table])
                row = cursor.fetchone()
            self.start = int(row[0]) if row else 0
        self.next = max(least, self.start)

    def grew(self, added: int) -> bool:
        """Note that the load has added ``added`` rows in all; analyze if due. True
        when it analyzed."""
        if not self.active or added < self.next:
            return False
        # A tenth of the default sample: the load's own lookups need the table's size
        # and how distinct its keys are, not fine histograms (the load's final refresh,
        # or autovacuum, gathers those). About a tenth of the time, on the load's path.
        with connection.cursor() as cursor:
            cursor.execute("SET default_statistics_target = 10")
            try:
                for model in self.tables:
                    cursor.execute(
                        f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            finally:
                cursor.execute("RESET default_statistics_target")
        self.next = added + max(self.least, self.start + added)
        return True
