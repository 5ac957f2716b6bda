"""The officer page on a slow link: a live page on a cold cache, and the scanner after the tap.

Starts the app as in production (embedded mode, fresh demo data, own port), signs in as officer1
in a phone-sized Chromium whose camera is Chromium's fake one (a looped still video), then
empties the browser's cache and turns on Chromium's network emulation (CDP
`Network.emulateNetworkConditions`: 400 kbps down and up, 400 ms round trip — a rural 3G cell)
and opens /officer again. From the page's own clock it reads:

* live: from the navigation to the officer page signed in, hydrated (its state came over the
  websocket) and showing "Scan a permit";
* the bytes that crossed the network until then (Resource Timing transfer sizes), and the
  largest of those files;
* after the page has been open `--open-seconds`, from the tap on "Scan a permit" to the scanner
  ready: the decoder loaded (the scanner says `data-mode=browser`) and the camera's frames
  playing in its video;
* the decoder's `.wasm` as it travelled: bytes on the wire, its Content-Encoding, and whether it
  had arrived before the tap;
* live again on a later visit (the next shift): /officer opened anew, the browser's cache kept.

With `--waterfall`, what run 1 fetched until live, from Chromium's own network events: each
request's start, first byte, end and bytes on the wire, then the event websocket's handshake and
frames (the page's state arrives in them).

Each run is followed by one of a blank Reflex app (`reflex init --template blank`, served the
same way: bench_pages.blank_app) on the same link, cold: from its first request to the frame
that says it is hydrated — what any Reflex 0.10 page costs on this link.

With `--deployed`, the page as officers reach it: the reference deployment
(tests/e2e/deployment.py: Caddy with HTTPS and HTTP/2 in front of the app in scaled mode,
PostgreSQL and Redis from LBT_TEST_DATABASE_URL and LBT_TEST_REDIS_URL), and the blank app
behind the same Caddy. Without it, both are asked directly on their own ports (HTTP/1.1).

The service worker is blocked: a first visit has none. Prints figures, asserts nothing.

    .venv/bin/python bench/bench_slow_link.py [--runs 3] [--open-seconds 30] [--waterfall]
        [--locale ru-RU] [--deployed]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from bench.bench_pages import blank_app
from tests.e2e.camera import empty_scene, write_y4m
from tests.e2e.conftest import sign_in_as_officer
from tests.e2e.deployment import SITE, Proxy, caddy_in_front, chromium_reaching, deployed
from tests.e2e.harness import (
    MOBILE,
    RunningApp,
    fake_camera_args,
    free_port,
    running_app,
)

KBPS = 400
SLOW_LINK = {
    "offline": False,
    "latency": 400,  # ms, added to every round trip
    "downloadThroughput": KBPS * 1000 / 8,  # bytes per second
    "uploadThroughput": KBPS * 1000 / 8,
}

# On the page's performance clock (0 = the navigation): live, the tap, the scanner ready.
PROBE = """
window.__live = null; window.__tap = null; window.__ready = null;
const watch = () => {
  if (__live === null && document.querySelector('[data-testid=hydrated]')
      && document.querySelector('[data-testid=scan-start]')) __live = performance.now();
  if (__tap !== null && __ready === null) {
    const scanner = document.querySelector('[data-testid=scanner]');
    const video = scanner && scanner.querySelector('video');
    if (scanner && scanner.dataset.mode === 'browser' && video && video.readyState >= 2
        && video.currentTime > 0) __ready = performance.now();
  }
  requestAnimationFrame(watch);
};
requestAnimationFrame(watch);
document.addEventListener('click', (e) => {
  if (__tap === null && e.target.closest('[data-testid=scan-start]')) __tap = performance.now();
}, true);
"""

RESOURCES = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const all = [nav, ...performance.getEntriesByType('resource')];
  const live = __live;
  return {
    live_bytes: all.filter(e => e.startTime <= live).reduce((n, e) => n + e.transferSize, 0),
    largest: all.filter(e => e.startTime <= live).sort((a, b) => b.transferSize - a.transferSize)
      .slice(0, 6).map(e => [new URL(e.name).pathname, e.transferSize]),
    wasm: performance.getEntriesByType('resource').filter(e => e.name.endsWith('.wasm'))
      .map(e => ({wire: e.encodedBodySize, size: e.decodedBodySize, end: e.responseEnd})),
  };
}"""


