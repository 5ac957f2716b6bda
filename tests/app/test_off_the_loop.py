"""Work that grows with its input runs off the event loop, with progress, one at a time per tab.

Each test runs the work twice beside a heartbeat that ticks every 5 ms on the event loop: once
as the handler does it, once called straight on the loop. Straight on the loop the heartbeat
waits as long as the work takes; through the handler it keeps ticking. Only that ratio is
asserted (never a speed): the handler's longest gap is a small part of the work's duration.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, func, select

from bench.bench_audit import build_log
from bench.bench_import import make_csv
from lbt_app import heap
from lbt_app.db.engine import session_scope
from lbt_app.db.models import Application, ApplicationStatus, AuditEvent, Permit, Resident
from lbt_app.db.types import utcnow
from lbt_app.services import applications, audit, cards, residents
from lbt_app.states import applications as applications_state
from lbt_app.states.admin import AdminState
from lbt_app.states.applications import ApplicationsState
from lbt_app.states.desk import AuthorityState
from lbt_app.states.residents import ResidentsState
from tests.app.factories import principal
from tests.app.test_audit_chain_state import _Proxy
from tests.app.test_concurrent_writers import PERMIT_COLUMNS, PROOF
from tests.app.test_states import _client, _pdf_pages, _sub
from tests.conftest import NOW

TICK_S = 0.005
SMALL_PART = 4  # the handler's longest gap is under a quarter of the work's duration


@pytest.fixture(autouse=True)
def _heap_as_the_app_keeps_it():
    """The app freezes what it loaded when it starts (lbt_app.heap); so does this process."""
    heap.freeze_loaded()
    yield
    gc.unfreeze()


def test_the_app_freezes_its_loaded_heap_when_it_starts():
    from lbt_app.lbt_app import app

    assert heap.freeze_loaded in app._lifespan_tasks
    assert gc.get_freeze_count() > 100_000  # this process, as the app's worker: frozen


class _Watched(_Proxy):
    """A background event's state that remembers every value it was given, in order."""

    def __init__(self, state) -> None:
        super().__init__(state)
        object.__setattr__(self, "given", [])

    def __setattr__(self, name, value) -> None:
        super().__setattr__(name, value)
        self.given.append((name, value))

    def values(self, name: str) -> list:
        return [value for given, value in self.given if given == name]


async def _beside_heartbeat(work: Awaitable) -> tuple[float, float, object]:
    """Await `work` while a heartbeat ticks on this loop: the heartbeat's longest gap, the
    work's duration, what it returned."""
    gaps: list[float] = []
    running = True

    async def beat() -> None:
        last = time.perf_counter()
        while running:
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    heartbeat = asyncio.create_task(beat())
    await asyncio.sleep(4 * TICK_S)
    started = time.perf_counter()
    result = await work
    took = time.perf_counter() - started
    running = False
    await heartbeat
    return max(gaps), took, result


async def _straight(function, *args, **kwargs):
    """The same work called on the event loop, as a handler without a thread would."""
    return function(*args, **kwargs)


def _off_the_loop(handler: tuple[float, float, object], straight: tuple[float, float, object]):
    gap, took, _ = handler
    straight_gap, straight_took, _ = straight
    assert straight_gap > straight_took / 2, straight  # on the loop, the loop waits
    assert gap < took / SMALL_PART, (gap, took, straight_gap)


def _usable_copies(session, count: int) -> None:
    """`count` more usable permits of one demo holder (copies of an active one)."""
    (active,) = session.exec(
        select(Permit.id)
        .where(Permit.status == "active", Permit.valid_until >= NOW.date())
        .order_by(Permit.id)
        .limit(1)
    ).all()
    columns = PERMIT_COLUMNS.replace("application_id", "NULL")
    for i in range(count):
        session.execute(
            sa.text(
                f"INSERT INTO permit (number, {PERMIT_COLUMNS})"
                f" SELECT :number, {columns} FROM permit WHERE id = :id"
            ),
            {"number": f"COPY-{i:04d}", "id": active},
        )
    session.commit()


