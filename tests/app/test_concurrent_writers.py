"""Two writers at the same moment, for real: threads with their own sessions on both backends,
processes on one SQLite file. One permit per application, one crossing per passage, and an
audit log that loses nothing."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, func, select

from lbt_app.core.stay import Direction
from lbt_app.db import migrate
from lbt_app.db.engine import engine_for, session_scope
from lbt_app.db.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Crossing,
    Document,
    Permit,
    Resident,
    User,
    managed_by_models,
)
from lbt_app.services import applications, audit, auth, checks, demo, issuing, statistics
from lbt_app.services.checks import CrossingError
from lbt_app.services.issuing import IssueError
from lbt_app.settings import PROJECT_ROOT, get_settings
from lbt_app.states import applications as applications_state
from lbt_app.states.applications import ApplicationsState
from lbt_app.states.residents import ResidentsState
from lbt_app.states.wallet import WalletState
from tests.app.factories import online_record, permit_of, portrait_jpeg, principal
from tests.app.test_audit_chain_state import _Proxy
from tests.app.test_states import _client, _sub
from tests.app.test_statistics import _reference
from tests.conftest import NOW


def _at_once(*work: Callable[[], object]) -> list[object]:
    """Run each callable in its own thread, all released together; what each returned or
    raised, in order."""
    start = threading.Barrier(len(work))
    results: list[object] = [None] * len(work)

    def run(i: int) -> None:
        start.wait(timeout=30)
        try:
            results[i] = work[i]()
        except Exception as error:  # noqa: BLE001 - the test looks at what each one got
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _pending_id(session: Session) -> int:
    staff = principal(session, "staff")
    (pending,) = applications.queue(session=session, principal=staff, today=NOW.date())
    return pending.application.id or 0


def _permits_of(session: Session, application_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Permit).where(Permit.application_id == application_id)
    ).one()


def _meet_after(monkeypatch, module, name: str, parties: int = 2) -> None:
    """Whoever calls `module.name` waits, once it has returned, until `parties` callers have:
    each has read what it reads before any of them writes."""
    meet = threading.Barrier(parties)
    real = getattr(module, name)

    def met(*args, **kwargs):
        found = real(*args, **kwargs)
        meet.wait(timeout=30)
        return found

    monkeypatch.setattr(module, name, met)


def _decisions_meet(monkeypatch) -> None:
    """Each decider has read the application as still submitted before any of them decides:
    the moment two staff press Approve together."""
    _meet_after(monkeypatch, applications, "own_application")


def test_two_staff_approving_together_issue_one_permit(db_url, session, monkeypatch):
    application_id = _pending_id(session)
    staff = principal(session, "staff")
    _decisions_meet(monkeypatch)

    def approve():
        with session_scope() as own:
            return applications.approve(
                session=own,
                principal=staff,
                application_id=application_id,
                years=2,
                points=["FOTEHOBOD"],
                kek=get_settings().key_encryption_key(),
                now=NOW,
            )

    results = _at_once(approve, approve)
    issued = [r for r in results if isinstance(r, Permit)]
    refused = [r for r in results if isinstance(r, IssueError)]
    assert len(issued) == 1 and len(refused) == 1, results
    assert str(refused[0]) == "This application has already been decided."
    assert _permits_of(session, application_id) == 1
    assert session.get(Application, application_id).status is ApplicationStatus.APPROVED
    assert audit.verify_chain(session=session).ok


def test_approve_and_reject_together_decide_once(db_url, session, monkeypatch):
    application_id = _pending_id(session)
    staff = principal(session, "staff")
    _decisions_meet(monkeypatch)

    def approve():
        with session_scope() as own:
            applications.approve(
                session=own,
                principal=staff,
                application_id=application_id,
                years=2,
                points=["FOTEHOBOD"],
                kek=get_settings().key_encryption_key(),
                now=NOW,
            )
        return ApplicationStatus.APPROVED

    def reject():
        with session_scope() as own:
            applications.reject(
                session=own,
                principal=staff,
                application_id=application_id,
                reason="No proof of address",
                now=NOW,
            )
        return ApplicationStatus.REJECTED

    results = _at_once(approve, reject)
    decided = [r for r in results if isinstance(r, ApplicationStatus)]
    refused = [r for r in results if isinstance(r, IssueError)]
    assert len(decided) == 1 and len(refused) == 1, results
    assert str(refused[0]) == "This application has already been decided."
    assert session.get(Application, application_id).status is decided[0]
    assert _permits_of(session, application_id) == (decided[0] is ApplicationStatus.APPROVED)


def test_approve_selected_in_two_tabs_together_issues_one_permit(db_url, session, monkeypatch):
    """The bulk path ("Approve selected") of two staff pages, ticking the same application."""
    application_id = _pending_id(session)
    _decisions_meet(monkeypatch)
    pages = []
    for _ in range(2):
        page = _sub(_client("staff"), ApplicationsState)
        ApplicationsState.load.fn(page)
        ApplicationsState.toggle_pick.fn(page, str(application_id))
        pages.append(page)
    # The page hands each approval to a worker thread; here the two pages run in two threads.
    monkeypatch.setattr(applications_state.asyncio, "to_thread", _in_this_thread)

    def bulk(page):
        return lambda: asyncio.run(ApplicationsState.approve_picked.fn(_Proxy(page)))

    assert _at_once(bulk(pages[0]), bulk(pages[1])) == [None, None]
    summaries = sorted(page.bulk_summary for page in pages)
    assert summaries == [
        "Permits issued: 0. Not issued: 1.",
        "Permits issued: 1. Not issued: 0.",
    ]
    assert _permits_of(session, application_id) == 1


async def _in_this_thread(function, *args):
    return function(*args)


def _check_and_record(officer: str, number: str, direction: Direction, checked_at, at, meet):
    """An officer scans the permit, waits for the colleague to have scanned too, then records."""

    def work():
        with session_scope() as own:
            who = principal(own, officer)
            permit = own.exec(select(Permit).where(Permit.number == number)).one()
            check = checks.verify_scan(
                session=own, principal=who, text=permit.payload, now=checked_at
            )
        assert direction in check.recordable, check.verdict
        meet.wait(timeout=30)
        with session_scope() as own:
            return checks.record_crossing(
                session=own,
                principal=principal(own, officer),
                text=permit.payload,
                direction=direction,
                check_id=check.check_id,
                now=at,
            )

    return work


def test_two_officers_recording_the_same_passage_record_it_once(db_url, session):
    """Five passages in a row (entry, exit, entry...), each recorded by two officers at once."""
    number = permit_of(session, "RAHIMOV").number
    staff = principal(session, "staff")
    directions = [Direction.ENTRY, Direction.EXIT] * 2 + [Direction.ENTRY]
    for i, direction in enumerate(directions):
        checked_at = NOW + timedelta(hours=i)
        at = checked_at + timedelta(seconds=20)
        meet = threading.Barrier(2)
        results = _at_once(
            _check_and_record("officer1", number, direction, checked_at, at, meet),
            _check_and_record("officer2", number, direction, checked_at, at, meet),
        )
        recorded = [r for r in results if isinstance(r, Crossing)]
        refused = [r for r in results if isinstance(r, CrossingError)]
        assert len(recorded) == 1 and len(refused) == 1, (direction, results)
        assert str(refused[0]) == "Already recorded."
        session.expire_all()  # the holder inside once, the passage counted once
        board = statistics.dashboard(session=session, principal=staff, now=at)
        assert board == _reference(session, staff, at)
    session.expire_all()
    crossings = session.exec(
        select(Crossing)
        .join(Permit, Permit.id == Crossing.permit_id)
        .where(Permit.number == number, Crossing.at > NOW)
        .order_by(Crossing.at)
    ).all()
    assert [c.direction for c in crossings] == [str(d) for d in directions]
    assert audit.verify_chain(session=session).ok


def test_one_check_records_one_crossing_even_sent_twice_at_once(db_url, session):
    """A double tap, or the same event handled by two workers: the check is the key."""
    officer = principal(session, "officer1")
    permit = permit_of(session, "RAHIMOV")
    check = checks.verify_scan(session=session, principal=officer, text=permit.payload, now=NOW)
    session.commit()

    def record():
        with session_scope() as own:
            return checks.record_crossing(
                session=own,
                principal=officer,
                text=permit.payload,
                direction=Direction.ENTRY,
                check_id=check.check_id,
                now=NOW,
            )

    results = _at_once(record, record)
    assert sum(isinstance(r, Crossing) for r in results) == 1, results
    assert [str(r) for r in results if isinstance(r, CrossingError)] == ["Already recorded."]
    session.expire_all()
    assert session.exec(select(func.count()).where(Crossing.check_id == check.check_id)).one() == 1


APPEND = """
import sys, time
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.services import audit

