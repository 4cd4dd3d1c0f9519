"""Menu entries of the program app for a signed-in user."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from opensro.core.permissions import VIEW, can


def menu_items(user: Any) -> list[dict[str, str]]:
    from opensro.directory.models import Assignment
    from opensro.program.models import Mou
    from opensro.program.views import may_use_compliance

    items = []
    if may_use_compliance(user):
        items.append({"label": "Compliance", "url": reverse("program-compliance")})
    if can(user, VIEW, Mou):
        items.append({"label": "MOUs", "url": reverse("mou-list")})
    if can(user, VIEW, Assignment):
        items.append({"label": "Staffing", "url": reverse("program-staffing")})
    return items
