"""Menu entries of the selection app for a signed-in user."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from opensro.core.permissions import VIEW, can


def menu_items(user: Any) -> list[dict[str, str]]:
    from opensro.selection.models import SelectionProcess

    if can(user, VIEW, SelectionProcess):
        return [{"label": "SRO selection", "url": reverse("selections-list")}]
    return []
