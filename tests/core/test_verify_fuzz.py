"""Thousands of damaged and forged permits: verify() calls none VALID and never raises."""

from __future__ import annotations

import base45
import cbor2
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lbt_app.core.keys import SigningKeyPair, generate_key
from lbt_app.core.payload import (
    PREFIX,
    decode_cose,
    decode_text,
    encode_claims,
    encode_cose,
    encode_text,
    protected_header,
    sign,
    sign_cose,
)
from lbt_app.core.verdict import OUTCOMES, REASONS, Outcome
from lbt_app.core.verify import verify
from tests.core.test_payload import CODEBOOK, claims_strategy, make_claims
from tests.core.test_verify import ACTIVE, NOW, RETIRED, TEXT, TRUST, UNTRUSTED

BASE45_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
COSE = decode_text(TEXT)
OTHER_TEXT = sign(make_claims(number="TJ26-000124"), ACTIVE, CODEBOOK)
FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_refused(text: object) -> None:
    assume(text != TEXT and text != OTHER_TEXT)
    verdict = verify(text, TRUST, NOW)  # type: ignore[arg-type]
    assert verdict.outcome is Outcome.INVALID, verdict
    assert verdict.outcome is OUTCOMES[verdict.code]
    assert verdict.reasons == (REASONS[verdict.code],)


positions = st.integers(0, len(TEXT) - 1)
chars = st.sampled_from(BASE45_CHARS) | st.characters()


@FUZZ
@given(st.lists(st.tuples(positions, chars), min_size=1, max_size=6))
def test_character_substitutions(changes: list[tuple[int, str]]) -> None:
    text = list(TEXT)
    for index, char in changes:
        text[index] = char
    assert_refused("".join(text))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(TEXT)), chars), min_size=1, max_size=6))
def test_character_insertions(changes: list[tuple[int, str]]) -> None:
    text = TEXT
    for index, char in changes:
        text = text[:index] + char + text[index:]
    assert_refused(text)


@FUZZ
@given(st.lists(positions, min_size=1, max_size=6))
def test_character_deletions(indexes: list[int]) -> None:
    text = TEXT
    for index in indexes:
        text = text[: index % max(len(text), 1)] + text[index % max(len(text), 1) + 1 :]
    assert_refused(text)


@FUZZ
@given(st.integers(0, len(TEXT) - 1), st.text(BASE45_CHARS, max_size=8))
def test_truncations_with_or_without_a_new_tail(length: int, tail: str) -> None:
    assert_refused(TEXT[:length] + tail)


@FUZZ
@given(st.text() | st.text(BASE45_CHARS).map(PREFIX.__add__))
def test_random_text(text: str) -> None:
    assert_refused(text)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_as_well_formed_base45_with_our_prefix(data: bytes) -> None:
    assert_refused(encode_text(data))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(COSE) - 1), st.integers(1, 255)), min_size=1))
def test_flipped_bits_in_the_signed_bytes(flips: list[tuple[int, int]]) -> None:
    data = bytearray(COSE)
    for index, mask in flips:
        data[index] ^= mask
    assert_refused(encode_text(bytes(data)))


kids = st.sampled_from([ACTIVE.kid, RETIRED.kid, UNTRUSTED.kid]).map(bytes.fromhex) | st.binary(
    max_size=20
)


@FUZZ
@given(
    protected=kids.map(lambda kid: cbor2.dumps({1: -8, 4: kid})) | st.binary(max_size=20),
    unprotected=st.just({}) | st.dictionaries(st.integers(-5, 5), st.binary(max_size=4)),
    payload=st.just(decode_cose(COSE).payload) | st.binary(max_size=120),
    signature=st.binary(min_size=64, max_size=64) | st.binary(max_size=70),
)
def test_cose_shaped_messages_with_random_fields(
    protected: bytes, unprotected: dict, payload: bytes, signature: bytes
) -> None:
    assert_refused(encode_text(cbor2.dumps([protected, unprotected, payload, signature])))


@FUZZ
@given(claims=claims_strategy(), trusted_kid=st.sampled_from([ACTIVE.kid, RETIRED.kid]))
def test_claims_re_signed_by_an_untrusted_key(claims, trusted_kid: str) -> None:
    assert_refused(sign(claims, UNTRUSTED, CODEBOOK))
    # The forger puts a trusted kid in the header: the signature still gives it away.
    assert_refused(sign(claims, SigningKeyPair(trusted_kid, UNTRUSTED.private_key), CODEBOOK))


@settings(max_examples=100, deadline=None)
@given(claims=claims_strategy())
def test_claims_signed_by_a_fresh_unlisted_authority_key(claims) -> None:
    assert_refused(sign(claims, generate_key("TJ-SGD-HUK"), CODEBOOK))


@pytest.mark.parametrize("part", ["payload", "signature", "protected"])
def test_parts_spliced_from_two_genuine_permits(part: str) -> None:
    first, second = decode_cose(COSE), decode_cose(decode_text(OTHER_TEXT))
    fields = {
        "protected": first.protected,
        "payload": first.payload,
        "signature": first.signature,
    }
    fields[part] = getattr(second, part)
    if part == "protected":
        # A different key's header over the same payload and signature.
        fields["protected"] = protected_header(RETIRED.kid)
    text = encode_text(
        cbor2.dumps([fields["protected"], {}, fields["payload"], fields["signature"]])
    )
    assert verify(text, TRUST, NOW).outcome is Outcome.INVALID


@FUZZ
@given(st.binary(min_size=1, max_size=100))
def test_genuinely_signed_random_claims_bytes_are_never_valid(payload: bytes) -> None:
    assume(payload != encode_claims(make_claims(), CODEBOOK))
    assert_refused(encode_text(encode_cose(sign_cose(payload, ACTIVE))))


def test_the_fuzz_inputs_start_from_a_valid_permit() -> None:
    assert verify(TEXT, TRUST, NOW).outcome is Outcome.VALID
    assert verify(OTHER_TEXT, TRUST, NOW).outcome is Outcome.VALID
    assert base45.b45decode(TEXT.removeprefix(PREFIX)) == COSE
