"""API endpoints of the program app (mounted under /api/program/)."""

from ninja import Router

router = Router(tags=["program"])
