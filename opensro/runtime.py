"""Preparing a server process for steady latency (docs/performance.md, "Incident list
benchmark").

CPython's cyclic garbage collector walks every tracked object in its oldest
generation now and then. A Django process that has loaded OpenSRO (Django, the
statistics libraries, every view and template) holds several hundred thousand such objects
that live as long as the process, and walking them paused a request for 50 to 150 ms
at random: the slowest one in a hundred list-page requests took twice its median
and more. ``settle()`` loads what every request will need, then moves everything
that exists at that point out of the collector's sight (``gc.freeze()``), so later
collections only walk what requests create.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Load the URL map (and with it every view, API and form) and freeze what exists.
    Call once per server process, after Django is set up and before serving."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every app's views and API
    gc.collect()
    gc.freeze()
