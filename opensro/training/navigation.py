"""Menu entries of the training app for a signed-in user."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from opensro.core.permissions import VIEW, can


def menu_items(user: Any) -> list[dict[str, str]]:
    from opensro.training.models import PolicyProfile, StaffTrainingSession, TrainingRecord

    if any(can(user, VIEW, m) for m in (TrainingRecord, StaffTrainingSession, PolicyProfile)):
        return [{"label": "Training", "url": reverse("training-home")}]
    return []
