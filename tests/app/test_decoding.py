"""Images from clients decoded in bounded, memory-capped processes: what the server spends."""

from __future__ import annotations

import asyncio
import base64
import gc
import logging
import os
import sys
import threading
import time
from io import BytesIO

import psutil
import pytest
import qrcode
from PIL import Image

from lbt_app.core import imaging
from lbt_app.services import decoding
from lbt_app.services.decoding import BUSY, DecodePool, Exhausted

MiB = 2**20
# What one decoding process may peak at (resident memory, kernel's high-water mark), for the
# images below; measured: 12 MP photo 71 MiB, 16 MP RGBA PNG 143 MiB, the bomb 21 MiB.
DECODE_PEAK_CEILING = 300 * MiB
TEXT = "LBT1:" + "7" * 240


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def qr(box_size: int) -> Image.Image:
    code = qrcode.QRCode(box_size=box_size, border=4)
    code.add_data(TEXT)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def png_bomb() -> bytes:
    """6320 × 6320 RGB, mostly uniform: 40 MP in about 130 KB, under the old 40 MP limit."""
    return encoded(Image.new("RGB", (6320, 6320), (250, 250, 250)))


def phone_photo() -> bytes:
    """A 12 MP JPEG as a phone takes it: a permit on a desk, its code a fifth of the width."""
    photo = Image.new("RGB", (4032, 3024), (176, 164, 150))
    photo.paste(qr(box_size=14).convert("RGB"), (1400, 900))
    return encoded(photo, "JPEG", quality=90)


def largest_png() -> bytes:
    """The costliest image a permit photo may be: 16 MP RGBA PNG, decoded whole."""
    image = Image.new("RGBA", (4608, 3456), (200, 200, 200, 255))
    image.paste(qr(box_size=12).convert("RGBA"), (900, 700))
    return encoded(image)


class Sampler:
    """Polls the decoding processes (the fork server's children) and the app process itself."""

    def __init__(self) -> None:
        self.app = psutil.Process()
        self.most_processes = 0
        self.most_decoding_rss = 0
        self.most_app_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.wait(0.002):
            decoding_now = [p for child in self.app.children() for p in _children(child)]
            self.most_processes = max(self.most_processes, len(decoding_now))
            self.most_decoding_rss = max(self.most_decoding_rss, sum(_rss(p) for p in decoding_now))
            self.most_app_rss = max(self.most_app_rss, _rss(self.app))


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children()
    except psutil.NoSuchProcess:
        return []


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.NoSuchProcess:
        return 0


def _stray_job() -> None:
    """A job as if defined in the app's main script."""


_stray_job.__module__ = "__main__"


def _peaks(caplog) -> list[int]:
    """Each decode's peak resident memory, as its own process measured it (ru_maxrss)."""
    return [record.peak_rss for record in caplog.records if hasattr(record, "peak_rss")]


def test_bombs_and_big_photos_in_parallel_stay_under_the_memory_ceiling(caplog):
    caplog.set_level(logging.DEBUG, logger=decoding.__name__)
    bomb, photo, largest = png_bomb(), phone_photo(), largest_png()
    assert len(bomb) < 200_000
    jobs = [bomb] * 4 + [largest] * 2 + [photo] * 2
    app_before = psutil.Process().memory_info().rss

    async def decode_all() -> list[imaging.DecodeResult]:
        return await asyncio.gather(*(decoding.read_photo(data) for data in jobs))

    with Sampler() as sampler:
        results = asyncio.run(decode_all())
    assert [r.error for r in results[:4]] == [imaging.IMAGE_TOO_LARGE] * 4
    assert [r.texts for r in results[4:]] == [(TEXT,)] * 4
    peaks = _peaks(caplog)
    assert len(peaks) == len(jobs)
    assert max(peaks) < DECODE_PEAK_CEILING, f"{max(peaks) / MiB:.0f} MiB"
    assert 0 < sampler.most_processes <= decoding.WORKERS
    assert sampler.most_decoding_rss < decoding.WORKERS * DECODE_PEAK_CEILING
    # Nothing is decoded in the app's own process any more.
    assert sampler.most_app_rss < app_before + 64 * MiB


def test_each_decode_runs_in_a_fresh_process():
    pool = DecodePool()

    async def pids() -> list[int]:
        return [await pool.run(os.getpid), await pool.run(os.getpid)]

    first, second = asyncio.run(pids())
    assert len({first, second, os.getpid()}) == 3


