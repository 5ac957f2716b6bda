"""Page weight and Lighthouse: every page of the app next to a blank Reflex app, in one run.

Starts the app as in production (embedded mode, fresh demo data, one port: tests/e2e/harness.py)
and a blank Reflex app generated from the installed Reflex (`reflex init --template blank`,
built and served the same way). One Chromium with a remote-debugging port and its own profile:
each role of the accessibility walk (tests/e2e/test_accessibility.py WALKS) signs in there, and
Lighthouse (mobile, the version scripts/bootstrap.py pins) measures each of its pages in that
profile (`--disable-storage-reset`), the HTTP cache cleared through CDP first so every load is
cold. The blank app is measured once before each role's pages, so both share the machine's
load; its row is the median of those runs (and `--runs N` walks N times: medians of N).

Per page: the performance score, layout shift (CLS), total blocking time, largest contentful
paint, and the bytes on the wire of the cold load (all, and JavaScript), with the difference
in score and the ratio of bytes to the blank app's. Then the officer's scanner: its decoder's
JavaScript and .wasm on the wire (fetched on the tap on "Scan a permit"; the page fetches them
when idle, so they are blocked in the officer page's Lighthouse run and counted apart). Prints
a table, asserts nothing.

    .venv/bin/python bench/bench_pages.py [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from lbt_app import routes
from scripts.bootstrap import LIGHTHOUSE, npm_package
from tests.e2e.conftest import hydrated
from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MOBILE,
    free_port,
    node_path,
    running_app,
    serving,
)
from tests.e2e.test_accessibility import SETTLED, WALKS, _sign_in_as

# Chromium's own fake camera, so the scanner opens as on a phone (its decoder loads either way).
CAMERA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
# Each role's pages, once each (the walk's extra views open something on a page already listed).
PAGES = [(who, list(dict.fromkeys(view.path for view in views))) for who, views in WALKS]


@dataclass(frozen=True)
class Measure:
    score: float  # Lighthouse performance, 0–100
    cls: float
    tbt_ms: float
    lcp_ms: float
    bytes_total: int  # on the wire, headers included
    bytes_js: int


def parse_report(report: dict) -> Measure:
    """The figures of one Lighthouse JSON report (a failed run raises: no score to show)."""
    if report.get("runtimeError") or report["categories"]["performance"]["score"] is None:
        raise RuntimeError(f"Lighthouse failed: {report.get('runtimeError')}")
    audits = report["audits"]
    kinds = {
        item["resourceType"]: item["transferSize"]
        for item in audits["resource-summary"]["details"]["items"]
    }
    return Measure(
        score=report["categories"]["performance"]["score"] * 100,
        cls=audits["cumulative-layout-shift"]["numericValue"],
        tbt_ms=audits["total-blocking-time"]["numericValue"],
        lcp_ms=audits["largest-contentful-paint"]["numericValue"],
        bytes_total=kinds["total"],
        bytes_js=kinds["script"],
    )


def median(runs: list[Measure]) -> Measure:
    fields = Measure.__dataclass_fields__
    return Measure(**{name: statistics.median(getattr(m, name) for m in runs) for name in fields})


@contextmanager
def blank_app(public_url: str = "") -> Iterator[str]:
    """A blank Reflex app from the installed Reflex, in production mode on one port: its URL.
    `public_url`: where browsers reach it (a proxy in front), which its pages connect to."""
    tmp = Path(tempfile.mkdtemp(prefix="lbt-blank-"))
    env = {
        **os.environ,
        "PATH": node_path(),
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        **({"REFLEX_API_URL": public_url} if public_url else {}),
    }
    reflex = str(Path(sys.executable).parent / "reflex")
    try:
        subprocess.run(
            [reflex, "init", "--template", "blank", "--name", "blank", "--no-agents"],
            cwd=tmp,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        with serving(tmp, env, port, tmp / "app.log"):
            yield f"http://localhost:{port}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def debugged_chromium() -> Iterator[int]:
    """Chromium with a throw-away profile, driven over its remote-debugging port (given)."""
    port = free_port()
    profile = Path(tempfile.mkdtemp(prefix="lbt-chromium-"))
    proc = subprocess.Popen(
        [
            CHROMIUM,
            *CHROMIUM_ARGS,
            *CAMERA_ARGS,
            f"--remote-debugging-port={port}",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Chromium did not open its debugging port") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


def lighthouse(port: int, url: str, held_back: Sequence[str] = ()) -> Measure:
    """One Lighthouse mobile performance run of `url` in the Chromium on `port`, as it is
    (its storage kept: signed in if the profile is); requests for the files named in
    `held_back` are blocked."""
    cli = npm_package(*LIGHTHOUSE) / "cli" / "index.js"
    path = node_path()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run(
            [
                shutil.which("node", path=path) or "node",
                str(cli),
                url,
                f"--port={port}",
                "--disable-storage-reset",
                "--only-categories=performance",
                "--output=json",
                f"--output-path={out}",
                "--quiet",
                *[f"--blocked-url-patterns=*/{name}" for name in held_back],
            ],
            env={**os.environ, "PATH": path},
            check=True,
        )
        report = json.loads(out.read_text())
    if report["finalDisplayedUrl"].rstrip("/") != url.rstrip("/"):
        raise RuntimeError(f"Lighthouse measured {report['finalDisplayedUrl']}, not {url}")
    return parse_report(report)


class Profile:
    """The Chromium on `port` seen through Playwright: its one profile, the cache, sign-ins."""

    def __init__(self, pw, port: int) -> None:
        self.browser = pw.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        self.context = self.browser.contexts[0]
        self.control = self.context.new_cdp_session(self.context.pages[0])

    def cold(self) -> None:
        self.control.send("Network.clearBrowserCache")

    def sign_in(self, app, who: str | None) -> None:
        """Nobody signed in at the app's origin, then `who` (None: stays signed out)."""
        page = self.context.new_page()
        page.set_default_timeout(30_000)
        try:
            page.goto(app.url + "/ping")  # the origin, without a page that reads the storage
            page.evaluate("localStorage.clear()")
            if who is not None:
                _sign_in_as(page, app, who, "en")
        finally:
            page.close()

    def measure(self, port: int, url: str, held_back: Sequence[str] = ()) -> Measure:
        self.cold()
        return lighthouse(port, url, held_back)


