"""What every HTTP answer of the app gets: the security headers (pages, assets, API, health),
how long a browser may keep it (`cache_control`), and, when the public address is https://, a
redirect there for a page asked over plain HTTP.

The deployment's proxy (deploy/Caddyfile) sends the same headers; the app sends them itself
so that it is safe when reached directly too. Reflex's pages need inline scripts (React
Router's hydration data, the service worker registration) and `eval` (`rx.call_script`); the
scanner compiles WebAssembly. Everything else is this origin only, and no other site may
frame the app.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from lbt_app.settings import get_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "permissions-policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
        "cross-origin-opener-policy": "same-origin",
    }
    if https:  # browsers ignore it over plain HTTP; over HTTPS it pins the site to HTTPS
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


# Vite names what it builds after its content (`/assets/NAME-HASH.EXT`): a new build gives new
# names, so a phone keeps these a year without asking again. Everything else (the pages, sw.js,
# manifest.json, env.json, icons, errors) is asked again each time: an unchanged file answers
# 304 without its body. An answer that says itself (the API: /api/health is no-store) keeps it.
CONTENT_HASHED = re.compile(r"/assets/[^/]+-[A-Za-z0-9_-]{8}\.[A-Za-z0-9.]+")
IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"


def cache_control(path: str, status: int) -> bytes:
    """The Cache-Control of an answer that has none of its own."""
    if status in (200, 304) and CONTENT_HASHED.fullmatch(path):
        return IMMUTABLE
    return REVALIDATE


# Asked on the app's own port by the proxy's health checks and by monitoring, never by people.
MACHINE_PATHS = frozenset({"/ping", "/api/health", "/metrics"})


def _through_https(scope: Scope) -> bool:
    """Whether the proxy in front received this request over HTTPS (it says so in a header)."""
    return any(k == b"x-forwarded-proto" and v == b"https" for k, v in scope["headers"])


class SecurityHeaders:
    """ASGI middleware: the headers above and a Cache-Control on every HTTP response
    (websockets pass as they are; Socket.IO checks their Origin). Behind an https:// public
    address, a request that did not come through the HTTPS proxy is redirected to that address:
    phones need a secure context for the camera and the service worker, and passwords must not
    cross the network in clear."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        settings = get_settings()
        https = settings.public_url.startswith("https://")
        self.headers = security_headers(https)
        self.names = {name for name, _ in self.headers}
        self.https_origin = settings.api_url if https else None

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.https_origin and scope["path"] not in MACHINE_PATHS and not _through_https(scope):
            query = scope.get("query_string", b"").decode("latin-1")
            path = quote(scope["path"], safe="/%:@!$&'()*+,;=-._~")
            location = self.https_origin + path + (f"?{query}" if query else "")
            await send(
                {
                    "type": "http.response.start",
                    "status": 308,
                    "headers": [(b"location", location.encode()), *self.headers],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in self.names
                ]
                if not any(k.lower() == b"cache-control" for k, _ in kept):
                    kept.append((b"cache-control", cache_control(scope["path"], message["status"])))
                message["headers"] = kept + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
