"""Serve public pages this process has already served, before the rest of the stack.

A public page is the same for every visitor in a language (it carries no CSRF token,
no user name and no messages; docs/decisions/0007-portal-fast-path.md), so once a
view has rendered it, ``PortalCacheMiddleware`` replays the response for the same
language, path, query and release without running the session, authentication,
message or view code: no database query and no template. Only responses the portal's
views mark as public (``response.portal_public = True``) are remembered.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from opensro.transparency import cache

PREFIX = "/public/"


class PortalCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        language = translation.get_language_from_request(request)
        key = (language, request.get_full_path(), cache.current_release())
        found = cache.remembered_response(key)
        if found is not None:
            # As LocaleMiddleware would: whatever runs after this request in the thread
            # sees the request's language.
            translation.activate(language)
            content, headers = found
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            return response
        response = self.get_response(request)
        if getattr(response, "portal_public", False) and response.status_code == 200:
            cache.remember_response(key, response.content, tuple(
                (name, value) for name, value in response.items()
                if name.lower() not in cache.PER_REQUEST_HEADERS))
        return response
