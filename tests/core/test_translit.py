"""Latin forms of names: demo data, ICAO letters, national letters, pass-through, MRZ safety."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lbt_app.core.translit import is_mrz_safe, latin
from lbt_app.services.demo import RESIDENTS, DemoResident

PATRONYMIC_ENDINGS = ("вич", "вна")


@pytest.mark.parametrize("r", RESIDENTS, ids=lambda r: r.surname_latin)
def test_demo_residents(r: DemoResident) -> None:
    assert latin(r.surname_native) == r.surname_latin.upper()
    # The demo's Latin given names leave out the patronymic (Маҳбубахон Ҷӯраевна →
    # MAHBUBAKHON), so only the words before it are compared.
    native = r.given_native.split()
    names = len(r.given_latin.split())
    assert all(word.endswith(PATRONYMIC_ENDINGS) for word in native[names:])
    assert latin(" ".join(native[:names])) == r.given_latin.upper()


def test_russian_alphabet() -> None:
    # ICAO Doc 9303, except Ё, Ю, Я (Tajik practice) and Ъ (dropped); see the module docstring.
    assert latin("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ") == (
        "ABVGDEYOZHZIIKLMNOPRSTUFKHTSCHSHSHCHYEYUYA"
    )
    assert latin("абвгдеёжзийклмнопрстуфхцчшщъыьэюя") == latin("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")


@pytest.mark.parametrize(
    ("native", "expected"),
    [
        # Tajik
        ("Ғ", "GH"),
        ("Ӣ", "I"),
        ("Қ", "Q"),
        ("Ӯ", "U"),
        ("Ҳ", "H"),
        ("Ҷ", "J"),
        ("ғӣқӯҳҷ", "GHIQUHJ"),
        ("Ҷӯраевна", "JURAEVNA"),
        ("Сомонӣ", "SOMONI"),
        # Kyrgyz
        ("Ң", "NG"),
        ("Ө", "O"),
        ("Ү", "U"),
        ("Түмөнбаев Эңсебек", "TUMONBAEV ENGSEBEK"),
        # Uzbek Cyrillic
        ("Ў", "O"),
        ("Ўктам", "OKTAM"),
        ("Ғафур", "GHAFUR"),
    ],
)
def test_national_letters(native: str, expected: str) -> None:
    assert latin(native) == expected


def test_hard_and_soft_signs_dropped() -> None:
    assert latin("Подъячев") == "PODYACHEV"
    assert latin("Игорь") == "IGOR"
    assert latin("Ъ Ь") == ""


def test_decomposed_input() -> None:
    assert latin("Бахтие\u0308р") == "BAKHTIYOR"  # Ё as Е + combining diaeresis
    assert latin("Сомони\u0304") == "SOMONI"  # Ӣ as И + combining macron


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oʻrinboy", "ORINBOY"),
        ("Gʻafur", "GAFUR"),
        ("O'rinboy G`ulom", "ORINBOY GULOM"),
        ("Farg’ona", "FARGONA"),
        ("Oʼzbek", "OZBEK"),
        ("José Müller", "JOSE MULLER"),
        ("Šárka Ñúñez", "SARKA NUNEZ"),
        ("RAHIMOV", "RAHIMOV"),
    ],
)
def test_latin_pass_through(text: str, expected: str) -> None:
    assert latin(text) == expected


def test_hyphens_and_spaces() -> None:
    assert latin("Раҳимова-Қодирова") == "RAHIMOVA-QODIROVA"
    assert latin("  Маҳбубахон \t  Ҷӯраевна \n") == "MAHBUBAKHON JURAEVNA"
    assert latin("Ali, Vali.") == "ALI VALI"
    assert latin("") == ""
    assert latin("   ") == ""


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("RAHIMOV", True),
        ("ABDURAHMONZODA MAHBUBAKHON", True),
        ("RAHIMOVA-QODIROVA", True),
        ("", False),
        ("Rahimov", False),
        ("O'RINBOY", False),
        ("RAHIMOV1", False),
        ("РАҲИМОВ", False),
    ],
)
def test_is_mrz_safe(text: str, safe: bool) -> None:
    assert is_mrz_safe(text) is safe


@given(st.text())
def test_any_text_gives_mrz_safe_or_empty(text: str) -> None:
    out = latin(text)
    assert out == "" or is_mrz_safe(out)
    assert out == out.strip()
    assert "  " not in out
