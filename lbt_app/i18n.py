"""The translation layer: gettext catalogues (.po, read with Babel) and locale-aware dates.

English is the source language: a message id is the English text itself.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
SOURCE_LANG = "en"
# English is the source; Russian, Tajik, Uzbek (Latin) and Kyrgyz are catalogues in locales/.
LANGUAGES: tuple[str, ...] = ("en", "ru", "tg", "uz", "ky")


def N_(msgid: str) -> str:
    """Marks a message id for extraction where it is translated later."""
    return msgid


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Message id → translation for one language (the id itself where untranslated)."""
    if lang not in LANGUAGES or lang == SOURCE_LANG:
        return {}
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        po = read_po(fh, locale=lang)
    return {m.id: m.string for m in po if m.id and isinstance(m.id, str) and m.string}


@cache
def message_ids() -> tuple[str, ...]:
    """Every message id the catalogues know (taken from the Russian catalogue)."""
    with (LOCALES_DIR / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        po = read_po(fh, locale="ru")
    return tuple(m.id for m in po if m.id and isinstance(m.id, str))


def normalize_lang(lang: str | None, default: str = SOURCE_LANG) -> str:
    """A supported language code from a stored choice or an Accept-Language header."""
    for part in (lang or "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in LANGUAGES:
            return code
    return default


def t(msgid: str, lang: str, **params: object) -> str:
    text = catalogue(lang).get(msgid, msgid)
    return text.format(**params) if params else text


@cache
def word_table(lang: str) -> tuple[str, str]:
    """All translated strings for one language, as the browser's pages fetch them
    (assets/words.js): a file name that changes with the words, and the JSON."""
    table = catalogue(lang)
    words = {msgid: table.get(msgid, msgid) for msgid in message_ids()}
    text = json.dumps(words, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"words-{lang}-{hashlib.sha256(text.encode()).hexdigest()[:8]}.json", text


# The language a country's own place names are written in, among LANGUAGES.
COUNTRY_LANGUAGE = {"TJK": "tg", "UZB": "uz", "KGZ": "ky", "RUS": "ru"}


def place_name(name: str, name_native: str, country: str, lang: str) -> str:
    """A place (a border area) for a reader: its own-language name for a reader of that
    language, else its international name."""
    if name_native and COUNTRY_LANGUAGE.get(country) == lang:
        return name_native
    return name or name_native


def language_name(lang: str) -> str:
    return Locale.parse(lang).get_display_name(lang).capitalize()


# One clock: an instant (a crossing, an event, an issue) is shown in the agreement's time zone,
# the zone the stay rules count days in, so the same event has the same day everywhere.
# A calendar date (birth, validity) is a date already and is shown as it is.


def format_day(day: date | datetime | None, lang: str, zone: ZoneInfo | None = None) -> str:
    """A calendar date, or the day of an instant in `zone` (required for an instant)."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        if zone is None:
            raise ValueError("an instant needs the time zone it is shown in")
        day = day.astimezone(zone).date()
    return format_date(day, format="medium", locale=lang)


def format_moment(at: datetime, lang: str, zone: ZoneInfo) -> str:
    """Day and time of an instant in `zone`, short, in the language's own order."""
    return format_datetime(at, format="short", tzinfo=zone, locale=lang)


def format_clock(at: datetime, lang: str, zone: ZoneInfo) -> str:
    """The time of day of an instant in `zone`."""
    return format_time(at, format="short", tzinfo=zone, locale=lang)
