"""The reference deployment (deploy/) as a phone meets it: Caddy from Debian's package with
`tls internal`, in front of the app in scaled mode (PostgreSQL, Redis, two workers), under a
name that is not localhost. Chromium resolves `lbt.test` to this machine and trusts Caddy's
root certificate the way a phone does once it is installed (its certificate store, not
`--ignore-certificate-errors`), so the page is a secure context for real: the service worker
registers, the fake camera films a permit, the officer gets VALID."""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lbt_app.http_headers import security_headers
from lbt_app.settings import PROJECT_ROOT
from tests.e2e.camera import qr_scene, write_y4m
from tests.e2e.conftest import MODES, PG_URL, REDIS_URL, _phone_page, sign_in_as_officer, verdict_of
from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    AppFailed,
    Preparation,
    RunningApp,
    fake_camera_args,
    free_port,
    no_redirects,
    running_app,
)

pytestmark = pytest.mark.browser

CADDYFILE = PROJECT_ROOT / "deploy" / "caddy" / "Caddyfile"
DEBS = PROJECT_ROOT / ".tools" / "debs" / "usr" / "bin"  # scripts/bootstrap.py unpacks them
SITE = "lbt.test"


@dataclasses.dataclass(frozen=True)
class Deployment:
    app: RunningApp  # its url: the app's own port, plain HTTP
    public: RunningApp  # the same app as people reach it: https://lbt.test:PORT through Caddy
    http_port: int  # Caddy's plain-HTTP port
    root_cert: Path  # Caddy's own certificate authority
    home: Path  # a home folder whose NSS store trusts that root (Chromium on Linux reads it)


class _ToThisMachine(http.client.HTTPSConnection):
    """HTTPS to `lbt.test` on 127.0.0.1, the certificate checked against Caddy's root."""

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _https(
    deployment: Deployment, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    context = ssl.create_default_context(cafile=str(deployment.root_cert))
    port = int(deployment.public.url.rsplit(":", 1)[1])
    conn = _ToThisMachine(SITE, port, context=context, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def _plain_http(url: str, host: str | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with no_redirects.open(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}
    except urllib.error.HTTPError as answer:
        return answer.code, {k.lower(): v for k, v in answer.headers.items()}


def _start_caddy(tmp: Path, upstream: str, https_port: int, http_port: int) -> subprocess.Popen:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp),
        "XDG_DATA_HOME": str(tmp / "data"),  # its certificate authority and certificates
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "LBT_SITE": SITE,
        "LBT_TLS": "internal",
        "LBT_UPSTREAMS": upstream,
        "LBT_HTTPS_PORT": str(https_port),
        "LBT_HTTP_PORT": str(http_port),
        "LBT_CADDY_ADMIN": "off",
    }
    log = (tmp / "caddy.log").open("w")
    return subprocess.Popen(
        [str(DEBS / "caddy"), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _trusting_home(tmp: Path, root_cert: Path) -> Path:
    """A home folder whose NSS certificate store trusts `root_cert` for web sites."""
    home = tmp / "home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    certutil = str(DEBS / "certutil")
    subprocess.run([certutil, "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    subprocess.run(
        [certutil, "-A", "-d", f"sql:{nssdb}", "-t", "C,,", "-n", "lbt-caddy", "-i", root_cert],
        check=True,
    )
    return home


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    if "scaled" not in MODES:
        pytest.skip(
            "the deployment runs scaled: needs LBT_TEST_DATABASE_URL and LBT_TEST_REDIS_URL"
        )
    https_port, http_port = free_port(), free_port()
    public_url = f"https://{SITE}:{https_port}"
    prepare = Preparation(
        env=(("LBT_PUBLIC_URL", public_url), ("LBT_TRUSTED_PROXY_HOPS", "1")),
        schema="lbt_deploy",
    )
    tmp = Path(tempfile.mkdtemp(prefix="lbt-caddy-"))
    try:
        with running_app("scaled", PG_URL, REDIS_URL, prepare=prepare) as app:
            port = int(app.url.rsplit(":", 1)[1])
            caddy = _start_caddy(tmp, f"127.0.0.1:{port}", https_port, http_port)
            try:
                root = tmp / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
                deployment = Deployment(
                    app=app,
                    public=dataclasses.replace(app, url=public_url),
                    http_port=http_port,
                    root_cert=root,
                    home=tmp / "home",
                )
                _wait_for_caddy(caddy, deployment, tmp / "caddy.log")
                _trusting_home(tmp, root)
                yield deployment
            finally:
                caddy.terminate()
                caddy.wait(timeout=20)
    except AppFailed as failure:
        pytest.fail(str(failure))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_for_caddy(caddy: subprocess.Popen, deployment: Deployment, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if caddy.poll() is not None:
            raise AppFailed(f"caddy exited:\n{log.read_text()[-4000:]}")
        if deployment.root_cert.exists():
            try:
                if _https(deployment, "/ping")[0] == 200:
                    return
            except OSError:
                pass
        time.sleep(0.5)
    raise AppFailed(f"caddy did not answer in 60 s:\n{log.read_text()[-4000:]}")


@pytest.fixture
def phone(playwright, deployment, tmp_path):
    """A phone-sized Chromium that reaches lbt.test, trusts Caddy's root, and films a permit."""
    from tests.e2e.conftest import permit_field

    video = write_y4m(
        tmp_path / "permit.y4m",
        [(qr_scene(permit_field(deployment.app, "ABDURAHMONZODA", "payload")), 2.0)],
    )
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            f"--host-resolver-rules=MAP {SITE} 127.0.0.1",
            *fake_camera_args(video),
        ],
        env={**os.environ, "HOME": str(deployment.home)},
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
        got, headers, _ = _https(deployment, path)
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
    status, headers, body = _https(deployment, path, {"Accept-Encoding": accept})
    assert status == 200
    assert headers["content-type"] == "application/wasm"
    assert headers["content-encoding"] == encoding
    assert len(body) <= 450_000  # 947 KB as it is
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    status, headers, _ = _https(deployment, "/officer/", {"Accept-Encoding": accept})
    assert status == 200 and headers["cache-control"] == "no-cache"


def test_metrics_stay_off_the_public_site_and_health_is_on_it(deployment):
    assert _https(deployment, "/metrics")[0] == 404
    status, _, body = _https(deployment, "/api/health")
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_plain_http_goes_to_https(deployment):
    port = deployment.http_port
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
