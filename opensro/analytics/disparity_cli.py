"""``opensro disparity``: a disparity table from a counts CSV.

Usage::

    opensro disparity --counts FILE.csv [--reference GROUP] [--per N]
                      [--format table|json|csv] [--base-kind population|proportion]
                      [--state-counts STATE.csv]

The CSV has the header ``group,base,count`` (extra columns are ignored): one row
per group, ``base`` the population at risk or the previous decision point,
``count`` the outcome. The statistics are those of
:mod:`opensro.analytics.stats`, described in ``docs/methods.md`` ("The
``opensro disparity`` command"). It serves R-E1, R-E2 and R-I1.

Exit status: 0 on success, 2 on any input error (the message, on standard
error, names the file, line and field).

This module needs no Django; ``python -m opensro.analytics.disparity_cli`` runs it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, NoReturn

from opensro.analytics.stats import (
    DisparityInputError,
    DisparitySettings,
    DisparityTable,
    GroupCount,
    GroupRow,
    disparity_table,
)

PROG = "opensro disparity"
EXIT_OK = 0
EXIT_USAGE = 2
REQUIRED_COLUMNS = ("group", "base", "count")

#: Keys of each group object in ``--format json`` (fixed order).
JSON_GROUP_KEYS = (
    "group",
    "base",
    "count",
    "rate",
    "ratio",
    "risk_ratio",
    "ci_low",
    "ci_high",
    "significant",
    "ci_method",
    "p_value",
    "p_adjusted",
    "note",
)
#: Keys of the ``--format json`` object (fixed order).
JSON_KEYS = (
    "reference",
    "per",
    "groups",
    "overall_rate",
    "index_of_disparity",
    "weighted_index_of_disparity",
    "gini",
)
CSV_COLUMNS = JSON_GROUP_KEYS


class InputProblem(Exception):
    """An input error to report on standard error with exit status 2."""


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that writes to the given streams and never calls ``sys.exit``."""

    def __init__(self, out: IO[str], err: IO[str], *, prog: str, description: str) -> None:
        super().__init__(prog=prog, description=description)
        self._out = out
        self._err = err

    def _print_message(self, message: str, file: object | None = None) -> None:
        if message:
            (self._err if file is sys.stderr else self._out).write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._err.write(message)
        raise _Exit(status)


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return int(value) if value.is_integer() else value


def build_parser(out: IO[str], err: IO[str]) -> argparse.ArgumentParser:
    """The argument parser of ``opensro disparity``."""
    parser = _Parser(
        out,
        err,
        prog=PROG,
        description=(
            "Rates, relative rate index (with 95% confidence interval and "
            "Benjamini-Hochberg control), IDEA risk ratio, Index of Disparity and "
            "between-group Gini from a CSV of counts with header group,base,count. "
            "See docs/methods.md."
        ),
    )
    parser.add_argument(
        "--counts", required=True, metavar="FILE.csv", help="CSV with header group,base,count"
    )
    parser.add_argument(
        "--reference",
        default="WH",
        metavar="GROUP",
        help="reference group for the relative rate (default: WH)",
    )
    parser.add_argument(
        "--per",
        type=_positive_number,
        default=1000,
        metavar="N",
        help="rate multiplier: 1000 for a population base, 100 for a later step (default: 1000)",
    )
    parser.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format"
    )
    parser.add_argument(
        "--base-kind",
        choices=("population", "proportion"),
        default="population",
        help=(
            "population: Poisson rate-ratio intervals (default); proportion: "
            "ratio-of-proportions (Katz) intervals, for a base that is a previous step"
        ),
    )
    parser.add_argument(
        "--state-counts",
        metavar="STATE.csv",
        help="the state's counts (same format), for the IDEA alternate risk ratio",
    )
    return parser


# ---------------------------------------------------------------------------
# Reading the CSV
# ---------------------------------------------------------------------------


def _whole_number(text: str, where: str, field: str) -> int:
    value = text.strip()
    if value == "":
        raise InputProblem(f"{where}: field '{field}' is empty")
    try:
        number = int(value)
    except ValueError:
        raise InputProblem(
            f"{where}: field '{field}' must be a whole number, got {value!r}"
        ) from None
    if number < 0:
        raise InputProblem(f"{where}: field '{field}' must not be negative, got {number}")
    return number


