"""Reference data (taxonomies, catalogs, questionnaires) that must always be present.

Each app seeds its reference rows in a data migration. ``flush`` (used by
``opensro demo --reset`` and by transactional tests) deletes every row but does not
re-run migrations; it does send ``post_migrate``, so the same idempotent seed
functions are registered here and run again after every migrate or flush.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS

#: app label -> seed functions taking an app registry (``apps.get_model``).
Seed = Callable[[Any], None]
_SEEDS: dict[str, list[Seed]] = {}


def register_seed(app_label: str, seed: Seed) -> None:
    funcs = _SEEDS.setdefault(app_label, [])
    if seed not in funcs:
        funcs.append(seed)


def reseed(sender: AppConfig, app_config: AppConfig | None = None, apps: Any = None,
           using: str = DEFAULT_DB_ALIAS, plan: Any = None, **kwargs: Any) -> None:
    """``post_migrate`` receiver: run the seeds of the app that was just migrated."""
    config = app_config or sender
    funcs = _SEEDS.get(config.label, ())
    if not funcs or using != DEFAULT_DB_ALIAS:
        return
    if apps is None:  # flush sends no app registry: the current models are the ones
        from django.apps import apps as current_apps

        apps = current_apps
    for seed in funcs:
        try:
            seed(apps)
        except LookupError:  # migrated to a state before the model existed
            continue
