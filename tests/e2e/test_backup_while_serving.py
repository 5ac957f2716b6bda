"""`lbt backup` of the embedded (SQLite) installation while the app serves and the database is
being written (permit checks recorded through the app's own services, as the officer page
does), then restored into a fresh file: the audit chain intact, every table's rows as the
backup's manifest says, the permits VALID."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from tests.e2e.harness import AppFailed, RunningApp, running_app

pytestmark = pytest.mark.browser

LBT = str(Path(sys.executable).parent / "lbt")


@pytest.fixture(scope="module")
def serving() -> Iterator[RunningApp]:
    try:
        with running_app("embedded") as running:
            yield running
    except AppFailed as failure:
        pytest.fail(str(failure))


def _lbt(app: RunningApp, *args: str, url: str | None = None) -> subprocess.CompletedProcess:
    env = app.env | {"LBT_DATABASE_URL": url or app.database_url}
    return subprocess.run([LBT, *args], env=env, capture_output=True, text=True, timeout=300)


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        found = {
            name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            for name in sa.inspect(conn).get_table_names()
        }
    engine.dispose()
    return found


def _serves(app: RunningApp) -> bool:
    with urllib.request.urlopen(app.url + "/ping", timeout=10) as answer:
        return answer.status == 200


def _keep_checking(app: RunningApp, texts: list[str], stop: threading.Event, done: list) -> None:
    """What officers' scans do to the database: a verdict and its audit event, committed."""
    from lbt_app.db.types import utcnow
    from lbt_app.services import checks

    engine = app.engine()
    while not stop.is_set():
        with Session(engine) as session:
            text = texts[len(done) % len(texts)]
            check = checks.assess(session=session, text=text, now=utcnow(), point_code="FOTEHOBOD")
            checks.record_check(session=session, check=check, now=utcnow(), actor_name="officer")
            session.commit()
        done.append(check.verdict.outcome)


def _wait_for_writes(done: list, count: int, writer: threading.Thread) -> None:
    deadline = time.monotonic() + 60
    while len(done) < count:
        assert writer.is_alive() and time.monotonic() < deadline, f"{len(done)} writes only"
        time.sleep(0.05)


def test_backup_while_the_app_serves_and_writes_restores_whole(serving, tmp_path, monkeypatch):
    from lbt_app.settings import get_settings

    monkeypatch.setenv("LBT_DATA_DIR", serving.env["LBT_DATA_DIR"])  # the app's own KEK
    monkeypatch.setenv("LBT_DATABASE_URL", serving.database_url)
    get_settings.cache_clear()
    listed = _lbt(serving, "permits", "--json", "--status", "active").stdout.splitlines()
    texts = [_lbt(serving, "qr", json.loads(r)["number"], "--text").stdout.strip() for r in listed]
    assert len(texts) >= 3
    events_before = _counts(serving.database_url)["auditevent"]

    stop, done = threading.Event(), []
    writer = threading.Thread(target=_keep_checking, args=(serving, texts, stop, done))
    writer.start()
    try:
        _wait_for_writes(done, 20, writer)  # the writes are under way
        assert _serves(serving)
        written_before = len(done)
        file = tmp_path / "lbt.backup"
        made = _lbt(serving, "backup", str(file))
        written_during = len(done) - written_before
        assert made.returncode == 0, made.stderr
        _wait_for_writes(done, written_before + written_during + 20, writer)  # and go on
        assert _serves(serving)
    finally:
        stop.set()
        writer.join(timeout=60)
        get_settings.cache_clear()
    assert not writer.is_alive()
    assert written_during > 0, "no write happened while the backup ran"

    with tarfile.open(file) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    live = _counts(serving.database_url)
    # The copy caught the log in the middle of the writes: more than before, less than now.
    assert events_before < manifest["tables"]["auditevent"] < live["auditevent"]

    restored = f"sqlite:///{tmp_path / 'restored' / 'lbt.db'}"
    done_restore = _lbt(serving, "restore", str(file), url=restored)
    assert done_restore.returncode == 0, done_restore.stderr
    assert _counts(restored) == manifest["tables"]
    chain = _lbt(serving, "audit", "verify", url=restored)
    assert chain.returncode == 0 and "audit chain intact" in chain.stdout, chain.stdout
    verified = _lbt(serving, "verify", "--json", *texts, url=restored)
    assert verified.returncode == 0, verified.stdout
    assert [json.loads(line)["verdict"] for line in verified.stdout.splitlines()] == [
        "VALID"
    ] * len(texts)
