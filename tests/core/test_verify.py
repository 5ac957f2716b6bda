"""Offline verification: every verdict verify() can give, with a fixed clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lbt_app.core.keys import SigningKeyPair, generate_key, public_bytes
from lbt_app.core.payload import (
    PREFIX,
    encode_cose,
    encode_text,
    sign,
    sign_cose,
)
from lbt_app.core.verdict import OUTCOMES, REASONS, Code, Outcome, Verdict
from lbt_app.core.verify import TrustedKey, TrustList, verify
from tests.core.test_payload import CODEBOOK, make_claims

DUSHANBE = ZoneInfo("Asia/Dushanbe")  # UTC+5, no daylight saving
ACTIVE = generate_key("TJ-SGD-HUK")
RETIRED = generate_key("TJ-SGD-HUK")
REVOKED = generate_key("TJ-SGD-HUK")
UNTRUSTED = generate_key("TJ-SGD-HUK")
# A clock inside the validity of make_claims() (2026-01-01 .. 2030-12-31).
NOW = datetime(2027, 6, 1, 9, 30, tzinfo=DUSHANBE)


def trusted(key: SigningKeyPair, status: str = "active", issuer: str = "TJ-SGD-HUK") -> TrustedKey:
    return TrustedKey(
        kid=key.kid,
        issuer=issuer,
        public_key=public_bytes(key),
        status=status,
        timezone="Asia/Dushanbe",
        codebook=CODEBOOK,
    )


TRUST = TrustList([trusted(ACTIVE), trusted(RETIRED, "retired"), trusted(REVOKED, "revoked")])
TEXT = sign(make_claims(), ACTIVE, CODEBOOK)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- the verdicts ------------------------------------------------------------


def test_signed_permit_is_valid_with_its_claims_and_kid() -> None:
    verdict = verify(TEXT, TRUST, NOW)
    assert verdict == Verdict(
        Outcome.VALID, Code.VALID, (REASONS[Code.VALID],), make_claims(), ACTIVE.kid
    )


@pytest.mark.parametrize(
    ("now", "code"),
    [
        ("2025-12-31T23:59:59+05:00", Code.NOT_YET_VALID),
        ("2026-01-01T00:00:00+05:00", Code.VALID),
        ("2030-12-31T23:59:59+05:00", Code.VALID),
        ("2031-01-01T00:00:00+05:00", Code.EXPIRED),
        # The UTC date and the Dushanbe date differ: Dushanbe's decides.
        ("2025-12-31T19:30:00+00:00", Code.VALID),
        ("2025-12-31T18:59:59+00:00", Code.NOT_YET_VALID),
        ("2030-12-31T18:59:59+00:00", Code.VALID),
        ("2030-12-31T19:00:00+00:00", Code.EXPIRED),
        # A clock given in another zone (New York): the instant counts, not its zone.
        ("2030-12-31T23:00:00-05:00", Code.EXPIRED),
        ("2025-12-31T14:30:00-05:00", Code.VALID),
    ],
)
def test_the_day_is_the_agreements_day(now: str, code: Code) -> None:
    verdict = verify(TEXT, TRUST, at(now))
    assert verdict.code == code
    assert verdict.outcome == OUTCOMES[code]
    assert verdict.claims == make_claims()


def test_expired_the_day_after_valid_until_and_valid_on_it() -> None:
    last_day = make_claims().valid_until
    noon = datetime(last_day.year, last_day.month, last_day.day, 12, tzinfo=DUSHANBE)
    assert verify(TEXT, TRUST, noon).code == Code.VALID
    assert verify(TEXT, TRUST, noon + timedelta(days=1)).code == Code.EXPIRED


def test_one_day_permit_is_valid_on_that_day_only() -> None:
    day = date(2027, 6, 1)
    text = sign(make_claims(valid_from=day, valid_until=day), ACTIVE, CODEBOOK)
    assert verify(text, TRUST, NOW).code == Code.VALID
    assert verify(text, TRUST, NOW - timedelta(days=1)).code == Code.NOT_YET_VALID
    assert verify(text, TRUST, NOW + timedelta(days=1)).code == Code.EXPIRED


def test_naive_clock_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        verify(TEXT, TRUST, datetime(2027, 6, 1, 9, 30))


def test_retired_key_still_verifies() -> None:
    verdict = verify(sign(make_claims(), RETIRED, CODEBOOK), TRUST, NOW)
    assert (verdict.outcome, verdict.code, verdict.kid) == (Outcome.VALID, Code.VALID, RETIRED.kid)


def test_revoked_key_is_invalid_and_shows_no_claims() -> None:
    verdict = verify(sign(make_claims(), REVOKED, CODEBOOK), TRUST, NOW)
    assert (verdict.outcome, verdict.code) == (Outcome.INVALID, Code.KEY_REVOKED)
    assert verdict.claims is None
    assert verdict.kid == REVOKED.kid


def test_unknown_kid_is_unknown_issuer() -> None:
    verdict = verify(sign(make_claims(), UNTRUSTED, CODEBOOK), TRUST, NOW)
    assert (verdict.outcome, verdict.code) == (Outcome.INVALID, Code.UNKNOWN_ISSUER)
    assert (verdict.claims, verdict.kid) == (None, UNTRUSTED.kid)


def test_empty_trust_list_trusts_nobody() -> None:
    assert verify(TEXT, TrustList(), NOW).code == Code.UNKNOWN_ISSUER


def test_forger_using_a_trusted_kid_gets_bad_signature() -> None:
    forger = SigningKeyPair(ACTIVE.kid, UNTRUSTED.private_key)
    verdict = verify(sign(make_claims(), forger, CODEBOOK), TRUST, NOW)
    assert (verdict.outcome, verdict.code, verdict.claims) == (
        Outcome.INVALID,
        Code.BAD_SIGNATURE,
        None,
    )


def test_key_signing_for_another_issuer_is_unknown_issuer() -> None:
    text = sign(make_claims(issuer="UZ-FER-IIB"), ACTIVE, CODEBOOK)
    verdict = verify(text, TRUST, NOW)
    assert (verdict.code, verdict.claims) == (Code.UNKNOWN_ISSUER, None)


def test_genuinely_signed_garbage_claims_are_malformed() -> None:
    text = encode_text(encode_cose(sign_cose(b"\xa1\x01\x02", ACTIVE)))
    verdict = verify(text, TRUST, NOW)
    assert (verdict.outcome, verdict.code, verdict.kid) == (
        Outcome.INVALID,
        Code.MALFORMED,
        ACTIVE.kid,
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        PREFIX,
        "LBT1",
        TEXT.replace(PREFIX, "HC1:"),
        TEXT.lower(),
        TEXT + "\n",
        " " + TEXT,
        "https://example.org/permit/TJ26-000123",
        "\x00\uffff\U0001f600",
        "LBT1:" + "%" * 3000,
        "LBT1:" + "0" * 100_000,
    ],
)
def test_text_that_is_not_a_permit_is_malformed(text: str) -> None:
    verdict = verify(text, TRUST, NOW)
    assert verdict == Verdict(
        Outcome.INVALID, Code.MALFORMED, (REASONS[Code.MALFORMED],), None, None
    )


@pytest.mark.parametrize("value", [None, b"LBT1:", 12345, ["LBT1:"]])
def test_a_value_that_is_not_even_text_is_malformed(value: object) -> None:
    assert verify(value, TRUST, NOW).code == Code.MALFORMED  # type: ignore[arg-type]


# --- no small change turns into a valid permit ---------------------------------

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def test_every_one_character_substitution_is_refused() -> None:
    codes = set()
    for index, original in enumerate(TEXT):
        for char in _ALPHABET.replace(original, ""):
            verdict = verify(TEXT[:index] + char + TEXT[index + 1 :], TRUST, NOW)
            assert verdict.outcome is Outcome.INVALID, (index, char)
            codes.add(verdict.code)
    assert codes == {Code.MALFORMED, Code.BAD_SIGNATURE, Code.UNKNOWN_ISSUER}


def test_every_one_character_deletion_and_insertion_is_refused() -> None:
    for index in range(len(TEXT) + 1):
        if index < len(TEXT):
            deleted = TEXT[:index] + TEXT[index + 1 :]
            assert verify(deleted, TRUST, NOW).outcome is Outcome.INVALID, index
        for char in _ALPHABET:
            inserted = TEXT[:index] + char + TEXT[index:]
            assert verify(inserted, TRUST, NOW).outcome is Outcome.INVALID, (index, char)


def test_every_truncation_is_malformed() -> None:
    for length in range(len(TEXT)):
        assert verify(TEXT[:length], TRUST, NOW).code == Code.MALFORMED, length


# --- the verdict table -----------------------------------------------------------


def test_codes_are_the_design_vocabulary() -> None:
    assert {code.value for code in Code} == {
        "valid",
        "malformed",
        "bad_signature",
        "unknown_issuer",
        "not_yet_valid",
        "expired",
        "revoked",
        "suspended",
        "crossing_point_not_allowed",
        "stay_limit_exceeded",
        "already_inside",
        "not_inside",
        "photo_mismatch",
        "key_revoked",
        "static_copy",
        "not_registered",
    }


def test_every_code_has_one_outcome_and_a_distinct_plain_reason() -> None:
    assert set(OUTCOMES) == set(REASONS) == set(Code)
    assert len(set(REASONS.values())) == len(Code)
    for reason in REASONS.values():
        assert reason[0].isupper() and reason.endswith(".")
        assert "{" not in reason and "%" not in reason
    assert [code for code, outcome in OUTCOMES.items() if outcome is Outcome.VALID] == [Code.VALID]
    assert OUTCOMES[Code.STATIC_COPY] is Outcome.CHECK
    assert OUTCOMES[Code.KEY_REVOKED] is Outcome.INVALID
    assert OUTCOMES[Code.NOT_REGISTERED] is Outcome.INVALID


def test_verdict_of_puts_the_main_reason_first() -> None:
    claims = make_claims()
    verdict = Verdict.of(Code.REVOKED, claims=claims, kid="ab", extra_reasons=("More.",))
    assert verdict == Verdict(
        Outcome.INVALID, Code.REVOKED, (REASONS[Code.REVOKED], "More."), claims, "ab"
    )
    assert Verdict.of(Code.VALID) == Verdict(
        Outcome.VALID, Code.VALID, (REASONS[Code.VALID],), None, None
    )


# --- the trust list ---------------------------------------------------------------


def test_trust_list_round_trips_through_json_and_still_verifies() -> None:
    loaded = TrustList.from_json(TRUST.to_json())
    assert dict(loaded) == dict(TRUST)
    assert verify(TEXT, loaded, NOW).code == Code.VALID
    assert verify(sign(make_claims(), REVOKED, CODEBOOK), loaded, NOW).code == Code.KEY_REVOKED


def test_trust_list_is_a_mapping_by_kid() -> None:
    assert len(TRUST) == 3
    assert TRUST[ACTIVE.kid].status == "active"
    assert ACTIVE.kid in TRUST and UNTRUSTED.kid not in TRUST
    assert TRUST.get(UNTRUSTED.kid) is None


def test_trust_list_refuses_duplicate_kids() -> None:
    with pytest.raises(ValueError):
        TrustList([trusted(ACTIVE), trusted(ACTIVE, "retired")])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"version": 2, "keys": []}',
        '{"version": 1}',
        '{"version": 1, "keys": [{"kid": "ab"}]}',
        TRUST.to_json().replace("Asia/Dushanbe", "Asia/Nowhere"),
        TRUST.to_json().replace('"active"', '"trusted"'),
        TRUST.to_json().replace('"areas": [', '"areas": "TJ-SGD", "x": ['),
    ],
)
def test_trust_list_from_bad_json_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        TrustList.from_json(text)


@pytest.mark.parametrize(
    "change",
    [
        {"kid": "XYZ"},
        {"status": "unknown"},
        {"issuer": ""},
        {"public_key": b"\x00" * 31},
        {"timezone": "Mars/Olympus"},
    ],
)
def test_trusted_key_refuses_bad_trust_data(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(trusted(ACTIVE), **change)


def test_reasons_are_english_message_ids_unchanged_by_verify() -> None:
    verdict = verify(TEXT.replace(PREFIX, "XX"), TRUST, NOW)
    assert verdict.reasons == (REASONS[Code.MALFORMED],)


def test_verdict_for_permit_from_utc_clock_matches_dushanbe_clock() -> None:
    instant = NOW.astimezone(UTC)
    assert verify(TEXT, TRUST, instant) == verify(TEXT, TRUST, NOW)
