"""The audit log is hash-chained: any change to a past event is found and named."""

import sqlalchemy as sa
from sqlmodel import select

from lbt_app.db.models import AuditEvent
from lbt_app.services import audit
from tests.conftest import NOW


def test_appending_keeps_the_chain(session):
    before = audit.verify_chain(session=session)
    for i in range(3):
        audit.record(
            session=session,
            action="test",
            now=NOW,
            actor_name="t",
            subject=str(i),
            detail={"i": i, "name": "Раҳимов"},
        )
    session.commit()
    after = audit.verify_chain(session=session)
    assert after.ok and after.events == before.events + 3


def test_an_altered_event_is_named(session):
    target = session.exec(select(AuditEvent).order_by(AuditEvent.seq).offset(2)).first()
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == target.id).values(subject="tampered")
    )
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
    events = session.exec(select(AuditEvent).order_by(AuditEvent.seq).limit(3)).all()
    first = events[1]
    fake = audit._digest(
        first.prev_hash, first.seq, first.at, first.actor, "forged", first.subject, first.detail
    )
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == first.id).values(action="forged", hash=fake)
    )
    session.commit()
    check = audit.verify_chain(session=session)
    assert not check.ok and check.first_broken_seq == events[2].seq