def test_a_decode_over_the_memory_ceiling_is_a_clear_refusal():
    async def decode(pool: DecodePool) -> imaging.DecodeResult:
        return await pool.run(decoding._read_photo, largest_png())

    # The caps let this image through; a ceiling below its need makes it a MemoryError inside.
    assert asyncio.run(decode(DecodePool(memory_ceiling=40 * MiB))).error == (
        imaging.IMAGE_TOO_LARGE
    )
    assert asyncio.run(decode(DecodePool())).texts == (TEXT,)


def test_a_decode_that_dies_or_hangs_ends_as_exhausted():
    pool = DecodePool(timeout=0.5)
    with pytest.raises(Exhausted, match="exit code 3"):
        asyncio.run(pool.run(os._exit, 3))
    with pytest.raises(Exhausted, match="still running"):
        asyncio.run(pool.run(time.sleep, 60))


def test_a_decode_that_dies_gives_the_caller_a_clear_message(monkeypatch):
    monkeypatch.setattr(decoding, "_pool", DecodePool(memory_ceiling=1 * MiB))
    # With no room at all the decoding process cannot even answer: it dies.
    assert asyncio.run(decoding.read_photo(phone_photo())).error == imaging.IMAGE_TOO_LARGE
    assert asyncio.run(decoding.portrait(phone_photo())).error == imaging.IMAGE_TOO_LARGE


def test_a_job_the_server_cannot_import_still_gets_an_answer(monkeypatch):
    # The app's main script is not the fork server's: a job defined there cannot reach it.
    monkeypatch.setattr(sys.modules["__main__"], _stray_job.__name__, _stray_job, raising=False)
    with pytest.raises(Exhausted, match="unreadable request"):
        asyncio.run(DecodePool().run(_stray_job))


def _fork_servers() -> set[psutil.Process]:
    return {p for p in psutil.Process().children() if "serve_forks" in " ".join(p.cmdline())}


def test_the_fork_server_ends_with_its_pool():
    before = _fork_servers()
    pool = DecodePool()
    asyncio.run(pool.run(os.getpid))
    (server,) = _fork_servers() - before
    del pool
    gc.collect()
    server.wait(timeout=30)  # raises if it is still there


def test_callers_beyond_the_line_are_told_the_server_is_busy(monkeypatch):
    monkeypatch.setattr(decoding, "_pool", DecodePool(workers=1, waiting=1))
    photo = phone_photo()

    async def three() -> list[imaging.DecodeResult]:
        return await asyncio.gather(*(decoding.read_photo(photo) for _ in range(3)))

    results = asyncio.run(three())
    assert [r.text for r in results[:2]] == [TEXT, TEXT]
    assert results[2].error == BUSY
    # The line empties as decodes end: the next callers are served.
    assert [r.text for r in asyncio.run(three())[:2]] == [TEXT, TEXT]


def test_a_caller_that_goes_away_frees_its_place(monkeypatch):
    pool = DecodePool(workers=1, waiting=1)

    async def leave_while_waiting() -> None:
        running = asyncio.ensure_future(pool.run(time.sleep, 0.2))
        waiting = asyncio.ensure_future(pool.run(time.sleep, 0.2))
        await asyncio.sleep(0)
        waiting.cancel()
        await running
        # Both places are free again: two more are let in.
        await asyncio.gather(pool.run(os.getpid), pool.run(os.getpid))

    asyncio.run(leave_while_waiting())


def test_portraits_are_made_in_the_pool(monkeypatch):
    portrait = asyncio.run(decoding.portrait(phone_photo()))
    assert portrait.jpeg is not None
    assert Image.open(BytesIO(portrait.jpeg)).size == imaging.PORTRAIT_SIZE
    assert asyncio.run(decoding.portrait(png_bomb())).error == imaging.IMAGE_TOO_LARGE
    monkeypatch.setattr(decoding, "_pool", DecodePool(workers=1, waiting=0))

    async def two() -> list[imaging.Portrait]:
        return await asyncio.gather(*(decoding.portrait(phone_photo()) for _ in range(2)))

    assert [p.error for p in asyncio.run(two())] == [None, BUSY]


def test_frames_are_decoded_with_the_frame_caps():
    frame = Image.new("L", (640, 480), 190)
    frame.paste(qr(box_size=2), (100, 60))
    url = "data:image/jpeg;base64," + base64.b64encode(encoded(frame, "JPEG")).decode()
    assert asyncio.run(decoding.read_frame(url)).texts == (TEXT,)
    # 2.1 MP at most for a frame: a photo-sized PNG sent as a frame is refused.
    big = encoded(Image.new("L", (2000, 1500), 190))
    url = "data:image/png;base64," + base64.b64encode(big).decode()
    assert asyncio.run(decoding.read_frame(url)).error == imaging.IMAGE_TOO_LARGE