name, count = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
started = time.monotonic()
for i in range(count):
    with session_scope() as session:
        audit.record(
            session=session, action="permit_checked", now=utcnow(), actor_name=name, subject=str(i)
        )
print(started, time.monotonic(), flush=True)
"""


def test_two_processes_appending_to_one_sqlite_audit_log_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    migrate.upgrade(url)
    env = {**os.environ, "LBT_DATABASE_URL": url}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", APPEND, name, "200"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("worker-a", "worker-b")
    ]
    assert [writer.stdout.readline() for writer in writers] == ["ready\n"] * 2
    for writer in writers:  # both imported and connected: go
        writer.stdin.write("go\n")
        writer.stdin.flush()
    outputs = [writer.communicate(timeout=300) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], outputs
    assert all(err == "" for _, err in outputs), outputs
    (a_start, a_end), (b_start, b_end) = [map(float, out.split()) for out, _ in outputs]
    assert a_start < b_end and b_start < a_end  # they did write at the same time
    with Session(engine_for(url)) as session:
        actors = session.exec(select(AuditEvent.actor).order_by(AuditEvent.seq)).all()
        check = audit.verify_chain(session=session)
    assert sorted(actors) == ["worker-a"] * 200 + ["worker-b"] * 200
    assert check.ok and check.events == 400
    lbt = subprocess.run(
        [sys.executable, "-m", "lbt_app.cli", "audit", "verify"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert lbt.returncode == 0 and "Traceback" not in lbt.stderr, lbt.stderr


PERMIT_COLUMNS = (
    "resident_id, authority_id, application_id, border_area_id, valid_from, valid_until,"
    " max_stay_days, status, status_reason, kid, payload, photo_hash, issued_at, issued_by_id"
)


def _demo_installation(url: str) -> Config:
    """The demo data in an up-to-date database; the Alembic configuration to move it."""
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        demo.load(session=session, kek=bytes(32), now=NOW)
        session.commit()
    return migrate.alembic_config()


def _down_and_up_again(url: str, config: Config, revision: str) -> None:
    """Down to `revision` and up again: the schema is the models' exactly."""
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    migrate.upgrade(url)
    with engine_for(url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": managed_by_models})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_an_old_installation_holding_two_permits_for_one_application_upgrades(empty_url, caplog):
    """The later permit stays as issued, no longer names the application, and is named in a
    warning; down and up again."""
    url = empty_url
    config = _demo_installation(url)
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "ed630585f8c6")
        first, application_id = connection.execute(
            sa.text("SELECT id, application_id FROM permit WHERE application_id IS NOT NULL")
        ).first()
        connection.execute(
            sa.text(
                f"INSERT INTO permit (number, {PERMIT_COLUMNS}) SELECT 'SPARE-1', {PERMIT_COLUMNS}"
                " FROM permit WHERE id = :id"
            ),
            {"id": first},
        )
    with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
        migrate.upgrade(url)
    assert "permit SPARE-1 was a second permit for application" in caplog.text
    with Session(engine_for(url)) as session:
        linked = session.exec(
            select(Permit.number).where(Permit.application_id == application_id)
        ).all()
        spare = session.exec(select(Permit).where(Permit.number == "SPARE-1")).one()
    assert linked != ["SPARE-1"] and len(linked) == 1
    assert spare.application_id is None and spare.status == "active"
    _down_and_up_again(url, config, "ed630585f8c6")


