"""Signing keys: key ids, encryption at rest, and no key material in reprs."""

from __future__ import annotations

import base64
import traceback

import pytest
from cryptography.hazmat.primitives import serialization

from lbt_app.core.keys import (
    KID_BYTES,
    KeyDecryptionError,
    SigningKeyPair,
    decrypt_private_key,
    derive_kid,
    encrypt_private_key,
    generate_key,
    new_kek,
    public_bytes,
)


def _private_bytes(key: SigningKeyPair) -> bytes:
    return key.private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def _spellings(secret: bytes) -> list[str]:
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode(),
        repr(secret),
    ]


def test_kid_is_short_hex_derived_from_authority_and_public_key() -> None:
    key = generate_key("TJ-SGD-HUK")
    assert key.kid == derive_kid("TJ-SGD-HUK", public_bytes(key))
    assert len(bytes.fromhex(key.kid)) == KID_BYTES
    assert derive_kid("UZ-FER-IIB", public_bytes(key)) != key.kid


def test_public_bytes_is_the_same_from_pair_private_and_public_key() -> None:
    key = generate_key("TJ-SGD-HUK")
    raw = public_bytes(key)
    assert len(raw) == 32
    assert raw == public_bytes(key.private_key) == public_bytes(key.private_key.public_key())
    assert raw == key.public_key


def test_two_generated_keys_differ() -> None:
    assert generate_key("TJ-SGD-HUK").kid != generate_key("TJ-SGD-HUK").kid


def test_generate_key_needs_an_authority() -> None:
    with pytest.raises(ValueError):
        generate_key("")


@pytest.mark.parametrize("kid", ["", "ABCD", "abc", "xyz0", "00" * 17])
def test_key_pair_refuses_a_kid_that_cannot_travel_in_the_qr(kid: str) -> None:
    with pytest.raises(ValueError):
        SigningKeyPair(kid, generate_key("TJ-SGD-HUK").private_key)


def test_repr_and_str_show_the_kid_but_no_key_material() -> None:
    key = generate_key("TJ-SGD-HUK")
    shown = [repr(key), str(key), f"{key}", repr([key]), repr({"key": key})]
    for text in shown:
        assert key.kid in text
        for spelling in _spellings(_private_bytes(key)):
            assert spelling not in text


def test_encrypted_key_round_trips() -> None:
    key = generate_key("TJ-SGD-HUK")
    kek = new_kek()
    opened = decrypt_private_key(encrypt_private_key(key, kek), kek, key.kid)
    assert opened.kid == key.kid
    assert public_bytes(opened) == public_bytes(key)
    key.private_key.public_key().verify(opened.private_key.sign(b"permit"), b"permit")


def test_encryption_uses_a_fresh_nonce_and_hides_the_key() -> None:
    key = generate_key("TJ-SGD-HUK")
    kek = new_kek()
    first, second = encrypt_private_key(key, kek), encrypt_private_key(key, kek)
    assert first != second
    assert _private_bytes(key) not in first


def test_new_kek_is_32_random_bytes() -> None:
    assert len(new_kek()) == 32
    assert new_kek() != new_kek()


def _open_with(blob: bytes, kek: bytes, kid: str) -> str:
    with pytest.raises(KeyDecryptionError) as caught:
        decrypt_private_key(blob, kek, kid)
    return "".join(traceback.format_exception(caught.value))


def test_wrong_kek_fails_cleanly_without_leaking_the_key() -> None:
    key = generate_key("TJ-SGD-HUK")
    kek = new_kek()
    report = _open_with(encrypt_private_key(key, kek), new_kek(), key.kid)
    assert isinstance(KeyDecryptionError("x"), ValueError)
    for spelling in _spellings(_private_bytes(key)) + _spellings(kek):
        assert spelling not in report


def test_blob_of_another_kid_does_not_open() -> None:
    key, other = generate_key("TJ-SGD-HUK"), generate_key("TJ-SGD-HUK")
    kek = new_kek()
    _open_with(encrypt_private_key(key, kek), kek, other.kid)


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[:-1],
        lambda blob: blob + b"\x00",
        lambda blob: b"\x02" + blob[1:],
        lambda blob: blob[:20] + bytes([blob[20] ^ 1]) + blob[21:],
        lambda blob: b"",
    ],
)
def test_damaged_blob_fails_cleanly(damage) -> None:
    key = generate_key("TJ-SGD-HUK")
    kek = new_kek()
    _open_with(damage(encrypt_private_key(key, kek)), kek, key.kid)


@pytest.mark.parametrize("kek", [b"", b"\x00" * 16, b"\x00" * 33])
def test_kek_of_the_wrong_size_is_refused(kek: bytes) -> None:
    key = generate_key("TJ-SGD-HUK")
    with pytest.raises(ValueError):
        encrypt_private_key(key, kek)
    with pytest.raises(ValueError):
        decrypt_private_key(encrypt_private_key(key, new_kek()), kek, key.kid)
