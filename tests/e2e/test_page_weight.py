"""bench/bench_pages.py in small: Lighthouse, in a Chromium driven over its debugging port,
measures the sign-in page on a cold cache, and its report gives every figure the bench prints.
The blank Reflex app the bench builds is not built here (a second frontend build).

Also what a cold page waits for (lbt_app/frontend_build.py): the stylesheet, with only the
colour scales of Radix Themes the app uses and none of its classes per screen width; the
officer page's scripts, in a few files, with none of the Radix components no page uses, no
tooltip, no dropzone and not the whole English table (states/session.py `tr`)."""

from __future__ import annotations

import re
import urllib.request

import pytest

from bench import bench_pages
from lbt_app import routes
from lbt_app.frontend_build import COLOUR_SCALES
from lbt_app.i18n import t
from lbt_app.states.session import LANG_KEY
from tests.e2e.conftest import hydrated, sign_in_as_officer, wait_until

pytestmark = pytest.mark.browser

# Brotli bytes of the stylesheets a cold page loads: 27.5 KB measured with Radix's stylesheet in
# parts and without its classes per screen width; 37.5 KB with them, 52.7 KB with its all-in-one
# stylesheet (every colour scale).
CSS_WIRE_BYTES = 30_000
# Radix's classes for a prop given per screen width (under `@media (min-width: 1024px)`, ...).
PER_WIDTH_CLASS = re.compile(r"\.(xs|sm|md|lg|xl)\\:")
# Script files the officer page fetches cold: 28 with modules grouped by the pages that use them,
# 37 with Rolldown's own chunks (each one more round trip on a slow link).
OFFICER_SCRIPT_FILES = 30
# Radix Themes components no page uses, by the class each gives its root element: with all of
# Radix Themes kept for run-time components, every page fetched them (38 KB brotli).
UNUSED_RADIX = ("rt-SelectTrigger", "rt-ContextMenuContent", "rt-SliderTrack", "rt-TabsList")
# Radix's tooltip, which <Theme> brought to every page with the positioning code under it.
TOOLTIP = '"TooltipProvider"'
# Words only the administrators' pages use: with the whole English table in every page's
# initial state, every page carried them (42 KB, 10 KB brotli).
ADMIN_ONLY_WORDS = "This is the last active administrator"
# react-dropzone (its error codes) and file-selector (its table of MIME types), which rx.upload
# brings: 13 KB brotli the photo button needs none of (lbt_app/components/files.py).
DROPZONE = ("too-many-files", "application/x-moz-file", "vnd.lotus-1-2-3")
# sonner, the messages (toasts): fetched once the page is idle, not with the page's scripts.
SONNER = "data-sonner-toaster"
# When the page marked itself loaded (lbt_app/components/layout.py Document), in its own clock.
LOADED_AT = """new MutationObserver((_, watch) => {
  if (document.documentElement && "loaded" in document.documentElement.dataset) {
    window.__loadedAt = performance.now();
    watch.disconnect();
  }
}).observe(document, { attributes: true, attributeFilter: ["data-loaded"], subtree: true });"""


def test_lighthouse_measures_a_cold_page(playwright, app):
    if "LBT_REDIS_URL" in app.env:
        pytest.skip("the same page as the embedded app's: measured there")
    with bench_pages.debugged_chromium() as port:
        profile = bench_pages.Profile(playwright, port)
        profile.sign_in(app, None)
        first = bench_pages.lighthouse(port, app.url + routes.LOGIN)  # a new profile: cold
        cold = profile.measure(port, app.url + routes.LOGIN)  # after the first filled the cache
    print(f"\nsign-in page: first {first}\nmeasured {cold}")
    assert 0 <= cold.score <= 100
    assert cold.cls >= 0 and cold.tbt_ms >= 0 and cold.lcp_ms > 0
    assert 0 < cold.bytes_js < cold.bytes_total
    # the bench emptied the cache the first run filled: the scripts travelled again
    assert cold.bytes_js > first.bytes_js * 0.9


def test_the_first_paint_waits_for_only_the_colour_scales_the_app_uses(page, app):
    served: list[str] = []
    page.on("response", lambda r: r.url.endswith(".css") and served.append(r.text()))
    page.goto(app.url + routes.LOGIN)
    hydrated(page)
    css = "".join(served)
    for scale in COLOUR_SCALES:
        assert f"--{scale}-9:" in css, scale
    for unused in ("tomato", "violet", "indigo", "slate", "sand"):
        assert f"--{unused}-9:" not in css, unused
    assert ".rt-Button" in css and not PER_WIDTH_CLASS.search(css)
    wire = page.evaluate(
        """() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.css'))
            .reduce((n, e) => n + e.encodedBodySize, 0)"""
    )
    assert 0 < wire <= CSS_WIRE_BYTES


