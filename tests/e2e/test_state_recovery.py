"""A tab whose server state was lost (the app's Redis restarted, empty) carries on where it was,
signed in from the session token its browser holds; a session that ended meanwhile (signed out
elsewhere, the account deactivated) stays ended. The scaled app (PostgreSQL, two workers) with
a Redis of this test's own, which it kills and starts again."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from tests.e2e.conftest import (
    PG_URL,
    _phone_page,
    permit_field,
    sign_in_as_officer,
    verdict_of,
)
from tests.e2e.harness import AppFailed, Preparation, RunningApp, free_port, running_app

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
NO_PERSISTENCE = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not PG_URL, reason="the scaled app needs LBT_TEST_DATABASE_URL"),
    pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason="needs redis-server"),
]


class OwnRedis:
    """A throw-away Redis on a free port, without persistence: a restart loses every state."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), *NO_PERSISTENCE],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis(port=self.port, socket_timeout=1) as client:
                    client.ping()
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None

    def restart(self) -> None:
        """Killed and started again: empty, as after a crash of a Redis without persistence."""
        before = self.run_id()
        self.stop()
        self.start()
        assert self.run_id() != before

    def run_id(self) -> str:
        with redis.Redis(port=self.port) as client:
            return client.info("server")["run_id"]


@pytest.fixture(scope="module")
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def scaled(own_redis: OwnRedis) -> Iterator[RunningApp]:
    try:
        with running_app(
            "scaled", PG_URL, own_redis.url, prepare=Preparation(schema="lbt_recover")
        ) as running:
            yield running
    except AppFailed as failure:
        pytest.fail(str(failure))


@pytest.fixture
def phone(browser):
    page = _phone_page(browser)
    yield page
    page.context.close()


def _check(page, number: str) -> None:
    page.fill("[data-testid=manual-number]", number)
    page.click("[data-testid=manual-check]")


def _at_rest(page, number: str) -> None:
    """A check and the verdict closed: nothing of the page's own loading is still on its way
    (a tab's events run one after another) when Redis goes."""
    _check(page, number)
    verdict_of(page)
    page.click("[data-testid=verdict-close]")
    page.wait_for_selector("[data-testid=verdict]", state="detached")


def _sockets(page) -> list:
    """The event websockets the page opens from now on."""
    opened: list = []
    page.on("websocket", lambda socket: opened.append(socket))
    return opened


def _toasts(page) -> str:
    return " | ".join(page.locator("[data-sonner-toast]").all_inner_texts())


def _rows(app: RunningApp, query: str, **params) -> list[tuple]:
    with app.engine().connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query), params).all()]


def _sessions(app: RunningApp, username: str) -> list[tuple]:
    """(token hash, ended) of each of the user's sessions."""
    return _rows(
        app,
        'SELECT s.token_hash, s.ended_at IS NOT NULL FROM loginsession s JOIN "user" u '
        "ON u.id = s.user_id WHERE u.username = :u ORDER BY s.id",
        u=username,
    )


def _checks_by(app: RunningApp, username: str) -> int:
    return _rows(
        app,
        "SELECT count(*) FROM auditevent WHERE action = 'permit_checked' AND actor = :u",
        u=username,
    )[0][0]


def test_a_tab_carries_on_after_its_redis_restarted_without_signing_in_again(
    phone, scaled, own_redis
):
    sockets = _sockets(phone)
    sign_in_as_officer(phone, scaled, "officer1")
    token = phone.evaluate("localStorage.getItem('lbt_session')")
    sessions = _sessions(scaled, "officer1")
    number = permit_field(scaled, "YUSUPOVA")
    _at_rest(phone, number)

    own_redis.restart()  # every tab's state is gone
    _check(phone, number)  # the first thing the officer does afterwards
    assert verdict_of(phone) == ("VALID", "valid", "manual")
    assert phone.url.endswith("/officer")
    assert "sign in" not in _toasts(phone).lower()
    phone.click("[data-testid=verdict-close]")  # and the next person, as ever
    phone.wait_for_selector("[data-testid=verdict]", state="detached")
    _check(phone, number)
    assert verdict_of(phone) == ("VALID", "valid", "manual")
    # the same session, from the browser's token, over the same websocket: no new sign-in
    assert phone.evaluate("localStorage.getItem('lbt_session')") == token
    assert _sessions(scaled, "officer1") == sessions
    assert len(sockets) == 1


@pytest.mark.parametrize("ending", ["signed out elsewhere", "deactivated"])
def test_a_session_that_ended_while_the_state_was_lost_stays_ended(
    phone, scaled, own_redis, ending
):
    sign_in_as_officer(phone, scaled, "officer2")
    number = permit_field(scaled, "QODIROV")
    _at_rest(phone, number)
    checks, sessions = _checks_by(scaled, "officer2"), len(_sessions(scaled, "officer2"))
    own_redis.restart()
    with scaled.engine().begin() as conn:
        if ending == "deactivated":
            conn.execute(
                sa.text("UPDATE \"user\" SET is_active = false WHERE username = 'officer2'")
            )
        else:  # what signing out in another tab does on the server
            conn.execute(
                sa.text(
                    "UPDATE loginsession SET ended_at = now() WHERE ended_at IS NULL AND user_id "
                    "= (SELECT id FROM \"user\" WHERE username = 'officer2')"
                )
            )
    try:
        _check(phone, number)
        phone.wait_for_selector("[data-sonner-toast]:has-text('Please sign in.')")
        phone.wait_for_selector("[data-testid=sign-in]")  # turned away to the sign-in page
        assert _checks_by(scaled, "officer2") == checks  # the check was not done
        assert len(_sessions(scaled, "officer2")) == sessions  # and no session was opened
        phone.reload()  # nor does the tab get in by connecting afresh
        phone.wait_for_selector("[data-testid=sign-in]")
    finally:
        with scaled.engine().begin() as conn:
            conn.execute(
                sa.text("UPDATE \"user\" SET is_active = true WHERE username = 'officer2'")
            )
