"""Menu entries of the supervision app for a signed-in user."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from opensro.core.permissions import CHANGE, VIEW, can
from opensro.supervision.models import (
    EarlyWarningResult,
    Evaluation,
    EvaluationInput,
    Review,
)


def menu_items(user: Any) -> list[dict[str, str]]:
    """One "Supervision" entry for everyone who takes part in reviews, evaluations or
    the early warning (R-F1…R-F3)."""
    if any(can(user, VIEW, model) for model in (EarlyWarningResult, Review, Evaluation)) or \
            can(user, CHANGE, EvaluationInput):
        return [{"label": "Supervision", "url": reverse("supervision-home")}]
    return []
