"""Menu entries of the surveys app for a signed-in user."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from opensro.core.permissions import VIEW, can
from opensro.surveys.models import Campaign
from opensro.surveys.selectors import may_read_results


def menu_items(user: Any) -> list[dict[str, str]]:
    items = []
    if can(user, VIEW, Campaign):
        items.append({"label": "Survey windows", "url": reverse("survey-windows-list")})
    if may_read_results(user):
        items.append({"label": "Survey results", "url": reverse("survey-results")})
    return items
