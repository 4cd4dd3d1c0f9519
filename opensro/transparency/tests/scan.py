"""Read the numbers a public page or file publishes, the way a reader would.

On a page, every count sits in a table cell or in a key figure (``<dd class="count">``)
as plain digits; rates carry a decimal separator, and a suppressed count is a mark with
"suppressed" beside it. In a CSV the ``count`` column, in a JSON file each record's
``count``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

DIGITS = re.compile(r"^\d+$")


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.buffer: list[str] = []
        self.cells: list[str] = []
        self.in_svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.in_svg += 1
        classes = (dict(attrs).get("class") or "").split()
        if tag == "td" or (tag == "dd" and "count" in classes):
            if self.depth == 0:
                self.buffer = []
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg -= 1
        if tag in ("td", "dd") and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self.cells.append("".join(self.buffer).strip())

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.buffer.append(data)


def page_counts(html: str) -> list[int]:
    """Every whole number shown in a table cell or key figure of the page."""
    parser = _Cells()
    parser.feed(html)
    return [int(text) for text in parser.cells if DIGITS.match(text)]


def page_cells(html: str) -> list[str]:
    parser = _Cells()
    parser.feed(html)
    return parser.cells


def csv_counts(text: str) -> list[int]:
    rows = list(csv.DictReader(io.StringIO(text)))
    out = []
    for row in rows:
        if row["count"] == "":
            assert row["suppressed"] == "true" and row["status"] == "suppressed"
            assert row["rate"] == "" and row["ratio"] == ""
            continue
        assert row["suppressed"] == "false"
        out.append(int(row["count"]))
    return out


def json_counts(text: str) -> list[int]:
    doc = json.loads(text)
    out = []
    for rec in doc["records"]:
        if rec["count"] is None:
            assert rec["suppressed"] is True and rec["rate"] is None and rec["ratio"] is None
            continue
        out.append(int(rec["count"]))
    return out


def small(counts: list[int], k: int) -> list[int]:
    return [n for n in counts if 1 <= n < k]


_SVG_IDS = re.compile(r'\s(?:id|xlink:href|href|clip-path)="(?:url\()?#?[A-Za-z0-9_]*\)?"')


def searchable(url: str, body: str) -> str:
    """The body to search for identifiers: an SVG chart without the element ids the
    drawing library generates (hex digests such as ``m94f224a100``, which can contain
    a short badge number by chance) and the references to them. Text, titles and
    every other attribute stay."""
    return _SVG_IDS.sub(" ", body) if ".svg" in url else body
