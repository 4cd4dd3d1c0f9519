"""What the public portal may show of the program's agreements (R-C3)."""

from __future__ import annotations

from typing import Any


def public_mous(*, agency_id: int | None = None, district_id: int | None = None,
                school_id: int | None = None) -> list[dict[str, Any]]:
    """The MOUs in force that are marked public, for the given scope (any filter may be
    None). Each item: agency, district (names), title, version, effective, expiry,
    last_review (date or None), document_url (public download or None)."""
    return []
