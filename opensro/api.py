"""The JSON API root: ``/api/``, OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``.

Browsers use their session (with CSRF); integrations send a personal token as
``Authorization: Bearer osro_…``. Every endpoint reads through ``restrict`` and
writes through the services, exactly like the web pages.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as RequestValidationError
from ninja.security import APIKeyCookie, HttpBearer

from opensro.core import tokens
from opensro.core.imports import validation_messages


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = tokens.authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; unsafe methods also need the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api = NinjaAPI(
    title="OpenSRO API",
    version="1",
    description=(
        "Records, oversight and transparency for school resource officer programs. "
        "Every response is limited to what the caller's role grants allow."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": [{"field": f, "message": m} for f, m in validation_messages(exc)]},
        status=422,
    )


#: Request parts and parameter names that ninja puts in front of a field's location.
_LOCATION_PREFIXES = {"body", "query", "path", "header", "cookie", "form", "file", "payload",
                      "filters"}


@api.exception_handler(RequestValidationError)
def on_request_validation_error(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
    """Malformed requests (missing field, wrong type) get the same shape as rule
    violations: ``{"detail": [{"field": ..., "message": ...}]}``."""
    detail = []
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", ())]
        while loc and loc[0] in _LOCATION_PREFIXES:
            loc.pop(0)
        detail.append({"field": ".".join(loc), "message": str(error.get("msg", ""))})
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc) or "You may not do that in your scope."}, status=403
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


#: Apps whose ``api.router`` is mounted at ``/api/<app>``.
APPS = ("program", "training", "selection", "supervision", "surveys", "transparency", "crdc")


def _register() -> None:
    from opensro.core.api import router as core_router
    from opensro.directory.api import router as directory_router
    from opensro.incidents.api import activities
    from opensro.incidents.api import router as incidents_router

    api.add_router("/", core_router)
    api.add_router("/directory/", directory_router)
    api.add_router("/incidents", incidents_router)
    api.add_router("/activities", activities)
    from opensro.analytics.api import router as analytics_router

    api.add_router("/analytics", analytics_router)
    for app in APPS:
        module = importlib.import_module(f"opensro.{app}.api")
        api.add_router(f"/{app}", module.router)


_register()
