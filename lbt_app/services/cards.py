"""Printable permit cards: one A6 page per permit, as one PDF for one permit or a batch.

The card carries what Regulation 1931/2006 asks of an LBT permit — photo, names, birth date,
nationality, residence, issuing authority, issue date, validity, border area, travel document
number and the statement that the holder may not leave the border area and that misuse is
penalised — in the host country's language (when its catalogue exists) and Russian, with the
permit's signed QR at 0.65 mm a module: the card verifies exactly like the phone.
Text is set in DejaVu Sans Condensed (assets/fonts/), embedded, so Cyrillic with the Tajik
letters ғ ӣ қ ӯ ҳ ҷ and Uzbek Latin print as they are.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from sqlmodel import Session, col, select

from lbt_app.core.access import Action, Principal, require, require_agreement
from lbt_app.core.qr import QUIET_ZONE, qr_matrix_info, render_png
from lbt_app.db.models import (
    Agreement,
    Authority,
    BorderArea,
    Document,
    Permit,
    PermitStatus,
    Resident,
)
from lbt_app.i18n import LANGUAGES, N_, format_day, t
from lbt_app.services import audit
from lbt_app.services.permits import PermitError, effective_status
from lbt_app.settings import PROJECT_ROOT

FONT_DIR = PROJECT_ROOT / "assets" / "fonts"
PAGE = (148.0, 105.0)  # A6 landscape, mm
QR_WIDTH_MM = 40.0
MAX_BATCH = 500
NOT_USABLE = N_("A revoked, suspended or expired permit gets no card.")

# The host country's language, where the app has its catalogue; Russian is always printed.
COUNTRY_LANG = {"UZB": "uz", "TJK": "tg", "KGZ": "ky"}
FALLBACK_LANG = "en"

TITLE = N_("Local border traffic permit")
STATEMENT = N_("The holder may not leave the border area. Any misuse of this permit is penalised.")
FIELDS = (
    N_("Surname, given names"),
    N_("Date of birth"),
    N_("Nationality"),
    N_("Travel document"),
    N_("Residence"),
    N_("Border area"),
    N_("Issuing authority"),
    N_("Issued on"),
    N_("Valid"),
)


def card_languages(host_country: str, chosen: str = "") -> tuple[str, str]:
    """The agreement's two card languages (`chosen`, e.g. "tg,ru"); where it chose none, the
    host country's language and Russian."""
    pair = tuple(chosen.split(","))
    if len(pair) == 2 and all(lang in LANGUAGES for lang in pair) and pair[0] != pair[1]:
        return pair[0], pair[1]
    lang = COUNTRY_LANG.get(host_country, FALLBACK_LANG)
    return (lang if lang in LANGUAGES else FALLBACK_LANG, "ru")


def qr_module_mm(payload: str) -> float:
    """The printed size of one QR module on the card."""
    return QR_WIDTH_MM / (qr_matrix_info(payload).modules + 2 * QUIET_ZONE)


def _both(msgid: str, langs: tuple[str, str]) -> str:
    first, second = (t(msgid, lang) for lang in langs)
    return first if first == second else f"{first} / {second}"


