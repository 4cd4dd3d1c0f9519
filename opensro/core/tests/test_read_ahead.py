"""The import's read-ahead thread (core.imports.read_ahead, decision 0006): items in
order, errors raised where they happened, the reading side kept off the database, the
thread stopped when the import stops early, and the thread-switch interval restored."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from opensro.core.imports import FileProblem, read_ahead
from opensro.directory.models import School


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


def test_items_arrive_in_order_and_the_thread_ends() -> None:
    before = sys.getswitchinterval()
    assert list(read_ahead(iter(range(1000)))) == list(range(1000))
    assert "import-read-ahead" not in _threads()
    assert sys.getswitchinterval() == before


def test_an_error_while_reading_is_raised_after_the_items_before_it() -> None:
    def rows() -> Iterator[int]:
        yield 1
        yield 2
        raise FileProblem("The file is not UTF-8 text (byte 40).")

    seen = []
    with pytest.raises(FileProblem, match="byte 40"):
        for item in read_ahead(rows()):
            seen.append(item)
    assert seen == [1, 2]
    assert "import-read-ahead" not in _threads()


def test_the_reading_side_may_not_query_the_database(db: Any) -> None:
    def rows() -> Iterator[int]:
        yield School.objects.count()

    with pytest.raises(RuntimeError, match="must not use the database"):
        list(read_ahead(rows()))


def test_closing_early_stops_the_thread() -> None:
    produced = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    pending = read_ahead(endless())
    assert next(pending) == 0
    pending.close()
    assert "import-read-ahead" not in _threads()
    assert len(produced) <= 4  # one ahead, not the whole (endless) input


def test_the_active_language_carries_over() -> None:
    def languages() -> Iterator[str | None]:
        yield translation.get_language()

    with translation.override("es"):
        assert list(read_ahead(languages())) == ["es"]