PROOF = b"%PDF-1.4 proof of residence"


def _filings_meet(monkeypatch) -> None:
    """Each filer has looked for a waiting application and found none before any of them
    writes: the moment two people press Register (or Apply) together."""
    _meet_after(monkeypatch, applications, "_has_waiting")


def _filed(session: Session, resident_id: int) -> tuple[int, int, int]:
    """Waiting applications of the resident, proofs of residence, application_submitted events."""
    session.expire_all()
    waiting = session.exec(
        select(func.count())
        .select_from(Application)
        .where(
            Application.resident_id == resident_id,
            Application.status == ApplicationStatus.SUBMITTED,
        )
    ).one()
    proofs = session.exec(
        select(func.count()).select_from(Document).where(Document.kind == "proof_of_residence")
    ).one()
    submitted = session.exec(
        select(func.count()).where(AuditEvent.action == "application_submitted")
    ).one()
    return waiting, proofs, submitted


def _close_waiting(session: Session, resident_id: int) -> None:
    session.execute(
        sa.update(Application)
        .where(Application.resident_id == resident_id)
        .values(status=ApplicationStatus.REJECTED, reason="next round")
    )
    session.commit()


def test_two_staff_filing_for_one_resident_together_file_one_application(
    db_url, session, monkeypatch
):
    """Ten rounds: both have seen no waiting application; the database lets one through and
    the other is told so, with nothing of theirs written."""
    resident_id = permit_of(session, "GHAFUROVA").resident_id
    staff = principal(session, "staff")
    _filings_meet(monkeypatch)

    def file():
        with session_scope() as own:
            return applications.submit(
                session=own, principal=staff, resident_id=resident_id, proof=PROOF, now=NOW
            )

    for _ in range(10):
        _, proofs, submitted = _filed(session, resident_id)
        results = _at_once(file, file)
        filed = [r for r in results if isinstance(r, Application)]
        refused = [r for r in results if isinstance(r, applications.ApplicationError)]
        assert len(filed) == 1 and len(refused) == 1, results
        assert str(refused[0]) == applications.ALREADY_WAITING
        assert _filed(session, resident_id) == (1, proofs + 1, submitted + 1)
        _close_waiting(session, resident_id)
    assert audit.verify_chain(session=session).ok


