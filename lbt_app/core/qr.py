"""QR rendering of permit texts: error correction M, alphanumeric mode, 4-module quiet zone.

The mode is set explicitly: left to itself, qrcode splits a text into chunks
and may switch to numeric mode for runs of digits, which changes the size a
permit needs. A text with characters outside the QR alphanumeric set falls
back to qrcode's own choice of mode.
"""

from __future__ import annotations

import io
from typing import NamedTuple

import qrcode
import qrcode.image.svg
from qrcode.util import ALPHA_NUM, MODE_ALPHA_NUM, QRData

QUIET_ZONE = 4


class QrInfo(NamedTuple):
    version: int
    # Modules on one side, quiet zone not counted (17 + 4 × version).
    modules: int


def qr_data(text: str) -> QRData:
    """The QR segment for ``text``: alphanumeric mode whenever the text allows it."""
    data = text.encode("utf-8")
    if all(byte in ALPHA_NUM for byte in data):
        return QRData(data, mode=MODE_ALPHA_NUM)
    return QRData(data)


def _build(text: str, box_size: int = 10, border: int = QUIET_ZONE) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border
    )
    code.add_data(qr_data(text))
    code.make(fit=True)
    return code


def qr_matrix_info(text: str) -> QrInfo:
    """The QR version and modules per side that ``text`` needs at error correction M."""
    code = _build(text)
    return QrInfo(code.version, code.modules_count)


def render_png(text: str, box_size: int = 8, border: int = QUIET_ZONE) -> bytes:
    """A black-on-white PNG of the QR for ``text``, ``box_size`` pixels a module."""
    image = _build(text, box_size, border).make_image()
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def render_svg(text: str, border: int = QUIET_ZONE) -> str:
    """A standalone SVG document of the QR for ``text``, one path, scalable."""
    image = _build(text, border=border).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")
