"""The audit log's hash chain and its signed checkpoints. Pure: no database, no framework.

Each event's hash covers every column of the event and the previous event's hash
(version 2). Version 1 hashes, written before the upgrade that added versions, leave out
``actor_id``; they are still checked as they were written, and the versions along the chain
may only go up.

A checkpoint is a signed statement "the log held ``events`` events, the newest being ``seq``
with hash ``head_hash``, at time ``at``", Ed25519 under the installation's checkpoint key.
That key is derived from the key-encryption key (HKDF-SHA256 with a label of its own), so it
never exists outside the server's memory and every worker derives the same one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lbt_app.core.keys import KEK_BYTES, derive_kid, public_bytes

GENESIS = "0" * 64
HASH_VERSION = 2
_KEY_LABEL = b"lbt audit checkpoint signing key v1"
_KID_LABEL = "audit-checkpoint"
_STATEMENT = "lbt-audit-checkpoint-v1"


def _sha256_json(body: list) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class EventFields:
    """What an audit event's hash covers."""

    seq: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    subject: str
    detail: dict
    prev_hash: str


def event_hash(fields: EventFields, version: int = HASH_VERSION) -> str:
    """The hash of an event as written with hash ``version`` (1: without actor_id)."""
    f = fields
    if version == 1:
        return _sha256_json(
            [f.prev_hash, f.seq, f.at.isoformat(), f.actor, f.action, f.subject, f.detail]
        )
    if version == 2:
        return _sha256_json(
            [
                version,
                f.seq,
                f.at.isoformat(),
                f.actor_id,
                f.actor,
                f.action,
                f.subject,
                f.detail,
                f.prev_hash,
            ]
        )
    raise ValueError(f"unknown audit hash version {version}")


@dataclass(frozen=True)
class Checkpoint:
    """The signed part of a checkpoint."""

    seq: int
    events: int
    head_hash: str
    at: datetime

    def statement(self) -> bytes:
        """The exact bytes signed: a label, then the fields in a fixed order."""
        body = [_STATEMENT, self.seq, self.events, self.head_hash, self.at.isoformat()]
        return json.dumps(body, separators=(",", ":")).encode()


def checkpoint_key(kek: bytes) -> Ed25519PrivateKey:
    """The installation's checkpoint signing key, derived from the key-encryption key."""
    if not isinstance(kek, bytes) or len(kek) != KEK_BYTES:
        raise ValueError(f"the KEK must be {KEK_BYTES} bytes")
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_LABEL).derive(kek)
    return Ed25519PrivateKey.from_private_bytes(seed)


def checkpoint_kid(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The short id naming the key that signed a checkpoint."""
    return derive_kid(_KID_LABEL, public_bytes(key))


def sign_checkpoint(key: Ed25519PrivateKey, checkpoint: Checkpoint) -> str:
    """The Ed25519 signature of ``checkpoint``, hex."""
    return key.sign(checkpoint.statement()).hex()


def checkpoint_signed(
    public_key: Ed25519PublicKey, checkpoint: Checkpoint, signature: str, kid: str
) -> bool:
    """Whether ``signature`` (hex) by the key ``kid`` is ``public_key``'s over ``checkpoint``."""
    if kid != checkpoint_kid(public_key):
        return False
    try:
        public_key.verify(bytes.fromhex(signature), checkpoint.statement())
    except (InvalidSignature, ValueError):
        return False
    return True
