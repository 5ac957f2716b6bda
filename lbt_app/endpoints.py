"""HTTP endpoints beside the app's pages, for the machines around it: health for the proxy's
load balancing and monitoring, Prometheus metrics. The app's pages and events are mounted
under this Starlette app (see `api_transformer` in lbt_app.py), so these paths come first."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lbt_app import app_version, metrics, routes
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.services import health, photos
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


def _photo_answer(token: str) -> Response:
    now = utcnow()
    with session_scope() as session:
        found = photos.photo_for(session=session, token=token, now=now)
        if found is None:  # forged, expired or gone: nothing tells which
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        document, link = found
        body, content_type = document.data, document.content_type
    return Response(
        body,
        media_type=content_type,
        headers={
            # this browser only, until the address expires; never a shared cache
            "Cache-Control": f"private, max-age={max(0, link.expires - int(now.timestamp()))}",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def photo(request: Request) -> Response:
    """A picture (holder photo, image proof) by the capability a checked handler minted
    (services/photos.py)."""
    return await run_in_threadpool(_photo_answer, request.path_params["token"])


ROUTES: list[Route] = [
    Route("/api/health", health_status, methods=["GET"]),
    Route(routes.photo("{token}"), photo, methods=["GET"]),
    Route("/metrics", metrics.page, methods=["GET"]),
]

api = Starlette(routes=ROUTES)
