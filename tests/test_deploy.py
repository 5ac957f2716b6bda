"""The reference deployment's files (deploy/) as their own programs read them: Caddy adapts
the Caddyfile (Debian's caddy, unpacked by the test set-up), systemd checks the units. What
runs behind them is tests/e2e/test_deployment.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from lbt_app.http_headers import security_headers
from lbt_app.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
CADDY = PROJECT_ROOT / ".tools" / "debs" / "usr" / "bin" / "caddy"


def _adapted(**env: str) -> dict:
    """The Caddyfile as Caddy's JSON config, with `env` as the operator's caddy.env."""
    assert CADDY.exists(), "Debian's caddy is missing: run `make setup-test`"
    done = subprocess.run(
        [str(CADDY), "adapt", "--config", str(DEPLOY / "caddy" / "Caddyfile")],
        env={"PATH": os.environ["PATH"], "HOME": "/nonexistent", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _site_handlers(config: dict) -> list[dict]:
    (server,) = config["apps"]["http"]["servers"].values()
    (route,) = server["routes"]
    return [h for sub in route["handle"][0]["routes"] for h in sub["handle"]] + [
        {"match": sub.get("match")} for sub in route["handle"][0]["routes"]
    ]


def test_caddy_sends_exactly_the_apps_security_headers():
    handlers = _site_handlers(_adapted(LBT_SITE="lbt.example.tj"))
    (headers,) = [h for h in handlers if h.get("handler") == "headers"]
    assert headers["response"]["deferred"] is True  # over the app's copies, not beside them
    sent = {k.lower(): v for k, (v,) in headers["response"]["set"].items()}
    assert sent == {k.decode(): v.decode() for k, v in security_headers(https=True)}
    assert headers["response"]["delete"] == ["Server"]


def test_caddy_balances_over_the_app_hosts_and_checks_their_health():
    config = _adapted(LBT_SITE="lbt.example.tj", LBT_UPSTREAMS="10.0.0.11:3000 10.0.0.12:3000")
    (proxy,) = [h for h in _site_handlers(config) if h.get("handler") == "reverse_proxy"]
    assert [u["dial"] for u in proxy["upstreams"]] == ["10.0.0.11:3000", "10.0.0.12:3000"]
    assert proxy["load_balancing"]["selection_policy"]["policy"] == "least_conn"
    assert proxy["health_checks"]["active"]["uri"] == "/api/health"
    default = _adapted(LBT_SITE="lbt.example.tj")
    (one,) = [h for h in _site_handlers(default) if h.get("handler") == "reverse_proxy"]
    assert [u["dial"] for u in one["upstreams"]] == ["127.0.0.1:3000"]


def test_metrics_are_answered_404_by_caddy_itself():
    handlers = _site_handlers(_adapted(LBT_SITE="lbt.example.tj"))
    assert {"match": [{"path": ["/metrics", "/metrics/*"]}]} in handlers
    assert {"handler": "static_response", "status_code": 404} in handlers


def test_certificates_internal_by_default_or_from_acme_with_an_email():
    internal = _adapted(LBT_SITE="lbt.example.tj")["apps"]["tls"]["automation"]["policies"]
    assert internal[0]["issuers"] == [{"module": "internal"}]
    acme = _adapted(LBT_SITE="lbt.example.tj", LBT_TLS="it@authority.example")
    issuers = acme["apps"]["tls"]["automation"]["policies"][0]["issuers"]
    assert {i["module"] for i in issuers} >= {"acme"}
    assert all(i.get("email") == "it@authority.example" for i in issuers)
    assert acme["apps"]["http"]["https_port"] == 443


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_units_are_valid():
    folder = DEPLOY / "systemd"
    units = sorted(str(p) for p in folder.iterdir() if p.suffix in {".service", ".timer"})
    assert {os.path.basename(u) for u in units} == {
        "lbt.service",
        "lbt-backup.service",
        "lbt-backup.timer",
    }
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True
    )
    # Only what this machine lacks may be reported: the installation under /opt/lbt.
    problems = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and "/opt/lbt/" not in line and "is not executable" not in line
    ]
    assert problems == []


@pytest.mark.skipif(os.geteuid() != 0, reason="deploy/lbt-run is run by root (runuser)")
def test_lbt_run_runs_a_command_with_the_service_settings_and_key(tmp_path):
    import base64
    import secrets

    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "kek").write_text(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    (etc / "kek").chmod(0o600)
    (etc / "lbt.env").write_text(
        "# as deploy/systemd/lbt.env.example, on a throw-away SQLite file\n"
        f"LBT_DATABASE_URL=sqlite:///{tmp_path / 'lbt.db'}\n"
        "LBT_PUBLIC_URL=https://lbt.example.tj\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "LBT_ETC": str(etc),
        "LBT_HOME": str(PROJECT_ROOT),
        "LBT_USER": "root",
        "LBT_DATA_DIR": str(tmp_path / "data"),
    }
    run = [str(DEPLOY / "lbt-run")]
    init = subprocess.run(
        [*run, "init", "--username", "chief", "--full-name", "Chief", "--password-stdin"],
        input="a-long-own-password-2026\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stderr
    doctor = subprocess.run([*run, "doctor"], env=env, capture_output=True, text=True)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "FAIL" not in doctor.stdout and "production" not in doctor.stderr
    assert not (tmp_path / "data" / "kek").exists()  # the key came from etc/kek, none was made
