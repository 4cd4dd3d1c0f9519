"""API endpoints of the supervision app (mounted under /api/supervision/)."""

from ninja import Router

router = Router(tags=["supervision"])
