"""The authority desk in a browser: printable permit cards download and their QR verifies."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from lbt_app.core.imaging import decode_image
from tests.e2e.conftest import hydrated, permit_field, sign_in

pytestmark = pytest.mark.browser


def test_a_permit_card_downloads_and_its_printed_qr_reads_back(page, app, tmp_path):
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    number = permit_field(app, "RAHIMOV")
    row = page.locator(f"[data-testid=permit-row][data-number='{number}']")
    with page.expect_download() as download:
        row.locator("[data-testid=print-card]").click()
    assert download.value.suggested_filename == f"permit-{number}.pdf"
    path = tmp_path / "card.pdf"
    download.value.save_as(path)
    (card,) = list(pdfium.PdfDocument(path.read_bytes()))
    assert "RAHIMOV" in card.get_textpage().get_text_range()
    image = tmp_path / "card.png"
    card.render(scale=200 / 72).to_pil().save(image)
    assert decode_image(image.read_bytes()).text == permit_field(app, "RAHIMOV", "payload")
