"""Fixtures shared by the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lbt_app.db.engine import engine_for
from tests.conftest import BACKENDS, PG_URL


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path) -> Iterator[str]:
    """An empty database of its own: a SQLite file, or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with engine_for(PG_URL).begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS lbt_upgrade CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA lbt_upgrade"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3Dlbt_upgrade"
    with engine_for(PG_URL).begin() as conn:
        conn.execute(sa.text("DROP SCHEMA lbt_upgrade CASCADE"))
