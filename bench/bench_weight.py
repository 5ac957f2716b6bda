"""Cold-load weight of every page: the JS and CSS bytes a phone downloads to show it.

Starts the app as in production (embedded mode, fresh demo data, own port), signs in as each
role in a phone-sized Chromium with its HTTP cache disabled and service workers blocked, opens
each page and waits until it is hydrated and settled, then adds up, from the page's Resource
Timing, the bytes on the wire (`encodedBodySize`: compressed as sent) and unpacked
(`decodedBodySize`) of its scripts and stylesheets, and how much of the JS was asked for after
the first contentful paint (fetched lazily). Also names the chunks that carry recharts,
react-dropzone or a map of every lucide icon, and the pages that load them. Prints figures,
asserts nothing.

    .venv/bin/python bench/bench_weight.py
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from lbt_app import routes
from lbt_app.settings import PROJECT_ROOT
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, MOBILE, running_app

WALKS: list[tuple[str | None, list[str]]] = [
    (None, [routes.LOGIN]),
    ("officer1", [routes.OFFICER]),
    ("farhod", [routes.WALLET]),
    (
        "staff",
        [routes.AUTHORITY, routes.RESIDENTS, routes.APPLICATIONS, routes.OVERSIGHT, routes.ACCOUNT],
    ),
    ("admin", [routes.ADMIN, routes.ADMIN_AGREEMENTS, routes.ADMIN_KEYS]),
]

# Scripts and stylesheets of this load, each once, after the page has settled.
# Scripts asked for after the first contentful paint count as "later" (fetched lazily).
WEIGHT = """() => new Promise((done) => setTimeout(() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const painted = paint ? paint.startTime : Infinity;
  const seen = new Map();
  for (const e of performance.getEntriesByType('resource')) {
    const path = new URL(e.name).pathname;
    const kind = path.endsWith('.css') ? 'css' : (path.endsWith('.js') || path.endsWith('.jsx'))
      ? 'js' : null;
    if (kind) seen.set(path, [kind, e.encodedBodySize, e.decodedBodySize, e.startTime > painted]);
  }
  done([...seen.entries()]);
}, 1500))"""

# What a chunk holds, told by strings that survive minification.
MARKERS = {
    "recharts": "recharts-",
    "react-dropzone": "too-many-files",  # (the app sends "file-invalid-type" itself)
    "lucide icon map": "a-arrow-down",
}


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("[data-testid=hydrated]", state="attached")
    page.fill("#username", username)
    page.fill("#password", f"{username}-demo-2026")
    page.click("[data-testid=sign-in]")
    page.wait_for_function("() => location.pathname !== '/'")


def measure(url: str) -> list[tuple[str, dict[str, tuple[int, ...]], list[str]]]:
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for username, paths in WALKS:
            context = browser.new_context(
                viewport=MOBILE, is_mobile=True, has_touch=True, service_workers="block"
            )
            page = context.new_page()
            page.set_default_timeout(30_000)
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            if username:
                _sign_in(page, url, username)
            for path in paths:
                page.goto(url + path)
                page.wait_for_selector("[data-testid=hydrated]", state="attached")
                entries = page.evaluate(WEIGHT)
                totals = {"js": [0, 0, 0], "css": [0, 0, 0]}
                for _path, (kind, wire, unpacked, later) in entries:
                    totals[kind][0] += wire
                    totals[kind][1] += unpacked
                    totals[kind][2] += wire if later else 0
                files = [p for p, _ in entries]
                rows.append((path, {k: tuple(v) for k, v in totals.items()}, files))
            context.close()
        browser.close()
    return rows


def chunks_holding() -> dict[str, list[str]]:
    """Which built chunks carry each marked library (from the prod build in .web)."""
    folder = PROJECT_ROOT / ".web" / "build" / "client" / "assets"
    found: dict[str, list[str]] = {name: [] for name in MARKERS}
    for chunk in sorted(folder.glob("*.js")):
        text = chunk.read_text(errors="replace")
        for name, marker in MARKERS.items():
            if marker in text:
                found[name].append(f"{chunk.name} ({chunk.stat().st_size // 1024} KB)")
    return found


def main() -> None:
    with running_app() as app:
        rows = measure(app.url)
        holders = chunks_holding()
    kb = 1024
    print(
        f"{'page':<26}{'JS wire':>9}{'of it later':>13}{'JS raw':>9}{'CSS wire':>10}"
        f"{'CSS raw':>9}{'files':>7}"
    )
    for path, totals, files in rows:
        (jw, jr, jl), (cw, cr, _) = totals["js"], totals["css"]
        print(
            f"{path:<26}{jw / kb:>8.0f}K{jl / kb:>12.0f}K{jr / kb:>8.0f}K{cw / kb:>9.0f}K"
            f"{cr / kb:>8.0f}K{len(files):>7}"
        )
    print("\nchunks that carry:")
    for name, chunks in holders.items():
        print(f"  {name}: {', '.join(chunks) or 'none'}")
        for path, _totals, files in rows:
            loads = [f for f in files if any(f.endswith(c.split(" ")[0]) for c in chunks)]
            if loads:
                print(f"    loaded cold by {path}")


if __name__ == "__main__":
    main()
