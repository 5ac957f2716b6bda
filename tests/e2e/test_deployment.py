"""The reference deployment (deploy/) as a phone meets it (tests/e2e/deployment.py): Caddy from
Debian's package with `tls internal`, in front of the app in scaled mode (PostgreSQL, Redis,
two workers), under a name that is not localhost, in a Chromium that trusts Caddy's root the
way a phone does once it is installed: the page is a secure context for real, the service
worker registers, the fake camera films a permit, the officer gets VALID."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from lbt_app.http_headers import security_headers
from lbt_app.settings import PROJECT_ROOT
from tests.e2e.camera import qr_scene, write_y4m
from tests.e2e.conftest import MODES, PG_URL, REDIS_URL, _phone_page, sign_in_as_officer, verdict_of
from tests.e2e.deployment import SITE, Deployment, chromium_reaching, deployed, https_get
from tests.e2e.harness import AppFailed, fake_camera_args, no_redirects

pytestmark = pytest.mark.browser


def _plain_http(url: str, host: str | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with no_redirects.open(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}
    except urllib.error.HTTPError as answer:
        return answer.code, {k.lower(): v for k, v in answer.headers.items()}


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    if "scaled" not in MODES:
        pytest.skip(
            "the deployment runs scaled: needs LBT_TEST_DATABASE_URL and LBT_TEST_REDIS_URL"
        )
    try:
        with deployed(PG_URL, REDIS_URL) as deployment:
            yield deployment
    except AppFailed as failure:
        pytest.fail(str(failure))


@pytest.fixture
def phone(playwright, deployment, tmp_path):
    """A phone-sized Chromium that reaches lbt.test, trusts Caddy's root, and films a permit."""
    from tests.e2e.conftest import permit_field

    video = write_y4m(
        tmp_path / "permit.y4m",
        [(qr_scene(permit_field(deployment.app, "ABDURAHMONZODA", "payload")), 2.0)],
    )
    browser = playwright.chromium.launch(
        **chromium_reaching(deployment.proxy, *fake_camera_args(video))
    )
    page = _phone_page(browser, permissions=["camera"])
    yield page
    browser.close()


def test_the_officer_scans_valid_over_https_through_caddy(phone, deployment):
    sign_in_as_officer(phone, deployment.public)
    assert phone.url.startswith(f"https://{SITE}:")
    assert phone.evaluate("window.isSecureContext") is True
    scope = phone.evaluate("navigator.serviceWorker.ready.then(r => r.active ? r.scope : null)")
    assert scope == deployment.public.url + "/"
    phone.click("[data-testid=scan-start]")  # the camera opens only in a secure context
    phone.wait_for_selector("[data-testid=scanner]")
    assert verdict_of(phone) == ("VALID", "valid", "camera")
    assert phone.locator("[data-testid=holder-photo]").count() == 1
    # monitoring reads it on the app's own port, summed over both workers
    with urllib.request.urlopen(deployment.app.url + "/metrics", timeout=10) as answer:
        text = answer.read().decode()
    assert 'lbt_scans_total{outcome="VALID",source="camera"} 1.0' in text


def test_caddy_sends_the_apps_security_headers_on_every_answer(deployment):
    expected = {name.decode(): value.decode() for name, value in security_headers(https=True)}
    for path, status in (
        ("/", 200),
        ("/officer/", 200),
        ("/manifest.json", 200),
        ("/metrics", 404),
    ):
        got, headers, _ = https_get(deployment.proxy, path)
        assert got == status, path
        for name, value in expected.items():
            assert headers.get(name) == value, (path, name)
        assert "server" not in headers
    assert "max-age=31536000" in expected["strict-transport-security"]


@pytest.mark.parametrize(
    ("accept", "encoding"), [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip")]
)
def test_the_scanners_decoder_comes_through_caddy_compressed_and_kept(deployment, accept, encoding):
    built = PROJECT_ROOT / ".web" / "build" / "client" / "assets"
    path = "/assets/" + next(built.glob("zxing_reader-*.wasm")).name
    status, headers, body = https_get(deployment.proxy, path, {"Accept-Encoding": accept})
    assert status == 200
    assert headers["content-type"] == "application/wasm"
    assert headers["content-encoding"] == encoding
    assert len(body) <= 450_000  # 947 KB as it is
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    status, headers, _ = https_get(deployment.proxy, "/officer/", {"Accept-Encoding": accept})
    assert status == 200 and headers["cache-control"] == "no-cache"


def test_metrics_stay_off_the_public_site_and_health_is_on_it(deployment):
    assert https_get(deployment.proxy, "/metrics")[0] == 404
    status, _, body = https_get(deployment.proxy, "/api/health")
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_plain_http_goes_to_https(deployment):
    port = deployment.proxy.http_port
    status, headers = _plain_http(f"http://127.0.0.1:{port}/officer", host=f"{SITE}:{port}")
    location = urlsplit(headers["location"])  # Caddy 2.6 names no port: 443 in real life
    assert status in (301, 308)
    assert (location.scheme, location.hostname, location.path) == ("https", SITE, "/officer")
    # the app's own port: a page asked over plain HTTP is sent to the public HTTPS address
    status, headers = _plain_http(deployment.app.url + "/officer?lang=ru")
    assert status == 308
    assert headers["location"] == deployment.public.url + "/officer?lang=ru"
    assert "content-security-policy" in headers
    # the proxy's health checks and monitoring ask the app's own port, not a person
    assert _plain_http(deployment.app.url + "/ping")[0] == 200
