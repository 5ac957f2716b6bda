"""Engines and sessions for the database the settings name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

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
    here on is current. Elsewhere nothing: PostgreSQL locks what it must row by row.

    SQLite's driver begins a transaction only at the first write, and a read before that
    could be outdated by the time this transaction writes; once it has begun, it holds the
    lock already. Reads elsewhere stay outside any lock: a long report never blocks writers."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.flush()  # pending rows begin the transaction (and take the lock) themselves
    driver = session.connection().connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


def lock_row(session: Session, table: type[SQLModel], row_id: int) -> None:
    """Hold one row until this transaction ends, so that writers deciding something about
    it go one at a time and each reads what the previous one wrote: PostgreSQL locks the row
    (FOR NO KEY UPDATE: rows referring to it may still be added); SQLite, whose write lock
    covers the whole file, takes that lock. Take row locks before appending to the audit log
    (its lock comes last), so two transactions never wait for each other."""
    if session.get_bind().dialect.name == "sqlite":
        write_lock(session)
        return
    key = sa.inspect(table).primary_key[0]
    session.execute(sa.select(key).where(key == row_id).with_for_update(key_share=True))
