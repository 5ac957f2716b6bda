"""The permit payload: claims ↔ CBOR ↔ COSE_Sign1 ↔ ``LBT1:`` + base45 text.

Every step is a separate function pair, and every decoder raises only
``PayloadError``. Decoders are strict: each value has exactly one accepted
encoding (RFC 8949 §4.2.1 deterministic CBOR, re-encoded and compared), so
a changed character can never yield the same permit through a different
spelling.

Wire format, version 1
----------------------
Text: ``LBT1:`` + base45 (RFC 9285) of an untagged COSE_Sign1 (RFC 9052)::

    [ bstr .cbor {1: -8 (EdDSA), 4: kid (KID_BYTES bytes)},  # protected
      {},                                                    # unprotected
      bstr .cbor claims,                                     # payload
      bstr signature (Ed25519, 64 bytes) ]

The ``LBT1:`` prefix already says what the structure is, so tag 18 is left
out (one byte). Claims are a CBOR map with integer keys:

==  ================  ===================================================
 1  number            packed code (see below)
 2  name              packed ``SURNAME<GIVEN NAMES`` over NAME_ALPHABET
 3  native_name       packed over NATIVE_ALPHABET, else text; optional
 4  birth_date        int, days since 1970-01-01 (negative before)
 5  nationality       int, ISO 3166-1 alpha-3 read as a base-26 number
 6  document_number   packed code
 7  border_area       int, index in the agreement's Codebook.areas
 8  crossing_points   array of int, indexes in Codebook.crossing_points
 9  valid_from        int, days since 1970-01-01
10  valid_until       int, days since 1970-01-01 (inclusive)
11  max_stay_days     int
12  issuer            int, index in Codebook.issuers
13  photo_hash        bstr, first PHOTO_HASH_BYTES bytes of SHA-256(photo)
==  ================  ===================================================

Packed strings: a string over a small alphabet is read as a bijective
base-N number (digit k = alphabet[k - 1]) and sent as its minimal
big-endian bytes: ~5 bits a character instead of 8 for codes and Latin
names, ~7 instead of 16 for a Cyrillic native name. A code (permit or
document number) or native name over its alphabet travels packed as a
bstr; any other value travels as a plain text string, so unusual document
numbers and scripts still work. Latin names must be ICAO 9303 uppercase
(A-Z, space, hyphen, apostrophe) and are always packed.

Native name rule: the native-script name is included only when the whole
text still fits QR version 9 at error correction M (MAX_TEXT_CHARS); when it
does not, it is left out and the verifier shows the Latin name only. With
the other fields as below, a 14-character Latin name keeps a 14-character
Cyrillic native name (248 characters); a 30-character one loses it. Names
too long to fit even without it still sign, into a larger QR.

Size and zlib, measured for a 30-character name, 9-character document
number and 3 crossing points: claims 78 bytes, COSE 158 bytes, text 242
characters (QR version 9-M). zlib (level 9, as in the EU DCC) makes the COSE
bytes larger, 169 bytes, because packed names, day numbers and the
signature leave nothing to compress at this size, so no zlib step.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

import base45
import cbor2

from lbt_app.core.keys import SigningKeyPair

PREFIX = "LBT1:"
# QR version 9 at error correction M holds 262 alphanumeric characters.
MAX_TEXT_CHARS = 262
# Longest QR alphanumeric payload (version 40-L); anything longer is not a scan.
MAX_SCAN_CHARS = 4296
# 64 bits: a second preimage for an existing photo costs ~2^64 hashes; the 2^32
# birthday attack needs the applicant to craft both photos and then replace the
# photo the authority stores, and that store is the thing being checked.
PHOTO_HASH_BYTES = 8
KID_BYTES_MAX = 16
MAX_STAY_DAYS = 0xFFFF

CODE_ALPHABET = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NAME_ALPHABET = "<ABCDEFGHIJKLMNOPQRSTUVWXYZ -'"
NAME_SEPARATOR = "<"
# Cyrillic of Russian, Tajik, Uzbek, Kyrgyz and Kazakh, basic Latin, Uzbek Latin ʻ ʼ.
_CYRILLIC_UPPER = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯҒӢҚӮҲҶЎҢӨҮӘІҰҺ"
NATIVE_ALPHABET = (
    _CYRILLIC_UPPER
    + _CYRILLIC_UPPER.lower()
    + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz -'ʻʼ"
)
_BASE45_TEXT = re.compile(r"[0-9A-Z $%*+\-./:]*")
_NATIONALITY = re.compile(r"[A-Z]{3}")
_NAME_CHARS = frozenset(NAME_ALPHABET) - {NAME_SEPARATOR}
_PACKED_MAX_BYTES = 255
_EPOCH = date(1970, 1, 1)
_MIN_DAY = (date.min - _EPOCH).days
_MAX_DAY = (date.max - _EPOCH).days

_ALG = 1
_KID = 4
_EDDSA = -8
_SIGNATURE_BYTES = 64

_NUMBER = 1
_NAME = 2
_NATIVE_NAME = 3
_BIRTH_DATE = 4
_NATIONALITY_KEY = 5
_DOCUMENT_NUMBER = 6
_BORDER_AREA = 7
_CROSSING_POINTS = 8
_VALID_FROM = 9
_VALID_UNTIL = 10
_MAX_STAY_DAYS = 11
_ISSUER = 12
_PHOTO_HASH = 13
_REQUIRED_KEYS = frozenset(range(1, 14)) - {_NATIVE_NAME}


class PayloadError(ValueError):
    """The text is not a well-formed LBT permit payload."""


@dataclass(frozen=True)
class PermitClaims:
    """What a signed permit says about its holder and its validity.

    An empty ``native_name`` is not sent: it comes back as None.
    """

    number: str
    surname: str
    given_names: str
    native_name: str | None
    birth_date: date
    nationality: str
    document_number: str
    border_area: str
    crossing_points: tuple[str, ...]
    valid_from: date
    valid_until: date
    max_stay_days: int
    issuer: str
    photo_hash: bytes


@dataclass(frozen=True)
class Codebook:
    """An agreement's codes that travel as small integers: tuple index = wire integer.

    Codes may only be appended: a permit signed earlier keeps its indexes.
    """

    areas: tuple[str, ...]
    crossing_points: tuple[str, ...]
    issuers: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("areas", "crossing_points", "issuers"):
            codes = getattr(self, name)
            if not isinstance(codes, tuple) or not all(isinstance(c, str) for c in codes):
                raise TypeError(f"Codebook.{name} must be a tuple of str")
            if len(set(codes)) != len(codes):
                raise ValueError(f"Codebook.{name} has duplicate codes")

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "areas": list(self.areas),
            "crossing_points": list(self.crossing_points),
            "issuers": list(self.issuers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Codebook:
        """The codebook in ``data`` (lists of codes); raises ValueError or TypeError if not one."""
        lists = [data[name] for name in ("areas", "crossing_points", "issuers")]
        if not all(isinstance(codes, list) for codes in lists):
            raise TypeError("codebook entries must be lists")
        return cls(*(tuple(codes) for codes in lists))


@dataclass(frozen=True)
class CoseSign1:
    """A decoded COSE_Sign1 message; ``protected`` is the serialized header."""

    kid: str
    protected: bytes
    payload: bytes
    signature: bytes

    def to_be_signed(self) -> bytes:
        return sig_structure(self.protected, self.payload)


def photo_hash(data: bytes) -> bytes:
    """The short photo hash carried in the permit: a SHA-256 prefix of the photo bytes."""
    return hashlib.sha256(data).digest()[:PHOTO_HASH_BYTES]


# --- packed strings ---------------------------------------------------------


@cache
def _digits(alphabet: str) -> dict[str, int]:
    return {char: digit for digit, char in enumerate(alphabet, start=1)}


def _pack(text: str, alphabet: str) -> bytes:
    digits = _digits(alphabet)
    value = 0
    for char in text:
        value = value * len(alphabet) + digits[char]
    packed = value.to_bytes((value.bit_length() + 7) // 8, "big")
    if len(packed) > _PACKED_MAX_BYTES:
        raise ValueError("text too long for a permit")
    return packed


def _unpack(data: bytes, alphabet: str) -> str:
    base = len(alphabet)
    value = int.from_bytes(data, "big")
    chars = []
    while value:
        value, digit = divmod(value - 1, base)
        chars.append(alphabet[digit])
    return "".join(reversed(chars))


def _encode_packable(text: str, alphabet: str) -> bytes | str:
    if text and set(text) <= _digits(alphabet).keys():
        return _pack(text, alphabet)
    return text


def _decode_packable(value: object, alphabet: str, field_name: str) -> str:
    if isinstance(value, bytes):
        if not 0 < len(value) <= _PACKED_MAX_BYTES:
            raise PayloadError(f"{field_name} has a bad length")
        return _unpack(value, alphabet)
    if isinstance(value, str) and value:
        return value
    raise PayloadError(f"{field_name} must be packed bytes or text")


def _check_name(value: str, field_name: str, *, required: bool) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{field_name} must be a str")
    if required and not value:
        raise ValueError(f"{field_name} must not be empty")
    if not set(value) <= _NAME_CHARS:
        raise ValueError(
            f"{field_name} must be ICAO 9303 Latin uppercase (A-Z, space, hyphen, apostrophe)"
        )


# --- claims <-> CBOR --------------------------------------------------------


def _day(value: date) -> int:
    return (value - _EPOCH).days


def _index(codes: tuple[str, ...], code: str, what: str) -> int:
    try:
        return codes.index(code)
    except ValueError:
        raise ValueError(f"{what} {code!r} is not in the agreement codebook") from None


def _check_claims(claims: PermitClaims) -> None:
    if not isinstance(claims.number, str) or not claims.number:
        raise ValueError("number must be a non-empty str")
    if not isinstance(claims.document_number, str) or not claims.document_number:
        raise ValueError("document_number must be a non-empty str")
    _check_name(claims.surname, "surname", required=True)
    _check_name(claims.given_names, "given_names", required=False)
    if claims.native_name is not None and not isinstance(claims.native_name, str):
        raise ValueError("native_name must be a str or None")
    if not isinstance(claims.nationality, str) or not _NATIONALITY.fullmatch(claims.nationality):
        raise ValueError("nationality must be an ISO 3166-1 alpha-3 code")
    for name in ("birth_date", "valid_from", "valid_until"):
        if type(getattr(claims, name)) is not date:
            raise ValueError(f"{name} must be a date")
    if claims.valid_until < claims.valid_from:
        raise ValueError("valid_until is before valid_from")
    if type(claims.max_stay_days) is not int or not 1 <= claims.max_stay_days <= MAX_STAY_DAYS:
        raise ValueError(f"max_stay_days must be an int in [1, {MAX_STAY_DAYS}]")
    if not claims.crossing_points or len(set(claims.crossing_points)) != len(
        claims.crossing_points
    ):
        raise ValueError("crossing_points must be non-empty and without duplicates")
    if not isinstance(claims.photo_hash, bytes) or len(claims.photo_hash) != PHOTO_HASH_BYTES:
        raise ValueError(f"photo_hash must be {PHOTO_HASH_BYTES} bytes")


def _nationality_number(alpha3: str) -> int:
    value = 0
    for char in alpha3:
        value = value * 26 + ord(char) - ord("A")
    return value


def _nationality_code(value: int) -> str:
    chars = []
    for _ in range(3):
        value, digit = divmod(value, 26)
        chars.append(chr(ord("A") + digit))
    return "".join(reversed(chars))


def _claims_map(claims: PermitClaims, codebook: Codebook) -> dict[int, object]:
    _check_claims(claims)
    # Keys in ascending order: that is the deterministic order for small integers.
    fields: dict[int, object] = {
        _NUMBER: _encode_packable(claims.number, CODE_ALPHABET),
        _NAME: _pack(claims.surname + NAME_SEPARATOR + claims.given_names, NAME_ALPHABET),
    }
    if claims.native_name:
        fields[_NATIVE_NAME] = _encode_packable(claims.native_name, NATIVE_ALPHABET)
    fields |= {
        _BIRTH_DATE: _day(claims.birth_date),
        _NATIONALITY_KEY: _nationality_number(claims.nationality),
        _DOCUMENT_NUMBER: _encode_packable(claims.document_number, CODE_ALPHABET),
        _BORDER_AREA: _index(codebook.areas, claims.border_area, "border area"),
        _CROSSING_POINTS: [
            _index(codebook.crossing_points, point, "crossing point")
            for point in claims.crossing_points
        ],
        _VALID_FROM: _day(claims.valid_from),
        _VALID_UNTIL: _day(claims.valid_until),
        _MAX_STAY_DAYS: claims.max_stay_days,
        _ISSUER: _index(codebook.issuers, claims.issuer, "issuer"),
        _PHOTO_HASH: claims.photo_hash,
    }
    return fields


def encode_claims(claims: PermitClaims, codebook: Codebook) -> bytes:
    """The deterministic CBOR map of ``claims``; raises ValueError for claims it cannot carry."""
    return cbor2.dumps(_claims_map(claims, codebook))


def _loads(data: bytes) -> object:
    try:
        return cbor2.loads(data, allow_indefinite=False, allow_duplicate_keys=False)
    except cbor2.CBORDecodeError as error:
        raise PayloadError("not valid CBOR") from error


def _int(fields: dict, key: int, low: int, high: int) -> int:
    value = fields[key]
    if type(value) is not int or not low <= value <= high:
        raise PayloadError(f"claim {key} must be an int in [{low}, {high}]")
    return value


def _date(fields: dict, key: int) -> date:
    return _EPOCH + timedelta(days=_int(fields, key, _MIN_DAY, _MAX_DAY))


def _code_at(codes: tuple[str, ...], index: object, what: str) -> str:
    # An explicit range check: a negative index would silently count from the end.
    if type(index) is not int or not 0 <= index < len(codes):
        raise PayloadError(f"{what} index is not in the codebook")
    return codes[index]


def decode_claims(data: bytes, codebook: Codebook) -> PermitClaims:
    """The claims in a CBOR map made by ``encode_claims``; raises PayloadError otherwise."""
    fields = _loads(data)
    if not isinstance(fields, dict) or not all(type(k) is int for k in fields):
        raise PayloadError("claims must be a map with integer keys")
    keys = set(fields)
    if _REQUIRED_KEYS - keys or keys - _REQUIRED_KEYS - {_NATIVE_NAME}:
        raise PayloadError("claims have missing or unknown keys")

    name = fields[_NAME]
    if not isinstance(name, bytes) or not 0 < len(name) <= _PACKED_MAX_BYTES:
        raise PayloadError("name must be packed bytes")
    surname, separator, given_names = _unpack(name, NAME_ALPHABET).partition(NAME_SEPARATOR)
    if not separator or NAME_SEPARATOR in given_names or not surname:
        raise PayloadError("name must be SURNAME<GIVEN NAMES")
    native_name = fields.get(_NATIVE_NAME)
    if native_name is not None:
        native_name = _decode_packable(native_name, NATIVE_ALPHABET, "native_name")
    points = fields[_CROSSING_POINTS]
    if not isinstance(points, list) or not points:
        raise PayloadError("crossing_points must be a non-empty array")
    photo = fields[_PHOTO_HASH]
    if not isinstance(photo, bytes) or len(photo) != PHOTO_HASH_BYTES:
        raise PayloadError("photo_hash has the wrong length")

    claims = PermitClaims(
        number=_decode_packable(fields[_NUMBER], CODE_ALPHABET, "number"),
        surname=surname,
        given_names=given_names,
        native_name=native_name,
        birth_date=_date(fields, _BIRTH_DATE),
        nationality=_nationality_code(_int(fields, _NATIONALITY_KEY, 0, 26**3 - 1)),
        document_number=_decode_packable(
            fields[_DOCUMENT_NUMBER], CODE_ALPHABET, "document_number"
        ),
        border_area=_code_at(codebook.areas, fields[_BORDER_AREA], "border area"),
        crossing_points=tuple(
            _code_at(codebook.crossing_points, index, "crossing point") for index in points
        ),
        valid_from=_date(fields, _VALID_FROM),
        valid_until=_date(fields, _VALID_UNTIL),
        max_stay_days=_int(fields, _MAX_STAY_DAYS, 1, MAX_STAY_DAYS),
        issuer=_code_at(codebook.issuers, fields[_ISSUER], "issuer"),
        photo_hash=photo,
    )
    try:
        canonical = encode_claims(claims, codebook)
    except ValueError as error:
        raise PayloadError(f"claims are inconsistent: {error}") from None
    if canonical != data:
        raise PayloadError("claims are not in deterministic encoding")
    return claims


# --- CBOR <-> COSE_Sign1 ----------------------------------------------------


def protected_header(kid: str) -> bytes:
    """The serialized protected header ``{1: -8, 4: kid}``."""
    return cbor2.dumps({_ALG: _EDDSA, _KID: bytes.fromhex(kid)})


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """RFC 9052 Sig_structure for COSE_Sign1 with no external AAD: the bytes Ed25519 signs."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign_cose(payload: bytes, key: SigningKeyPair) -> CoseSign1:
    """``payload`` signed by ``key`` as a COSE_Sign1 message."""
    protected = protected_header(key.kid)
    signature = key.private_key.sign(sig_structure(protected, payload))
    return CoseSign1(key.kid, protected, payload, signature)


