"""The permit and crossing tallies the desk reads, kept right on every flush of the ORM.

One place catches every write: a session's `after_flush` sees each permit inserted, deleted or
changed in status, last day or authority, and each crossing inserted, whoever wrote it
(issuing, approval, bulk approval, status changes, renewal, the demo loader). Rows written
around the ORM (INSERT … SELECT of a benchmark, a test's bulk insert) are followed by
`rebuild`, which counts everything again in two set-based statements; the migration that made
the tables fills them with it too.

The deltas of one flush are applied in key order, so two transactions lock tally rows in the
same order and never wait for each other in a cycle.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lbt_app.db.models import (
    Agreement,
    Crossing,
    CrossingPoint,
    CrossingTally,
    Permit,
    PermitTally,
)

_TRACKED = ("authority_id", "status", "valid_until")


def _permit_key(values) -> tuple[int, str, date]:
    authority_id, status, valid_until = values
    return authority_id, str(getattr(status, "value", status)), valid_until


def _old_values(permit: Permit) -> tuple:
    state = sa.inspect(permit)
    values = []
    for name in _TRACKED:
        history = state.attrs[name].history
        values.append(history.deleted[0] if history.deleted else getattr(permit, name))
    return tuple(values)


def _changed(permit: Permit) -> bool:
    state = sa.inspect(permit)
    return any(state.attrs[name].history.has_changes() for name in _TRACKED)


def local_day(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def add(connection: sa.Connection, table: sa.Table, keys: list[str], deltas: Counter) -> None:
    """Add each of `deltas` (key values → change) to the `n` of its row of `table`, creating
    the row at need; in key order, so concurrent writers lock rows in one order."""
    rows = [{**dict(zip(keys, key, strict=True)), "n": n} for key, n in sorted(deltas.items()) if n]
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=keys, set_={"n": table.c.n + insert.excluded.n}
        ),
        rows,
    )


def _after_flush(session: Session, _context) -> None:
    permits: Counter = Counter()
    crossings: list[Crossing] = []
    for obj in session.new:
        if isinstance(obj, Permit):
            permits[_permit_key(tuple(getattr(obj, n) for n in _TRACKED))] += 1
        elif isinstance(obj, Crossing):
            crossings.append(obj)
    for obj in session.deleted:
        if isinstance(obj, Permit):
            permits[_permit_key(_old_values(obj))] -= 1
    for obj in session.dirty:
        if isinstance(obj, Permit) and _changed(obj):
            permits[_permit_key(_old_values(obj))] -= 1
            permits[_permit_key(tuple(getattr(obj, n) for n in _TRACKED))] += 1
    if not permits and not crossings:
        return
    connection = session.connection()
    add(connection, PermitTally.__table__, ["authority_id", "status", "valid_until"], permits)
    if crossings:
        per_day: Counter = Counter()
        with session.no_autoflush:  # the officer's point and agreement are loaded already
            for crossing in crossings:
                point = session.get(CrossingPoint, crossing.crossing_point_id)
                agreement = session.get(Agreement, point.agreement_id) if point else None
                if agreement is not None:
                    day = local_day(crossing.at, agreement.timezone)
                    per_day[crossing.crossing_point_id, day] += 1
        add(connection, CrossingTally.__table__, ["crossing_point_id", "day"], per_day)


sa.event.listen(Session, "after_flush", _after_flush)


# --- counting everything again ------------------------------------------------------------


@lru_cache(maxsize=4096)
def _sqlite_local_day(at: str | None, zone: str) -> str | None:
    if at is None:
        return None
    instant = datetime.fromisoformat(at).replace(tzinfo=UTC)
    return local_day(instant, zone).isoformat()


def _local_day_sql(connection: sa.Connection):
    """The calendar day of `crossing.at` in its agreement's zone, computed by the database:
    PostgreSQL's time zones, or on SQLite (which has none) Python's, as an SQL function."""
    at, zone = Crossing.__table__.c.at, Agreement.__table__.c.timezone
    if connection.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(zone, at), sa.Date)
    connection.connection.dbapi_connection.create_function(
        "lbt_local_day", 2, _sqlite_local_day, deterministic=True
    )
    return sa.func.lbt_local_day(at, zone, type_=sa.Date)


def rebuild(connection: sa.Connection) -> None:
    """Count every permit and crossing again (after rows were written around the ORM)."""
    permit, tally = Permit.__table__, PermitTally.__table__
    connection.execute(tally.delete())
    connection.execute(
        tally.insert().from_select(
            ["authority_id", "status", "valid_until", "n"],
            sa.select(
                permit.c.authority_id, permit.c.status, permit.c.valid_until, sa.func.count()
            ).group_by(permit.c.authority_id, permit.c.status, permit.c.valid_until),
        )
    )
    crossing, per_day = Crossing.__table__, CrossingTally.__table__
    day = _local_day_sql(connection).label("day")
    connection.execute(per_day.delete())
    connection.execute(
        per_day.insert().from_select(
            ["crossing_point_id", "day", "n"],
            sa.select(crossing.c.crossing_point_id, day, sa.func.count())
            .select_from(crossing)
            .join(
                CrossingPoint.__table__,
                CrossingPoint.__table__.c.id == crossing.c.crossing_point_id,
            )
            .join(
                Agreement.__table__,
                Agreement.__table__.c.id == CrossingPoint.__table__.c.agreement_id,
            )
            .group_by(crossing.c.crossing_point_id, day),
        )
    )
