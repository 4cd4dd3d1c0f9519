"""Demo data of the transparency app: the published figures of every school year.

Past years are published once, as after their close. The current year shows how
releases build on each other: a district-level release a month ago, then today's full
release (programs, districts and schools), protected together with the earlier one.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from opensro.directory.models import SchoolYear
from opensro.transparency.models import PublicationRun
from opensro.transparency.services import publish

if TYPE_CHECKING:
    from opensro.demo import DemoContext


def build(ctx: DemoContext) -> None:
    now = timezone.now()
    today = timezone.localdate()
    runs: list[PublicationRun | None] = []
    for year in SchoolYear.objects.filter(start_date__lte=today).order_by("start_date"):
        if year.end_date < today:
            end = datetime.datetime.combine(year.end_date, datetime.time(12),
                                            tzinfo=datetime.UTC) + datetime.timedelta(days=20)
            runs.append(publish(None, year, now=min(end, now)))
            continue
        runs.append(publish(None, year, ["district"], now=now - datetime.timedelta(days=30)))
        runs.append(publish(None, year, now=now))
    ctx.data["publication_runs"] = [r.pk for r in runs if r is not None]
