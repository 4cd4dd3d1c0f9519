"""The committed JSON Schema of the interchange format is the one the code describes."""

from __future__ import annotations

import json
from pathlib import Path

from opensro.incidents.imports import COLUMNS, REQUIRED, json_schema

SCHEMA = Path(__file__).resolve().parents[1] / "schema" / "incidents-v1.schema.json"


def test_committed_schema_matches_the_importer() -> None:
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert committed == json_schema(), (
        "Regenerate opensro/incidents/schema/incidents-v1.schema.json from "
        "opensro.incidents.imports.json_schema()")
    assert list(committed["properties"]) == list(COLUMNS)
    assert committed["required"] == list(REQUIRED)
    assert committed["additionalProperties"] is False
    assert "arrest" in committed["properties"]["actions"]["pattern"]
