"""The second factor of a sign-in: time-based one-time codes (RFC 6238) as any authenticator
app makes them (SHA-1, 6 digits, 30 seconds), and one-use recovery codes. Pure, no framework.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import quote

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

ISSUER = "LBT permits"
DIGITS = 6
STEP_SECONDS = 30
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends for HMAC-SHA-1
DRIFT_STEPS = 1  # a phone's clock a step behind or ahead still works
RECOVERY_CODES = 10
# Recovery codes are read off paper and typed: no 0/o, 1/l/i.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def step_at(seconds: float) -> int:
    """The time step (RFC 6238 "T") that a Unix time falls in."""
    return int(seconds) // STEP_SECONDS


def code_at(secret: bytes, seconds: int, digits: int = DIGITS) -> str:
    """The code an authenticator app shows at Unix time `seconds`."""
    # SHA-1 is what RFC 6238 apps use; HMAC-SHA-1 is not weakened by SHA-1 collisions.
    totp = TOTP(secret, digits, SHA1(), STEP_SECONDS, enforce_key_length=False)  # noqa: S303
    return totp.generate(seconds).decode()


def clean_code(typed: str) -> str:
    """A typed code without the spaces and dashes people put in it."""
    return "".join(ch for ch in typed if ch not in " -\t").lower()


def looks_like_code(typed: str) -> bool:
    code = clean_code(typed)
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: bytes, typed: str, seconds: float, last_step: int | None) -> int | None:
    """The step of the code typed at `seconds`, within the allowed drift; None if it matches
    none, or only a step at or before `last_step` (a code is good once)."""
    if not looks_like_code(typed):
        return None
    code, now = clean_code(typed), step_at(seconds)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step * STEP_SECONDS), code):
            return step
    return None


def secret_text(secret: bytes) -> str:
    """The secret as an authenticator app takes it typed: base32 in groups of four."""
    text = base64.b32encode(secret).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_uri(secret: bytes, username: str) -> str:
    """What the enrolment QR holds (the Key URI format authenticator apps read)."""
    text = base64.b32encode(secret).decode().rstrip("=")
    issuer = quote(ISSUER, safe="")
    return f"otpauth://totp/{issuer}:{quote(username, safe='')}?secret={text}&issuer={issuer}"


def new_recovery_codes() -> list[str]:
    """Ten codes like `abcde-fghjk` (about 49 bits each), shown once."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_hash(typed: str) -> str:
    """What is stored of a recovery code: SHA-256 of it as typed, without case or dashes."""
    return hashlib.sha256(clean_code(typed).encode()).hexdigest()
