"""The audit log: append-only, hash-chained, with signed checkpoints; refusals folded.

Every event's hash covers all its columns and the previous hash (`core/audit_chain.py`).
Every CHECKPOINT_EVERY-th event is signed as it is appended, and each check that finds the
chain intact signs the head it reached. A check is itself recorded as an `audit_checked`
event, so pages show the last result without walking the log, and the next quick check
starts from the checkpoint that check signed.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session, col, func, select

from lbt_app.core.access import Principal
from lbt_app.core.audit_chain import (
    GENESIS,
    HASH_VERSION,
    Checkpoint,
    EventFields,
    checkpoint_key,
    checkpoint_kid,
    checkpoint_signed,
    event_hash,
    sign_checkpoint,
)
from lbt_app.db.engine import write_lock
from lbt_app.db.models import AuditCheckpoint, AuditEvent
from lbt_app.settings import get_settings

log = logging.getLogger(__name__)

# Fixed for the life of an installation: a full check expects a checkpoint at each multiple.
CHECKPOINT_EVERY = 1000
CHECKED = "audit_checked"
REFUSED = "access_denied"
REFUSAL_WINDOW = timedelta(seconds=60)
REFUSAL_KEYS_MAX = 1024
_PG_AUDIT_LOCK = 0x1B7A0D17  # advisory lock key that serialises appends across workers


def _lock(session: Session) -> None:
    """Appends go one at a time across workers and processes, until this transaction ends:
    each reads the newest event only once no other append can slip in before it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    else:
        write_lock(session)


def event_fields(event: AuditEvent) -> EventFields:
    """What the hash of a stored event covers."""
    return EventFields(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        detail=event.detail,
        prev_hash=event.prev_hash,
    )


def _signing_key() -> Ed25519PrivateKey:
    return checkpoint_key(get_settings().key_encryption_key())


def _statement(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(seq=row.seq, events=row.events, head_hash=row.head_hash, at=row.at)


def checkpoint(*, session: Session, seq: int, head_hash: str, now: datetime) -> AuditCheckpoint:
    """Sign the log as it stands at event `seq` whose hash is `head_hash` (`seq` events)."""
    key = _signing_key()
    statement = Checkpoint(seq=seq, events=seq, head_hash=head_hash, at=now)
    row = AuditCheckpoint(
        seq=seq,
        events=seq,
        head_hash=head_hash,
        at=now,
        kid=checkpoint_kid(key),
        signature=sign_checkpoint(key, statement),
    )
    session.add(row)
    session.flush()
    # A copy outside the database: truncation plus deleted checkpoints shows against it.
    log.info("audit checkpoint seq=%d head=%s kid=%s", seq, head_hash, row.kid)
    return row


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
    _lock(session)
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    fields = EventFields(
        seq=last.seq + 1 if last else 1,
        at=now,
        actor_id=actor.user_id if actor else None,
        actor=actor.username if actor else actor_name,
        action=action,
        subject=subject,
        detail=detail or {},
        prev_hash=last.hash if last else GENESIS,
    )
    event = AuditEvent(**asdict(fields), hash=event_hash(fields), hash_version=HASH_VERSION)
    session.add(event)
    session.flush()
    if event.seq % CHECKPOINT_EVERY == 0:
        checkpoint(session=session, seq=event.seq, head_hash=event.hash, now=now)
    return event


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    events: int  # events found intact: the whole log, or those before the break
    first_broken_seq: int | None
    problem: str
    full: bool = True
    walked: int = 0  # event rows read
    from_seq: int = 0  # the signed checkpoint the walk started after (0: the first event)
    legacy: int = 0  # version-1 events walked (their hash leaves out actor_id)
    head_hash: str = GENESIS


def _verified_base(session: Session) -> tuple[AuditCheckpoint | None, int]:
    """Where a quick check starts: the checkpoint the last intact check signed, if any;
    else the seq of that checkpoint when it has gone missing."""
    last = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == CHECKED)
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    if last is None or not last.detail.get("ok") or not last.detail.get("checkpoint"):
        return None, 0
    seq = last.detail["checkpoint"]
    base = session.exec(select(AuditCheckpoint).where(AuditCheckpoint.seq == seq)).first()
    return base, 0 if base else seq


