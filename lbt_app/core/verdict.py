"""Verdicts: the one vocabulary for the answer to a scan.

Each Code has exactly one Outcome and one English reason, decided in
``_RULES`` below. The reasons are translation message ids: the translation
layer looks them up as they are, so they stay plain, parameterless sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lbt_app.core.payload import PermitClaims
from lbt_app.i18n import N_


class Outcome(StrEnum):
    VALID = "VALID"
    INVALID = "INVALID"
    # A genuine permit, but something the officer must look at before letting the holder pass.
    CHECK = "CHECK"


class Code(StrEnum):
    VALID = "valid"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_ISSUER = "unknown_issuer"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    CROSSING_POINT_NOT_ALLOWED = "crossing_point_not_allowed"
    STAY_LIMIT_EXCEEDED = "stay_limit_exceeded"
    ALREADY_INSIDE = "already_inside"
    NOT_INSIDE = "not_inside"
    PHOTO_MISMATCH = "photo_mismatch"
    KEY_REVOKED = "key_revoked"
    STATIC_COPY = "static_copy"
    NOT_REGISTERED = "not_registered"


_RULES: dict[Code, tuple[Outcome, str]] = {
    Code.VALID: (Outcome.VALID, N_("The permit is valid.")),
    Code.MALFORMED: (Outcome.INVALID, N_("The code is not a readable border traffic permit.")),
    Code.BAD_SIGNATURE: (Outcome.INVALID, N_("The permit's signature is not genuine.")),
    Code.UNKNOWN_ISSUER: (
        Outcome.INVALID,
        N_("The permit was not issued by a trusted authority."),
    ),
    Code.NOT_YET_VALID: (Outcome.INVALID, N_("The permit is not valid yet.")),
    Code.EXPIRED: (Outcome.INVALID, N_("The permit has expired.")),
    Code.REVOKED: (Outcome.INVALID, N_("The permit has been revoked by the issuing authority.")),
    Code.SUSPENDED: (
        Outcome.INVALID,
        N_("The permit has been suspended by the issuing authority."),
    ),
    Code.CROSSING_POINT_NOT_ALLOWED: (
        Outcome.INVALID,
        N_("The permit does not allow crossing at this crossing point."),
    ),
    Code.STAY_LIMIT_EXCEEDED: (
        Outcome.INVALID,
        N_("The holder has exceeded the maximum length of stay."),
    ),
    # Direction mismatches are usually a missed record, not fraud: the officer decides.
    Code.ALREADY_INSIDE: (
        Outcome.CHECK,
        N_("The holder is already recorded as inside the border area."),
    ),
    Code.NOT_INSIDE: (Outcome.CHECK, N_("The holder is not recorded as inside the border area.")),
    # The photo shown is not the one that was signed: nothing on screen can be trusted.
    Code.PHOTO_MISMATCH: (
        Outcome.INVALID,
        N_("The photo on file does not match the permit; check the holder's identity document."),
    ),
    Code.KEY_REVOKED: (
        Outcome.INVALID,
        N_("The permit was signed with a key that the issuing authority has revoked."),
    ),
    Code.STATIC_COPY: (
        Outcome.CHECK,
        N_("The code may be a copy; ask the holder to show the live permit."),
    ),
    # Readable, but the register has no such permit (a typed number, or a record gone missing).
    Code.NOT_REGISTERED: (Outcome.INVALID, N_("No permit with this number is registered.")),
}

OUTCOMES: dict[Code, Outcome] = {code: outcome for code, (outcome, _) in _RULES.items()}
REASONS: dict[Code, str] = {code: reason for code, (_, reason) in _RULES.items()}


@dataclass(frozen=True)
class Verdict:
    """The answer to a scan. ``reasons`` are English message ids, the main one first."""

    outcome: Outcome
    code: Code
    reasons: tuple[str, ...]
    claims: PermitClaims | None
    kid: str | None

    @classmethod
    def of(
        cls,
        code: Code,
        claims: PermitClaims | None = None,
        kid: str | None = None,
        extra_reasons: tuple[str, ...] = (),
    ) -> Verdict:
        """The verdict for ``code``, with its outcome and main reason from the one table."""
        return cls(OUTCOMES[code], code, (REASONS[code], *extra_reasons), claims, kid)
