"""The audit chain and the disclosure log (architecture rule 2).

Every write records an :class:`~opensro.core.models.AuditEvent` in the same
transaction as the write. Events are hash-chained: each event's hash covers its
own fields and the previous event's hash, so editing, deleting or reordering an
event breaks the chain at that point. :func:`verify_chain` recomputes it, and
:func:`verify_state` compares every audited row with its last recorded snapshot,
which finds rows changed behind the service layer (for example with raw SQL).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from opensro.core import bulk
from opensro.core.context import current_request_id
from opensro.core.models import AuditEvent, AuditHead, Disclosure, User

GENESIS = "0" * 64

#: Models whose rows must match their last audit snapshot ("app_label.ModelName").
_AUDITED: set[str] = set()


def audited(model: type[models.Model]) -> type[models.Model]:
    """Class decorator: the model's rows are reconciled by ``opensro audit verify``."""
    _AUDITED.add(model._meta.label)
    return model


def audited_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in sorted(_AUDITED)]


_ENCODER = DjangoJSONEncoder()


def _json_safe(value: Any) -> Any:
    """The value as it reads back from JSON (dates and decimals become text the way
    DjangoJSONEncoder writes them), without a dumps/loads round trip."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return _ENCODER.default(value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC)
    return value


_SNAPSHOT_FIELDS: dict[type[models.Model], list[tuple[str, bool]]] = {}


def _snapshot_fields(model: type[models.Model]) -> list[tuple[str, bool]]:
    """(attname, needs conversion) for the fields a snapshot keeps, per model."""
    fields = _SNAPSHOT_FIELDS.get(model)
    if fields is None:
        exclude = set(getattr(model, "audit_exclude", ()))
        plain_types = (models.CharField, models.TextField, models.IntegerField,
                       models.BooleanField, models.ForeignKey, models.AutoField,
                       models.BigAutoField)
        fields = [
            (f.attname, not isinstance(f, plain_types))
            for f in model._meta.concrete_fields
            if f.name not in exclude and f.attname not in exclude
        ]
        _SNAPSHOT_FIELDS[model] = fields
    return fields


def _convert(value: Any) -> Any:
    return _json_safe(_plain(value))


def _convert_datetime(value: Any) -> Any:
    """:func:`_convert` for a datetime field's value (a datetime, or None)."""
    if value is None:
        return None
    if type(value) is not datetime.datetime:
        return _convert(value)
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    return _ENCODER.default(value)


def _convert_json(value: Any) -> Any:
    """:func:`_convert` for a JSON field's value: a list of text (the common case) is
    copied as it is."""
    if type(value) is list and all(type(v) is str for v in value):
        return list(value)
    return _convert(value)


