"""Test set-up: a throw-away database per test (SQLite always, PostgreSQL when
LBT_TEST_DATABASE_URL is set), migrated with the committed migrations and holding the demo data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

# Before any app module reads the settings: never the developer's own data folder.
_TMP = Path(tempfile.mkdtemp(prefix="lbt-tests-"))
os.environ["LBT_DATA_DIR"] = str(_TMP / "data")
os.environ["LBT_DATABASE_URL"] = f"sqlite:///{_TMP / 'default.db'}"
os.environ.pop("LBT_REDIS_URL", None)
os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # metrics in memory, never a server's files
os.environ.setdefault("LBT_ENV", "development")

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from lbt_app.db import migrate  # noqa: E402
from lbt_app.db.engine import engine_for  # noqa: E402
from lbt_app.services import audit, demo  # noqa: E402
from lbt_app.settings import get_settings  # noqa: E402

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PG_URL = os.environ.get("LBT_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


class Snapshot:
    """The demo database's rows, taken once, put back before each test (fast on both backends)."""

    def __init__(self, url: str) -> None:
        self.url = url
        engine = engine_for(url)
        with engine.connect() as conn:
            self.rows = {
                table.name: [dict(r._mapping) for r in conn.execute(sa.select(table))]
                for table in SQLModel.metadata.sorted_tables
            }

    def restore(self) -> None:
        engine = engine_for(self.url)
        tables = SQLModel.metadata.sorted_tables
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())
            for table in tables:
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
            if engine.dialect.name == "postgresql":
                for table in tables:
                    if "id" in table.c and table.c.id.autoincrement and self.rows[table.name]:
                        conn.execute(
                            sa.text(
                                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                f'(SELECT MAX(id) FROM "{table.name}"))'
                            )
                        )


def _fresh_url(backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{_TMP / 'demo.db'}"
    engine = engine_for(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS lbt_tests CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA lbt_tests"))
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3Dlbt_tests"


@pytest.fixture(scope="session", params=BACKENDS)
def demo_snapshot(request) -> Snapshot:
    url = _fresh_url(request.param)
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        demo.load(session=session, kek=get_settings().key_encryption_key(), now=NOW)
        session.commit()
    return Snapshot(url)


@pytest.fixture
def db_url(demo_snapshot: Snapshot, monkeypatch) -> Iterator[str]:
    """The demo database, fresh for this test, and the app's settings pointing at it."""
    demo_snapshot.restore()
    monkeypatch.setenv("LBT_DATABASE_URL", demo_snapshot.url)
    get_settings.cache_clear()
    yield demo_snapshot.url
    get_settings.cache_clear()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    with Session(engine_for(db_url), expire_on_commit=False) as s:
        yield s


@pytest.fixture(autouse=True)
def _no_refusals_pending(monkeypatch) -> None:
    """Identical refusals fold, and anonymous events are rate-limited, per process: each test
    starts with none pending and a full allowance."""
    from lbt_app.states import session as session_state

    monkeypatch.setattr(audit, "_folds", type(audit._folds)())
    buckets = session_state.ANONYMOUS_EVENTS
    monkeypatch.setattr(session_state, "ANONYMOUS_EVENTS", type(buckets)(rate=2, burst=30))


def pytest_sessionfinish(session, exitstatus) -> None:
    shutil.rmtree(_TMP, ignore_errors=True)
