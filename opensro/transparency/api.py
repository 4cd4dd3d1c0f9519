"""API endpoints of the transparency app (mounted under /api/transparency/)."""

from ninja import Router

router = Router(tags=["transparency"])
