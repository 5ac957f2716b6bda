"""A page asked by its route (`/officer`) is answered as it is, not redirected.

Reflex builds each page as a directory's `index.html`, and the static files it serves them
with answer `/officer` with a redirect to `/officer/`: one more round trip before anything of
the page loads, 0.45 s on a rural 3G link (bench/bench_slow_link.py), on every bookmark, typed
address and home-screen launch. Only the app's own page routes are rewritten; every other path
(files, the API, the event websocket) passes as it came."""

from __future__ import annotations

from collections.abc import Iterable

from lbt_app.http_headers import ASGIApp, Scope


class PagePaths:
    """ASGI middleware: a page route without its trailing slash is served as the page."""

    def __init__(self, app: ASGIApp, routes: Iterable[str]) -> None:
        self.app = app
        self.routes = frozenset(route for route in routes if not route.endswith("/"))

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] in self.routes:
            path = scope["path"] + "/"
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)
