"""Shared pieces of every CSV import (architecture rule 8).

An import reads a file row by row, reports every rejected row with its line,
field and reason, and keeps the invariant rows in = rows accepted + rows rejected.
"""

from __future__ import annotations

import csv
import gc
import io
import multiprocessing
import pickle
import queue
import sys
import threading
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone, translation

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass
class ImportReport:
    rows_in: int = 0
    accepted: int = 0
    rejected_lines: set[int] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: bool = False

    @property
    def rejected(self) -> int:
        return len(self.rejected_lines)

    def reject(self, line: int, field_name: str, reason: str) -> None:
        self.errors.append(RowError(line, field_name, reason))
        if line:
            self.rejected_lines.add(line)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.rows_in} rows read: {self.accepted} accepted, {self.rejected} rejected "
            f"({self.created} created, {self.updated} updated, {self.unchanged} unchanged)"
            + ("" if self.stored else "; nothing was stored")
        )


def _no_queries(*args: Any) -> Any:
    raise RuntimeError("The reading side of an import must not use the database")


#: Seconds between thread switches while an import reads ahead (see read_ahead).
SWITCH_INTERVAL = 0.0005


def read_ahead(items: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """Yield what ``items`` yields, computed up to ``depth`` items ahead in a
    background thread (decision 0006): while the caller's thread writes one batch to
    the database (waiting for it, with the interpreter lock released), the next is read,
    checked and built. The reading side must not touch the database (a query there
    raises); the caller's thread keeps the only connection and its transactions. The
    active language and time zone carry over. An exception in ``items`` is raised in
    the caller at the point it would have been. Close the generator (or exhaust it)
    to stop the thread. ``ImportReport``'s list and set updates are safe from both
    threads (each is one operation on a built-in type).

    While it runs, the interpreter switches threads every 0.5 ms instead of 5 ms: the
    writing thread gets the lock back soon after each answer from the database instead
    of waiting out the reading thread's slice (measured: a fifth less time on
    PostgreSQL, docs/performance.md)."""
    slots: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()
    zone = timezone.get_current_timezone()

    def put(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put((kind, value), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            with translation.override(language), timezone.override(zone), \
                    connection.execute_wrapper(_no_queries):
                for item in items:
                    if not put("item", item):
                        return
            put("done", None)
        except BaseException as exc:
            put("error", exc)
        finally:
            connection.close()

    thread = threading.Thread(target=work, name="import-read-ahead", daemon=True)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, SWITCH_INTERVAL))
    thread.start()
    try:
        yield from _relay(slots.get)
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(previous)


def _relay(receive: Callable[[], tuple[str, Any]]) -> Iterator[Any]:
    """Yield the items a reading side sends until it is done; raise its error."""
    while True:
        kind, value = receive()
        if kind == "done":
            return
        if kind == "error":
            raise value
        yield value


#: Whether :func:`read_aside` can run the reading side in a forked process (else it
#: uses a thread). Tests switch it off to check both ways give the same import.
SECOND_PROCESS = "fork" in multiprocessing.get_all_start_methods()


def read_aside(items: Iterator[T]) -> Generator[T, None, None]:
    """Yield what ``items`` yields, computed in a second process (decision 0008).

    The import's reading side (reading the file, checking every row, building the
    rows and audit snapshots to store) and its writing side are both Python; in one
    process they share one interpreter lock, so on a machine with two or more cores
    one of them always waits. Here the reading side runs in a forked child, which
    starts with a copy of everything the parent has loaded (the lookups, the open
    file, the active language and time zone), and sends each item back through a pipe
    (pickled); the parent keeps the only database connection and its transactions.
    The child may not query the database (a query there raises) and never closes the
    parent's connection: it ends with ``os._exit``.

    An exception in ``items`` is raised in the parent at the point it happened (an
    exception that cannot be pickled is raised as a RuntimeError with its traceback).
    Close the generator (or exhaust it) to stop the child. Where processes cannot be
    forked, the reading side runs in a thread instead (:func:`read_ahead`).
    """
    if not SECOND_PROCESS:
        yield from read_ahead(items)
        return
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    language = translation.get_language()
    zone = timezone.get_current_timezone()

    def work() -> None:
        receiving.close()
        for each in connections.all():
            each.execute_wrappers.append(_no_queries)
        try:
            with translation.override(language), timezone.override(zone):
                for item in items:
                    sending.send(("item", item))
            sending.send(("done", None))
        except BaseException as exc:  # every failure goes to the parent
            sending.send(("error", _portable(exc)))
        finally:
            sending.close()

    # Objects that exist now are left out of the child's garbage-collector walks, so
    # the child does not copy the pages they live on (gc.freeze's documented use). A
    # process that froze its objects itself (a settled server, opensro.runtime) stays
    # frozen.
    settled = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        child = context.Process(target=work, name="import-read-aside", daemon=True)
        child.start()
    finally:
        if not settled:
            gc.unfreeze()
    sending.close()
    def receive() -> tuple[str, Any]:
        try:
            message: tuple[str, Any] = receiving.recv()
        except EOFError:
            child.join()
            raise RuntimeError("The import's reading process stopped unexpectedly "
                               f"(exit code {child.exitcode}).") from None
        return message

    try:
        yield from _relay(receive)
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError carrying its traceback."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
    except Exception:  # any failure to pickle
        text = "".join(traceback.format_exception(exc))
        return RuntimeError(f"The import's reading process failed:\n{text}")
    return exc


class FileProblem(Exception):
    """The file as a whole cannot be read (encoding, header)."""


def open_text(raw: IO[bytes] | bytes, encoding: str = "utf-8-sig") -> io.TextIOBase:
    """Wrap a binary file for CSV reading; encoding errors surface when rows are read."""
    stream: IO[bytes] = io.BytesIO(raw) if isinstance(raw, bytes) else raw
    return io.TextIOWrapper(stream, encoding=encoding, newline="", errors="strict")


def read_rows(
    text: Iterable[str], required: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) with header checks; strips whitespace from values."""
    reader = csv.DictReader(text)
    try:
        header = reader.fieldnames
    except UnicodeDecodeError as exc:
        raise FileProblem(
            f"The file is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8 and try again."
        ) from exc
    if not header:
        raise FileProblem("The file is empty; the first line must be the header: "
                          + ",".join(required))
    names = [h.strip() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise FileProblem(
            "The header lacks column(s) " + ", ".join(missing) + "; expected "
            + ",".join(required)
        )
    unknown = [c for c in names if c not in required and c not in optional]
    if unknown:
        raise FileProblem("Unknown column(s) in the header: " + ", ".join(unknown))
    reader.fieldnames = names
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise FileProblem(
                f"The file is not UTF-8 text after line {reader.line_num}; save it as "
                "CSV UTF-8 and try again."
            ) from exc
        except csv.Error as exc:
            raise FileProblem(f"line {reader.line_num}: {exc}") from exc
        if None in row:
            yield reader.line_num, {"__extra__": "1"}
            continue
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items()}


def validation_messages(exc: ValidationError) -> list[tuple[str, str]]:
    """Flatten a ValidationError into (field, message) pairs."""
    if hasattr(exc, "error_dict"):
        return [(f, str(m)) for f, errs in exc.message_dict.items() for m in errs]
    return [("", m) for m in exc.messages]


def parse_count(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a whole number") from exc
    if number < 0:
        raise ValueError(f"{number} is negative; counts cannot be below 0")
    return number


def as_dict(report: ImportReport) -> dict[str, Any]:
    return {
        "rows_in": report.rows_in,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "stored": report.stored,
        "errors": [{"line": e.line, "field": e.field, "reason": e.reason} for e in report.errors],
    }


#: Importers by name, registered by each app: ``opensro import NAME FILE``.
Importer = Any


@dataclass(frozen=True)
class ImporterInfo:
    func: Importer
    help_text: str
    all_or_nothing: bool
    streams: bool


IMPORTERS: dict[str, ImporterInfo] = {}


def register_importer(name: str, func: Importer, help_text: str, *, all_or_nothing: bool,
                      streams: bool = False) -> None:
    """Make ``opensro import NAME`` call ``func(source, actor, all_or_nothing=…)``;
    ``all_or_nothing`` is the importer's default mode."""
    import inspect

    IMPORTERS[name] = ImporterInfo(func, help_text, all_or_nothing,
                                   "progress" in inspect.signature(func).parameters)
