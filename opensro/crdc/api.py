"""API endpoints of the crdc app (mounted under /api/crdc/)."""

from ninja import Router

router = Router(tags=["crdc"])
