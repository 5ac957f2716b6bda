"""Refresh the message catalogues from the code: `make messages` (then translate the .po files)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lbt_app"
KEYWORDS = {"T": None, "t": None, "_t": None, "N_": None}


def extract() -> Catalog:
    catalog = Catalog(project="lbt-app", charset="utf-8")
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    ):
        catalog.add(message, locations=[(f"lbt_app/{filename}", lineno)])
    return catalog


def update(lang: str, template: Catalog) -> Catalog:
    path = PACKAGE / "locales" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False  # the header: the catalogue is in use as it is
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=True)
    path.write_bytes(out.getvalue())
    return catalog


if __name__ == "__main__":
    template = extract()
    sys.path.insert(0, str(ROOT))
    from lbt_app.i18n import LANGUAGES, SOURCE_LANG

    for lang in sys.argv[1:] or [code for code in LANGUAGES if code != SOURCE_LANG]:
        catalog = update(lang, template)
        missing = [m.id for m in catalog if m.id and not m.string]
        sys.stdout.write(f"{lang}: {len(catalog)} messages, {len(missing)} untranslated\n")
        for msgid in missing:
            sys.stdout.write(f"  {msgid}\n")
