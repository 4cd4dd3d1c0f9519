"""The cache of rendered public pages (docs/transparency.md, "Performance").

Pages are cached under their path, language, recognised query values and the newest
release's token, so a new release replaces every page at once. Each server process
remembers the token for a few seconds, so a page served from the cache needs no
database query.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches

from opensro.transparency import selectors


def page_cache() -> BaseCache:
    """The ``portal`` cache when the settings define one (a cache shared by the server's
    processes renders each page once), else the default cache."""
    return caches["portal" if "portal" in settings.CACHES else "default"]


#: How long a server process trusts the newest release it has seen before asking the
#: database again: a new release shows on every page within this many seconds (at once
#: in the process that published it).
RELEASE_SECONDS = 5.0
_seen: dict[str, tuple[str, float]] = {}


def current_release() -> str:
    """The newest release's token, remembered by this process for a few seconds, so that
    a page served from the cache needs no database query."""
    now = time.monotonic()
    known = _seen.get("release")
    if known is not None and now - known[1] < RELEASE_SECONDS:
        return known[0]
    token = selectors.latest_release()
    _seen["release"] = (token, now)
    return token


#: Pages this process served most recently, in front of the shared cache: a hit costs no
#: file read or unpickling. Keys carry the release token, so nothing here goes stale.
LOCAL_PAGES = 1000
_local: OrderedDict[str, Any] = OrderedDict()


def get_page(key: str) -> Any:
    """The cached page or file body for ``key`` (None when it must be rendered)."""
    value = _local.get(key)
    if value is not None:
        _local.move_to_end(key)
        return value
    value = page_cache().get(key)
    if value is not None:
        _remember(key, value)
    return value


def set_page(key: str, value: Any, timeout: int) -> None:
    page_cache().set(key, value, timeout)
    _remember(key, value)


def _remember(key: str, value: Any) -> None:
    _local[key] = value
    _local.move_to_end(key)
    while len(_local) > LOCAL_PAGES:
        _local.popitem(last=False)


#: Whole responses this process served for a request (language, path with its query,
#: release), replayed by ``PortalCacheMiddleware`` before the session, authentication
#: and message middleware run: a hit costs a dictionary lookup.
Headers = tuple[tuple[str, str], ...]
_responses: OrderedDict[tuple[str, str, str], tuple[bytes, Headers]] = OrderedDict()

#: Headers that belong to one request only and are never replayed.
PER_REQUEST_HEADERS = frozenset({"x-request-id", "set-cookie"})


def remember_response(key: tuple[str, str, str], content: bytes, headers: Headers) -> None:
    _responses[key] = (content, headers)
    _responses.move_to_end(key)
    while len(_responses) > LOCAL_PAGES:
        _responses.popitem(last=False)


def remembered_response(key: tuple[str, str, str]) -> tuple[bytes, Headers] | None:
    found = _responses.get(key)
    if found is not None:
        _responses.move_to_end(key)
    return found


def forget_release() -> None:
    """Called after publishing: this process switches to the new release at once."""
    _seen.pop("release", None)


def clear() -> None:
    """Empty the page cache (and forget the newest release)."""
    page_cache().clear()
    _local.clear()
    _responses.clear()
    forget_release()
