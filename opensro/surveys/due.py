"""Survey windows closing soon, for the dashboards' "coming due" lists."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse

from opensro.core.flags import DueItem
from opensro.core.permissions import VIEW, restrict
from opensro.surveys.models import Campaign


def closing_windows(user: Any, today: datetime.date, horizon_days: int) -> list[DueItem]:
    """Open windows the user sees that close within the horizon (never overdue: a
    window that has closed is done, not late)."""
    horizon = today + datetime.timedelta(days=horizon_days)
    windows = restrict(Campaign.objects.select_related("school", "school__district"), user,
                       VIEW).filter(opens_on__lte=today, closes_on__gte=today,
                                    closes_on__lte=horizon)
    return [
        DueItem(kind="survey_window", label=f"Survey window at {w.school} closes",
                due=w.closes_on, url=reverse("survey-windows-detail", args=[w.pk]),
                district_id=w.school.district_id, school_id=w.school_id)
        for w in windows
    ]
