"""End-to-end harness: the app in production mode on a free port, Chromium at 390×844.

Runs once on the embedded default (SQLite, state on disk) and, when LBT_TEST_DATABASE_URL and
LBT_TEST_REDIS_URL are set, once scaled out (PostgreSQL, Redis, two backend workers).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from lbt_app.settings import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MOBILE = {"width": 390, "height": 844}
PG_URL = os.environ.get("LBT_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("LBT_TEST_REDIS_URL", "")
MODES = ["embedded"] + (["scaled"] if PG_URL and REDIS_URL else [])
START_TIMEOUT = 420


@dataclass(frozen=True)
class RunningApp:
    url: str
    database_url: str
    env: dict[str, str]
    log: Path

    def engine(self) -> sa.Engine:
        from lbt_app.db.engine import engine_for

        return engine_for(self.database_url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_path() -> str:
    node_bin = PROJECT_ROOT / ".tools" / "node-bin"
    extra = node_bin.read_text().strip() if node_bin.exists() else ""
    return f"{extra}:{os.environ['PATH']}" if extra else os.environ["PATH"]


def _wait_for(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"app did not start in {START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session", params=MODES)
def app(request) -> Iterator[RunningApp]:
    tmp = Path(tempfile.mkdtemp(prefix=f"lbt-e2e-{request.param}-"))
    port = _free_port()
    env = {
        **os.environ,
        "PATH": _node_path(),
        "REFLEX_USE_NPM": "1",
        "LBT_ENV": "development",
        "LBT_DATA_DIR": str(tmp / "data"),
        "REFLEX_STATES_DIR": str(tmp / "states"),
        "REFLEX_TELEMETRY_ENABLED": "false",
    }
    env.pop("LBT_REDIS_URL", None)
    if request.param == "scaled":
        schema = "lbt_e2e"
        with sa.create_engine(PG_URL).begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in PG_URL else "?"
        env["LBT_DATABASE_URL"] = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
        env["LBT_REDIS_URL"] = REDIS_URL
        env["GRANIAN_WORKERS"] = "2"
    else:
        env["LBT_DATABASE_URL"] = f"sqlite:///{tmp / 'data' / 'lbt.db'}"
    bindir = Path(sys.executable).parent
    subprocess.run(
        [str(bindir / "lbt"), "demo"],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log = tmp / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(bindir / "reflex"),
                "run",
                "--env",
                "prod",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
                "--loglevel",
                "info",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(f"http://localhost:{port}/ping", proc, log)
        _wait_for(f"http://localhost:{port}/", proc, log)
        yield RunningApp(f"http://localhost:{port}", env["LBT_DATABASE_URL"], env, log)
    finally:
        _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


def _phone_page(browser, **context_args):
    context = browser.new_context(
        viewport=MOBILE, is_mobile=True, has_touch=True, locale="en-US", **context_args
    )
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    return pg


@pytest.fixture
def page(browser, app):
    pg = _phone_page(browser)
    yield pg
    pg.context.close()


def fake_camera_args(video: Path) -> list[str]:
    """Chromium plays `video` (.y4m, looped) as the camera and grants access without asking."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


@pytest.fixture
def camera(playwright, app):
    """Open a phone-sized page whose camera films `video`: one browser per video file."""
    browsers = []

    def open_page(video: Path):
        b = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + fake_camera_args(video)
        )
        browsers.append(b)
        return _phone_page(b, permissions=["camera"])

    yield open_page
    for b in browsers:
        b.close()


def hydrated(page) -> None:
    page.wait_for_selector("[data-testid=hydrated]", state="attached")


def sign_in(page, app: RunningApp, username: str, password: str) -> None:
    page.goto(app.url + "/")
    hydrated(page)
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("[data-testid=sign-in]")


def sign_in_as_officer(page, app: RunningApp, username: str = "officer1") -> None:
    sign_in(page, app, username, f"{username}-demo-2026")
    page.wait_for_url("**/officer")
    hydrated(page)


VERDICT = "[data-testid=verdict][data-verdict]:not([data-verdict=''])"


def verdict_of(page, timeout: float = 20_000) -> tuple[str, str, str]:
    """(VALID/INVALID/CHECK, code, source) of the verdict on screen, once it is there."""
    el = page.wait_for_selector(VERDICT, timeout=timeout)
    return (
        el.get_attribute("data-verdict") or "",
        el.get_attribute("data-code") or "",
        el.get_attribute("data-source") or "",
    )


def permit_field(app: RunningApp, surname: str, column: str = "number") -> str:
    """A demo permit's number or payload, read from the app's database."""
    assert column in {"number", "payload"}
    with app.engine().connect() as conn:
        return conn.execute(
            sa.text(
                f"SELECT p.{column} FROM permit p JOIN resident r ON r.id = p.resident_id "
                "WHERE r.surname_latin = :s ORDER BY p.id LIMIT 1"
            ),
            {"s": surname},
        ).scalar_one()


def crossings_of(app: RunningApp, surname: str) -> list[tuple[str, bool]]:
    """(direction, manual) of each crossing recorded for a demo resident, oldest first."""
    with app.engine().connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.direction, c.manual FROM crossing c JOIN permit p ON p.id = c.permit_id "
                "JOIN resident r ON r.id = p.resident_id WHERE r.surname_latin = :s ORDER BY c.id"
            ),
            {"s": surname},
        ).all()
    return [(d, bool(m)) for d, m in rows]


def forge_event(sockets: list, handler: str, payload: dict, path: str) -> None:
    """Send an event the page never sends, over the client's own websocket."""
    event = {
        "name": handler,
        "payload": payload,
        "router_data": {"pathname": path, "query": {}, "asPath": path},
    }
    sockets[-1][1].send("42/_event," + json.dumps(["event", event]))


def capture_sockets(page) -> list:
    """Route the page's event websocket through the test, so frames can be injected."""
    sockets: list = []
    page.route_web_socket(
        re.compile(r".*/_event/.*"), lambda ws: sockets.append((ws, ws.connect_to_server()))
    )
    return sockets


def audit_details(app: RunningApp, action: str) -> list[dict]:
    with app.engine().connect() as conn:
        rows = conn.execute(
            sa.text("SELECT detail FROM auditevent WHERE action = :a ORDER BY seq"), {"a": action}
        ).all()
    return [json.loads(d) if isinstance(d, str) else d for (d,) in rows]


def wait_until(page, predicate, seconds: float = 10) -> bool:
    """Poll `predicate`, letting Playwright deliver the page's events in between."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        page.wait_for_timeout(200)
    return predicate()
