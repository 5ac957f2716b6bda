"""The app's Prometheus metrics, all defined here, and their page (`GET /metrics`).

Labels are short fixed words (outcomes, sources, reasons, handler names): never a user name,
a permit or document number, or anything else a person could be found by.

Under `reflex run` every worker process counts into its own files in the folder the settings
name (prometheus_client's multiprocess mode, set up in rxconfig.py); the page adds them up.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lbt_app.settings import METRICS_DIR_ENV

SCANS = Counter(
    "lbt_scans",
    "Permit checks, by verdict outcome (VALID, INVALID, CHECK) and by how the permit reached "
    "the server (camera, frame, photo, manual, cli).",
    ["outcome", "source"],
)
EVENT_SECONDS = Histogram(
    "lbt_event_seconds",
    "Time the server took to handle one event from a browser, by handler.",
    ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SOCKETS = Gauge(
    "lbt_sockets_connected",
    "Browser tabs connected to the app now (open event websockets, all workers).",
    multiprocess_mode="livesum",
)
SIGN_IN_FAILURES = Counter(
    "lbt_sign_in_failures",
    "Sign-ins refused, by reason (wrong_password, switched_off, wrong_code, throttled).",
    ["reason"],
)
CROSSINGS = Counter(
    "lbt_crossings_recorded",
    "Passages recorded by officers, by direction (entry, exit).",
    ["direction"],
)

_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


def page(_request: Request) -> Response:
    """The metrics in Prometheus' text format (a plain function: Starlette runs it in a thread,
    off the event loop, as it reads files)."""
    folder = os.environ.get(METRICS_DIR_ENV)
    if not folder:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
    _forget_dead_processes(Path(folder))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=folder)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _forget_dead_processes(folder: Path) -> None:
    """A worker that is gone (a crash, a restart) has no sockets open any more; its counts stay."""
    for path in folder.glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match and not _alive(int(match[1])):
            multiprocess.mark_process_dead(int(match[1]), path=str(folder))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class CountSockets:
    """ASGI middleware around the whole app: a websocket counts from its accept until it ends.

    The app's only websocket is Reflex's event socket (one per browser tab); the ASGI messages
    are a stable interface, unlike the internals of Reflex's event namespace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        accepted = False

        async def watched(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                SOCKETS.inc()
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            if accepted:
                SOCKETS.dec()
