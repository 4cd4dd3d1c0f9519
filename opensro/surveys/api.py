"""API endpoints of the surveys app (mounted under /api/surveys/)."""

from ninja import Router

router = Router(tags=["surveys"])
