"""Camera-like frames holding a permit QR code, for the decode benchmark and tests.

Pure Pillow (no numpy): a cluttered 1280×720 scene, the QR of a ~260-character
alphanumeric payload at error correction M pasted with a random scale,
rotation and perspective, then uneven lighting, low contrast, blur, sensor
noise, a colour cast and JPEG compression, the way a phone camera sends it.
Some frames show light modules on a dark phone screen. Difficulty comes in
three bands; every frame is reproducible from its seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFilter

FRAME_SIZE = (1280, 720)
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
PAYLOAD_LENGTH = 260
QUIET_ZONE = 4


@dataclass(frozen=True)
class Band:
    """Ranges the random frame parameters are drawn from."""

    name: str
    module_px: tuple[float, float]
    max_rotation: float
    perspective: float
    blur: tuple[float, float]
    noise: tuple[float, float]
    contrast: tuple[float, float]
    lighting: tuple[float, float]
    light_on_dark: float
    jpeg_quality: tuple[int, int]
    motion_blur: float


BANDS: dict[str, Band] = {
    "easy": Band(
        name="easy",
        module_px=(5.0, 7.0),
        max_rotation=10.0,
        perspective=0.03,
        blur=(0.0, 0.6),
        noise=(2.0, 6.0),
        contrast=(0.8, 1.0),
        lighting=(0.0, 0.15),
        light_on_dark=0.1,
        jpeg_quality=(85, 95),
        motion_blur=0.0,
    ),
    "medium": Band(
        name="medium",
        module_px=(3.8, 5.2),
        max_rotation=180.0,
        perspective=0.07,
        blur=(0.5, 1.1),
        noise=(5.0, 11.0),
        contrast=(0.5, 0.8),
        lighting=(0.15, 0.4),
        light_on_dark=0.2,
        jpeg_quality=(70, 88),
        motion_blur=0.15,
    ),
    "hard": Band(
        name="hard",
        module_px=(3.2, 4.5),
        max_rotation=180.0,
        perspective=0.1,
        blur=(0.7, 1.3),
        noise=(8.0, 15.0),
        contrast=(0.4, 0.65),
        lighting=(0.25, 0.5),
        light_on_dark=0.3,
        jpeg_quality=(60, 80),
        motion_blur=0.25,
    ),
}


@dataclass(frozen=True)
class Frame:
    """One generated frame and what it holds."""

    band: str
    seed: int
    payload: str
    light_on_dark: bool
    image: Image.Image
    jpeg: bytes


def make_payload(rng: random.Random, length: int = PAYLOAD_LENGTH) -> str:
    """'LBT1:' and base45 characters: a permit-sized alphanumeric QR payload."""
    return "LBT1:" + "".join(rng.choices(BASE45_ALPHABET, k=length - 5))


def qr_modules(text: str) -> Image.Image:
    """The QR code, one pixel per module, with its quiet zone (black on white, mode L)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=QUIET_ZONE
    )
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def perspective_coefficients(
    destination: list[tuple[float, float]], source: list[tuple[float, float]]
) -> tuple[float, ...]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping output corners to input corners."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(destination, source, strict=True):
        rows.append([x, y, 1.0, 0.0, 0.0, 0.0, -x * u, -y * u, u])
        rows.append([0.0, 0.0, 0.0, x, y, 1.0, -x * v, -y * v, v])
    return tuple(_solve(rows))


def _solve(rows: list[list[float]]) -> list[float]:
    """Gauss–Jordan elimination with partial pivoting on an augmented matrix."""
    n = len(rows)
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [value / lead for value in rows[col]]
        for r in range(n):
            if r != col and rows[r][col] != 0.0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [row[n] for row in rows]