# The frame in which Reflex tells the page it is hydrated (its state has come).
HYDRATED = '"is_hydrated_rx_state_":true'


class Waterfall:
    """What crossed the network from the navigation on, from Chromium's own (CDP) events:
    each request's start, first byte, end and bytes on the wire, and the event websocket's
    handshake and frames (the state arrives in the frames)."""

    def __init__(self, cdp) -> None:
        self.requests: dict[str, dict] = {}
        self.socket: list[tuple[float, str, int]] = []  # (time, what, bytes)
        self.hydrated: float | None = None  # when Reflex's "hydrated" frame arrived
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on(
            "Network.webSocketWillSendHandshakeRequest",
            lambda e: self._frame(e, "socket handshake sent"),
        )
        cdp.on(
            "Network.webSocketHandshakeResponseReceived",
            lambda e: self._frame(e, "socket open"),
        )
        cdp.on("Network.webSocketFrameSent", lambda e: self._frame(e, "frame sent"))
        cdp.on("Network.webSocketFrameReceived", lambda e: self._frame(e, "frame received"))

    def _sent(self, e: dict) -> None:
        row = self.requests.setdefault(e["requestId"], {"start": e["timestamp"], "hops": 0})
        row["url"] = e["request"]["url"]
        row["hops"] += 1 if e.get("redirectResponse") else 0

    def _response(self, e: dict) -> None:
        if e["requestId"] in self.requests:
            self.requests[e["requestId"]]["first_byte"] = e["timestamp"]

    def _finished(self, e: dict) -> None:
        if e["requestId"] in self.requests:
            self.requests[e["requestId"]].update(end=e["timestamp"], wire=e["encodedDataLength"])

    def _frame(self, e: dict, what: str) -> None:
        payload = e.get("response", {}).get("payloadData", "")
        self.socket.append((e["timestamp"], f"{what} {payload[:24]!r}", len(payload)))
        if what == "frame received" and HYDRATED in payload and self.hydrated is None:
            self.hydrated = e["timestamp"]

    def until_hydrated(self) -> tuple[float, int]:
        """From the first request to the hydrated state (ms), and the bytes that crossed
        until then (`hydrated` must have come)."""
        assert self.hydrated is not None
        zero = min(r["start"] for r in self.requests.values())
        before = [r for r in self.requests.values() if r.get("end", 0) <= self.hydrated]
        return (self.hydrated - zero) * 1000, sum(r.get("wire", 0) for r in before)

    def lines(self, live_ms: float) -> list[str]:
        rows = sorted(self.requests.values(), key=lambda r: r["start"])
        if not rows:
            return []
        zero = rows[0]["start"]
        out = []
        for r in rows:
            start = (r["start"] - zero) * 1000
            if start > live_ms:
                continue
            path = r["url"].split("://", 1)[-1].split("/", 1)[-1][:60]
            first = (r.get("first_byte", r["start"]) - zero) * 1000
            end = (r.get("end", r["start"]) - zero) * 1000
            hops = f" ({r['hops']} redirect)" if r["hops"] else ""
            out.append(
                f"{start:7.0f} {first:7.0f} {end:7.0f} ms {r.get('wire', 0) / 1000:6.1f} KB"
                f"  /{path}{hops}"
            )
        for when, what, size in self.socket:
            at = (when - zero) * 1000
            if at <= live_ms + 100:
                out.append(f"{at:7.0f}                 {size / 1000:6.1f} KB  {what}")
        return out


