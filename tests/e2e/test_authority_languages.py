"""Staff's main jobs on a 360 px phone in every language: the desk (open a permit, the revoke
form), the registry (search, open a resident, the form) and the applications (open one).
Each view fits the screen, shows no internal name, and a panel that opens comes into view."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date

import pytest
from PIL import Image
from sqlmodel import Session, select

from lbt_app.db.models import (
    Application,
    Authority,
    BorderArea,
    CrossingPoint,
    Document,
    Resident,
)
from lbt_app.i18n import LANGUAGES, t
from tests.e2e.conftest import hydrated, sign_in

pytestmark = pytest.mark.browser


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 200, 190)).save(out, "PNG")
    return out.getvalue()


PNG = _png()

INTERNAL = re.compile(r"reflex___|\{\w*\}|\b[a-z]+_[a-z_]+\b")
# The page's own words: every text node but those in <code> (the CSV column names, which
# the file must spell exactly) and scripts.
PAGE_TEXT = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement.closest('code, script, style')) out.push(n.textContent);
  }
  return out.join('\\n');
}"""
IN_VIEW = """(sel) => {
  const el = document.querySelector(sel);
  if (!el) return false;
  const box = el.getBoundingClientRect();
  return box.top >= 0 && box.top < window.innerHeight && box.bottom > 0;
}"""


# The agreement's border-area and crossing-point codes (read from the app's database): staff
# read the places' names; a code is for files and forms to send.
CODES: set[str] = set()


