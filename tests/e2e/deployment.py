"""The reference deployment (deploy/) on this machine: Caddy from Debian's package with
`tls internal` in front of an app, under a name that is not localhost (`lbt.test`). A Chromium
started with `chromium_reaching` resolves that name to this machine and trusts Caddy's root
certificate the way a phone does once it is installed (its certificate store, not
`--ignore-certificate-errors`), so the page is a secure context for real and speaks HTTP/2 as
a phone does with the real deployment.

`deployed` is the app as people reach it (scaled mode: PostgreSQL, Redis, two workers);
`caddy_in_front` puts the same Caddy in front of any app (bench_slow_link's blank Reflex app)."""

from __future__ import annotations

import dataclasses
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lbt_app.settings import PROJECT_ROOT
from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    AppFailed,
    Preparation,
    RunningApp,
    free_port,
    running_app,
)

CADDYFILE = PROJECT_ROOT / "deploy" / "caddy" / "Caddyfile"
DEBS = PROJECT_ROOT / ".tools" / "debs" / "usr" / "bin"  # scripts/bootstrap.py unpacks them
SITE = "lbt.test"


@dataclasses.dataclass(frozen=True)
class Proxy:
    url: str  # https://lbt.test:PORT
    http_port: int  # Caddy's plain-HTTP port
    root_cert: Path  # Caddy's own certificate authority
    home: Path  # a home folder whose NSS store trusts that root (Chromium on Linux reads it)


@dataclasses.dataclass(frozen=True)
class Deployment:
    app: RunningApp  # its url: the app's own port, plain HTTP
    public: RunningApp  # the same app as people reach it: https://lbt.test:PORT through Caddy
    proxy: Proxy


class _ToThisMachine(http.client.HTTPSConnection):
    """HTTPS to `lbt.test` on 127.0.0.1, the certificate checked against Caddy's root."""

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def https_get(
    proxy: Proxy, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """GET `path` through Caddy: status, headers (lower-case names), body."""
    context = ssl.create_default_context(cafile=str(proxy.root_cert))
    port = int(proxy.url.rsplit(":", 1)[1])
    conn = _ToThisMachine(SITE, port, context=context, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def chromium_reaching(proxy: Proxy | None, *args: str) -> dict:
    """Keywords for `chromium.launch`: the project's Chromium with its arguments and `args`,
    reaching `lbt.test` here and trusting the root of `proxy` (Caddy); with no proxy, as it is
    (the apps' own ports)."""
    launch = {"executable_path": CHROMIUM, "args": [*CHROMIUM_ARGS, *args]}
    if proxy is not None:
        launch["args"].append(f"--host-resolver-rules=MAP {SITE} 127.0.0.1")
        launch["env"] = {**os.environ, "HOME": str(proxy.home)}
    return launch


def _start_caddy(
    tmp: Path, upstream: str, https_port: int, http_port: int, caddyfile: Path
) -> subprocess.Popen:
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
        [str(DEBS / "caddy"), "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
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


def _wait_for_caddy(caddy: subprocess.Popen, proxy: Proxy, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if caddy.poll() is not None:
            raise AppFailed(f"caddy exited:\n{log.read_text()[-4000:]}")
        if proxy.root_cert.exists():
            try:
                if https_get(proxy, "/ping")[0] == 200:
                    return
            except OSError:
                pass
        time.sleep(0.5)
    raise AppFailed(f"caddy did not answer in 60 s:\n{log.read_text()[-4000:]}")


@contextmanager
def caddy_in_front(
    upstream: str, https_port: int | None = None, health_checks: bool = True
) -> Iterator[Proxy]:
    """Caddy with the deployment's Caddyfile in front of `upstream` (host:port), answering
    at https://lbt.test:`https_port` once the upstream answers /ping through it. Without
    `health_checks` for an app that has no /api/health (Caddy would take it for down)."""
    https_port = https_port or free_port()
    tmp = Path(tempfile.mkdtemp(prefix="lbt-caddy-"))
    caddyfile = CADDYFILE
    if not health_checks:
        caddyfile = tmp / "Caddyfile"
        lines = CADDYFILE.read_text().splitlines(keepends=True)
        caddyfile.write_text("".join(x for x in lines if not x.strip().startswith("health_")))
    proxy = Proxy(
        url=f"https://{SITE}:{https_port}",
        http_port=free_port(),
        root_cert=tmp / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt",
        home=tmp / "home",
    )
    try:
        caddy = _start_caddy(tmp, upstream, https_port, proxy.http_port, caddyfile)
        try:
            _wait_for_caddy(caddy, proxy, tmp / "caddy.log")
            _trusting_home(tmp, proxy.root_cert)
            yield proxy
        finally:
            caddy.terminate()
            caddy.wait(timeout=20)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def deployed(pg_url: str, redis_url: str) -> Iterator[Deployment]:
    """The app in scaled mode (own schema) behind Caddy, knowing its public HTTPS address."""
    https_port = free_port()
    public_url = f"https://{SITE}:{https_port}"
    prepare = Preparation(
        env=(("LBT_PUBLIC_URL", public_url), ("LBT_TRUSTED_PROXY_HOPS", "1")),
        schema="lbt_deploy",
    )
    with running_app("scaled", pg_url, redis_url, prepare=prepare) as app:
        upstream = "127.0.0.1:" + app.url.rsplit(":", 1)[1]
        with caddy_in_front(upstream, https_port) as proxy:
            yield Deployment(app, dataclasses.replace(app, url=public_url), proxy)
