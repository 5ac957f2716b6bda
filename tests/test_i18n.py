"""Every user-facing string goes through the catalogues, and each is translated."""

import re

from babel.dates import format_date

from lbt_app.i18n import (
    LANGUAGES,
    catalogue,
    format_day,
    message_ids,
    normalize_lang,
    t,
)
from scripts.messages import extract


def test_every_marked_string_is_in_the_catalogues_and_translated():
    in_code = {m.id for m in extract() if m.id}
    known = set(message_ids())
    assert in_code - known == set(), "run `make messages` and translate"
    for lang in LANGUAGES:
        if lang == "en":
            continue
        untranslated = sorted(in_code - set(catalogue(lang)))
        assert untranslated == [], (lang, untranslated)


def test_placeholders_survive_translation():
    for lang in LANGUAGES:
        for msgid in message_ids():
            wanted = sorted(re.findall(r"\{\w+\}", msgid))
            assert sorted(re.findall(r"\{\w+\}", t(msgid, lang))) == wanted, (lang, msgid)


def test_language_from_choice_or_accept_language():
    assert normalize_lang("ru-RU,ru;q=0.9,en;q=0.8") == "ru"
    assert normalize_lang("de-DE,fr;q=0.5") == "en"
    assert normalize_lang("", default="ru") == "ru"


def test_dates_follow_the_language():
    from datetime import date

    day = date(2026, 3, 8)
    assert format_day(day, "ru") == format_date(day, format="medium", locale="ru")
    assert format_day(day, "ru") != format_day(day, "en")


def test_a_place_is_named_in_the_readers_language_where_it_has_a_name_in_it():
    from lbt_app.i18n import place_name

    sughd = ("Sughd border districts", "Ноҳияҳои сарҳадии Суғд", "TJK")
    assert place_name(*sughd, "tg") == "Ноҳияҳои сарҳадии Суғд"
    for lang in ("en", "ru", "uz", "ky"):
        assert place_name(*sughd, lang) == "Sughd border districts"
    assert place_name("Fergana border districts", "", "UZB", "uz") == "Fergana border districts"
    assert place_name("", "Farg'ona chegara tumanlari", "UZB", "en") == "Farg'ona chegara tumanlari"
