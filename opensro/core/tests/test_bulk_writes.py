"""The bulk write path (decision 0006): ``audit.record_many`` writes exactly the chain
``audit.record`` would, event for event, and its stored snapshots read back as given;
``bulk.insert`` stores what the ORM would."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
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


def test_growing_tables_are_analyzed_as_they_double(world: World) -> None:
    """PostgreSQL plans a never-analyzed table as tiny, which made the import's
    source-key lookup read the whole incident table for every batch (decision 0008):
    GrowingTables re-analyzes each time a load has doubled the table. SQLite's
    planner uses the indexes without statistics, so there it does nothing."""
    from django.db import connection

    def reltuples() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                           [SchoolYear._meta.db_table])
            return float(cursor.fetchone()[0])

    start = SchoolYear.objects.count()
    with transaction.atomic():
        growing = bulk.GrowingTables(SchoolYear, least=3)
        years = [bulk.new(SchoolYear, {"code": f"{2040 + n}-{41 + n}",
                                       "start_date": datetime.date(2040 + n, 8, 19),
                                       "end_date": datetime.date(2041 + n, 6, 13)})
                 for n in range(8)]
        for year, pk in zip(years, bulk.reserve_ids(SchoolYear, 8), strict=True):
            year.pk = pk
        bulk.insert(SchoolYear, years[:2])
        assert not growing.grew(2)  # below the least count
        bulk.insert(SchoolYear, years[2:])
        if connection.vendor != "postgresql":
            assert not growing.active and not growing.grew(8)
            return
        assert growing.next == max(3, growing.start)
        added = max(8, growing.next)
        assert growing.grew(added)  # analyzed: the planner now knows every row
        assert reltuples() == start + 8
        # Not again until the rows added since reach the table's size at this analysis.
        assert growing.next == added + max(3, growing.start + added)
        assert not growing.grew(growing.next - 1)


def test_a_long_load_checkpoints_sqlite_less_often_then_restores(world: World) -> None:
    from django.db import connection

    def interval() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            return int(cursor.fetchone()[0])

    if connection.vendor != "sqlite":
        with bulk.long_load(pages=5000):  # nothing to change on PostgreSQL
            assert SchoolYear.objects.exists()
        return
    before = interval()
    with bulk.long_load(pages=5000):
        assert interval() == 5000
    assert interval() == before != 5000
    with pytest.raises(RuntimeError), bulk.long_load(pages=7000):
        raise RuntimeError("the load failed")
    assert interval() == before
