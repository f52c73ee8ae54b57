"""Marking the platform webhooks for the web server's direct lane (`bot/web/hot.py`)."""

from __future__ import annotations

from starlette.routing import Route


def hot(route: Route) -> Route:
    """Mark `route` (a plain path, no parameters, an async endpoint that handles its own
    errors) to be served directly by `HotStarlette`."""
    if route.param_convertors:
        raise ValueError(f"a hot route has a fixed path: {route.path}")
    route.hot = True  # type: ignore[attr-defined]
    return route