def scene(rng: random.Random) -> Image.Image:
    """A cluttered grayscale background: gradient, shapes, blotches."""
    width, height = FRAME_SIZE
    base = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(FRAME_SIZE)
    low, high = rng.randint(40, 120), rng.randint(150, 230)
    picture = base.point(lambda v: low + v * (high - low) // 255)
    draw = ImageDraw.Draw(picture)
    for _ in range(rng.randint(4, 12)):
        x0, y0 = rng.randint(-100, width), rng.randint(-100, height)
        x1, y1 = x0 + rng.randint(40, 500), y0 + rng.randint(40, 400)
        shade = rng.randint(0, 255)
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=shade)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=shade)
    for _ in range(rng.randint(0, 6)):
        x0, y0 = rng.randint(0, width), rng.randint(0, height)
        draw.line(
            (x0, y0, x0 + rng.randint(-400, 400), y0 + rng.randint(-300, 300)),
            fill=rng.randint(0, 255),
            width=rng.randint(1, 6),
        )
    blotches = _noise(rng, (width // 40, height // 40), 40).resize(
        FRAME_SIZE, Image.Resampling.BICUBIC
    )
    return ImageChops.add(picture, blotches, scale=1.0, offset=-128).filter(
        ImageFilter.GaussianBlur(1.5)
    )


def _noise(rng: random.Random, size: tuple[int, int], sigma: float) -> Image.Image:
    """Zero-mean noise around 128 with roughly the given spread, drawn from `rng`.

    The mean of two uniform images is triangular (sd ≈ 52); Image.effect_noise
    would use C's unseeded rand() and break reproducibility.
    """
    count = size[0] * size[1]
    first = Image.frombytes("L", size, rng.randbytes(count))
    second = Image.frombytes("L", size, rng.randbytes(count))
    gain = sigma / 52.2
    lut = [max(0, min(255, round(128 + (v - 128) * gain))) for v in range(256)]
    return ImageChops.add(first, second, scale=2.0).point(lut)


def _card(modules: Image.Image, module_px: float, light_on_dark: bool) -> Image.Image:
    """The QR at its rendered size, as printed paper or as a dark phone screen."""
    side = max(1, round(modules.width * module_px))
    card = modules.resize((side, side), Image.Resampling.NEAREST)
    return card.point(lambda v: 255 - v) if light_on_dark else card


def _quad(rng: random.Random, side: float, band: Band) -> list[tuple[float, float]]:
    """Where the card's corners land in the frame: rotated, skewed, kept inside."""
    width, height = FRAME_SIZE
    angle = math.radians(rng.uniform(-band.max_rotation, band.max_rotation))
    half = side / 2
    corners = [(-half, -half), (half, -half), (half, half), (-half, half)]
    cos, sin = math.cos(angle), math.sin(angle)
    turned = [
        (
            x * cos - y * sin + rng.uniform(-1, 1) * band.perspective * side,
            x * sin + y * cos + rng.uniform(-1, 1) * band.perspective * side,
        )
        for x, y in corners
    ]
    min_x, max_x = min(p[0] for p in turned), max(p[0] for p in turned)
    min_y, max_y = min(p[1] for p in turned), max(p[1] for p in turned)
    cx = rng.uniform(8 - min_x, max(8 - min_x, width - 8 - max_x))
    cy = rng.uniform(8 - min_y, max(8 - min_y, height - 8 - max_y))
    return [(x + cx, y + cy) for x, y in turned]


def _lighting(rng: random.Random, strength: float) -> Image.Image:
    """A smooth light falloff to multiply the frame with (255 = full light)."""
    darkest = round(255 * (1 - strength))
    ramp = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(FRAME_SIZE)
    return ramp.point(lambda v: darkest + v * (255 - darkest) // 255)


def render_frame(rng: random.Random, band: Band, payload: str, light_on_dark: bool) -> Image.Image:
    """A 1280×720 RGB camera frame showing the payload's QR code."""
    modules = qr_modules(payload)
    card = _card(modules, rng.uniform(*band.module_px), light_on_dark)
    quad = _quad(rng, card.width, band)
    source = [(0.0, 0.0), (card.width, 0.0), (card.width, card.height), (0.0, card.height)]
    coefficients = perspective_coefficients(quad, source)
    frame = scene(rng)
    warped = card.transform(
        FRAME_SIZE, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC
    )
    mask = Image.new("L", card.size, 255).transform(
        FRAME_SIZE, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR
    )
    frame.paste(warped, mask=mask)

    frame = ImageChops.multiply(frame, _lighting(rng, rng.uniform(*band.lighting)))
    contrast = rng.uniform(*band.contrast)
    middle = rng.uniform(128 - 50 * (1 - contrast), 128 + 50 * (1 - contrast))
    frame = frame.point(lambda v: max(0, min(255, round(middle + (v - 128) * contrast))))
    if rng.random() < band.motion_blur:
        length = 5
        kernel = [0.0] * 25
        row = rng.choice([0, 1, 2])
        for k in range(length):
            kernel[row * 5 + k] = 1.0
        frame = frame.filter(ImageFilter.Kernel((5, 5), kernel, scale=length))
    blur = rng.uniform(*band.blur)
    if blur > 0.05:
        frame = frame.filter(ImageFilter.GaussianBlur(blur))
    noise = _noise(rng, FRAME_SIZE, rng.uniform(*band.noise))
    frame = ImageChops.add(frame, noise, scale=1.0, offset=-128)

    # A slight colour cast, as from a white balance that is a little off.
    red, blue = rng.uniform(0.9, 1.1), rng.uniform(0.9, 1.1)
    return Image.merge(
        "RGB",
        (
            frame.point(lambda v: min(255, round(v * red))),
            frame,
            frame.point(lambda v: min(255, round(v * blue))),
        ),
    )


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def make_frame(band: str, seed: int) -> Frame:
    """The frame of a band for a seed; the same arguments give the same frame."""
    spec = BANDS[band]
    rng = random.Random(f"{band}:{seed}")
    payload = make_payload(rng)
    light_on_dark = rng.random() < spec.light_on_dark
    image = render_frame(rng, spec, payload, light_on_dark)
    jpeg = encode_jpeg(image, rng.randint(*spec.jpeg_quality))
    return Frame(
        band=band,
        seed=seed,
        payload=payload,
        light_on_dark=light_on_dark,
        image=image,
        jpeg=jpeg,
    )


def generate(
    count: int, *, seed: int = 0, bands: tuple[str, ...] = tuple(BANDS)
) -> Iterator[Frame]:
    """`count` frames spread evenly over the bands, round-robin."""
    for index in range(count):
        yield make_frame(bands[index % len(bands)], seed + index)
