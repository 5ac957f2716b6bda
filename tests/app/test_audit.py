"""The audit log: every column hashed, signed checkpoints, quick and full checks, refusals."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from lbt_app.core.audit_chain import (
    Checkpoint,
    checkpoint_key,
    checkpoint_kid,
    event_hash,
    sign_checkpoint,
)
from lbt_app.core.keys import new_kek
from lbt_app.db.engine import engine_for
from lbt_app.db.models import AuditCheckpoint, AuditEvent, User
from lbt_app.services import audit
from tests.app.factories import principal
from tests.conftest import NOW


def _append(session: Session, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit.record(
            session=session,
            action="test",
            now=NOW,
            actor_name="t",
            subject=str(i),
            detail={"i": i, "name": "Раҳимов"},
        )
    session.commit()


def _event(session: Session, seq: int) -> AuditEvent:
    return session.exec(select(AuditEvent).where(AuditEvent.seq == seq)).one()


def _head(session: Session) -> int:
    return session.exec(select(sa.func.max(AuditEvent.seq))).one()


def _rechain(session: Session, first: int, version: int = 2) -> None:
    """What a forger with write access does: recompute every hash from `first` on."""
    prev = _event(session, first - 1).hash if first > 1 else audit.GENESIS
    events = session.exec(
        select(AuditEvent).where(AuditEvent.seq >= first).order_by(AuditEvent.seq)
    ).all()
    for ev in events:
        ev.prev_hash, ev.hash_version = prev, version
        ev.hash = prev = event_hash(audit.event_fields(ev), version)
        session.add(ev)
    session.commit()


def _checked(session: Session, *, full: bool) -> audit.ChainCheck:
    check = audit.run_check(session=session, now=NOW, full=full, actor_name="test")
    session.commit()
    return check


def test_appending_keeps_the_chain(session):
    before = audit.verify_chain(session=session)
    _append(session, 3)
    after = audit.verify_chain(session=session)
    assert after.ok and after.events == before.events + 3 and after.legacy == 0


def test_an_altered_event_is_named(session):
    target = session.exec(select(AuditEvent).order_by(AuditEvent.seq).offset(2)).first()
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == target.id).values(subject="tampered")
    )
    session.commit()
    check = audit.verify_chain(session=session)
    assert not check.ok and check.first_broken_seq == target.seq
    assert check.problem == "content altered"


def test_a_changed_actor_id_is_named(session):
    _append(session, 1)
    audit.record(session=session, action="test", now=NOW, actor=principal(session, "staff"))
    _append(session, 1)
    target = _event(session, _head(session) - 1)
    other = session.exec(select(User.id).where(User.username == "admin")).one()
    session.execute(sa.update(AuditEvent).where(AuditEvent.id == target.id).values(actor_id=other))
    session.commit()
    check = audit.verify_chain(session=session)
    assert not check.ok and check.first_broken_seq == target.seq
    assert check.problem == "content altered"


def test_a_deleted_event_is_named(session):
    target = session.exec(select(AuditEvent).order_by(AuditEvent.seq).offset(3)).first()
    session.execute(sa.delete(AuditEvent).where(AuditEvent.id == target.id))
    session.commit()
    check = audit.verify_chain(session=session)
    assert not check.ok and check.first_broken_seq == target.seq


def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_next_link(session):
    target = _event(session, 2)
    target.action = "forged"
    target.hash = event_hash(audit.event_fields(target))
    session.add(target)
    session.commit()
    check = audit.verify_chain(session=session)
    assert not check.ok and check.first_broken_seq == 3
    assert check.problem == "link to previous event broken"


def test_deleting_the_newest_events_after_a_checkpoint_is_found(session):
    assert _checked(session, full=True).ok
    _append(session, 5)
    signed = audit.latest_checkpoint(session=session).seq
    session.execute(sa.delete(AuditEvent).where(AuditEvent.seq > signed - 2))
    session.commit()
    for full in (True, False):
        check = audit.verify_chain(session=session, full=full)
        assert not check.ok and check.first_broken_seq == signed - 1, full
        assert check.problem == f"events missing: a checkpoint covers event {signed}"


def test_a_rewritten_event_with_every_later_hash_recomputed_is_found(session):
    assert _checked(session, full=True).ok
    signed = audit.latest_checkpoint(session=session).seq
    _append(session, 3)
    target = _event(session, 5)
    target.detail = {**target.detail, "forged": True}
    session.add(target)
    session.commit()
    _rechain(session, 5)
    full = audit.verify_chain(session=session)
    assert not full.ok and full.first_broken_seq == signed
    assert full.problem == "event differs from its signed checkpoint"
    quick = audit.verify_chain(session=session, full=False)
    assert not quick.ok and quick.first_broken_seq == signed and quick.walked == 1


def test_a_forged_checkpoint_is_found(session):
    assert _checked(session, full=True).ok
    row = audit.latest_checkpoint(session=session)
    _event(session, 5).detail = {"forged": True}
    session.commit()
    _rechain(session, 5)
    row.head_hash = _event(session, row.seq).hash  # moved to match the rewritten chain
    session.add(row)
    session.commit()
    check = audit.verify_chain(session=session)
    assert not check.ok and check.first_broken_seq == row.seq
    assert check.problem == "checkpoint signature does not verify"
    stranger = checkpoint_key(new_kek())  # signed by a key that is not the installation's
    statement = Checkpoint(row.seq, row.events, row.head_hash, row.at)
    row.kid, row.signature = checkpoint_kid(stranger), sign_checkpoint(stranger, statement)
    session.add(row)
    session.commit()
    for full in (True, False):
        check = audit.verify_chain(session=session, full=full)
        assert not check.ok and check.problem == "checkpoint signature does not verify"


def test_a_checkpoint_is_signed_every_so_many_events_and_one_missing_is_found(session, monkeypatch):
    monkeypatch.setattr(audit, "CHECKPOINT_EVERY", 10)
    session.execute(sa.delete(AuditEvent))  # a log begun with this interval
    session.commit()
    _append(session, 25)
    seqs = session.exec(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq)).all()
    assert seqs == [10, 20]
    assert audit.verify_chain(session=session).ok
    session.execute(sa.delete(AuditCheckpoint).where(AuditCheckpoint.seq == seqs[-1]))
    session.commit()
    check = audit.verify_chain(session=session)
    assert not check.ok and check.first_broken_seq == seqs[-1]
    assert check.problem == "signed checkpoint missing"


def test_the_quick_check_reads_only_the_events_after_the_last_verified_checkpoint(session):
    assert _checked(session, full=True).ok
    signed = audit.latest_checkpoint(session=session).seq
    _append(session, 40)
    total = _head(session)
    url = str(session.get_bind().url)

    def read(full: bool) -> tuple[audit.ChainCheck, set[int]]:
        loaded: set[int] = set()

        def count(target: AuditEvent, _context) -> None:
            loaded.add(target.seq)

        sa.event.listen(AuditEvent, "load", count)
        try:
            with Session(engine_for(url)) as fresh:
                return audit.verify_chain(session=fresh, full=full), loaded
        finally:
            sa.event.remove(AuditEvent, "load", count)

    quick, read_quick = read(full=False)
    full, read_full = read(full=True)
    assert quick.ok and full.ok and quick.events == full.events == total
    assert read_quick == set(range(signed, total + 1)) and quick.walked == total - signed + 1
    assert read_full == set(range(1, total + 1)) and full.walked == total
    assert total - signed == 41  # the check's own event and the 40 appended


def test_a_broken_result_stays_until_a_full_check_finds_the_chain_whole(session):
    assert _checked(session, full=True).ok
    target = _event(session, 3)
    session.execute(sa.update(AuditEvent).where(AuditEvent.id == target.id).values(subject="x"))
    session.commit()
    assert _checked(session, full=False).ok  # the quick check starts after event 3
    broken = _checked(session, full=True)
    assert not broken.ok and broken.first_broken_seq == 3
    again = _checked(session, full=False)  # after a broken result it walks everything
    assert not again.ok and again.first_broken_seq == 3 and again.from_seq == 0
    last = audit.last_check(session=session)
    assert last.actor == "test" and last.check.first_broken_seq == 3 and not last.check.ok


def test_a_check_is_recorded_and_signs_the_head_it_reached(session):
    assert audit.last_check(session=session) is None
    staff = principal(session, "staff")
    check = audit.run_check(session=session, now=NOW, full=False, actor=staff)
    session.commit()
    last = audit.last_check(session=session)
    assert last.actor == "staff" and last.at == NOW and last.check.ok
    assert last.check.events == check.events == audit.latest_checkpoint(session=session).seq
    assert _head(session) == check.events + 1  # the check's own event
    assert audit.verify_chain(session=session, full=False).walked == 2


def test_events_hashed_before_the_upgrade_are_checked_as_written_and_versions_only_rise(session):
    _rechain(session, 1, version=1)
    legacy = audit.verify_chain(session=session)
    assert legacy.ok and legacy.legacy == legacy.events
    moved = _event(session, 4)  # version 1 leaves actor_id out: that change goes unseen
    moved.actor_id = session.exec(select(User.id)).first()
    session.commit()
    assert audit.verify_chain(session=session).ok
    _append(session, 2)
    mixed = audit.verify_chain(session=session)
    assert mixed.ok and mixed.legacy == mixed.events - 2
    _rechain(session, _head(session), version=1)  # the newest event back to the weaker hash
    check = audit.verify_chain(session=session)
    assert not check.ok and check.first_broken_seq == _head(session)
    assert check.problem == "hash version out of order"


def _refusals(session: Session) -> list[AuditEvent]:
    session.expire_all()
    return session.exec(
        select(AuditEvent).where(AuditEvent.action == audit.REFUSED).order_by(AuditEvent.seq)
    ).all()


def test_identical_refusals_are_folded_into_a_count(session):
    farhod = principal(session, "farhod")
    before = len(_refusals(session))
    written = [
        audit.record_refusal(
            session=session,
            now=NOW + timedelta(milliseconds=5 * i),
            actor=farhod,
            subject="permits.manage",
            handler="state.authority",
            client="10.0.0.9",
        )
        for i in range(10_000)
    ]
    session.commit()
    assert written.count(True) == 1 and len(_refusals(session)) == before + 1
    later = NOW + timedelta(seconds=61)
    audit.record_refusal(
        session=session, now=later, actor=None, subject="admin", handler="state.admin"
    )
    session.commit()
    rows = _refusals(session)[before:]
    assert [r.detail.get("repeated") for r in rows] == [None, 9_999, None]
    assert rows[1].actor == "farhod" and rows[1].detail["since"] == NOW.isoformat()
    assert rows[1].detail["handler"] == "state.authority" and rows[1].detail["client"] == "10.0.0.9"
    assert audit.verify_chain(session=session).ok


def test_refusals_of_different_kinds_are_each_written_and_the_folds_stay_bounded(
    session, monkeypatch
):
    monkeypatch.setattr(audit, "REFUSAL_KEYS_MAX", 3)
    before = len(_refusals(session))
    for client in ["a", "b", "c", "a", "b", "c", "d", "e"]:
        audit.record_refusal(
            session=session, now=NOW, actor=None, subject="admin", handler="h", client=client
        )
    session.commit()
    assert len(audit._folds) == 3
    rows = _refusals(session)[before:]
    # a, b, c at once; d and e push a and b out, their one repeat each written then.
    assert [(r.detail["client"], r.detail.get("repeated")) for r in rows] == [
        ("a", None),
        ("b", None),
        ("c", None),
        ("a", 1),
        ("d", None),
        ("b", 1),
        ("e", None),
    ]
