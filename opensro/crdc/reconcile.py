"""Reading a district's CRDC counts file (from its student information system) in the
layout of the export, and comparing it with OpenSRO's counts (R-E2).

Every problem is reported with its line, column and reason (architecture rule 8); a
file with any problem is refused whole and nothing is stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from opensro.core.imports import RowError, parse_count
from opensro.crdc.layout import ID_COLUMNS, column_names, known_in_some_year, sex_of
from opensro.directory.models import District, School, SchoolYear

MAX_BYTES = 2 * 1024 * 1024
MAX_ERRORS = 200
KEY = "COMBOKEY"


@dataclass
class ParsedFile:
    columns: list[str] = field(default_factory=list)
    #: {NCES school ID: {column: count, or None for an empty cell}}, in file order.
    values: dict[str, dict[str, int | None]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def error(self, line: int, column: str, reason: str) -> None:
        self.errors.append(RowError(line, column, reason))


def _header_problems(parsed: ParsedFile, names: list[str], year: SchoolYear) -> None:
    allowed = set(column_names(year.sex_codes))
    seen: set[str] = set()
    for name in names:
        if name in seen:
            parsed.error(1, name, f"The column {name} appears twice in the header.")
            continue
        seen.add(name)
        if name in ID_COLUMNS or name in allowed:
            continue
        if not name:
            parsed.error(1, "", "The header has an empty column name.")
        elif known_in_some_year(name):
            parsed.error(1, name, f"The {year.code} school year does not collect sex code "
                                  f"{sex_of(name)} (it collects "
                                  f"{', '.join(year.sex_codes)}); remove this column.")
        else:
            parsed.error(1, name, f"Unknown column {name}: the file must use the columns of "
                                  "the CRDC export (download it to see them).")
    if KEY not in seen:
        parsed.error(1, KEY, "The header lacks the COMBOKEY column (the school's "
                             "12-digit NCES ID).")
    parsed.columns = [n for n in dict.fromkeys(names) if n in allowed]
    if not parsed.columns and not parsed.errors:
        parsed.error(1, "", "The header has no count column; use the columns of the CRDC "
                            "export.")


def parse(raw: bytes, district: District, year: SchoolYear) -> ParsedFile:
    """Read and check the whole file; ``errors`` lists every problem found."""
    parsed = ParsedFile()
    if len(raw) > MAX_BYTES:
        parsed.error(0, "", "The file is larger than 2 MB; one district's CRDC counts are "
                            "far smaller. Check that this is the right file.")
        return parsed
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        parsed.error(0, "", f"The file is not UTF-8 text (byte {exc.start}); save it as "
                            "CSV UTF-8 and try again.")
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            parsed.error(0, "", "The file is empty; the first line must be the header of "
                                "the CRDC export.")
            return parsed
        names = [h.strip() for h in header]
        _header_problems(parsed, names, year)
        if parsed.errors:
            return parsed
        schools = {s.nces_id: s for s in School.objects.filter(district=district)}
        first_line: dict[str, int] = {}
        for cells in reader:
            line = reader.line_num
            if not any(v.strip() for v in cells):
                continue
            if len(parsed.errors) >= MAX_ERRORS:
                break
            if len(cells) > len(names):
                parsed.error(line, "", f"The line has {len(cells)} values but the header "
                                       f"has {len(names)} columns.")
                continue
            row = {n: (cells[i].strip() if i < len(cells) else "")
                   for i, n in enumerate(names)}
            _row(parsed, line, row, district, schools, first_line)
    except csv.Error as exc:
        parsed.error(reader.line_num, "", f"The file is not valid CSV: {exc}.")
    if not parsed.errors and not parsed.values:
        parsed.error(0, "", "The file has no school rows.")
    if len(parsed.errors) >= MAX_ERRORS:
        parsed.error(0, "", f"Reading stopped after {MAX_ERRORS} problems; correct these "
                            "and upload again.")
    return parsed


def _row(parsed: ParsedFile, line: int, row: dict[str, str], district: District,
         schools: dict[str, School], first_line: dict[str, int]) -> None:
    nces_id = row.get(KEY, "")
    school = schools.get(nces_id)
    if not nces_id:
        parsed.error(line, KEY, "Give the school's 12-digit NCES ID.")
    elif school is None:
        other = School.objects.filter(nces_id=nces_id).select_related("district").first()
        parsed.error(line, KEY, f"{nces_id} is not a school of {district.name}"
                     + (f" (it is a school of {other.district.name})." if other else "."))
    elif nces_id in first_line:
        parsed.error(line, KEY, f"School {nces_id} appears again (first on line "
                                f"{first_line[nces_id]}); give each school one line.")
        school = None
    if row.get("LEAID") and row["LEAID"] != district.nces_id:
        parsed.error(line, "LEAID", f"{row['LEAID']} is not the LEA ID of {district.name} "
                                    f"({district.nces_id}).")
    if school is not None and row.get("SCHID") and row["SCHID"].zfill(5) != nces_id[-5:]:
        parsed.error(line, "SCHID", f"{row['SCHID']} does not match COMBOKEY {nces_id} "
                                    f"(its school ID is {nces_id[-5:]}).")
    values: dict[str, int | None] = {}
    for column in parsed.columns:
        value = row.get(column, "")
        if value == "":
            values[column] = None
            continue
        try:
            values[column] = parse_count(value)
        except ValueError as exc:
            reason = str(exc)
            if reason.endswith("is negative; counts cannot be below 0"):
                reason += (" (leave the cell empty where the SIS has no count; CRDC "
                           "reserve codes such as -9 are not accepted)")
            parsed.error(line, column, reason[0].upper() + reason[1:] + ".")
    if school is not None:
        first_line[nces_id] = line
        parsed.values[nces_id] = values