@dataclass
class Run:
    live_ms: float
    live_bytes: int
    largest: list[tuple[str, int]]  # the largest transfers before live
    ready_ms: float
    wasm_wire: int
    wasm_size: int
    wasm_encoding: str
    wasm_before_tap: bool
    waterfall: list[str]  # what crossed the network until live
    warm_ms: float  # live again on a later visit, the browser's cache kept


def _one_run(
    app: RunningApp, video: Path, open_seconds: float, locale: str, proxy: Proxy | None
) -> Run:
    encodings: dict[str, str] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**chromium_reaching(proxy, *fake_camera_args(video)))
        context = browser.new_context(
            viewport=MOBILE,
            is_mobile=True,
            has_touch=True,
            locale=locale,
            permissions=["camera"],
            service_workers="block",
        )
        page = context.new_page()
        page.set_default_timeout(120_000)
        sign_in_as_officer(page, app)
        page.on(
            "response",
            lambda r: (
                r.url.endswith(".wasm")
                and encodings.setdefault(r.url, r.headers.get("content-encoding", "none"))
            ),
        )
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")
        cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
        waterfall = Waterfall(cdp)
        page.add_init_script(PROBE)
        page.goto(app.url + "/officer", wait_until="commit")
        page.wait_for_function("window.__live !== null", polling=100)
        page.wait_for_timeout(open_seconds * 1000)
        page.click("[data-testid=scan-start]")
        page.wait_for_function("window.__ready !== null", polling=100)
        live, tap, ready = page.evaluate("[__live, __tap, __ready]")
        resources = page.evaluate(RESOURCES)
        lines = waterfall.lines(live)
        # A later visit (the next shift): the same phone, its cache kept, on the same link.
        page.goto(app.url + "/officer", wait_until="commit")
        page.wait_for_function("window.__live !== null", polling=100)
        warm = page.evaluate("__live")
        browser.close()
    wasm = resources["wasm"][0] if resources["wasm"] else {"wire": 0, "size": 0, "end": tap}
    return Run(
        live_ms=live,
        live_bytes=resources["live_bytes"],
        largest=[tuple(x) for x in resources["largest"]],
        ready_ms=ready - tap,
        wasm_wire=wasm["wire"],
        wasm_size=wasm["size"],
        wasm_encoding=next(iter(encodings.values()), "-"),
        wasm_before_tap=wasm["end"] < tap,
        waterfall=lines,
        warm_ms=warm,
    )


