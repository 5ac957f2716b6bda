"""Signs and verifies per second: our sign()/verify() against raw Ed25519 on the same bytes.

Run: .venv/bin/python bench/bench_sign.py [seconds-per-figure]
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bench_qr import CODEBOOK, LONG_NAME

from lbt_app.core.keys import generate_key, public_bytes
from lbt_app.core.payload import (
    decode_claims,
    decode_cose,
    decode_text,
    encode_claims,
    sign,
)
from lbt_app.core.verify import TrustedKey, TrustList, verify

CLAIMS = LONG_NAME  # the 30-character name of bench_qr
NOW = datetime(2027, 6, 1, 4, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Figure:
    name: str
    per_second: float


def per_second(operation: Callable[[], object], seconds: float = 1.0) -> float:
    """Operations per second, best of 5 runs of about ``seconds`` / 5 each."""
    timer = timeit.Timer(operation)
    number, elapsed = timer.autorange()
    runs = max(1, int(number * seconds / 5 / max(elapsed, 1e-9)))
    return runs / min(timer.repeat(repeat=5, number=runs))


def bench_sign(seconds: float = 1.0) -> list[Figure]:
    """Figures for signing and verifying one 30-character-name permit."""
    key = generate_key("TJ-SGD-HUK")
    public_key = key.private_key.public_key()
    trust = TrustList(
        [TrustedKey(key.kid, "TJ-SGD-HUK", public_bytes(key), "active", "Asia/Dushanbe", CODEBOOK)]
    )
    text = sign(CLAIMS, key, CODEBOOK)
    cose = decode_text(text)
    message = decode_cose(cose)
    to_be_signed = message.to_be_signed()
    signature = key.private_key.sign(to_be_signed)
    assert verify(text, trust, NOW).code == "valid"

    return [
        Figure("sign()", per_second(lambda: sign(CLAIMS, key, CODEBOOK), seconds)),
        Figure("raw Ed25519 sign", per_second(lambda: key.private_key.sign(to_be_signed), seconds)),
        Figure("verify()", per_second(lambda: verify(text, trust, NOW), seconds)),
        Figure(
            "raw Ed25519 verify",
            per_second(lambda: public_key.verify(signature, to_be_signed), seconds),
        ),
        Figure("  encode_claims()", per_second(lambda: encode_claims(CLAIMS, CODEBOOK), seconds)),
        Figure("  decode_text() (base45)", per_second(lambda: decode_text(text), seconds)),
        Figure("  decode_cose()", per_second(lambda: decode_cose(cose), seconds)),
        Figure(
            "  decode_claims()",
            per_second(lambda: decode_claims(message.payload, CODEBOOK), seconds),
        ),
    ]


def print_figures(figures: list[Figure]) -> None:
    by_name = {figure.name: figure.per_second for figure in figures}
    print(f"{'operation':<26} {'per second':>12} {'µs each':>10}")
    for figure in figures:
        print(f"{figure.name:<26} {figure.per_second:>12,.0f} {1e6 / figure.per_second:>10.1f}")
    for ours, raw in (("sign()", "raw Ed25519 sign"), ("verify()", "raw Ed25519 verify")):
        ratio = by_name[ours] / by_name[raw]
        print(f"{ours} runs at {ratio:.2f}× the rate of {raw} ({1 / ratio:.2f}× the time)")


if __name__ == "__main__":
    print_figures(bench_sign(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0))
