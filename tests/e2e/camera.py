"""Videos for Chromium's fake camera: a permit's QR held up to the lens, as a .y4m file.

Chromium plays the file in a loop as the camera (`--use-file-for-fake-video-capture`). The
scenes are what an officer's camera sees: a phone or a card showing the permit QR on a
cluttered background, a phone in dark mode (light modules on a dark screen), or no code.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from lbt_app.core.qr import render_png

SIZE = (640, 480)
FPS = 15


def _background(seed: int = 7) -> Image.Image:
    """A desk-like scene: soft grey gradient with a few shapes, so the frame is not empty."""
    image = Image.new("RGB", SIZE, (120, 118, 110))
    draw = ImageDraw.Draw(image)
    for i in range(0, SIZE[1], 8):
        shade = 100 + (i * 60 // SIZE[1])
        draw.rectangle([0, i, SIZE[0], i + 8], fill=(shade, shade - 4, shade - 12))
    for k in range(6):
        x = (seed * 97 + k * 131) % SIZE[0]
        y = (seed * 53 + k * 71) % SIZE[1]
        draw.ellipse([x - 30, y - 20, x + 30, y + 20], outline=(60, 60, 70), width=3)
    return image


def qr_scene(text: str, *, dark: bool = False, module_px: int = 3) -> Image.Image:
    """The QR of `text` on a phone screen held about 25 cm from the camera."""
    qr = Image.open(io.BytesIO(render_png(text, box_size=module_px))).convert("L")
    if dark:  # dark mode: light modules on a near-black screen
        qr = ImageOps.invert(qr).point(lambda v: 30 if v < 128 else 225)
    screen = Image.new("L", (qr.width + 40, qr.height + 90), 22 if dark else 250)
    screen.paste(qr, (20, 45))
    scene = _background()
    phone = ImageOps.expand(screen, border=10, fill=15).convert("RGB")
    phone = phone.rotate(4, expand=True, fillcolor=(120, 118, 110), resample=Image.BICUBIC)
    scene.paste(phone, ((SIZE[0] - phone.width) // 2, (SIZE[1] - phone.height) // 2))
    return scene.filter(ImageFilter.GaussianBlur(0.6))


def empty_scene() -> Image.Image:
    """The same desk with no code anywhere: a card with text lines instead."""
    scene = _background(seed=3)
    draw = ImageDraw.Draw(scene)
    draw.rectangle([170, 120, 470, 360], fill=(235, 235, 228), outline=(40, 40, 40), width=3)
    for row in range(8):
        draw.line([190, 150 + row * 25, 450 - row * 9, 150 + row * 25], fill=(50, 50, 60), width=4)
    return scene


def write_y4m(path: Path, segments: list[tuple[Image.Image, float]], fps: int = FPS) -> Path:
    """Write `segments` (image, seconds) as a 4:2:0 YUV4MPEG2 file Chromium can play."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{SIZE[0]} H{SIZE[1]} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for image, seconds in segments:
            y, cb, cr = image.convert("RGB").resize(SIZE).convert("YCbCr").split()
            half = (SIZE[0] // 2, SIZE[1] // 2)
            frame = (
                b"FRAME\n"
                + y.tobytes()
                + cb.resize(half, Image.BILINEAR).tobytes()
                + cr.resize(half, Image.BILINEAR).tobytes()
            )
            for _ in range(max(1, round(seconds * fps))):
                out.write(frame)
    return path
