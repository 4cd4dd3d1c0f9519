"""Demo data of the transparency app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opensro.demo import DemoContext


def build(ctx: DemoContext) -> None:
    return None
