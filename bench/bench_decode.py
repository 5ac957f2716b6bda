"""How well and how fast the server reads permit QR codes in camera frames.

Generates camera-like 1280×720 JPEG frames (bench/frames.py) in three
difficulty bands and prints, per band, the read rate and the p50/p95 time per
frame of:

* pipeline   lbt_app.core.imaging.decode_image on the JPEG bytes (JPEG decoding
             included);
* served     lbt_app.services.decoding.read_photo on the JPEG bytes: the same
             pipeline in a fresh, memory-capped process, as the server runs it
             (the process start included);
* zxing-cpp  read_with_zxing alone on the decoded grayscale frame;
* pyzbar     read_with_pyzbar alone on the decoded grayscale frame.

A read counts when the payload is among the texts read; any other text is a
misread, shown as "wrong". Prints figures, asserts nothing.

    .venv/bin/python bench/bench_decode.py [--frames 600] [--seed 0] [--jobs 1]

or from Python: `from bench.bench_decode import run; run(frames=60)`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the project root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.frames import BANDS, FRAME_SIZE, PAYLOAD_LENGTH, make_frame
from lbt_app.core import imaging
from lbt_app.services import decoding

READERS = ("pipeline", "served", "zxing-cpp", "pyzbar")


@dataclass(frozen=True)
class Attempt:
    """One reader on one frame."""

    band: str
    reader: str
    outcome: str  # "read", "wrong" or "none"
    seconds: float
    decoder: str | None = None


@dataclass
class Figures:
    """Totals for one band and reader."""

    frames: int = 0
    read: int = 0
    wrong: int = 0
    times: list[float] = field(default_factory=list)
    decoders: Counter[str] = field(default_factory=Counter)

    @property
    def read_rate(self) -> float:
        return self.read / self.frames if self.frames else 0.0

    def percentile_ms(self, share: float) -> float:
        if not self.times:
            return 0.0
        ordered = sorted(self.times)
        index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
        return ordered[index] * 1000


def _timed(reader: Callable[[], tuple[str, ...]]) -> tuple[tuple[str, ...], float]:
    start = time.perf_counter()
    texts = reader()
    return texts, time.perf_counter() - start


def _outcome(texts: tuple[str, ...], payload: str) -> str:
    if not texts:
        return "none"
    return "read" if payload in texts else "wrong"


def measure_frame(band: str, seed: int) -> list[Attempt]:
    """Generate one frame and run the three readers on it."""
    frame = make_frame(band, seed)
    start = time.perf_counter()
    result = imaging.decode_image(frame.jpeg)
    pipeline_seconds = time.perf_counter() - start
    served, served_seconds = _timed(lambda: asyncio.run(decoding.read_photo(frame.jpeg)).texts)

    gray = imaging.load_grayscale(frame.jpeg)
    assert not isinstance(gray, str), gray
    zxing_text, zxing_seconds = _timed(lambda: imaging.read_with_zxing(gray))
    pyzbar_text, pyzbar_seconds = _timed(lambda: imaging.read_with_pyzbar(gray))
    return [
        Attempt(
            band,
            "pipeline",
            _outcome(result.texts, frame.payload),
            pipeline_seconds,
            result.decoder,
        ),
        Attempt(band, "served", _outcome(served, frame.payload), served_seconds),
        Attempt(band, "zxing-cpp", _outcome(zxing_text, frame.payload), zxing_seconds),
        Attempt(band, "pyzbar", _outcome(pyzbar_text, frame.payload), pyzbar_seconds),
    ]


def _measure_job(job: tuple[str, int]) -> list[Attempt]:
    return measure_frame(*job)


def run(
    frames: int = 600,
    *,
    seed: int = 0,
    jobs: int = 1,
    bands: Sequence[str] = tuple(BANDS),
) -> dict[tuple[str, str], Figures]:
    """Measure `frames` frames spread over the bands; figures by (band, reader)."""
    work = [(bands[index % len(bands)], seed + index) for index in range(frames)]
    figures = {(band, reader): Figures() for band in bands for reader in READERS}
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            batches = list(pool.map(_measure_job, work, chunksize=4))
    else:
        batches = [_measure_job(job) for job in work]
    for attempts in batches:
        for attempt in attempts:
            totals = figures[(attempt.band, attempt.reader)]
            totals.frames += 1
            totals.read += attempt.outcome == "read"
            totals.wrong += attempt.outcome == "wrong"
            totals.times.append(attempt.seconds)
            if attempt.decoder is not None:
                totals.decoders[attempt.decoder] += 1
    return figures


def report(figures: dict[tuple[str, str], Figures]) -> str:
    """The figures as a plain-text table."""
    lines = [
        f"{'band':<8}{'reader':<11}{'frames':>7}{'read':>9}{'wrong':>7}{'p50 ms':>9}{'p95 ms':>9}"
        "  pipeline decoders"
    ]
    for (band, reader), totals in figures.items():
        decoders = ", ".join(f"{name} {count}" for name, count in sorted(totals.decoders.items()))
        lines.append(
            f"{band:<8}{reader:<11}{totals.frames:>7}{totals.read_rate:>9.1%}{totals.wrong:>7}"
            f"{totals.percentile_ms(0.5):>9.1f}{totals.percentile_ms(0.95):>9.1f}  {decoders}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600, help="frames in all (default 600)")
    parser.add_argument("--seed", type=int, default=0, help="first frame seed (default 0)")
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes (default 1: cleanest timings)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures = run(args.frames, seed=args.seed, jobs=args.jobs)
    elapsed = time.perf_counter() - started
    width, height = FRAME_SIZE
    print(
        f"QR decode bench: {args.frames} frames {width}x{height} JPEG, payload "
        f"{PAYLOAD_LENGTH} alphanumeric chars at EC M, zbar "
        f"{'available' if imaging.pyzbar is not None else 'missing'}, "
        f"{args.jobs} job(s), cpu count {os.cpu_count()}"
    )
    print(report(figures))
    print(f"total {elapsed:.1f} s (frame generation included)")


if __name__ == "__main__":
    main()
