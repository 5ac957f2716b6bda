"""Find and read the permit QR code in an uploaded photo or a camera frame.

`decode_image` takes untrusted bytes and never raises: every outcome is a
`DecodeResult` with either the text or a short English message id (meant to be
translated by the caller). The pipeline:

1. refuse oversized input before any decoding;
2. open with Pillow, limited to the usual web formats, and read the size from
   the header: each job has its `Limits` (a permit photo, a camera frame, a
   portrait); a JPEG too big for them is decoded at 1/2, 1/4 or 1/8 of its size
   (the DCT scales down for free), anything else too big is refused before its
   data is decompressed (decompression bombs);
3. first frame of animations, any colour model or bit depth brought to 8-bit
   grayscale, alpha flattened onto white, EXIF orientation applied;
4. zxing-cpp, QR only, with its own rotation, inversion and downscaling passes;
5. when zxing finds nothing in a camera-sized image, zxing again on a copy
   upscaled 2× (small, blurred modules: the bench shows this rescues more
   frames than all zbar passes together);
6. then zbar (pyzbar) on the grayscale image, on a locally thresholded copy
   (uneven lighting), and on the inverted image (light modules on a dark
   screen); images over 4 MP are first reduced for zbar, which is slow on them.

`thorough=False` stops after step 4: a few milliseconds per frame, for live
camera streams where the next frame comes soon anyway. Every code in the image
is returned (a photo may hold two): the caller picks the genuine permit.

These functions run in the caller's process: the app calls them only through
`services/decoding.py`, which runs them in a process of their own.

zbar is optional: without the system library the pipeline is zxing-cpp only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import math
import re
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from io import BytesIO

import zxingcpp
from PIL import (
    Image,
    ImageChops,
    ImageFilter,
    ImageOps,
    JpegImagePlugin,
    UnidentifiedImageError,
)

from lbt_app.i18n import N_

try:
    from pyzbar import pyzbar
except ImportError:  # the zbar system library is missing: zxing-cpp alone still works
    pyzbar = None

DEFAULT_MAX_BYTES = 8_000_000


@dataclass(frozen=True)
class Limits:
    """What decoding one untrusted image may cost; each job has its own."""

    max_bytes: int
    # Pixels decoded: a bigger JPEG is decoded at 1/2, 1/4 or 1/8, other formats are refused.
    max_pixels: int
    # A baseline JPEG's full size: reduced decoding still reads all of it.
    max_jpeg_pixels: int


# A phone photo of a permit: 12 MP (4032 × 3024) is the usual default, 16 MP (4608 × 3456) the
# most decoded; 24 MP defaults and 48–50 MP full-resolution modes (8160 × 6120) are JPEGs, read
# at half or quarter size, where a 53-module permit code still has several pixels per module.
PHOTO = Limits(max_bytes=DEFAULT_MAX_BYTES, max_pixels=16_000_000, max_jpeg_pixels=50_000_000)
# The scanner's fallback frames are 640-pixel JPEGs (≈25 KB): 1080p at most, 4K JPEGs at half.
FRAME = Limits(max_bytes=300_000, max_pixels=2_100_000, max_jpeg_pixels=8_300_000)
# A holder photo ends as 300 × 400: a JPEG is decoded near 600 × 800 whatever its size;
# other formats (screenshots, scans) are taken up to 8 MP (3264 × 2448).
PORTRAIT = Limits(max_bytes=DEFAULT_MAX_BYTES, max_pixels=8_000_000, max_jpeg_pixels=50_000_000)


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
    """Either `texts` (every code read, in reading order) or `error` is set.

    `decoder` names who read the codes; `text` is the first of them.
    """

    texts: tuple[str, ...]
    error: str | None
    decoder: str | None

    @property
    def text(self) -> str | None:
        return self.texts[0] if self.texts else None

    @property
    def ok(self) -> bool:
        return bool(self.texts)

    @classmethod
    def failure(cls, error: str) -> DecodeResult:
        return cls(texts=(), error=error, decoder=None)


def decode_image(data: bytes, *, limits: Limits = PHOTO, thorough: bool = True) -> DecodeResult:
    """Read the QR codes in an encoded image (JPEG, PNG, WebP, GIF, BMP)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        return DecodeResult.failure(NOT_AN_IMAGE)
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > limits.max_bytes:
        return DecodeResult.failure(FILE_TOO_LARGE)
    if size == 0:
        return DecodeResult.failure(FILE_EMPTY)
    try:
        loaded = load_grayscale(bytes(data), limits=limits)
        if isinstance(loaded, str):
            return DecodeResult.failure(loaded)
        return decode_grayscale(loaded, thorough=thorough)
    except MemoryError:
        return DecodeResult.failure(IMAGE_TOO_LARGE)


