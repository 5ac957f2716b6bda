"""Time-based one-time codes (RFC 6238) and recovery codes."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from lbt_app.core import second_factor as totp

RFC_SECRET = b"12345678901234567890"  # RFC 6238 Appendix B, the SHA-1 seed


@pytest.mark.parametrize(
    ("seconds", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_the_rfc_6238_sha1_vectors(seconds, code):
    assert totp.code_at(RFC_SECRET, seconds, digits=8) == code


def test_the_app_shows_the_last_six_digits():
    assert totp.code_at(RFC_SECRET, 59) == "287082"


def test_a_code_matches_its_step_and_the_neighbouring_ones_only():
    secret, now = totp.new_secret(), 1_800_000_015
    step = totp.step_at(now)
    for drift in (-1, 0, 1):
        code = totp.code_at(secret, (step + drift) * totp.STEP_SECONDS)
        assert totp.matching_step(secret, code, now, None) == step + drift
    for drift in (-3, -2, 2, 3):
        code = totp.code_at(secret, (step + drift) * totp.STEP_SECONDS)
        assert totp.matching_step(secret, code, now, None) is None


def test_a_code_is_good_once_and_an_earlier_one_never_after():
    secret, now = totp.new_secret(), 1_800_000_015
    step = totp.step_at(now)
    code = totp.code_at(secret, now)
    assert totp.matching_step(secret, code, now, step - 1) == step
    assert totp.matching_step(secret, code, now, step) is None
    earlier = totp.code_at(secret, now - totp.STEP_SECONDS)
    assert totp.matching_step(secret, earlier, now, step) is None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "１２３４５６", "²²²²²²"])
def test_what_is_not_six_digits_matches_nothing(typed):
    assert totp.matching_step(totp.new_secret(), typed, 1_800_000_015, None) is None


def test_spaces_in_a_typed_code_do_not_matter():
    secret, now = totp.new_secret(), 1_800_000_015
    code = totp.code_at(secret, now)
    assert totp.matching_step(secret, f" {code[:3]} {code[3:]} ", now, None) is not None


def test_the_secret_is_typed_in_groups_of_four_and_read_from_the_qr():
    secret = totp.new_secret()
    text = totp.secret_text(secret)
    groups = text.split(" ")
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)
    assert base64.b32decode("".join(groups)) == secret
    uri = totp.provisioning_uri(secret, "officer1")
    assert uri.startswith("otpauth://totp/LBT%20permits:officer1?")
    query = parse_qs(urlsplit(uri).query)
    assert query == {"secret": ["".join(groups)], "issuer": ["LBT permits"]}
    assert "issuer=LBT%20permits" in uri


def test_recovery_codes_are_ten_different_and_hashed_without_case_or_dashes():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == totp.RECOVERY_CODES == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    code = codes[0]
    assert totp.recovery_hash(code) == totp.recovery_hash(code.upper().replace("-", " "))
    assert totp.recovery_hash(code) != totp.recovery_hash(codes[1])
    assert len(totp.recovery_hash(code)) == 64
