"""Scan-to-verdict in Chromium with the fake camera, and the bytes each scan costs.

Starts the app as in production (embedded mode, fresh demo data, own port), makes a looped
video in which the demo permits' QR codes appear one after another (a moment of empty desk,
then the code), signs in as officer1 in a phone-sized Chromium whose camera plays that video,
and scans again and again. Per scan it reads, from the page's own clock:

* scan-to-verdict: from the video frame in which the browser read the QR (User Timing mark
  "lbt:qr-read", set by the scanner on the frame it decoded) to the first paint with the
  verdict on screen (a MutationObserver, then requestAnimationFrame);
* bytes sent and received on the websocket between the tap on "Scan a permit" / "Scan next"
  and the verdict (and, on the fallback path, the frames sent and their size).

The time from the tap to the verdict is not reported: it is set by the video (the next code
appears up to 2 s later), not by the app.

The same is done with the WebAssembly decoder blocked (frames go to the server: measured from
the frame that was sent, "lbt:frame-sent"), and, as the baseline in the same process, for the
typed permit number (tap on "Check" to the verdict painted): the server's check and the page
update without any camera. Prints figures, asserts nothing.

    .venv/bin/python bench/bench_scan.py [--scans 40] [--fallback-scans 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from tests.e2e.camera import empty_scene, qr_scene, write_y4m
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, MOBILE, fake_camera_args, running_app

DESK_SECONDS = 0.8
CODE_SECONDS = 1.2

# Times of taps and of verdict paints, on the page's performance clock.
PROBE = """
window.__taps = []; window.__verdicts = [];
const TAPPED = ['scan-start', 'scan-next', 'manual-check'].map(t => `[data-testid=${t}]`).join();
document.addEventListener('click', (e) => {
  if (e.target.closest(TAPPED)) __taps.push(performance.now());
}, true);
const seen = new WeakSet();
new MutationObserver(() => {
  const el = document.querySelector('[data-testid=verdict]');
  if (el && el.dataset.verdict && !seen.has(el)) {
    seen.add(el);
    requestAnimationFrame(() => __verdicts.push(performance.now()));
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


@dataclass
class Series:
    name: str
    from_frame: list[float] = field(default_factory=list)
    from_tap: list[float] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    received: list[int] = field(default_factory=list)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _payloads(database_url: str) -> list[tuple[str, str]]:
    from lbt_app.db.engine import engine_for

    with engine_for(database_url).connect() as conn:
        rows = conn.execute(sa.text("SELECT number, payload FROM permit ORDER BY id")).all()
    return [(n, p) for n, p in rows]


def _frames(page, nbytes: list[tuple[str, int]]) -> None:
    def on_socket(ws) -> None:
        ws.on(
            "framesent",
            lambda p: nbytes.append(("sent", len(p if isinstance(p, bytes) else p.encode()))),
        )
        ws.on(
            "framereceived",
            lambda p: nbytes.append(("received", len(p if isinstance(p, bytes) else p.encode()))),
        )

    page.on("websocket", on_socket)


def _sign_in(page, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("[data-testid=hydrated]", state="attached")
    page.fill("#username", "officer1")
    page.fill("#password", "officer1-demo-2026")
    page.click("[data-testid=sign-in]")
    page.wait_for_url("**/officer")
    page.wait_for_selector("[data-testid=hydrated]", state="attached")


def _scan_series(browser_args, url: str, name: str, scans: int, mark: str, block_wasm: bool):
    series = Series(name)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=browser_args)
        context = browser.new_context(
            viewport=MOBILE, is_mobile=True, has_touch=True, permissions=["camera"]
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        if block_wasm:
            page.route("**/*.wasm", lambda route: route.abort())
        page.add_init_script(PROBE)
        nbytes: list[tuple[str, int]] = []
        _frames(page, nbytes)
        _sign_in(page, url)
        button = "[data-testid=scan-start]"
        for i in range(scans):
            start = len(nbytes)
            page.click(button)
            page.wait_for_function(f"window.__verdicts.length > {i}")
            verdict, tap, marks = page.evaluate(
                f"""() => [__verdicts.at(-1), __taps.at(-1),
                   performance.getEntriesByName({mark!r}).map(m => m.startTime)]"""
            )
            marks = [t for t in marks if tap <= t <= verdict]
            series.from_frame.append(verdict - marks[-1])
            series.frames.append(len(marks))
            chunk = nbytes[start:]
            series.sent.append(sum(n for kind, n in chunk if kind == "sent"))
            series.received.append(sum(n for kind, n in chunk if kind == "received"))
            button = "[data-testid=scan-next]"
        browser.close()
    return series


def _typed_series(url: str, numbers: list[str], scans: int) -> Series:
    series = Series("typed number (baseline)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=MOBILE, is_mobile=True, has_touch=True).new_page()
        page.add_init_script(PROBE)
        nbytes: list[tuple[str, int]] = []
        _frames(page, nbytes)
        _sign_in(page, url)
        for i in range(scans):
            page.fill("[data-testid=manual-number]", numbers[i % len(numbers)])
            start = len(nbytes)
            page.click("[data-testid=manual-check]")
            page.wait_for_function(f"window.__verdicts.length > {i}")
            verdict, tap = page.evaluate("() => [__verdicts.at(-1), __taps.at(-1)]")
            series.from_tap.append(verdict - tap)
            chunk = nbytes[start:]
            series.sent.append(sum(n for kind, n in chunk if kind == "sent"))
            series.received.append(sum(n for kind, n in chunk if kind == "received"))
            page.click("[data-testid=verdict-close]")
            page.wait_for_selector("[data-testid=verdict]", state="detached")
        browser.close()
    return series


def _line(label: str, values: list[float], unit: str = "ms") -> str:
    if not values:
        return f"  {label:<34} -"
    return (
        f"  {label:<34} p50 {_pct(values, 0.5):8.0f} {unit}   p95 {_pct(values, 0.95):8.0f} {unit}"
        f"   max {max(values):8.0f} {unit}   (n={len(values)})"
    )


def run(scans: int = 40, fallback_scans: int = 10) -> dict[str, Series]:
    with running_app("embedded") as app, tempfile.TemporaryDirectory() as tmp:
        permits = _payloads(app.database_url)
        segments = []
        for _, payload in permits:
            segments += [(empty_scene(), DESK_SECONDS), (qr_scene(payload), CODE_SECONDS)]
        video = write_y4m(Path(tmp) / "permits.y4m", segments)
        camera = CHROMIUM_ARGS + fake_camera_args(video)
        results = {
            "browser": _scan_series(
                camera, app.url, "in-browser decoding", scans, "lbt:qr-read", False
            ),
            "fallback": _scan_series(
                camera, app.url, "server frame fallback", fallback_scans, "lbt:frame-sent", True
            ),
            "typed": _typed_series(app.url, [n for n, _ in permits], scans),
        }
    return results


def print_figures(results: dict[str, Series]) -> None:
    browser, fallback, typed = results["browser"], results["fallback"], results["typed"]
    print(f"video: {DESK_SECONDS}s desk then {CODE_SECONDS}s QR per permit, 640x480, looped")
    print(browser.name)
    print(_line("scan-to-verdict (read frame → paint)", browser.from_frame))
    print(_line("bytes sent per scan", browser.sent, "B"))
    print(_line("bytes received per scan (photo)", browser.received, "B"))
    print(fallback.name)
    print(_line("sent-frame-to-verdict", fallback.from_frame))
    print(_line("frames sent per scan", fallback.frames, " "))
    per_frame = [b / n for b, n in zip(fallback.sent, fallback.frames, strict=True) if n]
    print(_line("bytes sent per frame (≈)", per_frame, "B"))
    print(_line("bytes sent per scan", fallback.sent, "B"))
    print(typed.name)
    print(_line("tap-to-verdict", typed.from_tap))
    print(_line("bytes sent per check", typed.sent, "B"))
    ratio = statistics.median(browser.from_frame) / statistics.median(typed.from_tap)
    print(f"ratio p50 scan-to-verdict / typed-number round trip: {ratio:.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=40)
    parser.add_argument("--fallback-scans", type=int, default=10)
    args = parser.parse_args(argv)
    print_figures(run(args.scans, args.fallback_scans))


if __name__ == "__main__":
    main()
