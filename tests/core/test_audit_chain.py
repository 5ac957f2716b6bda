"""The audit chain's event hashes and signed checkpoints, without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from lbt_app.core.audit_chain import (
    GENESIS,
    Checkpoint,
    EventFields,
    checkpoint_key,
    checkpoint_kid,
    checkpoint_signed,
    event_hash,
    sign_checkpoint,
)
from lbt_app.core.keys import new_kek

AT = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
EVENT = EventFields(
    seq=7,
    at=AT,
    actor_id=3,
    actor="staff",
    action="permit_revoked",
    subject="TJ-SGD-000001",
    detail={"reason": "Раҳимов", "n": 1},
    prev_hash="ab" * 32,
)
CHECKPOINT = Checkpoint(seq=1000, events=1000, head_hash="cd" * 32, at=AT)


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 8},
        {"at": AT + timedelta(microseconds=1)},
        {"actor_id": 4},
        {"actor_id": None},
        {"actor": "admin"},
        {"action": "permit_issued"},
        {"subject": "TJ-SGD-000002"},
        {"detail": {"reason": "Рахимов", "n": 1}},
        {"prev_hash": GENESIS},
    ],
)
def test_the_hash_covers_every_column(change):
    assert event_hash(dataclasses.replace(EVENT, **change)) != event_hash(EVENT)


def test_version_1_hashes_leave_out_actor_id_and_differ_from_version_2():
    moved = dataclasses.replace(EVENT, actor_id=99)
    assert event_hash(moved, version=1) == event_hash(EVENT, version=1)
    assert event_hash(EVENT, version=1) != event_hash(EVENT, version=2)
    with pytest.raises(ValueError):
        event_hash(EVENT, version=3)


def test_the_checkpoint_key_is_derived_from_the_kek_alone():
    kek = new_kek()
    assert checkpoint_kid(checkpoint_key(kek)) == checkpoint_kid(checkpoint_key(kek))
    assert checkpoint_kid(checkpoint_key(kek)) != checkpoint_kid(checkpoint_key(new_kek()))
    with pytest.raises(ValueError):
        checkpoint_key(b"short")


def test_a_signed_checkpoint_verifies():
    key = checkpoint_key(new_kek())
    signature = sign_checkpoint(key, CHECKPOINT)
    assert checkpoint_signed(key.public_key(), CHECKPOINT, signature, checkpoint_kid(key))


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 999},
        {"events": 999},
        {"head_hash": "ce" * 32},
        {"at": AT + timedelta(seconds=1)},
    ],
)
def test_an_altered_checkpoint_does_not_verify(change):
    key = checkpoint_key(new_kek())
    signature = sign_checkpoint(key, CHECKPOINT)
    altered = dataclasses.replace(CHECKPOINT, **change)
    assert not checkpoint_signed(key.public_key(), altered, signature, checkpoint_kid(key))


def test_a_checkpoint_signed_by_another_key_or_garbled_does_not_verify():
    key, other = checkpoint_key(new_kek()), checkpoint_key(new_kek())
    forged = sign_checkpoint(other, CHECKPOINT)
    public = key.public_key()
    assert not checkpoint_signed(public, CHECKPOINT, forged, checkpoint_kid(key))
    assert not checkpoint_signed(public, CHECKPOINT, forged, checkpoint_kid(other))
    genuine = sign_checkpoint(key, CHECKPOINT)
    assert not checkpoint_signed(public, CHECKPOINT, genuine, checkpoint_kid(other))
    for garbled in ("", "zz", genuine[:-2], "00" * 64):
        assert not checkpoint_signed(public, CHECKPOINT, garbled, checkpoint_kid(key))
