"""The metrics at /metrics: what a scan, a crossing, a refused sign-in, an event and an open tab
add, summed over worker processes, and nothing a person could be found by."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from lbt_app.endpoints import api
from lbt_app.metrics import CountSockets
from lbt_app.settings import METRICS_DIR_ENV, PROJECT_ROOT, load_settings
from lbt_app.states.login import LoginState
from lbt_app.states.officer import OfficerState
from tests.app.factories import permit_of
from tests.app.test_login_state import _sign_in, _state
from tests.app.test_officer_state import _officer


def _page() -> str:
    response = TestClient(api).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(text: str, name: str, **labels: str) -> float:
    return _samples(text).get((name, frozenset(labels.items())), 0.0)


def test_a_scan_is_counted_by_outcome_and_source(db_url, session):
    permit = permit_of(session, "RAHIMOV")
    valid_camera = {"outcome": "VALID", "source": "camera"}
    invalid_manual = {"outcome": "INVALID", "source": "manual"}
    before = _page()
    state = _officer()
    asyncio.run(OfficerState.scanned.fn(state, permit.payload, time.time() * 1000))
    assert state.outcome == "VALID"
    asyncio.run(OfficerState.check_number.fn(state, {"number": "ZZ0000000"}))  # no permit has it
    after = _page()
    assert _value(after, "lbt_scans_total", **valid_camera) == (
        _value(before, "lbt_scans_total", **valid_camera) + 1
    )
    assert _value(after, "lbt_scans_total", **invalid_manual) == (
        _value(before, "lbt_scans_total", **invalid_manual) + 1
    )
    for personal in (permit.number, "RAHIMOV", "officer1", "ZZ0000000", permit.payload[:20]):
        assert personal.lower() not in after.lower()


def test_a_recorded_crossing_is_counted_by_direction(db_url, session):
    before = _value(_page(), "lbt_crossings_recorded_total", direction="entry")
    state = _officer()
    asyncio.run(
        OfficerState.scanned.fn(state, permit_of(session, "RAHIMOV").payload, time.time() * 1000)
    )
    asyncio.run(OfficerState.record_crossing.fn(state, "entry"))
    assert state.recorded == "entry"
    assert _value(_page(), "lbt_crossings_recorded_total", direction="entry") == before + 1


def test_a_refused_sign_in_is_counted_by_reason_without_the_name(db_url):
    before = _value(_page(), "lbt_sign_in_failures_total", reason="wrong_password")
    state = _state(LoginState)
    _sign_in(state, "officer1", "not-the-password")
    assert state.error and not state.token
    page = _page()
    assert _value(page, "lbt_sign_in_failures_total", reason="wrong_password") == before + 1
    assert "officer1" not in page and "not-the-password" not in page


def test_every_handled_event_is_timed_under_its_handler(db_url, session):
    name = "lbt_event_seconds_count"
    handler = {"handler": "OfficerState.dismiss"}
    refused = {"handler": "OfficerState.scanned"}
    before = _page()
    state = _officer()
    OfficerState.dismiss.fn(state)
    state.token = ""  # signed out: the scan is refused, and timed all the same
    asyncio.run(
        OfficerState.scanned.fn(state, permit_of(session, "RAHIMOV").payload, time.time() * 1000)
    )
    after = _page()
    assert _value(after, name, **handler) == _value(before, name, **handler) + 1
    assert _value(after, name, **refused) == _value(before, name, **refused) + 1


def _sockets() -> float:
    return REGISTRY.get_sample_value("lbt_sockets_connected") or 0.0


def test_a_tab_counts_while_its_websocket_is_open():
    seen: list[float] = []

    async def socket(websocket) -> None:
        await websocket.accept()
        seen.append(_sockets())
        await websocket.receive_text()
        await websocket.close()

    async def refuse(websocket) -> None:
        await websocket.close()  # before accepting, as a foreign origin is refused

    routes = [WebSocketRoute("/s", socket), WebSocketRoute("/r", refuse)]
    app = CountSockets(Starlette(routes=routes))
    start = _sockets()
    client = TestClient(app)
    with client.websocket_connect("/s") as ws:
        ws.send_text("bye")
    assert seen == [start + 1]
    assert _sockets() == start
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/r"):
        pass
    assert _sockets() == start


WORKER = """
import sys
from lbt_app.metrics import SCANS, SOCKETS
SCANS.labels(outcome="VALID", source="camera").inc()
SOCKETS.inc()
print("counted", flush=True)
sys.stdin.readline()  # open until told
"""
SCRAPE = "from lbt_app.metrics import page; print(page(None).body.decode())"


def _python(code: str, folder: Path, **kwargs) -> subprocess.Popen:
    env = {"PATH": "/usr/bin:/bin", METRICS_DIR_ENV: str(folder)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        **kwargs,
    )


def _scrape(folder: Path) -> str:
    out, _ = _python(SCRAPE, folder).communicate(timeout=60)
    return out


def test_the_page_adds_up_the_workers_and_forgets_the_sockets_of_those_gone(tmp_path):
    workers = [_python(WORKER, tmp_path) for _ in range(2)]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "counted"
        page = _scrape(tmp_path)
        assert _value(page, "lbt_scans_total", outcome="VALID", source="camera") == 2
        assert _value(page, "lbt_sockets_connected") == 2
        workers[0].communicate("\n", timeout=30)  # one worker ends (a restart, a crash)
        page = _scrape(tmp_path)
        assert _value(page, "lbt_scans_total", outcome="VALID", source="camera") == 2
        assert _value(page, "lbt_sockets_connected") == 1
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.communicate("\n", timeout=30)


def _settings(tmp_path: Path):
    return load_settings({"LBT_DATA_DIR": str(tmp_path / "data")})


def test_reflex_run_starts_with_no_counts_and_hands_the_folder_to_its_workers(
    tmp_path, monkeypatch
):
    monkeypatch.setenv(METRICS_DIR_ENV, "")  # undone after the test, whatever start_metrics sets
    monkeypatch.delenv(METRICS_DIR_ENV)
    settings = _settings(tmp_path)
    folder = settings.metrics_dir
    assert folder == tmp_path / "data" / "metrics"
    folder.mkdir(parents=True)
    (folder / "counter_123.db").write_bytes(b"old run")
    (folder / "notes.txt").write_text("not ours")

    settings.start_metrics(["/srv/lbt/.venv/bin/lbt", "backup", "x"])  # another command
    settings.start_metrics(["/srv/lbt/.venv/bin/reflex", "db", "migrate"])
    assert (folder / "counter_123.db").exists()

    settings.start_metrics(["/srv/lbt/.venv/bin/reflex", "run", "--env", "prod"])
    assert not (folder / "counter_123.db").exists() and (folder / "notes.txt").exists()
    assert os.environ[METRICS_DIR_ENV] == str(folder)

    (folder / "counter_456.db").write_bytes(b"a worker's")
    settings.start_metrics(["/srv/lbt/.venv/bin/reflex", "run"])  # a worker inherits the variable
    assert (folder / "counter_456.db").exists()


def test_the_metrics_folder_can_be_set(tmp_path):
    settings = load_settings({"LBT_METRICS_DIR": str(tmp_path / "m")})
    assert settings.metrics_dir == tmp_path / "m"
