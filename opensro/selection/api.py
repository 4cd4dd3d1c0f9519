"""API endpoints of the selection app (mounted under /api/selection/)."""

from ninja import Router

router = Router(tags=["selection"])