def decode_data_url(url: str, *, limits: Limits = FRAME, thorough: bool = True) -> DecodeResult:
    """Read the QR codes in a `data:image/...;base64,...` URL (a browser camera frame)."""
    if not isinstance(url, str):
        return DecodeResult.failure(BAD_DATA_URL)
    # Refuse by length before splitting or decoding: base64 is 4 chars per 3 bytes.
    if len(url) > _MAX_DATA_URL_HEADER + 1 + (limits.max_bytes + 2) // 3 * 4:
        return DecodeResult.failure(FILE_TOO_LARGE)
    header, comma, payload = url.strip().partition(",")
    if not comma or not _DATA_URL_HEADER.fullmatch(header):
        return DecodeResult.failure(BAD_DATA_URL)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return DecodeResult.failure(BAD_DATA_URL)
    return decode_image(data, limits=limits, thorough=thorough)


def load_grayscale(data: bytes, *, limits: Limits = PHOTO) -> Image.Image | str:
    """The image as upright 8-bit grayscale, or an error message id."""
    return _load(data, limits=limits, mode="L", convert=_to_grayscale)


def _load(
    data: bytes,
    *,
    limits: Limits,
    mode: str,
    convert: Callable[[Image.Image], Image.Image],
    cover: tuple[int, int] | None = None,
) -> Image.Image | str:
    """The image decoded within `limits`, converted, then upright; or an error message id.

    A JPEG is decoded straight to `mode`, and at the smallest size that still covers `cover`.
    """
    try:
        with Image.open(BytesIO(data), formats=ALLOWED_FORMATS) as opened:
            width, height = opened.size
            if width < 1 or height < 1:
                return NOT_AN_IMAGE
            # The header alone gives the size: refuse before decompressing anything.
            scale = _decoding_scale(opened, limits, cover)
            if scale is None:
                return IMAGE_TOO_LARGE
            opened.draft(mode, (max(1, width // scale), max(1, height // scale)))
            opened.load()
            # Converted first: orientation then moves the smallest image (8-bit gray for codes).
            return _upright(convert(opened))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return IMAGE_TOO_LARGE
    except UnidentifiedImageError:
        return NOT_AN_IMAGE
    except _PILLOW_DATA_ERRORS:
        return IMAGE_DAMAGED


def _decoding_scale(
    opened: Image.Image, limits: Limits, cover: tuple[int, int] | None
) -> int | None:
    """1, 2, 4 or 8: how much to shrink while decoding; None when the image is too large."""
    width, height = opened.size
    if not isinstance(opened, JpegImagePlugin.JpegImageFile):
        return 1 if width * height <= limits.max_pixels else None
    # A progressive JPEG holds all its coefficients while decoding, even at 1/8: no allowance.
    full_size = limits.max_pixels if opened.info.get("progressive") else limits.max_jpeg_pixels
    if width * height > full_size:
        return None
    fitting = [
        s for s in (1, 2, 4, 8) if math.ceil(width / s) * math.ceil(height / s) <= limits.max_pixels
    ]
    if not fitting:
        return None
    scale = fitting[0]
    reducible = _reduction(opened.size, cover) if cover else 1
    while scale < 8 and scale * 2 <= reducible:
        scale *= 2
    return scale


def _reduction(size: tuple[int, int], cover: tuple[int, int]) -> int:
    """The largest whole factor that leaves `size` covering `cover`, either way round."""
    short, long = sorted(size)
    cover_short, cover_long = sorted(cover)
    return max(1, min(short // cover_short, long // cover_long))


PORTRAIT_SIZE = (300, 400)  # 3:4, as on ID documents
# Decoded at least twice the stored size, so the final downscale still has pixels to average.
_PORTRAIT_SOURCE = (600, 800)
PORTRAIT_TOO_SMALL = N_("The photo is too small: at least 150 × 200 pixels.")


@dataclass(frozen=True)
class Portrait:
    """Exactly one of `jpeg` and `error` (a message id) is set."""

    jpeg: bytes | None
    error: str | None


def portrait_jpeg(data: bytes, *, limits: Limits = PORTRAIT) -> Portrait:
    """A holder photo as stored: upright, centre-cropped to 3:4, 300 × 400 JPEG, no metadata."""
    if not isinstance(data, bytes | bytearray) or not data:
        return Portrait(None, FILE_EMPTY if isinstance(data, bytes | bytearray) else NOT_AN_IMAGE)
    if len(data) > limits.max_bytes:
        return Portrait(None, FILE_TOO_LARGE)
    try:
        loaded = _load(
            bytes(data), limits=limits, mode="RGB", convert=_to_rgb, cover=_PORTRAIT_SOURCE
        )
        if isinstance(loaded, str):
            return Portrait(None, loaded)
        if loaded.width < PORTRAIT_SIZE[0] // 2 or loaded.height < PORTRAIT_SIZE[1] // 2:
            return Portrait(None, PORTRAIT_TOO_SMALL)
        fitted = ImageOps.fit(loaded, PORTRAIT_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.4))
        out = BytesIO()
        fitted.save(out, "JPEG", quality=85, optimize=True)
        return Portrait(out.getvalue(), None)
    except MemoryError:
        return Portrait(None, IMAGE_TOO_LARGE)


def decode_grayscale(gray: Image.Image, *, thorough: bool = True) -> DecodeResult:
    """Run the readers on an 8-bit grayscale image: zxing-cpp, then zbar variants."""
    texts = read_with_zxing(gray)
    if not texts and thorough and gray.width * gray.height <= _UPSCALE_MAX_PIXELS:
        upscaled = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.BICUBIC)
        texts = read_with_zxing(upscaled)
    if texts:
        return DecodeResult(texts=texts, error=None, decoder=DECODER_ZXING)
    if not thorough:
        return DecodeResult.failure(NO_QR_CODE)
    reduced = _reduce_to(gray, _ZBAR_MAX_PIXELS)
    for variant in (_same, adaptive_threshold, ImageOps.invert):
        texts = read_with_pyzbar(variant(reduced))
        if texts:
            return DecodeResult(texts=texts, error=None, decoder=DECODER_PYZBAR)
    return DecodeResult.failure(NO_QR_CODE)


def read_with_zxing(gray: Image.Image) -> tuple[str, ...]:
    """zxing-cpp alone, QR codes only, all its search passes on: every valid code's text."""
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
        return ()
    return _distinct(barcode.text for barcode in barcodes if barcode.valid)


def read_with_pyzbar(gray: Image.Image) -> tuple[str, ...]:
    """zbar alone on one image, QR codes only: every code's text; none without zbar."""
    if pyzbar is None:
        return ()
    try:
        symbols = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
    except pyzbar.PyZbarError:
        return ()
    except ValueError:
        # pyzbar 0.1.9 cannot name zbar's "unknown" orientation (a structured-append piece).
        return ()
    # zbar hands back the text as UTF-8 bytes.
    return _distinct(symbol.data.decode("utf-8", errors="replace") for symbol in symbols)


def _distinct(texts: Iterable[str]) -> tuple[str, ...]:
    """The texts in reading order, each once (a code can be found by two passes)."""
    return tuple(dict.fromkeys(texts))


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
    # In place: no second full-size copy of a photo that is already upright.
    with contextlib.suppress(*_PILLOW_DATA_ERRORS):
        ImageOps.exif_transpose(image, in_place=True)
    return image


def _to_grayscale(image: Image.Image) -> Image.Image:
    alpha = _alpha(image)
    if alpha is not None:
        # Transparent pixels are often black underneath: show them as paper white.
        paper = Image.new("L", image.size, 255)
        return Image.composite(image.convert("L"), paper, alpha)
    if image.mode.startswith(("I", "F")):
        # 16-bit and float images: stretch the actual range onto 8 bits, not clip it.
        wide = image.convert("F")
        low, high = wide.getextrema()
        span = float(high) - float(low)
        scale = 255.0 / span if span > 0 else 0.0
        image = wide.point(lambda v: (v - low) * scale)
    return image if image.mode == "L" else image.convert("L")


def _to_rgb(image: Image.Image) -> Image.Image:
    alpha = _alpha(image)
    if alpha is None:
        return image if image.mode == "RGB" else image.convert("RGB")
    paper = Image.new("RGB", image.size, (255, 255, 255))
    paper.paste(image.convert("RGB"), mask=alpha)
    return paper


def _alpha(image: Image.Image) -> Image.Image | None:
    """The image's transparency as an 8-bit mask, or None when it is opaque."""
    if image.mode in ("RGBA", "LA", "PA"):
        return image.getchannel("A")
    if image.mode == "P" and "transparency" in image.info:
        return image.convert("RGBA").getchannel("A")
    return None