def test_a_resident_online_and_staff_at_the_desk_together_file_one_application(
    db_url, session, monkeypatch
):
    """Through the pages: farhod applies from the wallet while staff register an application
    for him from his file."""
    resident_id = principal(session, "farhod").resident_id
    _filings_meet(monkeypatch)
    for _ in range(5):
        _, proofs, submitted = _filed(session, resident_id)
        desk = _sub(_client("staff"), ResidentsState)
        ResidentsState.load.fn(desk)
        ResidentsState.open_resident.fn(desk, str(resident_id))
        desk._proof = PROOF
        wallet = _sub(_client("farhod"), WalletState)
        WalletState.load.fn(wallet)
        wallet._proof = PROOF
        desk_said, _ = _at_once(
            lambda: ResidentsState.register_application.fn(desk),  # noqa: B023
            lambda: WalletState.apply.fn(wallet, {}),  # noqa: B023
        )
        desk_filed = not desk._proof  # the desk forgets the proof once it is registered
        wallet_refusal = wallet.apply_errors.get("proof", "")
        assert desk_filed == (wallet_refusal == applications.ALREADY_WAITING), wallet_refusal
        assert desk_filed or (wallet_refusal == "" and not isinstance(desk_said, list))
        assert _filed(session, resident_id) == (1, proofs + 1, submitted + 1)
        _close_waiting(session, resident_id)