def test_printing_cards_leaves_the_loop_free_shows_progress_and_runs_once(db_url, session):
    _usable_copies(session, 60)
    state = _sub(_client("staff"), AuthorityState)
    asyncio.run(AuthorityState.load.fn(state))
    numbers = [p["number"] for p in state.permits if p["status"] == "active"]
    staff = principal(session, "staff")

    def render():
        with session_scope() as own:
            return cards.permit_cards(session=own, principal=staff, numbers=numbers, now=utcnow())

    straight = asyncio.run(_beside_heartbeat(_straight(render)))
    watched = _Watched(state)
    handler = asyncio.run(_beside_heartbeat(AuthorityState.all_cards.fn(watched)))
    assert _pdf_pages(handler[2]) == len(numbers) >= 40
    _off_the_loop(handler, straight)
    done = watched.values("print_done")
    assert any(0 < n < len(numbers) for n in done), done  # the page followed the batch
    assert f"Printing card {done[-1]} of {len(numbers)}…" in watched.values("print_status")
    assert not state.printing and state.print_status == ""
    # One batch at a time per tab: a second click while printing prints nothing.
    state.printing = True
    assert asyncio.run(AuthorityState.all_cards.fn(_Proxy(state))) is None
    assert asyncio.run(AuthorityState.card.fn(_Proxy(state), numbers[0])) is None
    session.expire_all()
    printed = session.exec(select(func.count()).where(AuditEvent.action == "cards_printed")).one()
    assert printed == 2  # the straight run and the handler's


def test_importing_residents_leaves_the_loop_free_and_shows_progress(db_url, session):
    data = make_csv(6000)
    staff = principal(session, "staff")

    def import_and_undo():
        with session_scope() as own:
            report = residents.import_csv(session=own, principal=staff, data=data, now=NOW)
            own.rollback()
        return report

    straight = asyncio.run(_beside_heartbeat(_straight(import_and_undo)))
    state = _sub(_client("staff"), ResidentsState)
    ResidentsState.load.fn(state)
    state._csv, state.importing = data, True  # as the upload leaves it
    watched = _Watched(state)
    handler = asyncio.run(_beside_heartbeat(ResidentsState.run_import.fn(watched)))
    assert state.import_summary == f"{straight[2].imported} of 6000 rows imported."
    _off_the_loop(handler, straight)
    done = watched.values("import_done")
    assert any(0 < n < state.import_total for n in done), done
    assert not state.importing


def _waiting_residents(session, count: int) -> None:
    """`count` eligible residents (imported), each with an application waiting."""
    staff = principal(session, "staff")
    report = residents.import_csv(session=session, principal=staff, data=make_csv(count), now=NOW)
    assert report.imported >= count - 1
    for resident_id in session.exec(
        select(Resident.id).where(col(Resident.document_number).startswith("B"))
    ).all():
        applications.submit(
            session=session, principal=staff, resident_id=resident_id, proof=PROOF, now=NOW
        )
    session.commit()


def test_approving_selected_leaves_the_loop_free_and_shows_progress(db_url, session):
    _waiting_residents(session, 2 * applications.PAGE_SIZE + 2)
    state = _sub(_client("staff"), ApplicationsState)
    ApplicationsState.load.fn(state)
    ids = [int(r["id"]) for r in state.rows]
    assert len(ids) == applications.PAGE_SIZE  # a batch is at most one page
    staff = principal(session, "staff")

    def approve_page():
        problems = [
            applications_state._approve_one(staff, i, 1, state._point_codes(), state.area)
            for i in ids
        ]
        assert problems == [""] * len(ids)

    straight = asyncio.run(_beside_heartbeat(_straight(approve_page)))
    ApplicationsState.load.fn(state)
    for row in state.rows:
        ApplicationsState.toggle_pick.fn(state, row["id"])
    assert len(state.picked) == applications.PAGE_SIZE
    watched = _Watched(state)
    handler = asyncio.run(_beside_heartbeat(ApplicationsState.approve_picked.fn(watched)))
    assert state.bulk_summary == f"Permits issued: {applications.PAGE_SIZE}. Not issued: 0."
    _off_the_loop(handler, straight)
    done = watched.values("bulk_done")
    assert done[1:] == list(range(1, applications.PAGE_SIZE + 1)), done
    session.expire_all()
    approved = session.exec(
        select(func.count()).where(Application.status == ApplicationStatus.APPROVED)
    ).one()
    assert approved >= 2 * applications.PAGE_SIZE
    # One batch at a time per tab.
    state.bulk_running, state.picked = True, [state.rows[0]["id"]]
    assert asyncio.run(ApplicationsState.approve_picked.fn(_Proxy(state))) is None
    state.bulk_running = False


def test_checking_the_audit_chain_leaves_the_loop_free(db_url, session):
    last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    build_log(session, 12_000, NOW + timedelta(hours=1), after=(last.seq, last.hash))

    def check_and_undo():
        with session_scope() as own:
            found = audit.run_check(session=own, now=NOW, full=False, actor_name="test")
            own.rollback()
        return found

    straight = asyncio.run(_beside_heartbeat(_straight(check_and_undo)))
    assert straight[2].ok and straight[2].walked > 12_000
    state = _sub(_client("admin"), AdminState)
    watched = _Watched(state)
    handler = asyncio.run(_beside_heartbeat(AdminState.check_chain.fn(watched)))
    assert state.chain_state == "intact"
    _off_the_loop(handler, straight)
    assert watched.values("chain_checking") == [True, False]
