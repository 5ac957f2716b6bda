"""The residents registry in a browser: a new resident with a photo, search, CSV import."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lbt_app.services.applications import RULES
from lbt_app.services.residents import FIELDS
from tests.e2e.conftest import hydrated, sign_in

pytestmark = pytest.mark.browser


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (480, 640), (190, 170, 150)).save(out, "JPEG")
    return out.getvalue()


def open_registry(page, app) -> None:
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    page.click("[data-testid=nav-residents]")
    page.wait_for_url("**/authority/residents")
    page.wait_for_selector("[data-testid=resident-row]")


def new_resident(page, document: str, surname: str, given: str, latin: str) -> None:
    """Fill the form with native names (the Latin ones follow), add a photo, save."""
    page.click("[data-testid=resident-new]")
    page.fill("[data-testid=field-surname_native]", surname)
    page.fill("[data-testid=field-given_names_native]", given)
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-testid=field-surname_latin]').value;"
        " const g = document.querySelector('[data-testid=field-given_names_latin]').value;"
        f" return s + ' ' + g === {latin!r}; }}"
    )
    page.select_option("[data-testid=field-sex]", "F")
    for name, value in {
        "birth_date": "1990-03-08",
        "nationality": "TJK",
        "document_number": document,
        "address": "Ғафуров, кӯчаи Айнӣ 9",
        "residence_since": "2010-01-01",
    }.items():
        page.fill(f"[data-testid=field-{name}]", value)
    page.click("[data-testid=resident-save]")
    page.wait_for_selector("text=A photo is required.")
    photo = {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    page.set_input_files("input[data-upload=resident-photo]", files=[photo])
    page.wait_for_selector("[role=dialog] img")
    page.click("[data-testid=resident-save]")
    page.wait_for_selector(f"[data-testid=file-latin]:has-text('{latin}')")


def _proof() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (250, 250, 240)).save(out, "JPEG")
    return out.getvalue()


def apply_and_approve(page, document: str) -> None:
    """From the resident's open file: the application with its proof of residence, then, on
    the applications page, its review with every eligibility rule met, and the approval."""
    proof = {"name": "proof.jpg", "mimeType": "image/jpeg", "buffer": _proof()}
    page.set_input_files("input[data-upload=application-proof]", files=[proof])
    page.wait_for_selector("[data-testid=application-proof-name]:has-text('proof.jpg')")
    page.click("[data-testid=application-register]")
    page.wait_for_selector("text=Application registered.")
    page.click("[data-testid=nav-applications]")
    page.wait_for_url("**/authority/applications")
    row = page.locator(f"[data-testid=application-row][data-document={document}]")
    row.locator("[data-testid=application-review]").click()
    page.wait_for_selector("[data-testid=application-review-panel]")
    rules = page.locator("[data-testid=eligibility-rule]")
    assert rules.count() == len(RULES)
    assert all(rules.nth(i).get_attribute("data-ok") == "yes" for i in range(len(RULES)))
    page.click("[data-testid=application-approve]")
    page.wait_for_selector("text=Permit issued.")
    assert page.locator(f"[data-testid=application-row][data-document={document}]").count() == 0


def test_a_new_resident_with_icao_latin_names_and_a_photo_is_found_by_native_name(page, app):
    open_registry(page, app)
    new_resident(page, "E2E00001", "Ҷӯраева", "Ғунчагул", "JURAEVA GHUNCHAGUL")
    page.fill("[data-testid=resident-search]", "ҷӯраева")
    page.press("[data-testid=resident-search]", "Enter")
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=resident-row]')]"
        ".map(r => r.dataset.document).join() === 'E2E00001'"
    )


def test_a_csv_import_reports_bad_rows_and_keeps_good_ones(page, app):
    open_registry(page, app)
    rows = [
        ",".join(FIELDS),
        "Каримов,Алишер,,,1980-02-03,M,TJK,E2E10001,Хуҷанд,TJ-SGD,1999-05-01",
        "Бобоев,Сино,,,1980-02-30,M,TJK,E2E10002,Хуҷанд,TJ-SGD,1999-05-01",
    ]
    # typed as Windows types a .csv where Excel is installed: taken for its extension
    data = "\n".join(rows).encode()
    csv = {"name": "list.csv", "mimeType": "application/vnd.ms-excel", "buffer": data}
    page.set_input_files("input[data-upload=residents-csv]", files=[csv])
    page.wait_for_selector("[data-testid=import-summary]:has-text('1 of 2 rows imported.')")
    assert "Line 3 · Date of birth" in page.inner_text("[data-testid=import-error]")
    page.fill("[data-testid=resident-search]", "E2E10001")
    page.press("[data-testid=resident-search]", "Enter")
    page.wait_for_selector("[data-testid=resident-row][data-document=E2E10001]")
