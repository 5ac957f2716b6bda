"""Find and read the permit QR code in an uploaded photo or a camera frame.

`decode_image` takes untrusted bytes and never raises: every outcome is a
`DecodeResult` with either the text or a short English message id (meant to be
translated by the caller). The pipeline:

1. refuse oversized input before any decoding;
2. open with Pillow, limited to the usual web formats, refusing images with too
   many pixels before their data is decompressed (decompression bombs);
3. first frame of animations, EXIF orientation applied, alpha flattened onto
   white, any colour model or bit depth brought to 8-bit grayscale;
4. zxing-cpp, QR only, with its own rotation, inversion and downscaling passes;
5. when zxing finds nothing in a camera-sized image, zxing again on a copy
   upscaled 2× (small, blurred modules: the bench shows this rescues more
   frames than all zbar passes together);
6. then zbar (pyzbar) on the grayscale image, on a locally thresholded copy
   (uneven lighting), and on the inverted image (light modules on a dark
   screen); images over 4 MP are first reduced for zbar, which is slow on them.

`thorough=False` stops after step 4: a few milliseconds per frame, for live
camera streams where the next frame comes soon anyway.

zbar is optional: without the system library the pipeline is zxing-cpp only.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
import zlib
from dataclasses import dataclass
from io import BytesIO

import zxingcpp
from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError

from lbt_app.i18n import N_

try:
    from pyzbar import pyzbar
except ImportError:  # the zbar system library is missing: zxing-cpp alone still works
    pyzbar = None

DEFAULT_MAX_BYTES = 8_000_000
DEFAULT_MAX_PIXELS = 40_000_000


FILE_TOO_LARGE = N_("The file is too large.")
FILE_EMPTY = N_("The file is empty.")
NOT_AN_IMAGE = N_("The file is not an image.")
IMAGE_TOO_LARGE = N_("The image is too large.")
IMAGE_DAMAGED = N_("The image file is damaged.")
NO_QR_CODE = N_("No QR code was found in the image.")
BAD_DATA_URL = N_("The image data is not valid.")

ERRORS = (
    FILE_TOO_LARGE,
    FILE_EMPTY,
    NOT_AN_IMAGE,
    IMAGE_TOO_LARGE,
    IMAGE_DAMAGED,
    NO_QR_CODE,
    BAD_DATA_URL,
)

DECODER_ZXING = "zxing"
DECODER_PYZBAR = "pyzbar"

# Formats that browsers and phones send; others (EPS, TIFF, ...) widen the attack surface.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")

# What Pillow's decoders raise on malformed or truncated data.
_PILLOW_DATA_ERRORS = (
    # Pillow's warnings (invalid APNG, corrupt EXIF) become errors under `-W error`.
    Warning,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
)

_DATA_URL_HEADER = re.compile(r"data:image/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64", re.IGNORECASE)
_MAX_DATA_URL_HEADER = 200

# Upscale for the second zxing pass only up to about a 1080p frame (8 MP once upscaled).
_UPSCALE_MAX_PIXELS = 2_100_000

# zbar is slow on big photos (~1 s per pass at 40 MP): its passes get a reduced copy.
_ZBAR_MAX_PIXELS = 4_000_000

# Pixels more than this much darker than their neighbourhood become black.
_THRESHOLD_OFFSET = 6
_THRESHOLD_LUT = [255 if v >= 128 - _THRESHOLD_OFFSET else 0 for v in range(256)]


@dataclass(frozen=True)
class DecodeResult:
    """Exactly one of `text` and `error` is set; `decoder` names who read the code."""

    text: str | None
    error: str | None
    decoder: str | None

    @property
    def ok(self) -> bool:
        return self.text is not None

    @classmethod
    def failure(cls, error: str) -> DecodeResult:
        return cls(text=None, error=error, decoder=None)


def decode_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    thorough: bool = True,
) -> DecodeResult:
    """Read the first QR code in an encoded image (JPEG, PNG, WebP, GIF, BMP)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        return DecodeResult.failure(NOT_AN_IMAGE)
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > max_bytes:
        return DecodeResult.failure(FILE_TOO_LARGE)
    if size == 0:
        return DecodeResult.failure(FILE_EMPTY)
    loaded = load_grayscale(bytes(data), max_pixels=max_pixels)
    if isinstance(loaded, str):
        return DecodeResult.failure(loaded)
    return decode_grayscale(loaded, thorough=thorough)


def decode_data_url(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    thorough: bool = True,
) -> DecodeResult:
    """Read the QR code in a `data:image/...;base64,...` URL (a browser camera frame)."""
    if not isinstance(url, str):
        return DecodeResult.failure(BAD_DATA_URL)
    # Refuse by length before splitting or decoding: base64 is 4 chars per 3 bytes.
    if len(url) > _MAX_DATA_URL_HEADER + 1 + (max_bytes + 2) // 3 * 4:
        return DecodeResult.failure(FILE_TOO_LARGE)
    header, comma, payload = url.strip().partition(",")
    if not comma or not _DATA_URL_HEADER.fullmatch(header):
        return DecodeResult.failure(BAD_DATA_URL)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return DecodeResult.failure(BAD_DATA_URL)
    return decode_image(data, max_bytes=max_bytes, max_pixels=max_pixels, thorough=thorough)


