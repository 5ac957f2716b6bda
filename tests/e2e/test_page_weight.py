"""bench/bench_pages.py in small: Lighthouse, in a Chromium driven over its debugging port,
measures the sign-in page on a cold cache, and its report gives every figure the bench prints.
The blank Reflex app the bench builds is not built here (a second frontend build)."""

from __future__ import annotations

import pytest

from bench import bench_pages
from lbt_app import routes

pytestmark = pytest.mark.browser


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
