"""QR rendering: alphanumeric mode, error correction M, version 9 for a long name, quiet zone."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM

from lbt_app.core.keys import generate_key
from lbt_app.core.payload import sign
from lbt_app.core.qr import QUIET_ZONE, qr_data, qr_matrix_info, render_png, render_svg
from tests.core.test_payload import CODEBOOK, make_claims

KEY = generate_key("TJ-SGD-HUK")
LONG_NAME_TEXT = sign(make_claims(), KEY, CODEBOOK)
SHORT_NAME_TEXT = sign(make_claims(surname="ALI", given_names="OLIM"), KEY, CODEBOOK)


def test_permit_text_is_encoded_in_alphanumeric_mode() -> None:
    assert qr_data(LONG_NAME_TEXT).mode == MODE_ALPHA_NUM


def test_text_outside_the_alphanumeric_set_falls_back_to_bytes() -> None:
    assert qr_data("lbt1:abc").mode == MODE_8BIT_BYTE


def test_thirty_character_name_needs_at_most_version_9() -> None:
    version, modules = qr_matrix_info(LONG_NAME_TEXT)
    assert version <= 9
    assert modules == 17 + 4 * version


def test_short_name_needs_no_larger_qr_than_a_long_one() -> None:
    assert qr_matrix_info(SHORT_NAME_TEXT).version <= qr_matrix_info(LONG_NAME_TEXT).version


def test_png_has_the_quiet_zone_and_the_finder_pattern() -> None:
    box = 5
    _, modules = qr_matrix_info(LONG_NAME_TEXT)
    png = render_png(LONG_NAME_TEXT, box_size=box)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("L")
    side = (modules + 2 * QUIET_ZONE) * box
    assert image.size == (side, side)
    quiet = QUIET_ZONE * box
    assert all(image.getpixel((x, y)) == 255 for x in range(quiet) for y in range(side))
    assert image.getpixel((quiet, quiet)) == 0


def test_svg_is_a_document_with_the_quiet_zone_in_its_view_box() -> None:
    _, modules = qr_matrix_info(LONG_NAME_TEXT)
    svg = render_svg(LONG_NAME_TEXT)
    side = modules + 2 * QUIET_ZONE
    assert svg.startswith("<svg")
    assert f'viewBox="0 0 {side} {side}"' in svg


def test_png_scans_back_to_the_permit_text() -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    image = Image.open(io.BytesIO(render_png(LONG_NAME_TEXT, box_size=4)))
    results = zxingcpp.read_barcodes(image)
    assert [result.text for result in results] == [LONG_NAME_TEXT]
    assert results[0].ec_level == "M"
