"""Engines and sessions for the database the settings name."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from lbt_app.settings import get_settings


@cache
def engine_for(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


PROBE_TIMEOUT_S = 3


@cache
def probe_engine(url: str) -> sa.Engine:
    """An engine for health checks: it gives up after a few seconds (connecting, and each
    statement) instead of waiting on a stopped server, and never creates a SQLite file."""
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database or ":memory:"

        def open_existing() -> sqlite3.Connection:
            if database == ":memory:":
                return sqlite3.connect(database, check_same_thread=False)
            uri = f"{Path(database).resolve().as_uri()}?mode=rw"
            return sqlite3.connect(uri, uri=True, timeout=PROBE_TIMEOUT_S, check_same_thread=False)

        return sa.create_engine("sqlite://", creator=open_existing, poolclass=NullPool)
    engine = sa.create_engine(
        url,
        connect_args={"connect_timeout": PROBE_TIMEOUT_S},
        pool_pre_ping=True,
        pool_size=1,
        max_overflow=2,
        pool_timeout=PROBE_TIMEOUT_S,
    )

    @sa.event.listens_for(engine, "connect")
    def _statement_timeout(dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {PROBE_TIMEOUT_S * 1000}")
        dbapi_connection.commit()

    return engine


def get_engine() -> sa.Engine:
    return engine_for(get_settings().database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def write_lock(session: Session) -> None:
    """On SQLite, take the database's write lock now (BEGIN IMMEDIATE, waiting up to the busy
    timeout): until this transaction ends no other connection writes, so what it reads from
    here on is current. Elsewhere nothing: PostgreSQL callers lock what they need.

    SQLite's driver begins a transaction only at the first write, and a read before that
    could be outdated by the time this transaction writes; once it has begun, it holds the
    lock already. Reads elsewhere stay outside any lock: a long report never blocks writers."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.flush()  # pending rows begin the transaction (and take the lock) themselves
    driver = session.connection().connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


def one_at_a_time(session: Session, topic: int, key: int) -> None:
    """Until this transaction ends, no other transaction passes this point for the same
    (`topic`, `key`), and each reads what the one before it wrote. PostgreSQL: an advisory
    lock on the pair, so rows stay free for writers of other things; SQLite: the write lock,
    which covers the whole file (`write_lock`). Take it before appending to the audit log,
    whose lock comes last, so two transactions never wait for each other."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:topic, :key)"), {"topic": topic, "key": key}
        )
    else:
        write_lock(session)