def verify_chain(*, session: Session, full: bool = True, batch: int = 5000) -> ChainCheck:
    """Check the log against its hashes and signed checkpoints; name the first break.

    `full` walks every event; otherwise the walk starts after the checkpoint that the last
    intact check signed (its signature and hash checked first), or at the first event if none.
    """
    public_key = _signing_key().public_key()
    base, gone = (None, 0) if full else _verified_base(session)
    start = base.seq if base else 0
    walked = legacy = 0

    def broken(seq: int, why: str, intact: int) -> ChainCheck:
        return ChainCheck(False, intact, seq, why, full, walked, start, legacy)

    def forged(row: AuditCheckpoint) -> bool:
        return not checkpoint_signed(public_key, _statement(row), row.signature, row.kid)

    if gone:
        return broken(gone, "signed checkpoint missing", 0)
    signed = session.exec(
        select(AuditCheckpoint).where(AuditCheckpoint.seq >= start).order_by(AuditCheckpoint.seq)
    ).all()
    for row in signed:
        if forged(row):
            return broken(row.seq, "checkpoint signature does not verify", 0)
    pending = {row.seq: row for row in signed}
    prev_hash, seq, version = GENESIS, 0, 1
    if base is not None:
        pending.pop(base.seq)
        head = session.exec(select(AuditEvent).where(AuditEvent.seq == base.seq)).first()
        walked += head is not None
        if head is None or head.hash != base.head_hash:
            return broken(base.seq, "event differs from its signed checkpoint", 0)
        if head.hash != event_hash(event_fields(head), head.hash_version):
            return broken(base.seq, "content altered", 0)
        kept = session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.seq <= base.seq)
        ).one()
        if kept != base.events:
            return broken(base.seq, "events missing before a signed checkpoint", 0)
        prev_hash, seq, version = head.hash, head.seq, head.hash_version
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for ev in rows:
            walked += 1
            if ev.seq != seq + 1:
                return broken(seq + 1, "missing event", seq)
            if ev.prev_hash != prev_hash:
                return broken(ev.seq, "link to previous event broken", seq)
            if ev.hash_version not in (1, HASH_VERSION) or ev.hash_version < version:
                return broken(ev.seq, "hash version out of order", seq)
            if ev.hash != event_hash(event_fields(ev), ev.hash_version):
                return broken(ev.seq, "content altered", seq)
            expected = pending.pop(ev.seq, None)
            if expected is None and ev.hash_version > 1 and ev.seq % CHECKPOINT_EVERY == 0:
                # Signed with an event appended after the checkpoints above were read.
                expected = session.exec(
                    select(AuditCheckpoint).where(AuditCheckpoint.seq == ev.seq)
                ).first()
                if expected is None:
                    return broken(ev.seq, "signed checkpoint missing", seq)
                if forged(expected):
                    return broken(ev.seq, "checkpoint signature does not verify", seq)
            if expected is not None and (
                expected.head_hash != ev.hash or expected.events != ev.seq
            ):
                return broken(ev.seq, "event differs from its signed checkpoint", seq)
            legacy += ev.hash_version == 1
            prev_hash, seq, version = ev.hash, ev.seq, ev.hash_version
    if pending:
        return broken(seq + 1, f"events missing: a checkpoint covers event {max(pending)}", seq)
    return ChainCheck(True, seq, None, "", full, walked, start, legacy, prev_hash)


def run_check(
    *,
    session: Session,
    now: datetime,
    full: bool,
    actor: Principal | None = None,
    actor_name: str = "",
) -> ChainCheck:
    """Check the chain, sign the head it reached when intact, and record the result."""
    check = verify_chain(session=session, full=full)
    signed_seq = None
    if check.ok and check.events:
        _lock(session)
        signed = session.exec(
            select(AuditCheckpoint).where(AuditCheckpoint.seq == check.events)
        ).first()
        if signed is None:
            checkpoint(session=session, seq=check.events, head_hash=check.head_hash, now=now)
        signed_seq = check.events
    detail = {k: v for k, v in asdict(check).items() if k != "head_hash"}
    record(
        session=session,
        action=CHECKED,
        now=now,
        actor=actor,
        actor_name=actor_name,
        detail={**detail, "checkpoint": signed_seq},
    )
    return check


@dataclass(frozen=True)
class RecordedCheck:
    at: datetime
    actor: str
    check: ChainCheck


def last_check(*, session: Session) -> RecordedCheck | None:
    """The newest recorded check, as it was recorded (nothing is walked)."""
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == CHECKED)
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    fields = ChainCheck.__dataclass_fields__
    check = ChainCheck(**{k: v for k, v in event.detail.items() if k in fields})
    return RecordedCheck(at=event.at, actor=event.actor, check=check)


def latest_checkpoint(*, session: Session) -> AuditCheckpoint | None:
    return session.exec(
        select(AuditCheckpoint).order_by(col(AuditCheckpoint.seq).desc()).limit(1)
    ).first()


@dataclass
class _Fold:
    """Identical refusals within one window: the first is written, the rest counted."""

    since: datetime
    actor: Principal | None
    subject: str
    handler: str
    client: str
    repeated: int = 0


# Per process, oldest window first; bounded: the oldest is written out when it is full.
_folds: OrderedDict[tuple, _Fold] = OrderedDict()
_folds_lock = threading.Lock()


def _refusal_detail(handler: str, client: str) -> dict:
    return {"handler": handler, "client": client} if client else {"handler": handler}


def record_refusal(
    *,
    session: Session,
    now: datetime,
    actor: Principal | None,
    subject: str,
    handler: str,
    client: str = "",
) -> bool:
    """Audit a refused call; True when this refusal was written as its own event.

    The first refusal of a (user or client address, subject, handler) is written at once;
    identical ones within REFUSAL_WINDOW are counted and written as one event with
    `repeated: N` by the first refusal (of any kind) after the window has passed.
    """
    key = (("user", actor.user_id) if actor else ("client", client), subject, handler)
    with _folds_lock:
        due = []
        while _folds and now - next(iter(_folds.values())).since >= REFUSAL_WINDOW:
            due.append(_folds.popitem(last=False)[1])
        fold = _folds.get(key)
        if fold is not None and now - fold.since >= REFUSAL_WINDOW:
            due.append(_folds.pop(key))
            fold = None
        first = fold is None
        if fold is None:
            _folds[key] = _Fold(now, actor, subject, handler, client)
            while len(_folds) > REFUSAL_KEYS_MAX:
                due.append(_folds.popitem(last=False)[1])
        else:
            fold.repeated += 1
    for done in due:
        if done.repeated:
            detail = _refusal_detail(done.handler, done.client)
            detail.update(repeated=done.repeated, since=done.since.isoformat())
            record(
                session=session,
                action=REFUSED,
                now=now,
                actor=done.actor,
                subject=done.subject,
                detail=detail,
            )
    if first:
        record(
            session=session,
            action=REFUSED,
            now=now,
            actor=actor,
            subject=subject,
            detail=_refusal_detail(handler, client),
        )
    return first
