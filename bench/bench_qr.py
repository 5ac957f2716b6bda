"""QR size of permit texts: payload characters, QR version and modules at error correction M.

Run: .venv/bin/python bench/bench_qr.py
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from lbt_app.core.keys import generate_key
from lbt_app.core.payload import (
    MAX_TEXT_CHARS,
    Codebook,
    PermitClaims,
    decode_cose,
    decode_text,
    decode_unverified,
    photo_hash,
    sign,
)
from lbt_app.core.qr import qr_data, qr_matrix_info

CODEBOOK = Codebook(
    areas=("TJ-SGD", "UZ-FER"),
    crossing_points=("OYBEK", "PATAR", "FOTEHOBOD", "KONIBODOM"),
    issuers=("TJ-SGD-HUK", "UZ-FER-IIB"),
)
LONG_NAME = PermitClaims(
    number="TJ26-000123",
    surname="ABDURAKHMONOVA",
    given_names="MUKHABBAT SHAHLO",
    native_name=None,
    birth_date=date(1958, 3, 14),
    nationality="TJK",
    document_number="A12345678",
    border_area="TJ-SGD",
    crossing_points=("OYBEK", "PATAR", "KONIBODOM"),
    valid_from=date(2026, 1, 1),
    valid_until=date(2030, 12, 31),
    max_stay_days=90,
    issuer="TJ-SGD-HUK",
    photo_hash=photo_hash(b"holder photo"),
)
CASES: dict[str, PermitClaims] = {
    "30-char name": LONG_NAME,
    "30-char name + native": dataclasses.replace(
        LONG_NAME, native_name="Абдурахмонова Мухаббат Шаҳло"
    ),
    "typical + native": dataclasses.replace(
        LONG_NAME,
        surname="KARIMOV",
        given_names="DILSHOD",
        native_name="Каримов Дилшод",
        crossing_points=("OYBEK",),
    ),
    "short name": dataclasses.replace(
        LONG_NAME, surname="ALI", given_names="OLIM", crossing_points=("OYBEK",)
    ),
}


@dataclass(frozen=True)
class QrSize:
    case: str
    name_chars: int
    native_name_kept: bool
    claims_bytes: int
    cose_bytes: int
    text_chars: int
    version: int
    modules: int
    mode: int


def bench_qr(cases: dict[str, PermitClaims] = CASES) -> list[QrSize]:
    """The QR size of each case, signed by a fresh key."""
    key = generate_key("TJ-SGD-HUK")
    sizes = []
    for case, claims in cases.items():
        text = sign(claims, key, CODEBOOK)
        cose = decode_text(text)
        version, modules = qr_matrix_info(text)
        sizes.append(
            QrSize(
                case=case,
                name_chars=len(claims.surname + claims.given_names),
                native_name_kept=decode_unverified(text, CODEBOOK)[1].native_name is not None,
                claims_bytes=len(decode_cose(cose).payload),
                cose_bytes=len(cose),
                text_chars=len(text),
                version=version,
                modules=modules,
                mode=qr_data(text).mode,
            )
        )
    return sizes


def print_table(sizes: list[QrSize]) -> None:
    print(
        f"{'case':<24} {'name':>4} {'native':>6} {'claims B':>8} {'COSE B':>6} "
        f"{'chars':>5} {'version':>7} {'modules':>7}"
    )
    for size in sizes:
        print(
            f"{size.case:<24} {size.name_chars:>4} {'kept' if size.native_name_kept else '-':>6} "
            f"{size.claims_bytes:>8} {size.cose_bytes:>6} {size.text_chars:>5} "
            f"{size.version:>5}-M {size.modules:>7}"
        )
    print(f"version 9-M holds {MAX_TEXT_CHARS} alphanumeric characters; mode 2 = alphanumeric")


if __name__ == "__main__":
    print_table(bench_qr())