def test_two_tabs_of_a_new_applicant_applying_together_make_one_record(
    db_url, session, monkeypatch
):
    """A new account applies from two tabs at once: one record, one application."""
    signed = auth.sign_up(
        session=session,
        username="+992900445566",
        password="a-long-pass",
        full_name="Z",
        address="203.0.113.9",
        now=NOW,
    )
    session.commit()
    me = signed.principal
    _meet_after(monkeypatch, applications, "check_record")  # both saw the account unlinked

    def apply():
        with session_scope() as own:
            application, errors = applications.apply_online(
                session=own,
                principal=me,
                raw=online_record("N7654321"),
                photo=portrait_jpeg(),
                proof=PROOF,
                now=NOW,
            )
            assert errors == {}
            return application

    results = _at_once(apply, apply)
    assert sum(isinstance(r, Application) for r in results) == 1, results
    assert [str(r) for r in results if isinstance(r, Exception)] == [applications.ALREADY_WAITING]
    session.expire_all()
    user = session.exec(select(User).where(User.username == "+992900445566")).one()
    records = session.exec(select(Resident).where(Resident.document_number == "N7654321")).all()
    assert [r.id for r in records] == [user.resident_id]


def test_an_old_installation_holding_two_waiting_applications_of_one_resident_upgrades(
    empty_url, caplog
):
    """The oldest keeps waiting; the later ones are rejected with a reason naming it and are
    named in a warning; down and up again."""
    url = empty_url
    config = _demo_installation(url)
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "5db6ca1559d4")
        kept, resident_id = connection.execute(
            sa.text("SELECT id, resident_id FROM application WHERE status = 'submitted'")
        ).one()
        copy = (
            "INSERT INTO application (resident_id, authority_id, status, proof_id, submitted_at,"
            " reason) SELECT resident_id, authority_id, status, proof_id, {later}, reason"
            " FROM application WHERE id = :id"
        )
        pg = connection.dialect.name == "postgresql"
        later = "submitted_at + INTERVAL '1 hour'" if pg else "datetime(submitted_at, '+1 hour')"
        for _ in range(2):
            connection.execute(sa.text(copy.format(later=later)), {"id": kept})
    with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
        migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        rows = session.exec(select(Application).where(Application.resident_id == resident_id)).all()
    by_status = {s: sorted(a.id for a in rows if a.status == s) for s in ApplicationStatus}
    assert by_status[ApplicationStatus.SUBMITTED] == [kept]
    closed = by_status[ApplicationStatus.REJECTED]
    assert len(closed) == 2
    for application in rows:
        if application.id in closed:
            assert f"application {kept} of this resident was already waiting" in (
                application.reason
            )
            assert application.decided_at is not None and application.decided_by_id is None
            assert f"application {application.id} was a second waiting application" in (caplog.text)
    _down_and_up_again(url, config, "5db6ca1559d4")


def test_one_permit_renewed_by_two_staff_together_is_renewed_once(db_url, session, monkeypatch):
    """Two renewals of one permit would give the holder two usable permits for the same years:
    the holder's permits are issued one at a time, and the second is refused."""
    old = permit_of(session, "RAHIMOV")
    staff = principal(session, "staff")
    _meet_after(monkeypatch, issuing, "own_permit")

    def renew():
        with session_scope() as own:
            return issuing.renew(
                session=own,
                principal=staff,
                number=old.number,
                years=2,
                kek=get_settings().key_encryption_key(),
                now=NOW,
            )

    results = _at_once(renew, renew)
    assert sum(isinstance(r, Permit) for r in results) == 1, results
    assert [str(r) for r in results if isinstance(r, Exception)] == [issuing.ALREADY_HELD]
    session.expire_all()
    held = session.exec(
        select(func.count())
        .select_from(Permit)
        .where(Permit.resident_id == old.resident_id, Permit.valid_from > old.valid_until)
    ).one()
    assert held == 1
