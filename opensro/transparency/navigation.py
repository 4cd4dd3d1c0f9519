"""Menu entries of the transparency app for a signed-in user."""

from __future__ import annotations

from typing import Any


def menu_items(user: Any) -> list[dict[str, str]]:
    return []
