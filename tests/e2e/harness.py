"""The app under test or benchmark: production mode on a free port, throw-away demo data.

Embedded mode is the default set-up (SQLite, state on disk, one worker); scaled mode uses
PostgreSQL (its own schema), Redis and two backend workers. Also the phone-sized Chromium
settings, and the flags that make Chromium film a video file instead of a camera.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from lbt_app.settings import PROJECT_ROOT


class AppFailed(RuntimeError):
    """The app exited or did not answer in time; the message ends with its log."""


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MOBILE = {"width": 390, "height": 844}
START_TIMEOUT = 420


@dataclass(frozen=True)
class RunningApp:
    url: str
    database_url: str
    env: dict[str, str]
    log: Path
    pid: int = 0  # `reflex run`, the parent of the app's processes

    def engine(self) -> sa.Engine:
        from lbt_app.db.engine import engine_for

        return engine_for(self.database_url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_path() -> str:
    node_bin = PROJECT_ROOT / ".tools" / "node-bin"
    extra = node_bin.read_text().strip() if node_bin.exists() else ""
    return f"{extra}:{os.environ['PATH']}" if extra else os.environ["PATH"]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect comes back as an HTTPError with its status


# Opens a URL without following redirects (the tests look at the redirect itself).
no_redirects = urllib.request.build_opener(_NoRedirects)


def _wait_for(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AppFailed(f"app exited early:\n{log.read_text()[-4000:]}")
        try:
            with no_redirects.open(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as answer:
            if answer.code == 308:  # behind an https:// public address it redirects: it is up
                return
        except OSError:
            pass
        time.sleep(1)
    raise AppFailed(f"app did not start in {START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def fake_camera_args(video: Path) -> list[str]:
    """Chromium plays `video` (.y4m, looped) as the camera and grants access without asking."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


@contextmanager
def serving(root: Path, env: dict[str, str], port: int, log: Path) -> Iterator[int]:
    """`reflex run` in production mode of the Reflex app in `root`: pages and events on `port`,
    its output in `log`, until the block ends. Gives the pid of `reflex run`."""
    bindir = Path(sys.executable).parent
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(bindir / "reflex"),
                "run",
                "--env",
                "prod",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
                "--loglevel",
                "info",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(f"http://localhost:{port}/ping", proc, log)
        _wait_for(f"http://localhost:{port}/", proc, log)
        yield proc.pid
    finally:
        if proc.poll() is not None:  # it died under the tests: say why before its log goes
            sys.stderr.write(f"app exited with {proc.returncode}:\n{log.read_text()[-6000:]}\n")
        _stop(proc)


@dataclass(frozen=True)
class Preparation:
    """What the database gets before the app starts: an `lbt` command (its standard input),
    with settings of its own (e.g. a real installation: production, no demo)."""

    command: tuple[str, ...] = ("demo",)
    stdin: str = ""
    env: tuple[tuple[str, str], ...] = ()
    schema: str = "lbt_e2e"  # scaled mode's own PostgreSQL schema


DEMO = Preparation()


@contextmanager
def running_app(
    mode: str = "embedded",
    pg_url: str = "",
    redis_url: str = "",
    prepare: Preparation = DEMO,
    workers: int = 2,
) -> Iterator[RunningApp]:
    """The app in production mode on a free port with a fresh database (the demo data unless
    told otherwise); stopped and wiped after. Scaled mode runs `workers` backend processes."""
    tmp = Path(tempfile.mkdtemp(prefix=f"lbt-e2e-{mode}-"))
    port = free_port()
    env = {
        **os.environ,
        "PATH": node_path(),
        "REFLEX_USE_NPM": "1",
        "LBT_ENV": "development",
        "LBT_DATA_DIR": str(tmp / "data"),
        "REFLEX_STATES_WORKDIR": str(tmp / "states"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "LBT_PUBLIC_URL": f"http://localhost:{port}",
        **dict(prepare.env),
    }
    env.pop("LBT_REDIS_URL", None)
    if mode == "scaled":
        schema = prepare.schema
        with sa.create_engine(pg_url).begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in pg_url else "?"
        env["LBT_DATABASE_URL"] = f"{pg_url}{sep}options=-csearch_path%3D{schema}"
        env["LBT_REDIS_URL"] = redis_url
        env["GRANIAN_WORKERS"] = str(workers)
    else:
        env["LBT_DATABASE_URL"] = f"sqlite:///{tmp / 'data' / 'lbt.db'}"
    bindir = Path(sys.executable).parent
    subprocess.run(
        [str(bindir / "lbt"), *prepare.command],
        input=prepare.stdin,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        with serving(PROJECT_ROOT, env, port, tmp / "app.log") as pid:
            yield RunningApp(
                f"http://localhost:{port}", env["LBT_DATABASE_URL"], env, tmp / "app.log", pid
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
