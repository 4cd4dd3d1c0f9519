"""Menu entries of the crdc app for a signed-in user: only for the roles that may read
unsuppressed CRDC counts (district administrators, auditors, system administrators)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse


def menu_items(user: Any) -> list[dict[str, str]]:
    from opensro.crdc.selectors import may_export

    if not may_export(user):
        return []
    return [{"label": "CRDC", "url": reverse("crdc-index")}]
