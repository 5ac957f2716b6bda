"""The live permit text: a 30-second code beside the signed permit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lbt_app.core import live
from lbt_app.core.payload import PREFIX

AT = datetime(2026, 11, 29, 9, 0, 10, tzinfo=UTC)
PERMIT = PREFIX + "6BF-ABC123 $%*+-./:"


def test_the_live_text_wraps_the_permit_and_splits_back():
    secret = live.new_secret()
    text = live.live_text(PERMIT, secret, AT)
    assert text.startswith(live.LIVE_PREFIX) and len(text) == len(PERMIT) + live.DIGITS
    permit, code = live.split(text)
    assert permit == PERMIT and code == live.code_at(secret, AT) and code.isdigit()
    assert live.split(PERMIT) == (PERMIT, None)
    assert live.split("LBTL:12ab56XYZ") == ("LBTL:12ab56XYZ", None)
    with pytest.raises(ValueError):
        live.live_text("hello", secret, AT)


@pytest.mark.parametrize(
    ("shown", "fresh"),
    [
        (timedelta(0), True),
        (timedelta(seconds=-25), True),  # shown in the step before
        (timedelta(seconds=-70), False),  # a screenshot over a minute old
        (timedelta(minutes=-2), False),
        (timedelta(seconds=35), False),  # a code from the future
    ],
)
def test_only_the_current_and_the_previous_step_are_accepted(shown, fresh):
    secret = live.new_secret()
    code = live.code_at(secret, AT + shown)
    assert live.code_is_fresh(secret, code, AT) is fresh


def test_another_wallets_code_is_not_fresh():
    assert not live.code_is_fresh(live.new_secret(), live.code_at(live.new_secret(), AT), AT)


def test_the_code_follows_rfc_6238_with_sha256():
    # RFC 6238 appendix B, SHA-256 seed, T = 59 s: 46119246 (8 digits) → 119246 with 6 digits.
    seed = b"12345678901234567890123456789012"
    assert live.code_at(seed, datetime.fromtimestamp(59, UTC)) == "119246"


@pytest.mark.parametrize(
    "digits",
    [
        "١٢٣٤٥٦",  # Arabic-Indic
        "۱۲۳۴۵۶",  # Extended Arabic-Indic (Persian)
        "１２３４５６",  # full-width
        "१२३४५६",  # Devanagari
        "12345²",  # a superscript two
    ],
)
def test_only_ascii_digits_are_a_live_code(digits):
    text = live.LIVE_PREFIX + digits + PERMIT[len(PREFIX) :]
    assert digits.isdigit()  # each passes str.isdigit()
    assert live.split(text) == (text, None)
