"""Menu entries of the transparency app for a signed-in user."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from opensro.core.permissions import VIEW, can


def menu_items(user: Any) -> list[dict[str, str]]:
    items = []
    if can(user, VIEW, _run_model()):
        items.append({"label": "Public releases", "url": reverse("transparency-runs")})
    return items


def _run_model() -> Any:
    from opensro.transparency.models import PublicationRun

    return PublicationRun
