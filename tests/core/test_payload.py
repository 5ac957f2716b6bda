"""The permit payload codec: each encoding step round-trips, sizes hold, bad input is refused.

The factories at the top (CODEBOOK, make_claims, claims_strategy) are shared
with the other tests in tests/core.
"""

from __future__ import annotations

import dataclasses
import zlib
from datetime import date, timedelta

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbt_app.core.keys import generate_key
from lbt_app.core.payload import (
    CODE_ALPHABET,
    MAX_TEXT_CHARS,
    NATIVE_ALPHABET,
    PHOTO_HASH_BYTES,
    PREFIX,
    Codebook,
    CoseSign1,
    PayloadError,
    PermitClaims,
    decode_claims,
    decode_cose,
    decode_text,
    decode_unverified,
    encode_claims,
    encode_cose,
    encode_text,
    photo_hash,
    protected_header,
    sig_structure,
    sign,
    sign_cose,
)

CODEBOOK = Codebook(
    areas=("TJ-SGD", "UZ-FER"),
    crossing_points=("OYBEK", "PATAR", "FOTEHOBOD", "KONIBODOM"),
    issuers=("TJ-SGD-HUK", "UZ-FER-IIB"),
)
# 14 + 16 = 30 Latin characters: the size goal's holder.
LONG_SURNAME = "ABDURAKHMONOVA"
LONG_GIVEN_NAMES = "MUKHABBAT SHAHLO"


def make_claims(**overrides: object) -> PermitClaims:
    fields: dict[str, object] = {
        "number": "TJ26-000123",
        "surname": LONG_SURNAME,
        "given_names": LONG_GIVEN_NAMES,
        "native_name": None,
        "birth_date": date(1958, 3, 14),
        "nationality": "TJK",
        "document_number": "A12345678",
        "border_area": "TJ-SGD",
        "crossing_points": ("OYBEK", "PATAR", "KONIBODOM"),
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2030, 12, 31),
        "max_stay_days": 90,
        "issuer": "TJ-SGD-HUK",
        "photo_hash": photo_hash(b"holder photo"),
    }
    fields.update(overrides)
    return PermitClaims(**fields)


_NAME_CHARS = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ -'")


@st.composite
def claims_strategy(draw: st.DrawFn) -> PermitClaims:
    valid_from = draw(st.dates(date(2000, 1, 1), date(2100, 1, 1)))
    return make_claims(
        number=draw(
            st.one_of(
                st.from_regex(r"[A-Z]{2}[0-9]{2}-[0-9]{6}", fullmatch=True),
                st.text(CODE_ALPHABET, min_size=1, max_size=24),
            )
        ),
        surname=draw(st.text(_NAME_CHARS, min_size=1, max_size=40)),
        given_names=draw(st.text(_NAME_CHARS, max_size=40)),
        native_name=draw(
            st.none()
            | st.text(NATIVE_ALPHABET, min_size=1, max_size=30)
            | st.text(min_size=1, max_size=30)
        ),
        birth_date=draw(st.dates(date(1900, 1, 1), date(2030, 1, 1))),
        nationality=draw(st.from_regex(r"[A-Z]{3}", fullmatch=True)),
        document_number=draw(
            st.one_of(
                st.text(CODE_ALPHABET, min_size=1, max_size=20),
                st.text(min_size=1, max_size=20),
            )
        ),
        border_area=draw(st.sampled_from(CODEBOOK.areas)),
        crossing_points=tuple(
            draw(st.lists(st.sampled_from(CODEBOOK.crossing_points), min_size=1, unique=True))
        ),
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=draw(st.integers(0, 1830))),
        max_stay_days=draw(st.integers(1, 0xFFFF)),
        issuer=draw(st.sampled_from(CODEBOOK.issuers)),
        photo_hash=draw(st.binary(min_size=PHOTO_HASH_BYTES, max_size=PHOTO_HASH_BYTES)),
    )


KEY = generate_key("TJ-SGD-HUK")


# --- round trips, one per step ----------------------------------------------


@settings(max_examples=300)
@given(claims_strategy())
def test_claims_round_trip_through_cbor(claims: PermitClaims) -> None:
    assert decode_claims(encode_claims(claims, CODEBOOK), CODEBOOK) == claims


@settings(max_examples=100)
@given(st.binary(max_size=300))
def test_cose_round_trip(payload: bytes) -> None:
    message = sign_cose(payload, KEY)
    assert decode_cose(encode_cose(message)) == message


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_text_round_trip(data: bytes) -> None:
    text = encode_text(data)
    assert text.startswith(PREFIX)
    assert decode_text(text) == data


@settings(max_examples=100)
@given(claims_strategy())
def test_sign_then_decode_unverified_gives_the_claims_back(claims: PermitClaims) -> None:
    kid, decoded = decode_unverified(sign(claims, KEY, CODEBOOK), CODEBOOK)
    assert kid == KEY.kid
    text_fits = decoded.native_name == claims.native_name
    assert decoded == (claims if text_fits else dataclasses.replace(claims, native_name=None))


