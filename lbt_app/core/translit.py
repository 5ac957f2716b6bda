"""Latin form of names for permits and machine-readable zones.

Cyrillic (Russian, Tajik, Kyrgyz, Uzbek) follows ICAO Doc 9303 Part 3, section 6,
except where Tajik passport practice, as written in the demo data
(`lbt_app.services.demo`), differs:

* Ё → YO, Ю → YU (ICAO: E, IU), as in Бахтиёр → BAKHTIYOR, Юсупова → YUSUPOVA;
  Я → YA (ICAO: IA) so that the three iotated vowels agree;
* Ъ is dropped (ICAO: IE), like Ь.

Letters outside the ICAO table follow national passport practice:

* Tajik: Ғ → GH, Ӣ → I, Қ → Q, Ӯ → U, Ҳ → H, Ҷ → J;
* Kyrgyz: Ң → NG, Ө → O, Ү → U;
* Uzbek Cyrillic: Ў → O (Uzbek Latin Oʻ without the apostrophe); Ғ, Қ, Ҳ as in Tajik.

The table is per letter, without context: Е is E, Й is I everywhere.

Latin input (Uzbek Latin "Oʻrinboy", or text already in Latin) passes through:
diacritics are stripped and apostrophes dropped. The result holds only A–Z,
single spaces and hyphens, in upper case; anything else is dropped.
"""

from __future__ import annotations

import string
import unicodedata

_CYRILLIC = str.maketrans(
    {
        # ICAO Doc 9303 (Russian alphabet)
        "А": "A",
        "Б": "B",
        "В": "V",
        "Г": "G",
        "Д": "D",
        "Е": "E",
        "Ж": "ZH",
        "З": "Z",
        "И": "I",
        "Й": "I",
        "К": "K",
        "Л": "L",
        "М": "M",
        "Н": "N",
        "О": "O",
        "П": "P",
        "Р": "R",
        "С": "S",
        "Т": "T",
        "У": "U",
        "Ф": "F",
        "Х": "KH",
        "Ц": "TS",
        "Ч": "CH",
        "Ш": "SH",
        "Щ": "SHCH",
        "Ы": "Y",
        "Э": "E",
        # Tajik passport practice (see the module docstring)
        "Ё": "YO",
        "Ю": "YU",
        "Я": "YA",
        "Ъ": "",
        "Ь": "",
        # Tajik
        "Ғ": "GH",
        "Ӣ": "I",
        "Қ": "Q",
        "Ӯ": "U",
        "Ҳ": "H",
        "Ҷ": "J",
        # Kyrgyz
        "Ң": "NG",
        "Ө": "O",
        "Ү": "U",
        # Uzbek
        "Ў": "O",
    }
)
_MRZ_CHARS = frozenset(string.ascii_uppercase + " -")


def latin(native: str) -> str:
    """The upper-case Latin form of a name (A–Z, single spaces, hyphens); "" if none."""
    # NFC first so that a decomposed Й, Ё or Ӯ still meets its table entry.
    text = unicodedata.normalize("NFC", native).upper().translate(_CYRILLIC)
    text = unicodedata.normalize("NFKD", text).upper()
    kept = "".join(c for c in text if c in _MRZ_CHARS or c.isspace())
    return " ".join(kept.split())


def is_mrz_safe(text: str) -> bool:
    """True when `text` is non-empty and holds only A–Z, spaces and hyphens."""
    return bool(text) and set(text) <= _MRZ_CHARS
