"""The synthetic demo county: deterministic, realistic, written through the services.

``opensro demo`` calls :func:`build`. Each part adds to the county in order (the
directory first); later parts read what earlier ones made. Nothing here is real:
names, IDs and numbers are invented (NCES-shaped IDs use the unassigned 399999x
range).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from opensro.core.context import request_context

SEED = 20261123
DEMO_PASSWORD = "opensro-demo"  # noqa: S105  (printed for the demo; never in production)


@dataclass
class DemoContext:
    rng: random.Random
    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (username, label)
    data: dict[str, object] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)


Part = Callable[[DemoContext], None]


def parts() -> list[tuple[str, Part]]:
    from opensro.demo import (
        crdc,
        directory,
        incidents,
        program,
        selection,
        supervision,
        surveys,
        training,
        transparency,
    )

    return [
        ("directory", directory.build),
        ("incidents", incidents.build),
        ("program", program.build),
        ("training", training.build),
        ("selection", selection.build),
        ("supervision", supervision.build),
        ("surveys", surveys.build),
        ("crdc", crdc.build),
        # Last: publishes the year's figures from everything above.
        ("transparency", transparency.build),
    ]


def build(seed: int = SEED, progress: Callable[[str], None] | None = None) -> DemoContext:
    """Build the whole demo county in one transaction per part."""
    ctx = DemoContext(rng=random.Random(seed))
    with request_context():
        for name, part in parts():
            started = time.perf_counter()
            with transaction.atomic():
                part(ctx)
            ctx.timings.append((name, time.perf_counter() - started))
            if progress:
                progress(f"{name}: {ctx.timings[-1][1]:.1f} s")
    return ctx


def is_built() -> bool:
    from opensro.directory.models import District

    return District.objects.filter(nces_id__startswith="39999").exists()