def encode_cose(message: CoseSign1) -> bytes:
    """The untagged COSE_Sign1 array."""
    return cbor2.dumps([message.protected, {}, message.payload, message.signature])


def decode_cose(data: bytes) -> CoseSign1:
    """The COSE_Sign1 in ``data`` (EdDSA, kid in the protected header); PayloadError otherwise."""
    array = _loads(data)
    if not isinstance(array, list) or len(array) != 4:
        raise PayloadError("not a COSE_Sign1 array")
    protected, unprotected, payload, signature = array
    if not (
        isinstance(protected, bytes)
        and unprotected == {}
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
        and len(signature) == _SIGNATURE_BYTES
    ):
        raise PayloadError("COSE_Sign1 fields have the wrong types")
    header = _loads(protected)
    if not isinstance(header, dict) or set(header) != {_ALG, _KID} or header[_ALG] != _EDDSA:
        raise PayloadError("protected header must be exactly {alg: EdDSA, kid}")
    kid_bytes = header[_KID]
    if not isinstance(kid_bytes, bytes) or not 0 < len(kid_bytes) <= KID_BYTES_MAX:
        raise PayloadError("kid must be 1 to 16 bytes")
    message = CoseSign1(kid_bytes.hex(), protected, payload, signature)
    if protected_header(message.kid) != protected or encode_cose(message) != data:
        raise PayloadError("COSE_Sign1 is not in deterministic encoding")
    return message


