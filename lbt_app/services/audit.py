"""The audit log: append-only, each event's hash covering the previous one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from lbt_app.core.access import Principal
from lbt_app.db.models import AuditEvent

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x1B7A0D17  # advisory lock key that serialises appends across workers


def _digest(
    prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str, detail: dict
) -> str:
    body = json.dumps(
        [prev_hash, seq, at.isoformat(), actor, action, subject, detail],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    *,
    session: Session,
    action: str,
    now: datetime,
    actor: Principal | None = None,
    actor_name: str = "",
    subject: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq = last.seq + 1 if last else 1
    prev_hash = last.hash if last else GENESIS
    name = actor.username if actor else actor_name
    detail = detail or {}
    event = AuditEvent(
        seq=seq,
        at=now,
        actor_id=actor.user_id if actor else None,
        actor=name,
        action=action,
        subject=subject,
        detail=detail,
        prev_hash=prev_hash,
        hash=_digest(prev_hash, seq, now, name, action, subject, detail),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    events: int
    first_broken_seq: int | None
    problem: str


def verify_chain(*, session: Session, batch: int = 5000) -> ChainCheck:
    """Walk the whole log; name the first event whose link or content does not hold."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            return ChainCheck(True, count, None, "")
        for ev in rows:
            if ev.seq != expected_seq:
                return ChainCheck(False, count, expected_seq, "missing event")
            if ev.prev_hash != prev_hash:
                return ChainCheck(False, count, ev.seq, "link to previous event broken")
            if ev.hash != _digest(
                ev.prev_hash, ev.seq, ev.at, ev.actor, ev.action, ev.subject, ev.detail
            ):
                return ChainCheck(False, count, ev.seq, "content altered")
            prev_hash, expected_seq, count = ev.hash, expected_seq + 1, count + 1
            last_seq = ev.seq
