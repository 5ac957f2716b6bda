"""The app's own HTTP policy (lbt_app/http_headers.py), in process: headers on every answer,
and behind an https:// public address, plain HTTP sent there (machines' paths excepted)."""

from __future__ import annotations

import asyncio

import pytest

from lbt_app import http_headers
from lbt_app.settings import load_settings


def _answer(path: str, headers=(), query=b"", kind="http", status=200, answer_headers=()):
    """What the middleware sends for one request; `reached` says whether the app ran."""
    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])
        if kind == "http":
            start = {"type": "http.response.start", "status": status}
            await send({**start, "headers": list(answer_headers)})
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


def _cache_control(path: str, status: int = 200, answer_headers=()) -> str:
    _, start = _answer(path, status=status, answer_headers=answer_headers)
    values = [v.decode() for k, v in start["headers"] if k == b"cache-control"]
    assert len(values) == 1, values
    return values[0]


@pytest.mark.parametrize(
    "path",
    [
        "/assets/zxing_reader-BCjuyud6.wasm",
        "/assets/officer-Dk3_a-9Z.js",
        "/assets/root-C0mAa1bq.css",
        "/assets/inter-latin-400-normal-BOOGhInR.woff2",
    ],
)
def test_content_hashed_files_are_kept_a_year(public, path):
    public("http://localhost:3000")
    assert _cache_control(path) == "public, max-age=31536000, immutable"
    assert _cache_control(path, status=304) == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/officer",
        "/officer/",
        "/sw.js",
        "/manifest.json",
        "/env.json",
        "/scanner.jsx",
        "/icons/icon-192.png",
        "/assets/notes.js",  # no hash in its name
        "/x/assets/officer-Dk3_a-9Z.js",  # not Vite's folder
    ],
)
def test_pages_and_unhashed_files_are_asked_again(public, path):
    public("http://localhost:3000")
    assert _cache_control(path) == "no-cache"


def test_a_missing_hashed_file_is_not_kept(public):
    public("http://localhost:3000")  # an old build's name: the next build may bring it back
    assert _cache_control("/assets/officer-Dk3_a-9Z.js", status=404) == "no-cache"


def test_an_answer_that_says_its_own_caching_keeps_it(public):
    public("http://localhost:3000")
    own = [(b"cache-control", b"no-store")]
    assert _cache_control("/api/health", answer_headers=own) == "no-store"
