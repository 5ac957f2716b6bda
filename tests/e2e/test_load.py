"""bench/bench_load.py in small: five officers' tabs check and record for a few seconds against
the scaled app (PostgreSQL, Redis, two workers) of this test's own, and none of them sees an
error. The bench's own protocol (hydrate with the stored session token, the officer page's
events, the updates that carry their results) is what is tested: if the app's frames change,
this fails before a load run silently measures nothing."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import bench_load
from lbt_app.settings import PROJECT_ROOT, get_settings
from tests.e2e.conftest import PG_URL, REDIS_URL
from tests.e2e.harness import AppFailed, Preparation, RunningApp, running_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (PG_URL and REDIS_URL), reason="the scaled app needs LBT_TEST_DATABASE_URL and Redis"
    ),
]

OFFICERS = 5
PERMITS = 1_000


@pytest.fixture(scope="module")
def scaled() -> Iterator[RunningApp]:
    try:
        with running_app(
            "scaled", PG_URL, REDIS_URL, prepare=Preparation(schema="lbt_load")
        ) as running:
            yield running
    except AppFailed as failure:
        pytest.fail(str(failure))


@pytest.fixture
def team(scaled: RunningApp, monkeypatch) -> tuple[list[bench_load.Officer], list[str]]:
    """The bench's data in the app's database, signed with the app's key."""
    monkeypatch.setenv("LBT_DATA_DIR", scaled.env["LBT_DATA_DIR"])
    monkeypatch.setenv("LBT_DATABASE_URL", scaled.database_url)
    get_settings.cache_clear()
    try:
        return bench_load.prepare(scaled.database_url, PERMITS, OFFICERS)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_five_officers_check_and_record_without_an_error(scaled, team):
    officers, staff = team
    frontend = bench_load.Frontend.read(PROJECT_ROOT / ".web")
    run = bench_load.run_phase(scaled.url, frontend, officers, staff[:1], seconds=10.0)
    # In a thread of its own (once Playwright runs, this thread's event loop is taken), with
    # this thread's context: Reflex registers the states in it.
    with ThreadPoolExecutor(1) as pool:
        phase = pool.submit(contextvars.copy_context().run, asyncio.run, run).result()
    assert phase.errors == []
    assert phase.officers_with_errors == 0
    assert phase.checks and phase.records  # verdicts came, and crossings were recorded
    assert phase.dashboards  # the staff member's reloads showed the figures
