"""End-to-end fixtures: the app (tests/e2e/harness.py), Chromium at 390×844, page helpers.

Runs once on the embedded default (SQLite, state on disk) and, when LBT_TEST_DATABASE_URL and
LBT_TEST_REDIS_URL are set, once scaled out (PostgreSQL, Redis, two backend workers).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MOBILE,
    AppFailed,
    RunningApp,
    fake_camera_args,
    running_app,
)

PG_URL = os.environ.get("LBT_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("LBT_TEST_REDIS_URL", "")
MODES = ["embedded"] + (["scaled"] if PG_URL and REDIS_URL else [])
E2E = Path(__file__).resolve().parent
OWN_APPS = (
    "test_installation.py",
    "test_deployment.py",
    "test_backup_while_serving.py",
    "test_state_recovery.py",
    "test_load.py",
)
APP_LOG_LINES = 60  # of a failed test's app log, in its report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items) -> None:
    """The browser tests run last: Playwright's event loop stays open until the session ends,
    and `asyncio.run` fails in any test after it. Among them, the apps of their own (a real
    installation, the deployment behind Caddy, a backup while serving, a Redis restart, a small
    load run) run before the demo app of any mode starts: each builds the one frontend, for
    its address."""
    browser = [i for i in items if E2E in i.path.parents]
    own = [i for i in browser if i.path.name in OWN_APPS]
    items[:] = (
        [i for i in items if E2E not in i.path.parents]
        + own
        + [i for i in browser if i.path.name not in OWN_APPS]
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report ends with the app's own last log lines: in CI the app
    and its log are gone by the time anyone reads the failure."""
    outcome = yield
    report = outcome.get_result()
    running = item.funcargs.get("app") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(running, RunningApp) and running.log.exists():
        lines = running.log.read_text(errors="replace").splitlines()[-APP_LOG_LINES:]
        report.sections.append(("the app's log, its last lines", "\n".join(lines)))


@pytest.fixture(scope="session", params=MODES)
def app(request) -> Iterator[RunningApp]:
    try:
        with running_app(request.param, PG_URL, REDIS_URL) as running:
            yield running
    except AppFailed as failure:
        pytest.fail(str(failure))


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


def offline_worker_active(page, timeout: float = 30_000) -> None:
    """Wait until the service worker is active, so the next visit goes through it.

    Not `navigator.serviceWorker.controller`: a page whose navigation was under way while the
    worker claimed its clients stays uncontrolled (a test that signs in right after choosing
    a language does that), yet the worker serves the next visit all the same."""
    page.wait_for_function(
        """() => {
            navigator.serviceWorker.getRegistration().then((r) => {
                window.__worker = r?.active?.state;
            });
            return window.__worker === 'activated';
        }""",
        timeout=timeout,
    )


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


def verdicts_shown(page) -> int:
    """How many verdicts this page has shown so far (the verdict element's data-cue)."""
    return int(page.evaluate("document.querySelector('[data-testid=verdict]')?.dataset.cue ?? 0"))


def verdict_of(page, after: int = 0, timeout: float = 20_000) -> tuple[str, str, str]:
    """(VALID/INVALID/CHECK, code, source) of the first verdict shown after the `after`-th."""
    handle = page.wait_for_function(
        """(after) => {
            const el = document.querySelector('[data-testid=verdict]');
            return el && el.dataset.verdict && Number(el.dataset.cue) > after ? el : null;
        }""",
        arg=after,
        timeout=timeout,
    ).as_element()
    return (
        handle.get_attribute("data-verdict") or "",
        handle.get_attribute("data-code") or "",
        handle.get_attribute("data-source") or "",
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


def assess_as_the_app(app: RunningApp, text: str, point_code: str | None, monkeypatch):
    """The server's verdict for `text`, computed here with the app's database and KEK."""
    from sqlmodel import Session

    from lbt_app.db.types import utcnow
    from lbt_app.services import checks
    from lbt_app.settings import get_settings

    monkeypatch.setenv("LBT_DATA_DIR", app.env["LBT_DATA_DIR"])
    monkeypatch.setenv("LBT_DATABASE_URL", app.database_url)
    get_settings.cache_clear()
    try:
        with Session(app.engine()) as session:
            return checks.assess(session=session, text=text, now=utcnow(), point_code=point_code)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def approve_as_the_app(app: RunningApp, session, staff, application_id: int) -> None:
    """Approve through the service layer with the app's KEK (its signing key is sealed with it)."""
    from dataclasses import replace

    from lbt_app.db.types import utcnow
    from lbt_app.services import applications
    from lbt_app.settings import get_settings

    app_settings = replace(get_settings(), data_dir=Path(app.env["LBT_DATA_DIR"]), kek_env=None)
    kek = app_settings.key_encryption_key()
    applications.approve(
        session=session,
        principal=staff,
        application_id=application_id,
        years=2,
        points=["FOTEHOBOD"],
        kek=kek,
        now=utcnow(),
    )


PHONE_360 = {"width": 360, "height": 740}
# What a person must never read: Reflex's internal state names, empty JSON, snake_case codes.
INTERNAL = re.compile(r"reflex___|\{\}|\b[a-z]+_[a-z_]+\b")


def overflow_and_internal_words(page) -> tuple[int, list[str]]:
    """(pixels the page is wider than the screen, internal names shown in its text)."""
    extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return extra, INTERNAL.findall(page.inner_text("body"))


def choose_language(page, app: RunningApp, lang: str) -> None:
    """A phone-sized sign-in page in `lang`, kept in the browser for the pages that follow."""
    page.set_viewport_size(PHONE_360)
    page.goto(app.url + "/")
    hydrated(page)
    page.select_option("[data-testid=language]", lang)
    page.wait_for_function("(lang) => localStorage.getItem('lbt_lang') === lang", arg=lang)


def metrics_of(app: RunningApp) -> dict[tuple[str, frozenset], float]:
    """The running app's /metrics: each sample's value by its name and labels."""
    request = urllib.request.Request(app.url + "/metrics")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
