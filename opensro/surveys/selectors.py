"""Survey results for other apps (evaluations, the annual assessment)."""

from __future__ import annotations

import datetime
from typing import Any


def results_for_school(user: Any, school: Any, start: datetime.date,
                       end: datetime.date) -> list[dict[str, Any]]:
    """Suppressed, aggregated results for one school and period, per question and
    respondent group, scoped to ``user``. Each item: question, group, responses (int or
    None when suppressed), mean (float or None), suppressed (bool)."""
    return []