def _blank_run(url: str, proxy: Proxy | None) -> tuple[float, int]:
    """The blank Reflex app's page on the same link, cold: until hydrated (ms), bytes."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**chromium_reaching(proxy))
        context = browser.new_context(
            viewport=MOBILE, is_mobile=True, has_touch=True, service_workers="block"
        )
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
        waterfall = Waterfall(cdp)
        page.goto(url + "/", wait_until="commit")
        deadline = time.monotonic() + 120
        while waterfall.hydrated is None and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        browser.close()
    return waterfall.until_hydrated()


def run(
    runs: int = 3,
    open_seconds: float = 30,
    locale: str = "en-US",
    deployed_with: tuple[str, str] | None = None,
) -> tuple[list[Run], list[tuple[float, int]]]:
    """The officer page's runs, and as many of the blank Reflex app's (bench_pages.blank_app,
    served the same way) measured in turn with them. `deployed_with`: the PostgreSQL and Redis
    URLs of the deployment, both apps then behind Caddy; else both on their own ports."""
    with ExitStack() as stack:
        officer_proxy = blank_proxy = None
        if deployed_with:
            deployment = stack.enter_context(deployed(*deployed_with))
            app, officer_proxy = deployment.public, deployment.proxy
            port = free_port()
            blank_url = stack.enter_context(blank_app(public_url=f"https://{SITE}:{port}"))
            blank_proxy = stack.enter_context(
                caddy_in_front(blank_url.split("//", 1)[1], port, health_checks=False)
            )
            blank_url = blank_proxy.url
        else:
            app = stack.enter_context(running_app("embedded"))
            blank_url = stack.enter_context(blank_app())
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        video = write_y4m(Path(tmp) / "desk.y4m", [(empty_scene(), 1.0)])
        officer, blank = [], []
        for _ in range(runs):
            officer.append(_one_run(app, video, open_seconds, locale, officer_proxy))
            blank.append(_blank_run(blank_url, blank_proxy))
        return officer, blank


def print_figures(
    results: list[Run],
    blank: list[tuple[float, int]],
    open_seconds: float = 30,
    waterfall: bool = False,
) -> None:
    link = SLOW_LINK["latency"]
    print(f"Chromium network emulation: {KBPS} kbps down and up, {link} ms RTT; cold cache")
    for i, (ms, sent) in enumerate(blank, 1):
        print(f"  blank Reflex app, run {i}: hydrated {ms / 1000:5.1f} s ({sent / 1000:4.0f} KB)")
    for i, r in enumerate(results, 1):
        print(
            f"  run {i}: live {r.live_ms / 1000:5.1f} s ({r.live_bytes / 1000:6.0f} KB), "
            f"{r.warm_ms / 1000:4.1f} s on a later visit   "
            f"tap → scanner ready {r.ready_ms / 1000:5.1f} s   "
            f"wasm {r.wasm_wire / 1000:4.0f} KB on the wire ({r.wasm_encoding}, "
            f"{r.wasm_size / 1000:.0f} KB decoded), "
            f"{'arrived before the tap' if r.wasm_before_tap else 'fetched after the tap'}"
        )
    largest = ", ".join(f"{path} {n / 1000:.0f} KB" for path, n in results[0].largest)
    print(f"  largest before live (run 1): {largest}")
    live = statistics.median(r.live_ms for r in results) / 1000
    ready = statistics.median(r.ready_ms for r in results) / 1000
    floor = statistics.median(ms for ms, _ in blank) / 1000
    print(
        f"median: live {live:.1f} s (goal ≤ 5 s; the blank Reflex app hydrated in {floor:.1f} s);"
    )
    warm = statistics.median(r.warm_ms for r in results) / 1000
    print(f"  live {warm:.1f} s on a later visit (the browser's cache kept);")
    print(f"  scanner ready {ready:.1f} s after the tap")
    print(f"  on a page open {open_seconds:.0f} s (goal ≤ 3 s)")
    if waterfall:
        print(f"waterfall of run 1 until live ({results[0].live_ms:.0f} ms):")
        print("  start   first     end    on the wire")
        for line in results[0].waterfall:
            print("  " + line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--open-seconds", type=float, default=30)
    parser.add_argument(
        "--locale", default="en-US", help="the phone's language, e.g. ru-RU (the page's)"
    )
    parser.add_argument(
        "--waterfall", action="store_true", help="print what run 1 fetched until live"
    )
    parser.add_argument(
        "--deployed", action="store_true", help="both apps behind Caddy (HTTPS, HTTP/2)"
    )
    args = parser.parse_args(argv)
    deployed_with = None
    if args.deployed:
        pg, redis = os.environ.get("LBT_TEST_DATABASE_URL"), os.environ.get("LBT_TEST_REDIS_URL")
        if not (pg and redis):
            parser.error("--deployed needs LBT_TEST_DATABASE_URL and LBT_TEST_REDIS_URL")
        deployed_with = (pg, redis)
    officer, blank = run(args.runs, args.open_seconds, args.locale, deployed_with)
    where = "through Caddy (HTTPS, HTTP/2)" if deployed_with else "on the apps' own ports"
    print(f"officer's phone in {args.locale}, {where}")
    print_figures(officer, blank, args.open_seconds, args.waterfall)


if __name__ == "__main__":
    main()
