"""The app's own HTTP policy (lbt_app/http_headers.py), in process: headers on every answer,
and behind an https:// public address, plain HTTP sent there (machines' paths excepted)."""

from __future__ import annotations

import asyncio

import pytest

from lbt_app import http_headers
from lbt_app.settings import load_settings


def _answer(path: str, headers=(), query=b"", kind="http"):
    """What the middleware sends for one request; `reached` says whether the app ran."""
    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])
        if kind == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"page"})

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": kind, "path": path, "query_string": query, "headers": list(headers)}
    middleware = http_headers.SecurityHeaders(app)
    asyncio.run(middleware(scope, None, send))
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    return reached, start


@pytest.fixture
def public(monkeypatch):
    def use(url: str) -> str:
        settings = load_settings({"LBT_PUBLIC_URL": url})
        monkeypatch.setattr(http_headers, "get_settings", lambda: settings)
        return url

    return use


def test_plain_http_is_sent_to_the_public_https_address(public):
    public("https://lbt.example.tj")
    reached, start = _answer("/officer/", query=b"lang=ru")
    assert reached == [] and start["status"] == 308
    headers = dict(start["headers"])
    assert headers[b"location"] == b"https://lbt.example.tj/officer/?lang=ru"
    assert b"strict-transport-security" in headers and b"content-security-policy" in headers
    _, odd = _answer("/вход")
    assert dict(odd["headers"])[b"location"] == b"https://lbt.example.tj/%D0%B2%D1%85%D0%BE%D0%B4"


def test_what_came_through_the_https_proxy_is_served_with_the_headers(public):
    public("https://lbt.example.tj")
    through = [(b"x-forwarded-proto", b"https")]
    reached, start = _answer("/officer/", headers=through)
    assert reached == ["/officer/"] and start["status"] == 200
    names = {k for k, _ in start["headers"]}
    assert {b"strict-transport-security", b"permissions-policy", b"x-frame-options"} <= names


@pytest.mark.parametrize("path", ["/ping", "/api/health", "/metrics"])
def test_machines_ask_the_apps_own_port_over_plain_http(public, path):
    public("https://lbt.example.tj")
    reached, start = _answer(path)
    assert reached == [path] and start["status"] == 200


def test_websockets_pass_untouched(public):
    public("https://lbt.example.tj")
    reached, start = _answer("/_event/", kind="websocket")
    assert reached == ["/_event/"] and start is None


def test_without_an_https_address_nothing_is_redirected_and_no_hsts(public):
    public("http://localhost:3000")
    reached, start = _answer("/officer/")
    assert reached == ["/officer/"] and start["status"] == 200
    assert b"strict-transport-security" not in {k for k, _ in start["headers"]}