def _memo(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` remembering its last (immutable) value: rows written together share
    their timestamps, so most of those are converted once per batch."""
    memo: list[tuple[Any, Any]] = [(None, None)]

    def remembered(value: Any) -> Any:
        last = memo[0]  # one tuple, read and replaced whole: safe across threads
        if value is last[0] and value is not None:
            return last[1]
        out = convert(value)
        memo[0] = (value, out)
        return out

    return remembered


def _field_converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    if isinstance(field, models.DateTimeField):
        return _memo(_convert_datetime)
    if isinstance(field, models.JSONField):
        return _convert_json
    return _convert


@dataclass(frozen=True)
class _SnapshotPlan:
    names: tuple[str, ...]
    get: Callable[[dict[str, Any]], tuple[Any, ...]]
    converts: tuple[tuple[int, Callable[[Any], Any]], ...]


_PLANS: dict[type[models.Model], _SnapshotPlan] = {}


def _snapshot_plan(model: type[models.Model]) -> _SnapshotPlan:
    plan = _PLANS.get(model)
    if plan is None:
        fields = _snapshot_fields(model)
        names = tuple(name for name, _ in fields)
        types = {f.attname: f for f in model._meta.concrete_fields}
        converts = tuple((i, _field_converter(types[name]))
                         for i, (name, convert) in enumerate(fields) if convert)
        getter = operator.itemgetter(*names)
        get = getter if len(names) > 1 else (lambda d: (getter(d),))
        plan = _SnapshotPlan(names, get, converts)
        _PLANS[model] = plan
    return plan


def fields_snapshot(obj: models.Model) -> dict[str, Any]:
    """Concrete field values by attribute name, already JSON-safe (no many-to-many, no
    children). Aware datetimes are given in UTC, so a value reads the same before and
    after a round trip through the database."""
    plan = _snapshot_plan(type(obj))
    state = obj.__dict__
    try:
        values: Any = plan.get(state)
    except KeyError:  # a deferred field: load it as attribute access would
        values = [state[n] if n in state else getattr(obj, n) for n in plan.names]
    if plan.converts:
        values = list(values)
        for i, convert in plan.converts:
            values[i] = convert(values[i])
    return dict(zip(plan.names, values, strict=True))


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's stored state as plain JSON: concrete fields, many-to-many ids, and
    the child rows the model lists in ``audit_children()`` (e.g. an incident's students).
    Prefetched relations are used when present, so a whole table snapshots in few queries.
    """
    exclude = set(getattr(obj, "audit_exclude", ()))
    data = fields_snapshot(obj)
    if obj.pk is not None:
        cache = getattr(obj, "_prefetched_objects_cache", {})
        for m2m in obj._meta.many_to_many:
            if m2m.name in exclude:
                continue
            if m2m.name in cache:
                data[m2m.name] = sorted(o.pk for o in cache[m2m.name])
            else:
                data[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
        children = getattr(obj, "audit_children", None)
        if callable(children):
            data.update(children())
    result: dict[str, Any] = _json_safe(data)
    return result


#: The canonical form: sorted keys, no spaces, ASCII (one encoder, made once).
_CANONICAL = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"))
_canonical_text = _CANONICAL.encode
_quote = json.encoder.encode_basestring_ascii


def canonical(payload: dict[str, Any]) -> bytes:
    return _canonical_text(payload).encode()


def event_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def record(
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain. Must run inside the write's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the write's transaction")
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor.get_username() if actor is not None else "system")[:150],
        request_id=current_request_id(),
        action=action,
        object_type=object_type or (obj._meta.label if obj is not None else ""),
        object_id=str(object_id if object_id is not None else (obj.pk if obj else "")),
        object_repr=(object_repr if object_repr is not None else str(obj or ""))[:255],
        before=_json_safe(before) if before is not None else None,
        after=_json_safe(after) if after is not None else None,
        reason=reason,
        prev_hash=head.hash,
    )
    event.hash = event_hash(event.payload())
    event.save()
    head.seq = event.seq
    head.hash = event.hash
    head.save(update_fields=["seq", "hash"])
    return event


def record_disclosure(
    user: User,
    obj: models.Model | None,
    fields: Iterable[str],
    *,
    purpose: str = "",
    channel: str = "web",
    object_type: str = "",
    object_id: str = "",
) -> Disclosure:
    """Log a read of student-identifying data (R-D7): one record (``obj``) or a set of
    them (``object_type`` and a description in ``object_id``, e.g. an export)."""
    return Disclosure.objects.create(
        user=user,
        user_label=user.get_username(),
        request_id=current_request_id(),
        object_type=obj._meta.label if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else object_id[:64],
        fields=sorted(fields),
        purpose=purpose,
        channel=channel,
    )


def record_many(
    actor: User | None,
    action: str,
    items: Iterable[tuple[models.Model, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    reason: str = "",
    json_safe: bool = False,
) -> int:
    """Append one event per (object, before, after), in order, with one lock and one
    bulk insert: the chain is the same as if :func:`record` had been called for each.
    Used by bulk writes. ``json_safe`` says the snapshots are already plain JSON
    values (as :func:`snapshot` and :func:`fields_snapshot` return them).
    Must run inside the write's transaction."""
    safe = (lambda v: v) if json_safe else _json_safe
    return record_encoded(actor, action, (
        (obj._meta.label, str(obj.pk), str(obj),
         None if before is None else canonical_text(safe(before)),
         None if after is None else canonical_text(safe(after)))
        for obj, before, after in items), reason=reason)


def canonical_text(snapshot: dict[str, Any]) -> str:
    """A JSON-safe snapshot in the canonical form (sorted keys, no spaces, ASCII): the
    text an event stores and hashes (see :func:`record_encoded`)."""
    return _canonical_text(snapshot)


def record_encoded(
    actor: User | None,
    action: str,
    items: Iterable[tuple[str, str, str, str | None, str | None]],
    *,
    reason: str = "",
) -> int:
    """Append one event per (object type, object id, object repr, before, after), the
    snapshots given as :func:`canonical_text`, in order, with one lock and one bulk
    insert: the chain is the same as if :func:`record` had been called for each.
    Must run inside the write's transaction.

    Each snapshot is encoded once, in the canonical form: that text is both hashed
    (inside the event's canonical payload, assembled around it) and stored, so a bulk
    write does not encode every snapshot twice (decision 0006). An import encodes its
    snapshots in the process that prepares its records (decision 0008)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_many must run inside the write's transaction")
    items = list(items)
    if not items:
        return 0
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    now = timezone.now()
    rid = current_request_id()
    label = (actor.get_username() if actor is not None else "system")[:150]
    actor_id = actor.pk if actor is not None and actor.pk else None
    # The parts of the canonical payload (keys in sorted order) that every event of
    # this call shares; see AuditEvent.payload() for the keys.
    start = (f'{{"action":{_quote(action)},'
             f'"actor_id":{"null" if actor_id is None else int(actor_id)},'
             f'"actor_label":{_quote(label)},"after":')
    occurred = f',"occurred_at":{_quote(now.isoformat())},"prev_hash":'
    end = f',"reason":{_quote(reason)},"request_id":{_quote(rid)},"seq":'
    when = bulk.db_value(AuditEvent, "occurred_at", now)
    ids = bulk.reserve_ids(AuditEvent, len(items))
    rows: list[tuple[Any, ...]] = []
    seq, prev = head.seq, head.hash
    sha256 = hashlib.sha256
    for (object_type, object_id, object_repr, before_text, after_text), pk in zip(
            items, ids, strict=True):
        seq += 1
        object_repr = object_repr[:255]
        text = "".join((
            start, after_text or "null", ',"before":', before_text or "null",
            ',"object_id":', _quote(object_id), ',"object_repr":', _quote(object_repr),
            ',"object_type":', _quote(object_type), occurred, _quote(prev), end, str(seq),
            "}",
        ))
        digest = sha256(text.encode()).hexdigest()
        rows.append((pk, seq, when, actor_id, label, rid, action, object_type, object_id,
                     object_repr, before_text, after_text, reason, prev, digest))
        prev = digest
    bulk.insert_rows(AuditEvent, _EVENT_COLUMNS, rows)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    return len(rows)


#: Column order of the rows record_many writes (JSON columns get canonical JSON text).
_EVENT_COLUMNS = ("id", "seq", "occurred_at", "actor_id", "actor_label", "request_id",
                  "action", "object_type", "object_id", "object_repr", "before", "after",
                  "reason", "prev_hash", "hash")


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    event_id: int | None
    message: str


def _events(batch: int = 2000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def verify_chain() -> tuple[int, ChainProblem | None]:
    """Recompute the chain. Returns (events checked, first broken link or None)."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for event in _events():
        count += 1
        if event.seq != expected_seq:
            return count, ChainProblem(
                expected_seq, None,
                f"event #{expected_seq} is missing (next stored event is #{event.seq})",
            )
        if event.prev_hash != prev:
            return count, ChainProblem(
                event.seq, event.pk,
                f"event #{event.seq} does not link to event #{event.seq - 1} "
                "(the earlier event was changed or removed)",
            )
        if event_hash(event.payload()) != event.hash:
            return count, ChainProblem(
                event.seq, event.pk, f"event #{event.seq} was changed after it was recorded"
            )
        prev = event.hash
        expected_seq += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        return count, ChainProblem(
            head.seq, None,
            f"the chain ends at event #{expected_seq - 1} but the head records #{head.seq} "
            "(events at the end were removed)",
        )
    return count, None


@dataclass(frozen=True)
class StateProblem:
    object_type: str
    object_id: str
    message: str


def verify_state() -> tuple[int, list[StateProblem]]:
    """Compare every audited row with the ``after`` snapshot of its last event."""
    last: dict[tuple[str, str], dict[str, Any] | None] = {}
    labels = {m._meta.label for m in audited_models()}
    for event in AuditEvent.objects.filter(object_type__in=labels).order_by("seq").iterator(
        chunk_size=5000
    ):
        last[(event.object_type, event.object_id)] = event.after
    problems: list[StateProblem] = []
    checked = 0
    for model in audited_models():
        label = model._meta.label
        seen: set[str] = set()
        audit_qs = getattr(model, "audit_queryset", None)
        rows = audit_qs() if callable(audit_qs) else model._default_manager.all()
        for obj in rows.iterator(chunk_size=2000):
            checked += 1
            key = (label, str(obj.pk))
            seen.add(key[1])
            if key not in last:
                problems.append(StateProblem(label, key[1], "row has no audit event"))
                continue
            recorded = last[key]
            current = snapshot(obj)
            if recorded is None:
                problems.append(StateProblem(label, key[1], "row was deleted but exists again"))
            elif recorded != current:
                changed = sorted(
                    k for k in set(recorded) | set(current) if recorded.get(k) != current.get(k)
                )
                problems.append(
                    StateProblem(label, key[1], "changed outside OpenSRO: " + ", ".join(changed))
                )
        for (otype, oid), after in last.items():
            if otype == label and after is not None and oid not in seen:
                problems.append(StateProblem(label, oid, "row was removed outside OpenSRO"))
    return checked, problems