# --- COSE <-> text ----------------------------------------------------------


def encode_text(data: bytes) -> str:
    """The QR text: prefix and base45."""
    return PREFIX + base45.b45encode(data).decode("ascii")


def decode_text(text: str) -> bytes:
    """The bytes behind a QR text made by ``encode_text``; PayloadError otherwise."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        raise PayloadError("not an LBT1 permit")
    body = text[len(PREFIX) :]
    # The charset check comes first: the base45 package also strips newlines.
    if len(text) > MAX_SCAN_CHARS or not _BASE45_TEXT.fullmatch(body):
        raise PayloadError("not base45 text")
    # No re-encoding check needed: base45 digits are unique, so decoding is one-to-one.
    try:
        return base45.b45decode(body)
    except ValueError as error:
        raise PayloadError("not base45 text") from error


# --- whole payload ----------------------------------------------------------


def text_length(cose_bytes: int) -> int:
    """Characters of the QR text for a COSE message of ``cose_bytes`` bytes."""
    return len(PREFIX) + cose_bytes // 2 * 3 + cose_bytes % 2 * 2


def _unsigned_length(payload: bytes, kid: str) -> int:
    placeholder = CoseSign1(kid, protected_header(kid), payload, bytes(_SIGNATURE_BYTES))
    return text_length(len(encode_cose(placeholder)))


def sign(claims: PermitClaims, key: SigningKeyPair, codebook: Codebook) -> str:
    """The QR text of ``claims`` signed by ``key``.

    The native name is dropped when keeping it would need a QR larger than
    version 9-M. Raises ValueError for claims the payload cannot carry.
    """
    payload = encode_claims(claims, codebook)
    if claims.native_name and _unsigned_length(payload, key.kid) > MAX_TEXT_CHARS:
        payload = encode_claims(replace(claims, native_name=None), codebook)
    return encode_text(encode_cose(sign_cose(payload, key)))


def decode_unverified(text: str, codebook: Codebook) -> tuple[str, PermitClaims]:
    """The kid and claims of a QR text WITHOUT checking the signature; PayloadError if malformed.

    For display and diagnostics only: trust nothing from it; use verify() to decide.
    """
    message = decode_cose(decode_text(text))
    return message.kid, decode_claims(message.payload, codebook)