def test_document_number_outside_the_code_alphabet_travels_as_text() -> None:
    claims = make_claims(document_number="AB 123/45 №")
    assert cbor2.loads(encode_claims(claims, CODEBOOK))[6] == "AB 123/45 №"
    assert decode_claims(encode_claims(claims, CODEBOOK), CODEBOOK) == claims


@pytest.mark.parametrize(
    ("native_name", "packed"),
    [
        ("Каримов Дилшод", True),
        ("Ғайратов Ӯрунбой Ҷӯраевич", True),
        ("Gʻayrat Oʻrinov", True),
        ("كريموف", False),
        ("Каримов\u0301", False),
    ],
)
def test_native_name_travels_packed_when_its_script_allows(native_name: str, packed: bool) -> None:
    claims = make_claims(native_name=native_name)
    wire = cbor2.loads(encode_claims(claims, CODEBOOK))[3]
    assert isinstance(wire, bytes) is packed
    assert decode_claims(encode_claims(claims, CODEBOOK), CODEBOOK) == claims


def test_holder_without_given_names_round_trips() -> None:
    claims = make_claims(surname="MADONNA", given_names="")
    assert decode_claims(encode_claims(claims, CODEBOOK), CODEBOOK) == claims


def test_birth_before_1970_is_a_negative_day_number() -> None:
    claims = make_claims(birth_date=date(1969, 12, 31))
    assert cbor2.loads(encode_claims(claims, CODEBOOK))[4] == -1


# --- the COSE structure is RFC 9052 ------------------------------------------


def test_cose_sign1_has_the_rfc_9052_shape() -> None:
    message = sign_cose(b"claims", KEY)
    protected, unprotected, payload, signature = cbor2.loads(encode_cose(message))
    assert cbor2.loads(protected) == {1: -8, 4: bytes.fromhex(KEY.kid)}
    assert protected == protected_header(KEY.kid)
    assert unprotected == {}
    assert payload == b"claims"
    assert len(signature) == 64
    assert cbor2.loads(sig_structure(protected, payload)) == ["Signature1", protected, b"", payload]
    KEY.private_key.public_key().verify(signature, sig_structure(protected, payload))


# --- size ---------------------------------------------------------------------


def test_thirty_character_name_fits_qr_version_9_m() -> None:
    claims = make_claims()
    assert len(claims.surname + claims.given_names) == 30
    text = sign(claims, KEY, CODEBOOK)
    assert len(text) <= MAX_TEXT_CHARS


@settings(max_examples=200)
@given(
    surname_length=st.integers(1, 29),
    name=st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ -'"), min_size=30, max_size=30),
    document_number=st.text(st.sampled_from(CODE_ALPHABET), min_size=9, max_size=9),
    points=st.lists(st.sampled_from(CODEBOOK.crossing_points), min_size=3, max_size=3, unique=True),
)
def test_any_thirty_character_holder_fits_qr_version_9_m(
    surname_length: int, name: str, document_number: str, points: list[str]
) -> None:
    claims = make_claims(
        number="ZZ99-999999",
        surname=name[:surname_length],
        given_names=name[surname_length:],
        document_number=document_number,
        crossing_points=tuple(points),
        max_stay_days=90,
    )
    assert len(sign(claims, KEY, CODEBOOK)) <= MAX_TEXT_CHARS


def test_native_name_is_kept_when_it_fits() -> None:
    claims = make_claims(surname="ALI", given_names="OLIM", native_name="Алӣ Олим")
    text = sign(claims, KEY, CODEBOOK)
    assert len(text) <= MAX_TEXT_CHARS
    assert decode_unverified(text, CODEBOOK)[1].native_name == "Алӣ Олим"


def test_native_name_is_left_out_when_it_would_not_fit() -> None:
    claims = make_claims(native_name="Абдурахмонова Мухаббат Шаҳло")
    text = sign(claims, KEY, CODEBOOK)
    assert len(text) <= MAX_TEXT_CHARS
    assert decode_unverified(text, CODEBOOK)[1] == dataclasses.replace(claims, native_name=None)


def test_zlib_would_not_make_the_permit_smaller() -> None:
    cose = decode_text(sign(make_claims(), KEY, CODEBOOK))
    assert len(zlib.compress(cose, 9)) >= len(cose)


def test_photo_hash_is_a_short_sha256_prefix() -> None:
    assert photo_hash(b"abc") == bytes.fromhex("ba7816bf8f01cfea")
    assert len(photo_hash(b"")) == PHOTO_HASH_BYTES


