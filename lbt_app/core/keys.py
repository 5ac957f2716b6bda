"""Authority signing keys: Ed25519 key pairs, key ids, and encryption at rest.

A key id (kid) is the first ``KID_BYTES`` bytes of
SHA-256(authority code ‖ 0x00 ‖ raw public key), written as lowercase hex.
It travels in every permit QR, so it is short; it only has to tell apart the
few keys of the trusted authorities, never to resist an attacker (the
signature does that).

Private keys are stored as ``version ‖ nonce ‖ AES-256-GCM(raw key)`` under a
key-encryption key (KEK) that lives outside the database; the kid is the
associated data, so a blob moved to another key's row does not decrypt.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KID_BYTES = 4
KEK_BYTES = 32
_BLOB_VERSION = b"\x01"
_NONCE_BYTES = 12
_RAW_KEY_BYTES = 32
_BLOB_BYTES = len(_BLOB_VERSION) + _NONCE_BYTES + _RAW_KEY_BYTES + 16
_KID_PATTERN = re.compile(r"(?:[0-9a-f]{2}){1,16}")


class KeyDecryptionError(ValueError):
    """The encrypted private key could not be opened (wrong KEK, kid or blob)."""


def derive_kid(authority_code: str, public_key: bytes) -> str:
    """The key id of ``public_key`` when it belongs to ``authority_code``."""
    digest = hashlib.sha256(authority_code.encode() + b"\x00" + public_key).digest()
    return digest[:KID_BYTES].hex()


def is_valid_kid(kid: str) -> bool:
    """Whether ``kid`` is lowercase hex of 1 to 16 bytes, as carried in the QR."""
    return isinstance(kid, str) and _KID_PATTERN.fullmatch(kid) is not None


@dataclass(frozen=True, eq=False, repr=False)
class SigningKeyPair:
    """An authority's Ed25519 signing key with its key id."""

    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        if not is_valid_kid(self.kid):
            raise ValueError("kid must be lowercase hex of 1 to 16 bytes")
        if not isinstance(self.private_key, Ed25519PrivateKey):
            raise TypeError("private_key must be an Ed25519PrivateKey")

    def __repr__(self) -> str:
        # Log lines and tracebacks show reprs; the key material must never be in them.
        return f"SigningKeyPair(kid={self.kid!r})"

    __str__ = __repr__

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return public_bytes(self.private_key)


def generate_key(authority_code: str) -> SigningKeyPair:
    """A fresh Ed25519 key pair for the authority ``authority_code``."""
    if not authority_code:
        raise ValueError("authority_code must not be empty")
    private_key = Ed25519PrivateKey.generate()
    return SigningKeyPair(derive_kid(authority_code, public_bytes(private_key)), private_key)


def public_bytes(key: SigningKeyPair | Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The raw 32-byte Ed25519 public key of a key pair, private key or public key."""
    if isinstance(key, SigningKeyPair):
        key = key.private_key
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def new_kek() -> bytes:
    """A random 32-byte key-encryption key (AES-256)."""
    return os.urandom(KEK_BYTES)


def _aesgcm(kek: bytes) -> AESGCM:
    if not isinstance(kek, bytes) or len(kek) != KEK_BYTES:
        raise ValueError(f"the KEK must be {KEK_BYTES} bytes")
    return AESGCM(kek)


def seal(data: bytes, kek: bytes, context: str) -> bytes:
    """``data`` encrypted under ``kek`` (AES-GCM), bound to ``context`` (a kid, a record id)."""
    nonce = os.urandom(_NONCE_BYTES)
    return _BLOB_VERSION + nonce + _aesgcm(kek).encrypt(nonce, data, context.encode())


def unseal(blob: bytes, kek: bytes, context: str) -> bytes:
    """What ``seal`` sealed; raises KeyDecryptionError if the blob cannot be opened."""
    aesgcm = _aesgcm(kek)
    if not isinstance(blob, bytes) or len(blob) <= 1 + _NONCE_BYTES:
        raise KeyDecryptionError("the encrypted data has the wrong length")
    if blob[:1] != _BLOB_VERSION:
        raise KeyDecryptionError("the encrypted data has an unknown format version")
    nonce = blob[1 : 1 + _NONCE_BYTES]
    try:
        return aesgcm.decrypt(nonce, blob[1 + _NONCE_BYTES :], context.encode())
    except InvalidTag:
        # Raised without the cause: nothing about the secret may leak into logs.
        raise KeyDecryptionError("wrong KEK or context for this encrypted data") from None


def encrypt_private_key(key: SigningKeyPair, kek: bytes) -> bytes:
    """The private key of ``key`` encrypted under ``kek``, bound to its kid."""
    raw = key.private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return seal(raw, kek, key.kid)


def decrypt_private_key(blob: bytes, kek: bytes, kid: str) -> SigningKeyPair:
    """The key pair stored in ``blob``; raises KeyDecryptionError if it cannot be opened."""
    if not isinstance(blob, bytes) or len(blob) != _BLOB_BYTES:
        raise KeyDecryptionError("the encrypted key has the wrong length")
    return SigningKeyPair(kid, Ed25519PrivateKey.from_private_bytes(unseal(blob, kek, kid)))
