"""Printable permit cards: the regulation's content, Tajik letters, and a QR that verifies."""

from __future__ import annotations

import dataclasses
import io

import pypdfium2 as pdfium
import pytest
from sqlmodel import select

from lbt_app.core.access import AccessDenied
from lbt_app.core.imaging import decode_image
from lbt_app.core.verdict import Code
from lbt_app.db.models import AuditEvent, Permit, PermitStatus
from lbt_app.i18n import t
from lbt_app.services import cards, checks
from lbt_app.services.permits import PermitError, effective_status
from tests.app.factories import permit_of, principal
from tests.conftest import NOW


def _pages(pdf: bytes) -> list[pdfium.PdfPage]:
    return list(pdfium.PdfDocument(pdf))


def _text(page: pdfium.PdfPage) -> str:
    return page.get_textpage().get_text_range()


def _png(page: pdfium.PdfPage, dpi: int = 200) -> bytes:
    out = io.BytesIO()
    page.render(scale=dpi / 72).to_pil().save(out, "PNG")
    return out.getvalue()


def test_a_card_carries_what_the_regulation_asks_in_two_languages(session):
    permit = permit_of(session, "GHAFUROVA")
    permit.status = PermitStatus.ACTIVE  # the demo revoked it; only a usable permit is printed
    pdf = cards.permit_cards(
        session=session, principal=principal(session, "staff"), numbers=[permit.number], now=NOW
    )
    (page,) = _pages(pdf)
    width, height = page.get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (148, 105)  # A6 landscape
    text = _text(page)
    for expected in [
        permit.number,
        "GHAFUROVA SHIRIN",
        "Ғафурова Ширин",  # Tajik letters, embedded font
        "Ғафуров, кӯчаи Айнӣ 3",
        "A6612094",
        "TJK",
        "UZ-FRG",
        "сарҳадии вилояти Суғд",
        *[
            f"{t(label, 'uz')} / {t(label, 'ru')}"  # UZ-FRG: the host language is Uzbek
            for label in ("Date of birth", "Travel document", "Issuing authority", "Issued on")
        ],
        t(cards.STATEMENT, "uz"),
        t(cards.STATEMENT, "ru"),
        t(cards.TITLE, "ru").upper(),
    ]:
        assert expected in " ".join(text.split()), expected
    event = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.actor, event.subject) == ("cards_printed", "staff", permit.number)


def test_the_printed_qr_verifies_exactly_like_the_phones(session):
    permit = permit_of(session, "RAHIMOV")
    pdf = cards.permit_cards(
        session=session, principal=principal(session, "staff"), numbers=[permit.number], now=NOW
    )
    read = decode_image(_png(_pages(pdf)[0]))
    assert read.text == permit.payload
    check = checks.assess(session=session, text=read.text, now=NOW, point_code="FOTEHOBOD")
    assert check.verdict.code is Code.VALID and check.permit.number == permit.number


def test_every_demo_card_prints_its_qr_at_half_a_millimetre_a_module_or_more(session):
    for permit in session.exec(select(Permit)).all():
        assert cards.qr_module_mm(permit.payload) >= 0.5


def _usable(session) -> list[Permit]:
    permits = session.exec(select(Permit).order_by(Permit.id.desc())).all()
    return [p for p in permits if effective_status(p, NOW.date()) is PermitStatus.ACTIVE]


def test_a_batch_is_one_pdf_with_a_page_per_permit_in_order(session):
    numbers = [p.number for p in _usable(session)]
    assert len(numbers) >= 3
    pdf = cards.permit_cards(
        session=session, principal=principal(session, "staff"), numbers=numbers, now=NOW
    )
    pages = _pages(pdf)
    assert len(pages) == len(numbers)
    assert all(number in _text(page) for number, page in zip(numbers, pages, strict=True))


def test_a_permit_that_cannot_be_used_gets_no_card_alone_or_in_a_batch(session):
    usable = [p.number for p in _usable(session)]
    unusable = {
        str(effective_status(p, NOW.date())): p.number
        for p in session.exec(select(Permit)).all()
        if p.number not in usable
    }
    assert set(unusable) == {"suspended", "revoked", "expired"}
    seq = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first().seq
    for number in unusable.values():
        for numbers in ([number], [*usable, number]):
            with pytest.raises(PermitError, match="gets no card"):
                cards.permit_cards(
                    session=session, principal=principal(session, "staff"), numbers=numbers, now=NOW
                )
    assert session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first().seq == seq


@pytest.mark.parametrize("username", ["officer1", "farhod", "admin"])
def test_only_authority_staff_print_cards(session, username):
    number = permit_of(session, "RAHIMOV").number
    with pytest.raises(AccessDenied):
        cards.permit_cards(
            session=session, principal=principal(session, username), numbers=[number], now=NOW
        )


def test_staff_of_another_agreement_cannot_print_ours(session):
    stranger = dataclasses.replace(principal(session, "staff"), agreement_id=999)
    seq = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first().seq
    with pytest.raises(AccessDenied):
        cards.permit_cards(
            session=session,
            principal=stranger,
            numbers=[permit_of(session, "RAHIMOV").number],
            now=NOW,
        )
    assert session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first().seq == seq


@pytest.mark.parametrize("numbers", [[], ["TJ26-999999"], ["x"] * 501])
def test_unknown_or_too_many_permits_are_refused(session, numbers):
    with pytest.raises(PermitError):
        cards.permit_cards(
            session=session, principal=principal(session, "staff"), numbers=numbers, now=NOW
        )


def test_the_card_languages_follow_the_host_country():
    assert cards.card_languages("UZB") == ("uz", "ru")
    assert cards.card_languages("TJK") == ("tg", "ru")
    assert cards.card_languages("KGZ") == ("ky", "ru")
    assert cards.card_languages("KAZ") == ("en", "ru")  # no catalogue yet