def _fits_and_speaks_plainly(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{where}: the page is {width} px wide"
    text = page.evaluate(PAGE_TEXT)
    internal = sorted(set(INTERNAL.findall(text)))
    assert internal == [], f"{where}: {internal}"
    shown = {word for word in re.findall(r"[\w-]+", text) if word in CODES}
    assert not shown, f"{where} shows codes: {sorted(shown)}"  # also as a choice (<option>)


def _opened_in_view(page, selector: str) -> None:
    """The panel a tap opened is on the screen (waits for the scroll, fails if it never is)."""
    page.wait_for_function(IN_VIEW, arg=selector)


def _cancel_dialog(page, lang: str) -> None:
    page.click(f"[role=dialog] button:has-text('{t('Cancel', lang)}')")
    page.wait_for_selector("[role=dialog]", state="detached")


def _go(page, nav: str, path: str, rows: str) -> None:
    page.click(f"[data-testid=nav-{nav}]")
    page.wait_for_url(f"**{path}")
    page.wait_for_selector(f"[data-testid={rows}]")


def _in_language(page, lang: str) -> None:
    page.select_option("[data-testid=language]", lang)
    page.wait_for_function(
        "(word) => document.querySelector('[data-testid=nav-desk]').textContent === word",
        arg=t("Authority desk", lang),
    )


def _desk(page, lang: str) -> None:
    _go(page, "desk", "/authority", "permit-row")
    _fits_and_speaks_plainly(page, f"desk {lang}")
    last = page.locator("[data-testid=permit-row]").last
    number = last.get_attribute("data-number")
    last.locator("[data-testid=permit-open]").click()
    page.wait_for_selector(f"[data-testid=permit-panel-number]:has-text('{number}')")
    _opened_in_view(page, "[data-testid=permit-panel]")
    _fits_and_speaks_plainly(page, f"permit {lang}")
    row = page.locator("[data-testid=permit-row]:has([data-testid=revoke])").first
    holder = row.locator("[data-testid=permit-open]").inner_text()
    row.locator("[data-testid=revoke]").click()
    page.wait_for_selector(f"[data-testid=change-holder]:has-text('{holder}')")
    assert page.inner_text("[data-testid=change-submit]") == t("Revoke permit", lang)
    page.click("[data-testid=change-submit]")  # no reason given: the form says so and stays
    page.wait_for_selector(f"[data-testid=change-error]:has-text('{t('Give a reason.', lang)}')")
    _fits_and_speaks_plainly(page, f"revoke form {lang}")
    _cancel_dialog(page, lang)


def _residents(page, lang: str) -> None:
    _go(page, "residents", "/authority/residents", "resident-row")
    page.fill("[data-testid=resident-search]", "")
    page.press("[data-testid=resident-search]", "Enter")
    page.wait_for_function("document.querySelectorAll('[data-testid=resident-row]').length > 1")
    _fits_and_speaks_plainly(page, f"residents {lang}")
    page.locator("[data-testid=resident-row]").last.click()
    page.wait_for_selector("[data-testid=resident-file]")
    _opened_in_view(page, "[data-testid=resident-file]")
    _fits_and_speaks_plainly(page, f"resident file {lang}")
    page.fill("[data-testid=resident-search]", "Раҳимов")
    page.press("[data-testid=resident-search]", "Enter")
    one = t("Page 1 of 1 · 1 result", lang)
    page.wait_for_selector(f"[data-testid=resident-pages]:has-text('{one}')")

    page.click("[data-testid=resident-new]")
    page.wait_for_selector("[data-testid=field-sex]")
    sex = page.locator("[data-testid=field-sex] option")
    assert sex.all_inner_texts() == ["—", *(t(w, lang) for w in ("Female", "Male", "Unspecified"))]
    assert page.input_value("[data-testid=field-sex]") == ""
    page.click("[data-testid=resident-save]")
    page.wait_for_selector("[data-testid=error-surname_native]")
    page.fill("[data-testid=field-surname_native]", "Каримов")  # fixed: its error goes
    page.wait_for_selector("[data-testid=error-surname_native]", state="detached")
    assert page.locator("[data-testid=error-address]").count() == 1
    _fits_and_speaks_plainly(page, f"resident form {lang}")
    _cancel_dialog(page, lang)


def _waiting_application(app) -> None:
    """An application of its own, waiting at the end of the queue whatever ran before."""
    with Session(app.engine()) as session:
        authority = session.exec(select(Authority).where(Authority.code == "TJ-SGD-LBT")).one()
        area = session.exec(select(BorderArea).where(BorderArea.code == "TJ-SGD")).one()
        resident = Resident(
            authority_id=authority.id,
            border_area_id=area.id,
            surname_native="Тестова",
            given_names_native="Мадина",
            surname_latin="TESTOVA",
            given_names_latin="MADINA",
            birth_date=date(1990, 1, 2),
            nationality="TJK",
            document_number="E2ELANG01",
            address="Хуҷанд",
            residence_since=date(2000, 1, 1),
        )
        proof = Document(
            kind="proof_of_residence",
            content_type="image/png",
            sha256=hashlib.sha256(PNG).hexdigest(),
            data=PNG,
        )
        session.add_all([resident, proof])
        session.flush()
        session.add(
            Application(resident_id=resident.id, authority_id=authority.id, proof_id=proof.id)
        )
        session.commit()


def _applications(page, lang: str) -> None:
    _go(page, "applications", "/authority/applications", "application-row")
    _fits_and_speaks_plainly(page, f"applications {lang}")
    page.locator("[data-testid=application-review]").last.click()
    page.wait_for_selector("[data-testid=applicant-name]:has-text('TESTOVA MADINA')")
    _opened_in_view(page, "[data-testid=application-review-panel]")
    _fits_and_speaks_plainly(page, f"application review {lang}")


def test_staff_pages_fit_a_phone_and_speak_plainly_in_every_language(page, app):
    with Session(app.engine()) as session:
        CODES.update(session.exec(select(BorderArea.code)).all())
        CODES.update(session.exec(select(CrossingPoint.code)).all())
    assert {"TJ-SGD", "FOTEHOBOD"} <= CODES
    _waiting_application(app)
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    for lang in LANGUAGES:
        _in_language(page, lang)
        _desk(page, lang)
        _residents(page, lang)
        _applications(page, lang)
    with page.expect_download() as proof:
        page.click("[data-testid=proof-download]")
    assert re.fullmatch(r"proof-\d+\.(jpg|png|pdf)", proof.value.suggested_filename)
