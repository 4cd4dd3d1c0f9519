"""The bulk write path (decision 0006): ``audit.record_many`` writes exactly the chain
``audit.record`` would, event for event, and its stored snapshots read back as given;
``bulk.insert`` stores what the ORM would."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from conftest import World
from opensro.core import audit, bulk
from opensro.core.context import request_context
from opensro.core.models import AuditEvent
from opensro.directory.models import SchoolYear


def test_record_many_writes_the_chain_record_would(world: World, monkeypatch: Any) -> None:
    fixed = datetime.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)
    monkeypatch.setattr(audit.timezone, "now", lambda: fixed)
    # Text that JSON must escape: non-ASCII, quotes, a backslash, a control character.
    world.school_a1.name = 'Escuela Núñez "Norte" \\ 1\t'
    objs = [world.district_a, world.school_a1, world.officer_a]
    items = [(o, {"note": "before ✓", "n": k}, audit.snapshot(o)) for k, o in enumerate(objs)]
    items.append((world.agency_a, None, None))
    actor = world.users["system_admin"]
    with request_context(), transaction.atomic():
        savepoint = transaction.savepoint()
        one_by_one = [audit.record(actor, "probe", o, before=b, after=a, reason='why "so"')
                      for o, b, a in items]
        expected = [(e.seq, e.prev_hash, e.hash, e.object_repr, e.before, e.after)
                    for e in one_by_one]
        transaction.savepoint_rollback(savepoint)
        assert not AuditEvent.objects.filter(action="probe").exists()
        assert audit.record_many(actor, "probe", items, reason='why "so"') == len(items)
    stored = [(e.seq, e.prev_hash, e.hash, e.object_repr, e.before, e.after)
              for e in AuditEvent.objects.filter(action="probe").order_by("seq")]
    assert stored == expected
    assert audit.verify_chain()[1] is None


def test_record_many_of_nothing_writes_nothing(world: World) -> None:
    before = AuditEvent.objects.count()
    with transaction.atomic():
        assert audit.record_many(None, "probe", []) == 0
    assert AuditEvent.objects.count() == before


def test_bulk_insert_stores_what_the_orm_would(world: World) -> None:
    year = bulk.new(SchoolYear, {"code": "2030-31", "start_date": datetime.date(2030, 8, 19),
                                 "end_date": datetime.date(2031, 6, 13)})
    with transaction.atomic():
        [year.pk] = bulk.reserve_ids(SchoolYear, 1)
        bulk.insert(SchoolYear, [year])
    stored = SchoolYear.objects.get(pk=year.pk)
    assert audit.fields_snapshot(stored) == audit.fields_snapshot(year)
    assert stored.created_at is not None and stored.sex_codes == year.sex_codes
