"""A photo's address as a capability: `<sha256 of the photo>.<expiry>.<HMAC>`.

Only a handler that has already checked the caller's role and scope mints one; whoever holds it
may fetch that one photo until it expires. The HMAC (the app's secret) makes it unguessable and
unforgeable; the digest binds it to one photo's bytes, so it opens no other resident's photo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# An address stays the same for a whole hour, so the browser's cache serves a repeat view;
# it works for one to two hours after it was made.
STEP_SECONDS = 3600
_SHAPE = re.compile(r"([0-9a-f]{64})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})")
_LABEL = b"lbt photo link v1"


@dataclass(frozen=True)
class PhotoLink:
    digest: str  # hex SHA-256 of the photo's bytes
    expires: int  # Unix seconds


def link_key(kek: bytes) -> bytes:
    """The key for photo links: derived from the key-encryption key (HKDF-SHA256 with a label
    of its own, as the audit checkpoints' key), never that key itself."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(kek)


def _mac(key: bytes, digest: str, expires: int) -> str:
    tag = hmac.new(key, f"{digest}.{expires}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(tag).rstrip(b"=").decode()


def expiry(now: float) -> int:
    """The end of the hour after the current one."""
    return (int(now) // STEP_SECONDS + 2) * STEP_SECONDS


def mint(key: bytes, photo: bytes, now: float) -> str:
    digest = hashlib.sha256(photo).hexdigest()
    expires = expiry(now)
    return f"{digest}.{expires}.{_mac(key, digest, expires)}"


def read(key: bytes, token: str, now: float) -> PhotoLink | None:
    """The photo a token opens, or None when it is malformed, forged or expired."""
    shape = _SHAPE.fullmatch(token)
    if shape is None:
        return None
    digest, expires_text, tag = shape.groups()
    expires = int(expires_text)
    if not hmac.compare_digest(tag, _mac(key, digest, expires)) or expires <= now:
        return None
    return PhotoLink(digest=digest, expires=expires)
