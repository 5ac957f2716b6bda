"""Offline verification of a permit QR text against a list of trusted keys.

``verify`` answers from the text, the trust list and the clock alone, so it
works on an officer's phone without a network. The online checks (permit
status, crossing point, stay count, photo) belong to the services layer and
use the same Verdict codes.

Order of checks: readable payload → known kid → genuine signature → key not
revoked → readable claims → issuer → dates. A permit naming an issuer other
than the authority that owns the key gets ``unknown_issuer``: the signature is
genuine, but nobody trusted vouches for that issuer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lbt_app.core.keys import is_valid_kid
from lbt_app.core.payload import Codebook, PayloadError, decode_claims, decode_cose, decode_text
from lbt_app.core.verdict import Code, Verdict

KeyStatus = Literal["active", "retired", "revoked"]
KEY_STATUSES: tuple[str, ...] = get_args(KeyStatus)
_TRUST_LIST_VERSION = 1


@dataclass(frozen=True)
class TrustedKey:
    """A public key an officer trusts, with what is needed to read its permits.

    ``retired`` keys sign nothing new but keep verifying until their permits
    expire; ``revoked`` keys verify nothing.
    """

    kid: str
    issuer: str
    public_key: bytes
    status: KeyStatus
    timezone: str
    codebook: Codebook
    _verifier: Ed25519PublicKey = field(init=False, repr=False, compare=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not is_valid_kid(self.kid):
            raise ValueError("kid must be lowercase hex of 1 to 16 bytes")
        if not isinstance(self.issuer, str) or not self.issuer:
            raise ValueError("issuer must be a non-empty authority code")
        if self.status not in KEY_STATUSES:
            raise ValueError(f"status must be one of {KEY_STATUSES}")
        if not isinstance(self.public_key, bytes) or len(self.public_key) != 32:
            raise ValueError("public_key must be 32 raw Ed25519 bytes")
        # Bad trust data fails here, at load time, never in the middle of a scan.
        object.__setattr__(self, "_verifier", Ed25519PublicKey.from_public_bytes(self.public_key))
        try:
            zone = ZoneInfo(self.timezone)
        except ZoneInfoNotFoundError:
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        object.__setattr__(self, "_zone", zone)

    @property
    def zone(self) -> ZoneInfo:
        """The agreement's time zone: it decides which calendar day "today" is."""
        return self._zone

    def verify_signature(self, signature: bytes, data: bytes) -> None:
        """Raises InvalidSignature unless ``signature`` over ``data`` is by this key."""
        self._verifier.verify(signature, data)

    def to_dict(self) -> dict[str, object]:
        return {
            "kid": self.kid,
            "issuer": self.issuer,
            "public_key": base64.urlsafe_b64encode(self.public_key).decode("ascii"),
            "status": self.status,
            "timezone": self.timezone,
            "codebook": self.codebook.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrustedKey:
        return cls(
            kid=data["kid"],
            issuer=data["issuer"],
            public_key=base64.urlsafe_b64decode(data["public_key"]),
            status=data["status"],
            timezone=data["timezone"],
            codebook=Codebook.from_dict(data["codebook"]),
        )


class TrustList(Mapping[str, TrustedKey]):
    """The trusted keys by kid; JSON round-trips so a phone can carry it offline."""

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._keys: dict[str, TrustedKey] = {}
        for key in keys:
            if key.kid in self._keys:
                raise ValueError(f"duplicate kid {key.kid!r} in trust list")
            self._keys[key.kid] = key

    def __getitem__(self, kid: str) -> TrustedKey:
        return self._keys[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"TrustList({list(self._keys)!r})"

    def to_json(self) -> str:
        keys = [key.to_dict() for key in self._keys.values()]
        return json.dumps({"version": _TRUST_LIST_VERSION, "keys": keys}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> TrustList:
        """The trust list in ``text``; raises ValueError if it is not one."""
        try:
            data = json.loads(text)
            if data["version"] != _TRUST_LIST_VERSION:
                raise ValueError(f"unsupported trust list version {data['version']!r}")
            return cls(TrustedKey.from_dict(entry) for entry in data["keys"])
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a trust list: {error!r}") from error


def verify(text: str, trust: TrustList, now: datetime) -> Verdict:
    """The verdict on a scanned QR text at the instant ``now`` (timezone-aware).

    Never raises for any ``text``; raises ValueError for a naive ``now``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    try:
        message = decode_cose(decode_text(text))
    except PayloadError:
        return Verdict.of(Code.MALFORMED)

    kid = message.kid
    trusted = trust.get(kid)
    if trusted is None:
        return Verdict.of(Code.UNKNOWN_ISSUER, kid=kid)
    try:
        trusted.verify_signature(message.signature, message.to_be_signed())
    except InvalidSignature:
        return Verdict.of(Code.BAD_SIGNATURE, kid=kid)
    # Claims signed by a revoked key may come from whoever stole it: none are shown.
    if trusted.status == "revoked":
        return Verdict.of(Code.KEY_REVOKED, kid=kid)
    try:
        claims = decode_claims(message.payload, trusted.codebook)
    except PayloadError:
        return Verdict.of(Code.MALFORMED, kid=kid)
    if claims.issuer != trusted.issuer:
        return Verdict.of(Code.UNKNOWN_ISSUER, kid=kid)

    today = now.astimezone(trusted.zone).date()
    if today < claims.valid_from:
        return Verdict.of(Code.NOT_YET_VALID, claims=claims, kid=kid)
    if today > claims.valid_until:
        return Verdict.of(Code.EXPIRED, claims=claims, kid=kid)
    return Verdict.of(Code.VALID, claims=claims, kid=kid)
