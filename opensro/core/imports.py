"""Shared pieces of every CSV import (architecture rule 8).

An import reads a file row by row, reports every rejected row with its line,
field and reason, and keeps the invariant rows in = rows accepted + rows rejected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError


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
