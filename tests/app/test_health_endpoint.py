"""`GET /api/health` for the proxy's load balancing and monitoring: 200 with the database at
head, 503 naming what is wrong — a stopped database, a schema behind, Redis down — without the
database's address or any secret, and the checks off the event loop."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from importlib.metadata import version

import httpx
import pytest
from alembic import command

from lbt_app.db import migrate
from lbt_app.db.engine import engine_for
from lbt_app.endpoints import api
from lbt_app.services import health
from lbt_app.settings import get_settings

SECRET = "hunter2-secret"


@pytest.fixture
def use(monkeypatch):
    """Point the app's settings at other services for one test."""

    def point(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()


async def _ask() -> httpx.Response:
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://lbt") as client:
        return await client.get("/api/health")


def _get() -> httpx.Response:
    """The endpoint's answer, the app run on an event loop in this thread."""
    return asyncio.run(_ask())


def test_a_healthy_database_answers_200_with_the_version(db_url):
    answer = _get()
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert (body["status"], body["version"]) == ("ok", version("lbt-app"))
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "migrations": True,
    }
    assert "at head" in body["checks"]["migrations"]["message"]


@pytest.mark.parametrize("stopped", ["sqlite", "postgresql"])
def test_a_stopped_database_answers_503_with_the_reason(use, tmp_path, stopped):
    url = {
        # a throw-away file that cannot be opened (a directory: chmod stops no root)
        "sqlite": f"sqlite:///{tmp_path}",
        "postgresql": f"postgresql+psycopg://lbt:{SECRET}@127.0.0.1:1/lbt",
    }[stopped]
    use(LBT_DATABASE_URL=url)
    answer = _get()
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert "cannot be opened" in body["checks"]["database"]["message"]
    assert body["checks"]["migrations"] == {
        "ok": False,
        "message": "not checked: the database cannot be reached",
    }
    for hidden in (SECRET, "127.0.0.1", str(tmp_path), "postgresql"):
        assert hidden not in answer.text


def test_a_database_that_never_answers_is_given_up_on_in_seconds(use):
    """A server that takes the connection and then says nothing (hung, or a dropped route)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        use(LBT_DATABASE_URL=f"postgresql+psycopg://lbt@127.0.0.1:{port}/lbt")
        started = time.monotonic()
        answer = _get()
        waited = time.monotonic() - started
    assert answer.status_code == 503
    assert "cannot be opened" in answer.json()["checks"]["database"]["message"]
    assert waited < 15


def test_a_schema_behind_answers_503(use, tmp_path):
    url = f"sqlite:///{tmp_path / 'lbt.db'}"
    migrate.upgrade(url)
    config = migrate.alembic_config()
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    use(LBT_DATABASE_URL=url)
    answer = _get()
    assert answer.status_code == 503
    assert "1 migration behind" in answer.json()["checks"]["migrations"]["message"]


def test_redis_down_answers_503_when_configured(db_url, use):
    use(LBT_REDIS_URL=f"redis://:{SECRET}@127.0.0.1:1/0")
    answer = _get()
    assert answer.status_code == 503
    assert answer.json()["checks"]["redis"]["ok"] is False
    assert SECRET not in answer.text and "127.0.0.1" not in answer.text


def test_the_checks_run_off_the_event_loop(db_url, monkeypatch):
    ran_on = []
    report = health.service_report

    def recorded(settings):
        ran_on.append(threading.get_ident())
        return report(settings)

    monkeypatch.setattr(health, "service_report", recorded)

    assert _get().status_code == 200
    assert ran_on and ran_on[0] != threading.get_ident()  # the loop ran on this thread