# --- claims the payload cannot carry are refused when signing -----------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"surname": "Abdurakhmonova"},
        {"surname": ""},
        {"given_names": "OLIM<"},
        {"number": ""},
        {"document_number": ""},
        {"nationality": "TJ"},
        {"nationality": "tjk"},
        {"border_area": "KZ-TUR"},
        {"crossing_points": ("DOSTLIK",)},
        {"crossing_points": ()},
        {"crossing_points": ("OYBEK", "OYBEK")},
        {"issuer": "KZ-TUR-POL"},
        {"valid_until": date(2025, 12, 31)},
        {"max_stay_days": 0},
        {"photo_hash": b"short"},
    ],
)
def test_sign_refuses_claims_it_cannot_carry(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        sign(make_claims(**overrides), KEY, CODEBOOK)


def test_codebook_refuses_duplicate_codes() -> None:
    with pytest.raises(ValueError):
        Codebook(areas=("A", "A"), crossing_points=(), issuers=())


# --- malformed input is a PayloadError, nothing else -------------------------


def _claims_map() -> dict[int, object]:
    return cbor2.loads(encode_claims(make_claims(), CODEBOOK))


def _with(**changes: object) -> bytes:
    fields = _claims_map()
    for key, value in changes.items():
        number = int(key.removeprefix("k"))
        if value is None:
            del fields[number]
        else:
            fields[number] = value
    return cbor2.dumps(fields)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff",
        cbor2.dumps([1, 2]),
        cbor2.dumps({"1": 1}),
        _with(k1=None),
        _with(k14=1),
        _with(k1="TJ26-000123"),
        _with(k1=b"\x00" + _claims_map()[1]),
        _with(k2=b""),
        _with(k2=cbor2.dumps("X")),
        _with(k4=1.5),
        _with(k4=True),
        _with(k4=10**9),
        _with(k5=26**3),
        _with(k7=2),
        _with(k7=-1),
        _with(k8=[]),
        _with(k8=[0, 0]),
        _with(k8=[-1]),
        _with(k8=[9]),
        _with(k10=0),
        _with(k11=0),
        _with(k12=5),
        _with(k13=b"1234567"),
        _with(k3=""),
        _with(k3=5),
        encode_claims(make_claims(), CODEBOOK) + b"\x00",
        cbor2.dumps(dict(reversed(_claims_map().items()))),
    ],
)
def test_decode_claims_refuses_malformed_claims(data: bytes) -> None:
    with pytest.raises(PayloadError):
        decode_claims(data, CODEBOOK)


def _cose_array() -> list[object]:
    return cbor2.loads(encode_cose(sign_cose(b"claims", KEY)))


def _cose_with(index: int, value: object) -> bytes:
    array = _cose_array()
    array[index] = value
    return cbor2.dumps(array)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        cbor2.dumps({}),
        cbor2.dumps(_cose_array()[:3]),
        cbor2.dumps(cbor2.CBORTag(18, _cose_array())),
        encode_cose(sign_cose(b"claims", KEY)) + b"\x00",
        _cose_with(0, {1: -8, 4: b"kid"}),
        _cose_with(0, cbor2.dumps({1: -7, 4: bytes.fromhex(KEY.kid)})),
        _cose_with(0, cbor2.dumps({1: -8})),
        _cose_with(0, cbor2.dumps({1: -8, 4: b""})),
        _cose_with(0, cbor2.dumps({1: -8, 4: "kid"})),
        _cose_with(0, cbor2.dumps({4: bytes.fromhex(KEY.kid), 1: -8})),
        _cose_with(0, cbor2.dumps({1: -8, 4: bytes.fromhex(KEY.kid), 3: 0})),
        _cose_with(1, {4: b"kid"}),
        _cose_with(2, "claims"),
        _cose_with(3, b"\x00" * 63),
    ],
)
def test_decode_cose_refuses_malformed_messages(data: bytes) -> None:
    with pytest.raises(PayloadError):
        decode_cose(data)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "LBT1",
        "HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N",
        "lbt1:6BFOXN",
        "LBT2:6BFOXN",
        "LBT1:6BF\n",
        "LBT1:6bf",
        "LBT1:6B",
        "LBT1:6",
        "LBT1:::::",
        "LBT1:" + "0" * 5000,
    ],
)
def test_decode_text_refuses_text_that_is_not_ours(text: str) -> None:
    with pytest.raises(PayloadError):
        decode_text(text)


@pytest.mark.parametrize("value", [None, b"LBT1:", 42])
def test_decode_text_refuses_non_text(value: object) -> None:
    with pytest.raises(PayloadError):
        decode_text(value)  # type: ignore[arg-type]


def test_decode_unverified_refuses_a_message_with_bad_claims() -> None:
    text = encode_text(encode_cose(sign_cose(b"\xa0", KEY)))
    with pytest.raises(PayloadError):
        decode_unverified(text, CODEBOOK)


def test_cose_sign1_to_be_signed_is_the_sig_structure() -> None:
    message = CoseSign1(KEY.kid, protected_header(KEY.kid), b"p", bytes(64))
    assert message.to_be_signed() == sig_structure(message.protected, b"p")