def _page(
    pdf: FPDF,
    permit: Permit,
    resident: Resident,
    area: BorderArea,
    authority: Authority,
    photo: bytes | None,
    zone: ZoneInfo,
    chosen_languages: str,
) -> None:
    langs = card_languages(area.country, chosen_languages)
    pdf.add_page()
    pdf.set_fill_color(13, 148, 136)
    pdf.rect(0, 0, PAGE[0], 12, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "B", 9)
    pdf.set_xy(5, 2)
    pdf.cell(100, 4, t(TITLE, langs[0]).upper())
    pdf.set_xy(5, 6.5)
    pdf.cell(100, 4, t(TITLE, langs[1]).upper())
    pdf.set_font("DejaVu", "B", 12)
    pdf.set_xy(100, 3)
    pdf.cell(43, 6, permit.number, align="R")
    pdf.set_text_color(0, 0, 0)
    if photo:
        pdf.image(io.BytesIO(photo), x=5, y=16, w=27, h=34)
    pdf.rect(5, 16, 27, 34)
    day = langs[1]
    values = (
        f"{resident.surname_latin} {resident.given_names_latin}\n"
        f"{resident.surname_native} {resident.given_names_native}",
        format_day(resident.birth_date, day),
        resident.nationality,
        resident.document_number,
        resident.address,
        f"{area.code} · {area.name_native or area.name}",
        authority.name_native or authority.name,
        format_day(permit.issued_at, day, zone),
        f"{format_day(permit.valid_from, day)} – {format_day(permit.valid_until, day)}",
    )
    y = 15.0
    for label, value in zip(FIELDS, values, strict=True):
        pdf.set_xy(35, y)
        pdf.set_font("DejaVu", "", 5.5)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(66, 2.4, _both(label, langs))
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", "B", 7.5)
        pdf.set_xy(35, y + 2.4)
        pdf.multi_cell(66, 3.2, value, align="L")
        y = pdf.get_y() + 0.8
    pdf.image(io.BytesIO(render_png(permit.payload, box_size=10)), x=103, y=16, w=QR_WIDTH_MM)
    pdf.set_font("DejaVu", "", 6)
    pdf.set_xy(5, 88)
    for lang in langs:
        pdf.multi_cell(PAGE[0] - 10, 2.8, t(STATEMENT, lang), align="C")
        pdf.set_x(5)


def _new_pdf() -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format=(PAGE[1], PAGE[0]))
    pdf.set_auto_page_break(False)
    pdf.set_margins(5, 5, 5)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSansCondensed.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSansCondensed-Bold.ttf"))
    pdf.set_title("LBT permit cards")
    pdf.set_creator("LBT permits")
    return pdf


def permit_cards(
    *,
    session: Session,
    principal: Principal | None,
    numbers: list[str],
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The cards of `numbers` (one page each, in that order) as PDF bytes; audited.

    Only a permit that can be used now gets a card: one that cannot refuses the whole batch.
    `progress(done, total)` is told after each page: a card takes about a quarter of a second
    on a 2-core server, most of it `qrcode` choosing the QR's mask."""
    principal = require(principal, Action.MANAGE_PERMITS)
    if not numbers or len(numbers) > MAX_BATCH:
        raise PermitError(N_("Choose between 1 and 500 permits."))
    rows = session.exec(
        select(Permit, Resident, BorderArea, Authority)
        .join(Resident, col(Resident.id) == Permit.resident_id)
        .join(BorderArea, col(BorderArea.id) == Permit.border_area_id)
        .join(Authority, col(Authority.id) == Permit.authority_id)
        .where(col(Permit.number).in_(numbers))
    ).all()
    found = {row[0].number: row for row in rows}
    if len(found) != len(set(numbers)):
        raise PermitError(N_("No such permit."))
    for permit, _, _, authority in found.values():
        require_agreement(principal, authority.agreement_id)
        if effective_status(permit, now.date()) is not PermitStatus.ACTIVE:
            raise PermitError(NOT_USABLE)
    pdf = _new_pdf()
    pages = list(dict.fromkeys(numbers))
    for done, number in enumerate(pages, start=1):
        permit, resident, area, authority = found[number]
        photo = session.get(Document, resident.photo_id) if resident.photo_id else None
        agreement = session.get(Agreement, authority.agreement_id)
        _page(
            pdf,
            permit,
            resident,
            area,
            authority,
            photo.data if photo else None,
            principal.zone,
            agreement.card_languages if agreement else "",
        )
        if progress:
            progress(done, len(pages))
    audit.record(
        session=session,
        action="cards_printed",
        now=now,
        actor=principal,
        subject=numbers[0] if len(numbers) == 1 else f"{len(found)} permits",
        detail={"numbers": list(found)[:MAX_BATCH]},
    )
    return bytes(pdf.output())
