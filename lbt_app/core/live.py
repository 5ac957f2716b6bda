"""The live permit QR: the signed permit plus a code that changes every 30 seconds.

A screenshot of a wallet is the weak point of any signed QR (the EU COVID certificate's
known one): the signature proves the permit, not that the phone showing it is the holder's
wallet now. The wallet therefore shows

    LBTL:<6-digit code><the permit's base45 text>      (the permit itself is "LBT1:<base45>")

where the code is RFC 6238 TOTP (HMAC-SHA256, 30 s, 6 digits) from a secret the wallet received
when the resident signed in; it is kept encrypted on the server and never printed. The server
accepts the code of the current step and of the step before (a code read at most about a
minute after it was shown). Only characters of the QR alphanumeric set are used, so the QR
stays in alphanumeric mode (6 characters more than the printed card: version 9 or 10 at M).

What this does not stop: someone holding the resident's unlocked phone, or a live video of
its screen relayed to another phone within the minute; a printed card (no code) still
verifies for holders who never activated a wallet. See README.md.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from lbt_app.core.payload import PREFIX

LIVE_PREFIX = "LBTL:"
STEP_SECONDS = 30
DIGITS = 6
ACCEPTED_STEPS_BACK = 1
SECRET_BYTES = 32
# Only ASCII digits: str.isdigit() also takes Arabic-Indic, full-width and superscript ones.
_CODE = re.compile(f"[0-9]{{{DIGITS}}}")


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA256(), STEP_SECONDS)


def code_at(secret: bytes, at: datetime) -> str:
    return _totp(secret).generate(int(at.timestamp())).decode()


def live_text(permit_text: str, secret: bytes, at: datetime) -> str:
    """What the wallet's QR shows at `at` (the browser computes the same with Web Crypto)."""
    if not permit_text.startswith(PREFIX):
        raise ValueError("not a permit text")
    return f"{LIVE_PREFIX}{code_at(secret, at)}{permit_text[len(PREFIX) :]}"


def split(text: str) -> tuple[str, str | None]:
    """(permit text, live code or None); anything that is not a live text passes through."""
    code = text[len(LIVE_PREFIX) : len(LIVE_PREFIX) + DIGITS]
    if text.startswith(LIVE_PREFIX) and _CODE.fullmatch(code):
        return PREFIX + text[len(LIVE_PREFIX) + DIGITS :], code
    return text, None


def code_is_fresh(secret: bytes, code: str, now: datetime) -> bool:
    """The code of the current 30-second step or of the one before; nothing from the future."""
    totp, moment = _totp(secret), int(now.timestamp())
    for back in range(ACCEPTED_STEPS_BACK + 1):
        try:
            totp.verify(code.encode(), moment - back * STEP_SECONDS)
        except InvalidToken:
            continue
        return True
    return False
