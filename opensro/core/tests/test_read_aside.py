"""The import's second process (core.imports.read_aside, decision 0008): items arrive in
order from a forked child, errors are raised where they happened (with their traceback
when they cannot be pickled), the child may not query the database and leaves the
parent's connection working, a child that dies is reported, closing early stops it,
the language and time zone carry over, and without fork a thread does the same."""

from __future__ import annotations

import gc
import multiprocessing
import os
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone, translation

from opensro.core import imports
from opensro.core.imports import FileProblem, read_aside
from opensro.directory.models import School


def _children() -> list[str]:
    return [p.name for p in multiprocessing.active_children()]


def test_items_arrive_in_order_from_a_second_process() -> None:
    def items() -> Iterator[tuple[int, int]]:
        for n in range(1000):
            yield n, os.getpid()

    got = list(read_aside(items()))
    assert [n for n, _ in got] == list(range(1000))
    assert {pid for _, pid in got} != {os.getpid()}
    assert len({pid for _, pid in got}) == 1
    assert "import-read-aside" not in _children()


def test_an_error_is_raised_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise FileProblem("The file is not UTF-8 text (byte 40).")

    seen = []
    with pytest.raises(FileProblem, match="byte 40"):
        for item in read_aside(items()):
            seen.append(item)
    assert seen == [1, 2]
    assert "import-read-aside" not in _children()


def test_an_error_that_cannot_be_pickled_arrives_with_its_traceback() -> None:
    class Local(Exception):  # a class inside a function cannot be pickled
        pass

    def items() -> Iterator[int]:
        yield 1
        raise Local("the cell at line 7 broke")

    with pytest.raises(RuntimeError, match="reading process failed") as caught:
        list(read_aside(items()))
    assert "the cell at line 7 broke" in str(caught.value)
    assert "Traceback" in str(caught.value)


def test_the_second_process_may_not_query_and_the_parent_connection_survives(
        db: Any) -> None:
    before = School.objects.count()

    def items() -> Iterator[int]:
        yield School.objects.count()

    with pytest.raises(RuntimeError, match="must not use the database"):
        list(read_aside(items()))
    # The child ended without closing the connection it was forked with.
    assert School.objects.count() == before


def test_a_second_process_that_dies_is_reported() -> None:
    def items() -> Iterator[int]:
        yield 1
        os._exit(3)

    seen = []
    with pytest.raises(RuntimeError, match=r"stopped unexpectedly \(exit code 3\)"):
        for item in read_aside(items()):
            seen.append(item)
    assert seen == [1]


def test_closing_early_stops_the_second_process() -> None:
    def endless() -> Iterator[int]:
        n = 0
        while True:
            yield n
            n += 1

    pending = read_aside(endless())
    assert next(pending) == 0
    assert "import-read-aside" in _children()
    pending.close()
    assert "import-read-aside" not in _children()


def test_the_language_and_time_zone_carry_over() -> None:
    def active() -> Iterator[tuple[str | None, str]]:
        yield translation.get_language(), str(timezone.get_current_timezone())

    with translation.override("es"), timezone.override(zoneinfo.ZoneInfo("America/Denver")):
        assert list(read_aside(active())) == [("es", "America/Denver")]


def test_without_fork_a_thread_reads_aside(monkeypatch: Any) -> None:
    monkeypatch.setattr(imports, "SECOND_PROCESS", False)

    def items() -> Iterator[int]:
        yield os.getpid()

    assert list(read_aside(items())) == [os.getpid()]


def test_the_garbage_collector_is_left_as_it_was() -> None:
    gc.unfreeze()
    assert list(read_aside(iter([1]))) == [1]
    assert gc.get_freeze_count() == 0  # frozen only while forking
    gc.freeze()  # as a settled server process is (opensro.runtime)
    try:
        frozen = gc.get_freeze_count()
        assert list(read_aside(iter([2]))) == [2]
        assert gc.get_freeze_count() >= frozen  # still frozen
    finally:
        gc.unfreeze()