def test_the_officer_page_fetches_its_scripts_in_few_files_and_no_unused_component(page, app):
    sign_in_as_officer(page, app)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.goto(app.url + routes.OFFICER)
    hydrated(page)
    files = page.evaluate(
        """() => [...new Set(performance.getEntriesByType('resource').map((e) => e.name)
            .filter((name) => name.endsWith('.js')))]"""
    )
    print(f"\nofficer page: {len(files)} script files")
    assert 0 < len(files) <= OFFICER_SCRIPT_FILES
    scripts = "".join(urllib.request.urlopen(url, timeout=10).read().decode() for url in files)
    assert "rt-SegmentedControlRoot" in scripts  # the lane switch: Radix components do come
    for unused in (*UNUSED_RADIX, TOOLTIP, ADMIN_ONLY_WORDS, *DROPZONE):
        assert unused not in scripts, unused


def test_a_message_sent_before_the_toaster_came_shows_once_it_comes(page, app):
    """sonner (the messages) is fetched once the page is idle (assets/toaster.js): held back
    here, a message waits for it and then shows."""
    held = []

    def hold_the_toaster(route):
        response = route.fetch()
        if SONNER in response.text():
            held.append((route, response))
        else:
            route.fulfill(response=response)

    page.route("**/*.js", hold_the_toaster)
    page.add_init_script(LOADED_AT)
    sign_in_as_officer(page, app)
    assert wait_until(page, lambda: held)  # asked for, once the page had loaded
    page.click("[data-testid=manual-check]")  # no number typed: a message
    page.wait_for_timeout(1_000)
    assert page.locator("[data-sonner-toast]").count() == 0
    route, response = held[0]
    route.fulfill(response=response)
    page.locator("[data-sonner-toast]", has_text="Type the permit number.").wait_for()
    asked = page.evaluate(
        "(url) => performance.getEntriesByName(url)[0].startTime", route.request.url
    )
    assert asked >= page.evaluate("window.__loadedAt")  # not beside the page's state and words


def test_a_page_comes_with_its_title_description_and_header_in_words(app):
    """Before its state comes, a page's HTML still has its words: the few the first paint
    shows are all that the scripts' initial state keeps of the English table."""
    with urllib.request.urlopen(app.url + routes.OFFICER, timeout=10) as answer:
        html = answer.read().decode()
    assert "<title>Border officer</title>" in html
    assert f'<meta content="{routes.DESCRIPTION}" name="description"/>' in html
    assert f">{routes.BRAND}</" in html  # the header's brand
    assert '<link href="data:image/png;base64,' in html  # the tab's icon: no request of its own


def test_the_words_come_as_a_cached_file_not_in_the_state(page, app):
    """The pages' words in Russian, Tajik or Kyrgyz travelled in every tab's state, over the
    websocket, uncompressed: 61 KB on each cold load. Now a file per language, named after its
    content, compressed and kept a year (assets/words.js)."""
    scan = t("Scan a permit", "ru")
    sign_in_as_officer(page, app)
    page.select_option("[data-testid=language]", "ru")
    page.wait_for_selector(f"[data-testid=scan-start]:has-text('{scan}')")
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: received.append(len(f))))
    answers = []
    page.on("response", lambda r: "/assets/words-" in r.url and answers.append(r))
    page.reload()
    hydrated(page)
    assert page.inner_text("[data-testid=scan-start]") == scan
    assert sum(received) < 10_000, received  # the state, without the words (61 KB with them)
    words = [a for a in answers if "/assets/words-ru-" in a.url]
    assert len(words) == 1, [a.url for a in answers]  # the head's ask, taken by assets/words.js
    headers = words[0].all_headers()
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers.get("content-encoding") == "br" or words[0].from_service_worker


def _words_asked_without_scripts(page, url: str) -> str:
    page.route("**/assets/*.js", lambda route: route.abort())
    with page.expect_request(lambda r: "/assets/words-" in r.url, timeout=10_000) as asked:
        page.goto(url)
    return asked.value.url


def test_the_likely_words_are_asked_for_before_any_script_has_come(browser, page, app):
    """The words were asked for by the scripts once they had run: on a slow link they came
    0.4 s (English) to 0.7 s (Russian) after the scripts, and the page waited. The page's head
    asks for them at once (layout.early_words): here no script comes at all, and the words of
    the language chosen on this phone (Kyrgyz, on an English phone) are still asked for; on a
    phone in a language the app does not speak, English, as the server picks."""
    page.goto(app.url + routes.LOGIN)
    hydrated(page)
    page.evaluate(f"localStorage.setItem({LANG_KEY!r}, 'ky')")
    assert "/assets/words-ky-" in _words_asked_without_scripts(page, app.url + routes.LOGIN)
    farsi = browser.new_context(locale="fa-IR")
    try:
        url = _words_asked_without_scripts(farsi.new_page(), app.url + routes.LOGIN)
        assert "/assets/words-en-" in url
    finally:
        farsi.close()