def load_grayscale(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image | str:
    """The image as upright 8-bit grayscale, or an error message id."""
    loaded = _load_upright(data, max_pixels=max_pixels, draft="L")
    return loaded if isinstance(loaded, str) else _to_grayscale(loaded)


def _load_upright(data: bytes, *, max_pixels: int, draft: str) -> Image.Image | str:
    """The image decoded (JPEG: straight to `draft` mode) and upright, or an error message id."""
    try:
        with Image.open(BytesIO(data), formats=ALLOWED_FORMATS) as opened:
            width, height = opened.size
            if width < 1 or height < 1:
                return NOT_AN_IMAGE
            # The header alone gives the size: refuse before decompressing anything.
            if width * height > max_pixels:
                return IMAGE_TOO_LARGE
            opened.draft(draft, opened.size)
            opened.load()
            return _upright(opened)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return IMAGE_TOO_LARGE
    except UnidentifiedImageError:
        return NOT_AN_IMAGE
    except _PILLOW_DATA_ERRORS:
        return IMAGE_DAMAGED


PORTRAIT_SIZE = (300, 400)  # 3:4, as on ID documents
PORTRAIT_TOO_SMALL = N_("The photo is too small: at least 150 × 200 pixels.")


@dataclass(frozen=True)
class Portrait:
    """Exactly one of `jpeg` and `error` (a message id) is set."""

    jpeg: bytes | None
    error: str | None


def portrait_jpeg(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Portrait:
    """A holder photo as stored: upright, centre-cropped to 3:4, 300 × 400 JPEG, no metadata."""
    if not isinstance(data, bytes | bytearray) or not data:
        return Portrait(None, FILE_EMPTY if isinstance(data, bytes | bytearray) else NOT_AN_IMAGE)
    if len(data) > max_bytes:
        return Portrait(None, FILE_TOO_LARGE)
    loaded = _load_upright(bytes(data), max_pixels=DEFAULT_MAX_PIXELS, draft="RGB")
    if isinstance(loaded, str):
        return Portrait(None, loaded)
    if loaded.width < PORTRAIT_SIZE[0] // 2 or loaded.height < PORTRAIT_SIZE[1] // 2:
        return Portrait(None, PORTRAIT_TOO_SMALL)
    rgb = Image.new("RGB", loaded.size, (255, 255, 255))
    rgb.paste(loaded.convert("RGBA"), mask=loaded.convert("RGBA").getchannel("A"))
    fitted = ImageOps.fit(rgb, PORTRAIT_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    out = BytesIO()
    fitted.save(out, "JPEG", quality=85, optimize=True)
    return Portrait(out.getvalue(), None)


def decode_grayscale(gray: Image.Image, *, thorough: bool = True) -> DecodeResult:
    """Run the readers on an 8-bit grayscale image: zxing-cpp, then zbar variants."""
    text = read_with_zxing(gray)
    if text is None and thorough and gray.width * gray.height <= _UPSCALE_MAX_PIXELS:
        upscaled = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.BICUBIC)
        text = read_with_zxing(upscaled)
    if text is not None:
        return DecodeResult(text=text, error=None, decoder=DECODER_ZXING)
    if not thorough:
        return DecodeResult.failure(NO_QR_CODE)
    reduced = _reduce_to(gray, _ZBAR_MAX_PIXELS)
    for variant in (_same, adaptive_threshold, ImageOps.invert):
        text = read_with_pyzbar(variant(reduced))
        if text is not None:
            return DecodeResult(text=text, error=None, decoder=DECODER_PYZBAR)
    return DecodeResult.failure(NO_QR_CODE)


def read_with_zxing(gray: Image.Image) -> str | None:
    """zxing-cpp alone, QR codes only, all its search passes on."""
    try:
        barcodes = zxingcpp.read_barcodes(
            gray,
            formats=zxingcpp.BarcodeFormat.QRCode,
            try_rotate=True,
            try_downscale=True,
            try_invert=True,
            text_mode=zxingcpp.TextMode.Plain,
        )
    except (ValueError, RuntimeError):
        return None
    for barcode in barcodes:
        if barcode.valid:
            return barcode.text
    return None


def read_with_pyzbar(gray: Image.Image) -> str | None:
    """zbar alone on one image, QR codes only; None when zbar is not installed."""
    if pyzbar is None:
        return None
    try:
        symbols = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
    except pyzbar.PyZbarError:
        return None
    for symbol in symbols:
        # zbar hands back the text as UTF-8 bytes.
        return symbol.data.decode("utf-8", errors="replace")
    return None


def adaptive_threshold(gray: Image.Image) -> Image.Image:
    """Black where a pixel is darker than its neighbourhood: evens out shadows and glare."""
    radius = max(4, min(gray.size) // 24)
    local_mean = gray.filter(ImageFilter.BoxBlur(radius))
    difference = ImageChops.subtract(gray, local_mean, scale=1.0, offset=128)
    return difference.point(_THRESHOLD_LUT)


def _reduce_to(gray: Image.Image, max_pixels: int) -> Image.Image:
    """A copy shrunk by a whole factor to at most `max_pixels`, or the image itself."""
    factor = math.ceil(math.sqrt(gray.width * gray.height / max_pixels))
    return gray.reduce(factor) if factor > 1 else gray


def _same(gray: Image.Image) -> Image.Image:
    return gray


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation of phone photos; a broken EXIF block leaves the image as is."""
    try:
        transposed = ImageOps.exif_transpose(image)
    except _PILLOW_DATA_ERRORS:
        # A copy: the opened image is closed when the caller's `with` block ends.
        return image.copy()
    return transposed if transposed is not None else image


def _to_grayscale(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    ):
        # Transparent pixels are often black underneath: show them as paper white.
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        background.alpha_composite(image.convert("RGBA"))
        image = background
    elif image.mode.startswith(("I", "F")):
        # 16-bit and float images: stretch the actual range onto 8 bits, not clip it.
        wide = image.convert("F")
        low, high = wide.getextrema()
        span = float(high) - float(low)
        scale = 255.0 / span if span > 0 else 0.0
        image = wide.point(lambda v: (v - low) * scale)
    return image if image.mode == "L" else image.convert("L")
