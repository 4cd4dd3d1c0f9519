"""The program tests' module world: the two-county world of the root conftest, with
uploaded documents stored in a temporary MEDIA_ROOT for the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from conftest import World, module_world


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: Any) -> str:
    return str(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any,
                 media_dir: str) -> Iterator[World]:
    with override_settings(MEDIA_ROOT=media_dir):
        yield from module_world(django_db_blocker)
