"""API endpoints of the training app (mounted under /api/training/)."""

from ninja import Router

router = Router(tags=["training"])
