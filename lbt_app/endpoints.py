"""HTTP endpoints beside the app's pages, for the machines around it: health for the proxy's
load balancing and monitoring, Prometheus metrics. The app's pages and events are mounted
under this Starlette app (see `api_transformer` in lbt_app.py), so these paths come first."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lbt_app import app_version, metrics
from lbt_app.services import health
from lbt_app.settings import get_settings


async def health_status(_request: Request) -> JSONResponse:
    """Database, schema, Redis and version: 200 when all answer, 503 naming what does not.
    The checks block (with short timeouts), so they run in a worker thread."""
    findings = await run_in_threadpool(health.service_report, get_settings())
    ok = all(finding.ok for finding in findings)
    body = {
        "status": "ok" if ok else "unavailable",
        "version": app_version(),
        "checks": {f.name: {"ok": f.ok, "message": f.message} for f in findings},
    }
    return JSONResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})


ROUTES: list[Route] = [
    Route("/api/health", health_status, methods=["GET"]),
    Route("/metrics", metrics.page, methods=["GET"]),
]

api = Starlette(routes=ROUTES)
