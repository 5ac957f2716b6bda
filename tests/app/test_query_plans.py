"""The lists that grow with an installation read an index, whatever its size: the registry's
name search (a trigram index), the audit log (keyset on `seq`, one action from its index) and
the desk's permit list (newest first, in the index's order).
On PostgreSQL the plans are read from EXPLAIN over tables filled with 30,000 generated rows
(big enough that a scan of everything costs the planner more than the index); on SQLite from
EXPLAIN QUERY PLAN."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlmodel import select

from lbt_app.db.models import Permit, Resident
from lbt_app.services import oversight, permits, residents
from tests.app.factories import principal

ROWS = 30_000


def _statements(session, call: Callable[[], object]) -> list[tuple[str, object]]:
    """The SELECTs `call` runs, with their parameters as the driver got them."""
    found: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            found.append((statement, parameters))

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)
    return found


def _plans(session, call: Callable[[], object], mark: str) -> list[str]:
    """The plan of each statement of `call` whose text holds `mark`."""
    explain = "EXPLAIN QUERY PLAN " if session.get_bind().dialect.name == "sqlite" else "EXPLAIN "
    plans = []
    for statement, parameters in _statements(session, call):
        if mark in statement:
            rows = session.connection().exec_driver_sql(explain + statement, parameters).all()
            plans.append("\n".join(str(row[-1]) for row in rows))
    assert plans, f"no statement with {mark}"
    return plans


def _generate(session) -> None:
    """ROWS residents and ROWS audit events more (PostgreSQL), with statistics."""
    resident = session.exec(select(Resident)).first()
    staff = principal(session, "staff")
    session.execute(
        sa.text(
            "INSERT INTO resident (authority_id, border_area_id, surname_native,"
            " given_names_native, surname_latin, given_names_latin, birth_date, sex, nationality,"
            " document_number, address, residence_since, created_at, search_text, self_declared)"
            " SELECT authority_id, border_area_id, 'Н', 'Н', 'N', 'N', birth_date, sex,"
            " nationality, 'Z' || g, address, residence_since, created_at,"
            " md5(g::text) || ' ' || md5((g + 1)::text), false"
            " FROM resident, generate_series(1, :n) g WHERE id = :id"
        ),
        {"n": ROWS, "id": resident.id},
    )
    session.execute(
        sa.text(
            "INSERT INTO auditevent (seq, at, actor_id, actor, action, subject, detail,"
            " prev_hash, hash, hash_version)"
            " SELECT m.top + g, now(), :actor, 'staff',"
            " CASE WHEN g % 1000 = 0 THEN 'misuse_reported' ELSE 'permit_checked' END,"
            " 'TJ-Z' || g, '{}', '', '', 2"
            " FROM (SELECT max(seq) AS top FROM auditevent) m, generate_series(1, :n) g"
        ),
        {"n": ROWS, "actor": staff.user_id},
    )
    # What autovacuum does soon after a load: GIN's pending list merged, statistics taken.
    session.execute(sa.text("SELECT gin_clean_pending_list('ix_resident_search_trgm')"))
    session.execute(sa.text("ANALYZE resident"))
    session.execute(sa.text("ANALYZE auditevent"))


def test_name_search_reads_the_trigram_index(session):
    staff = principal(session, "staff")
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        _generate(session)

    def search():
        return residents.search_residents(session=session, principal=staff, query="ғафурова")

    plans = _plans(session, search, "search_text")
    assert len(plans) == 2  # the bounded count and the page
    for plan in plans:
        if postgres:
            assert "ix_resident_search_trgm" in plan and "Seq Scan on resident" not in plan, plan
        else:
            assert "VIRTUAL TABLE INDEX" in plan and "resident_search" in plan, plan
    assert [r.surname_latin for r in search()[0]] == ["GHAFUROVA"]


def test_the_audit_log_pages_from_an_index(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics; the PostgreSQL plan is what scale reads")
    _generate(session)
    staff = principal(session, "staff")
    log = oversight.audit_log(session=session, principal=staff)
    for kwargs, index in [
        ({}, "ix_auditevent_seq"),
        ({"up_to": log.events[-1].seq - 1}, "ix_auditevent_seq"),
        ({"newer_than": log.events[-1].seq}, "ix_auditevent_seq"),
        ({"action": "misuse_reported"}, "ix_auditevent_action_seq"),
    ]:

        def page(kwargs=kwargs):
            return oversight.audit_log(session=session, principal=staff, **kwargs)

        for plan in _plans(session, page, "ORDER BY auditevent.seq"):  # the page, the EXISTS
            assert index in plan and "Seq Scan on auditevent" not in plan, (kwargs, plan)
        (count,) = _plans(session, page, "count(")
        # Counting stops at the limit: a scan that stops after 1,001 matches, or an index
        # when the matches are rare (one action).
        assert count.splitlines()[1].strip().startswith("->  Limit"), count
        if "action" in kwargs:
            assert "Seq Scan on auditevent" not in count, count
    assert oversight.audit_log(session=session, principal=staff).count == 1001


def test_the_permit_list_reads_its_page_in_the_index_order(session):
    """Thousands of permits issued at one instant (as a bulk approval issues them): the first
    page comes in order from the index on (issued_at, id), not from sorting all of them."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics; the PostgreSQL plan is what scale reads")
    permit = session.exec(select(Permit)).first()
    session.execute(
        sa.text(
            "INSERT INTO permit (number, resident_id, authority_id, border_area_id, valid_from,"
            " valid_until, max_stay_days, status, status_reason, kid, payload, photo_hash,"
            " issued_at, issued_by_id)"
            " SELECT 'TJ-G' || g, resident_id, authority_id, border_area_id, valid_from,"
            " valid_until, max_stay_days, status, status_reason, kid, payload, photo_hash,"
            " m.last + interval '1 day', issued_by_id"
            " FROM permit, (SELECT max(issued_at) AS last FROM permit) m, generate_series(1, :n) g"
            " WHERE id = :id"
        ),
        {"n": ROWS, "id": permit.id},
    )
    session.execute(sa.text("ANALYZE permit"))
    staff = principal(session, "staff")

    def page():
        return permits.list_permits(session=session, principal=staff, today=permit.valid_from)

    (plan,) = _plans(session, page, "ORDER BY permit.issued_at DESC")
    assert "ix_permit_issued_at_id" in plan and "Sort" not in plan, plan
    numbers = [row.number for row in page()]
    assert numbers[:2] == [f"TJ-G{ROWS}", f"TJ-G{ROWS - 1}"], numbers