def read_counts(path: str) -> list[GroupCount]:
    """Read and validate a ``group,base,count`` CSV; raise :class:`InputProblem`."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InputProblem(f"{path}: file does not exist") from None
    except IsADirectoryError:
        raise InputProblem(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise InputProblem(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputProblem(
            f"{path}:{line}: file is not UTF-8 (invalid byte at offset {exc.start})"
        ) from None
    if not text.strip():
        raise InputProblem(f"{path}: file is empty (expected a header group,base,count)")

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header: list[str] | None = None
        header_line = 0
        for row in reader:
            if any(cell.strip() for cell in row):
                header = [cell.strip().lower() for cell in row]
                header_line = reader.line_num
                break
        if header is None:
            raise InputProblem(f"{path}: file is empty (expected a header group,base,count)")
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise InputProblem(
                f"{path}:{header_line}: header is missing column(s) {', '.join(missing)} "
                f"(expected group,base,count; found {','.join(header)})"
            )
        duplicated = [c for c in REQUIRED_COLUMNS if header.count(c) > 1]
        if duplicated:
            raise InputProblem(
                f"{path}:{header_line}: header repeats column(s) {', '.join(duplicated)}"
            )
        index = {c: header.index(c) for c in REQUIRED_COLUMNS}

        groups: list[GroupCount] = []
        first_line: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            where = f"{path}:{line}"
            for column in REQUIRED_COLUMNS:
                if index[column] >= len(row):
                    raise InputProblem(f"{where}: field '{column}' is missing")
            name = row[index["group"]].strip()
            if not name:
                raise InputProblem(f"{where}: field 'group' is empty")
            base = _whole_number(row[index["base"]], where, "base")
            count = _whole_number(row[index["count"]], where, "count")
            if count > base:
                raise InputProblem(
                    f"{where}: field 'count' ({count}) is larger than field 'base' ({base}) "
                    f"for group {name!r}"
                )
            if name in first_line:
                raise InputProblem(
                    f"{where}: field 'group': duplicate group {name!r} "
                    f"(first on line {first_line[name]})"
                )
            first_line[name] = line
            groups.append(GroupCount(name, base, count))
    except csv.Error as exc:
        raise InputProblem(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None
    if not groups:
        raise InputProblem(f"{path}: file is empty: a header but no data rows")
    return groups


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _clean(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return value


def _row_note(row: GroupRow) -> str | None:
    parts = [row.note]
    if row.risk_ratio_note:
        parts.append(f"risk ratio: {row.risk_ratio_note}")
    kept = [p for p in parts if p]
    return "; ".join(kept) if kept else None


def _row_dict(row: GroupRow) -> dict[str, object]:
    return {
        "group": row.group,
        "base": row.base,
        "count": row.count,
        "rate": _clean(row.rate),
        "ratio": _clean(row.ratio),
        "risk_ratio": _clean(row.risk_ratio),
        "ci_low": _clean(row.ci_low),
        "ci_high": _clean(row.ci_high),
        "significant": row.significant,
        "ci_method": row.ci_method,
        "p_value": _clean(row.p_value),
        "p_adjusted": _clean(row.p_adjusted),
        "note": _row_note(row),
    }


def _per_value(per: float) -> int | float:
    return int(per) if float(per).is_integer() else per


def table_to_json(table: DisparityTable) -> dict[str, object]:
    """The ``--format json`` object: exactly the keys of :data:`JSON_KEYS`."""
    return {
        "reference": table.reference,
        "per": _per_value(table.per),
        "groups": [_row_dict(row) for row in table.groups],
        "overall_rate": _clean(table.overall_rate),
        "index_of_disparity": _clean(table.index_of_disparity),
        "weighted_index_of_disparity": _clean(table.weighted_index_of_disparity),
        "gini": _clean(table.gini),
    }


def _fmt(value: float | None, spec: str) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return format(value, spec)


def _fmt_p(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 0.0001:
        return "<0.0001"
    return f"{value:.4f}"


def render_table(table: DisparityTable) -> str:
    """Aligned, human-readable table with the summary measures underneath."""
    per = _per_value(table.per)
    headers = [
        "group",
        "base",
        "count",
        f"rate/{per:,}",
        "ratio",
        f"{1 - table.settings.alpha:.0%} CI",
        "p",
        "p (BH)",
        "sig",
        "risk ratio",
        "method",
    ]
    right = {1, 2, 3, 4, 5, 6, 7, 9}
    lines_data: list[list[str]] = []
    notes: list[str] = []
    for row in table.groups:
        ci = (
            f"{_fmt(row.ci_low, '.2f')}-{_fmt(row.ci_high, '.2f')}"
            if row.ci_low is not None and row.ci_high is not None
            else "-"
        )
        risk_ratio = _fmt(row.risk_ratio, ".2f")
        if row.risk_ratio is not None and row.risk_ratio_alternate:
            risk_ratio += " (alt)"
        lines_data.append(
            [
                row.group,
                f"{row.base:,}",
                f"{row.count:,}",
                _fmt(row.rate, ".2f"),
                _fmt(row.ratio, ".2f"),
                ci,
                _fmt_p(row.p_value),
                _fmt_p(row.p_adjusted),
                "yes" if row.significant else "no",
                risk_ratio,
                row.ci_method or "-",
            ]
        )
        note = _row_note(row)
        if note:
            notes.append(f"  {row.group}: {note}")
    widths = [max(len(h), *(len(r[i]) for r in lines_data)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [
        f"Disparity table: reference {table.reference}, rates per {per:,} ({table.base_kind} base)",
        "",
        line(headers),
        line(["-" * w for w in widths]),
        *(line(r) for r in lines_data),
        "",
        f"overall rate per {per:,}:          {_fmt(table.overall_rate, '.2f')}",
        f"index of disparity (%):          {_fmt(table.index_of_disparity, '.1f')}",
        f"weighted index of disparity (%): {_fmt(table.weighted_index_of_disparity, '.1f')}",
        f"between-group Gini:              {_fmt(table.gini, '.3f')}",
        f"significance: Benjamini-Hochberg at q = {table.settings.fdr_q:g} "
        f"across {sum(1 for r in table.groups if r.p_value is not None)} comparison(s)",
    ]
    if notes:
        out += ["", "Notes:", *notes]
    return "\n".join(out) + "\n"


def render_csv(table: DisparityTable) -> str:
    """One row per group, columns :data:`CSV_COLUMNS`; empty cells for undefined values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in table.groups:
        data = _row_dict(row)
        writer.writerow(
            [
                ""
                if data[key] is None
                else ("true" if data[key] is True else "false" if data[key] is False else data[key])
                for key in CSV_COLUMNS
            ]
        )
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def main(argv: list[str], stdout: IO[str], stderr: IO[str]) -> int:
    """Run ``opensro disparity`` with ``argv`` (without the program name).

    Returns the exit status: 0 on success, 2 on a usage or input error.
    """
    parser = build_parser(stdout, stderr)
    try:
        args = parser.parse_args(argv)
    except _Exit as done:
        return done.status
    try:
        groups = read_counts(args.counts)
        state = read_counts(args.state_counts) if args.state_counts else None
        names = {g.group for g in groups}
        if args.reference not in names:
            known = ", ".join(sorted(names))
            raise InputProblem(
                f"--reference: unknown reference group {args.reference!r}; "
                f"{args.counts} has the groups: {known}"
            )
        settings = DisparitySettings(
            reference=args.reference, per=args.per, base_kind=args.base_kind
        )
        table = disparity_table(groups, settings=settings, state=state)
    except InputProblem as problem:
        stderr.write(f"{PROG}: error: {problem}\n")
        return EXIT_USAGE
    except DisparityInputError as problem:
        stderr.write(f"{PROG}: error: {problem}\n")
        return EXIT_USAGE

    if args.format == "json":
        stdout.write(json.dumps(table_to_json(table), indent=2, allow_nan=False) + "\n")
    elif args.format == "csv":
        stdout.write(render_csv(table))
    else:
        stdout.write(render_table(table))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.stdout, sys.stderr))