def scanner_bytes(profile: Profile, app) -> dict[str, int]:
    """On the wire after the officer's cold, settled page: what the tap on "Scan a permit"
    fetches until its .wasm has arrived, by file name (the officer is signed in). The page's
    own fetch of the decoder when idle is held back (no idle callbacks), so the tap fetches
    it: the same files, counted apart from the page's load."""
    page = profile.context.new_page()
    page.set_viewport_size(MOBILE)
    page.set_default_timeout(30_000)
    page.add_init_script("window.requestIdleCallback = () => 0;")
    cdp = profile.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    urls: dict[str, str] = {}
    finished: list[tuple[str, int]] = []
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: finished.append((e["requestId"], int(e["encodedDataLength"]))),
    )
    try:
        page.goto(app.url + routes.OFFICER)
        hydrated(page)
        page.evaluate(SETTLED)
        before = len(finished)
        page.click("[data-testid=scan-start]")
        deadline = time.monotonic() + 60
        while not any(".wasm" in urls[r]["url"] for r, _ in finished[before:] if r in urls):
            if time.monotonic() > deadline:
                raise RuntimeError("the scanner's .wasm did not arrive within 60 s of the tap")
            page.wait_for_timeout(100)
        page.wait_for_timeout(1000)
        fetched: dict[str, int] = {}
        for request, size in finished[before:]:
            if request in urls and not urls[request]["url"].startswith("data:"):
                name = urls[request]["url"].split("?")[0].rsplit("/", 1)[-1]
                fetched[name] = fetched.get(name, 0) + size
        return fetched
    finally:
        page.close()


def kb(n: float) -> str:
    return f"{n / 1024:,.0f}"


def print_table(blank: list[Measure], pages: list[tuple[str, str, Measure]]) -> None:
    base = median(blank)
    scores = sorted(m.score for m in blank)
    print(
        f"{'page':<24} {'as':<13} {'score':>5} {'Δ':>4} {'CLS':>5} {'TBT ms':>6} {'LCP ms':>6} "
        f"{'KB':>5} {'×':>5} {'JS KB':>5} {'×':>5}"
    )
    print(
        f"{'blank Reflex app':<24} {f'{len(blank)} runs':<13} {base.score:>5.0f} {'':>4} "
        f"{base.cls:>5.2f} {base.tbt_ms:>6.0f} {base.lcp_ms:>6.0f} {kb(base.bytes_total):>5} "
        f"{'':>5} {kb(base.bytes_js):>5} {'':>5}   (score {scores[0]:.0f}–{scores[-1]:.0f})"
    )
    for path, who, m in pages:
        print(
            f"{path:<24} {who:<13} {m.score:>5.0f} {m.score - base.score:>+4.0f} {m.cls:>5.2f} "
            f"{m.tbt_ms:>6.0f} {m.lcp_ms:>6.0f} {kb(m.bytes_total):>5} "
            f"{m.bytes_total / base.bytes_total:>5.2f} {kb(m.bytes_js):>5} "
            f"{m.bytes_js / base.bytes_js:>5.2f}"
        )


def print_scanner(fetched: dict[str, int]) -> None:
    wasm = sum(size for name, size in fetched.items() if name.endswith(".wasm"))
    js = sum(size for name, size in fetched.items() if name.endswith(".js"))
    print(
        f"\nscanner's decoder, fetched on the tap on 'Scan a permit', on the wire: .wasm "
        f"{kb(wasm)} KB, JavaScript {kb(js)} KB; all {kb(sum(fetched.values()))} KB "
        f"in {len(fetched)} files"
    )
    for name, size in sorted(fetched.items(), key=lambda item: -item[1]):
        print(f"  {kb(size):>6} KB  {name}")


def run(runs: int = 1) -> None:
    """The walk `runs` times over (each page's figures: the median of its runs)."""
    npm_package(*LIGHTHOUSE)
    started = time.monotonic()
    with (
        running_app() as app,
        blank_app() as blank_url,
        debugged_chromium() as port,
        sync_playwright() as pw,
    ):
        print(f"apps built and serving in {time.monotonic() - started:.0f} s")
        profile = Profile(pw, port)
        blank: list[Measure] = []
        pages: dict[tuple[str, str], list[Measure]] = {}
        fetched: dict[str, int] = {}
        for _ in range(runs):
            for who, paths in PAGES:
                blank.append(profile.measure(port, blank_url + "/"))
                profile.sign_in(app, who)
                if routes.OFFICER in paths and not fetched:
                    fetched = scanner_bytes(profile, app)
                for path in paths:
                    # the decoder the officer page fetches when idle is counted apart
                    decoder = list(fetched) if path == routes.OFFICER else []
                    measured = profile.measure(port, app.url + path, decoder)
                    pages.setdefault((path, who or "signed out"), []).append(measured)
        print(f"measured in {time.monotonic() - started:.0f} s\n")
        print_table(blank, [(path, who, median(m)) for (path, who), m in pages.items()])
        print_scanner(fetched)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="walks; each figure their median")
    run(parser.parse_args().runs)
