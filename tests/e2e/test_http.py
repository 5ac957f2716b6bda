"""What the running app shows the network and the disk: security headers, only its own origin
(HTTP and the event websocket), loopback only, and files no other local user can read."""

from __future__ import annotations

import json
import socket
import stat
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

from lbt_app.settings import PROJECT_ROOT
from tests.e2e.conftest import hydrated, metrics_of, sign_in, sign_in_as_officer, wait_until
from tests.e2e.harness import no_redirects

pytestmark = pytest.mark.browser

STRANGER = "http://evil.example"


def _get(url: str, origin: str | None = None):
    request = urllib.request.Request(url, headers={"Origin": origin} if origin else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}


def _websocket_status(app, origin: str) -> int:
    """The status of a websocket handshake on the event endpoint sent with `origin`."""
    parts = urlsplit(app.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(
            (
                "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {origin}\r\n\r\n"
            ).encode()
        )
        status_line = conn.recv(1024).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_every_answer_carries_the_security_headers(app):
    for path in ("/", "/officer", "/manifest.json", "/ping"):
        status, headers = _get(app.url + path)
        assert status == 200, path
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "camera=(self)" in headers["permissions-policy"]


def _built(pattern: str) -> str:
    """The address of a file of the build the app serves (Vite names it after its content)."""
    return (
        "/assets/"
        + next((PROJECT_ROOT / ".web" / "build" / "client" / "assets").glob(pattern)).name
    )


def _fetch(url: str, accept: str) -> tuple[dict[str, str], bytes]:
    """The headers and the body as they travelled (urllib decodes nothing)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}, response.read()


@pytest.mark.parametrize(
    ("accept", "encoding"), [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip")]
)
def test_the_scanners_decoder_travels_compressed_and_is_kept_a_year(app, accept, encoding):
    headers, body = _fetch(app.url + _built("zxing_reader-*.wasm"), accept)
    assert headers["content-type"] == "application/wasm"
    assert headers["content-encoding"] == encoding
    assert len(body) <= 450_000  # 947 KB as it is
    assert headers["cache-control"] == "public, max-age=31536000, immutable"


def test_content_hashed_files_are_kept_pages_and_the_rest_asked_again(app):
    for path in (_built("*.js"), _built("*.css")):
        headers, _ = _fetch(app.url + path, "br")
        assert headers["cache-control"] == "public, max-age=31536000, immutable", path
        assert headers["content-encoding"] == "br", path
    for path in ("/", "/officer", "/sw.js", "/manifest.json", "/favicon.ico", "/ping"):
        headers, _ = _fetch(app.url + path, "br")
        assert headers["cache-control"] == "no-cache", path
    headers, _ = _fetch(app.url + "/api/health", "br")
    assert headers["cache-control"] == "no-store"


def test_a_page_asked_by_its_route_is_answered_without_a_redirect(app):
    """A bookmark, typed address or home-screen launch costs no extra round trip (0.45 s on a
    3G link): the page comes at once, with or without its trailing slash."""
    for path, title in (
        ("/officer", "Border officer"),
        ("/officer/", "Border officer"),
        ("/authority/residents", "Residents"),
        ("/admin/agreements", "Agreements"),
    ):
        with no_redirects.open(app.url + path, timeout=10) as response:
            assert response.status == 200, path
            assert f"<title>{title}</title>" in response.read().decode(), path
    with pytest.raises(urllib.error.HTTPError) as missing:
        no_redirects.open(app.url + "/officers", timeout=10)
    assert missing.value.code == 404


def test_the_health_check_answers_beside_the_pages(app):
    with urllib.request.urlopen(app.url + "/api/health", timeout=10) as response:
        assert response.status == 200
        assert response.headers["content-type"] == "application/json"
        body = json.load(response)
    assert body["status"] == "ok" and body["version"]
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert ("redis" in body["checks"]) == ("LBT_REDIS_URL" in app.env)


def test_only_the_apps_own_origin_is_answered(app):
    _, foreign = _get(app.url + "/ping", origin=STRANGER)
    assert "access-control-allow-origin" not in foreign
    _, own = _get(app.url + "/ping", origin=app.url)
    assert own["access-control-allow-origin"] == app.url
    assert _websocket_status(app, STRANGER) >= 400
    assert _websocket_status(app, app.url) == 101


def test_another_site_cannot_frame_the_app(page, app):
    page.set_content(f'<iframe id="f" src="{app.url}/" width="360" height="600"></iframe>')
    page.wait_for_load_state("load")
    framed = [f for f in page.frames if f != page.main_frame]
    assert framed and all(not f.url.startswith(app.url) for f in framed)  # Chromium's error page


def test_the_app_listens_on_loopback_only(app):
    port = urlsplit(app.url).port
    listening = [
        c.laddr.ip
        for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    ]
    assert listening and set(listening) <= {"127.0.0.1", "::1"}


def _loose(folder: Path) -> list[str]:
    """Files or folders below `folder` (itself included) that others may read."""
    paths = [folder, *folder.rglob("*")]
    return [str(p) for p in paths if stat.S_IMODE(p.stat().st_mode) & 0o077]


def test_the_database_keys_and_session_states_are_owner_only(page, app):
    sign_in(page, app, "farhod", "farhod-demo-2026")
    page.wait_for_url("**/wallet")
    hydrated(page)
    states = Path(app.env["REFLEX_STATES_WORKDIR"])
    if "LBT_REDIS_URL" not in app.env:  # embedded: the tab's state (with its token) on disk
        assert wait_until(page, lambda: list(states.glob("*.pkl")))  # written after 2 s
        assert _loose(states) == []
    assert _loose(Path(app.env["LBT_DATA_DIR"])) == []


def test_the_metrics_add_up_every_worker_of_this_run(page, app):
    sign_in_as_officer(page, app)  # a tab connected to whichever worker, an event handled
    metrics = metrics_of(app)
    assert metrics[("lbt_sockets_connected", frozenset())] >= 1
    assert metrics[("lbt_event_seconds_count", frozenset({("handler", "LoginState.sign_in")}))]
    assert not any("officer1" in str(key) for key in metrics)
    # `reflex run` counts in files, one per worker process, in the data folder (mode 0600)
    folder = Path(app.env["LBT_DATA_DIR"]) / "metrics"
    assert list(folder.glob("histogram_*.db")) and _loose(folder) == []
