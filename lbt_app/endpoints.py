"""HTTP endpoints beside the app's pages, for the machines around it: health for the proxy's
load balancing and monitoring, Prometheus metrics. The app's pages and events are mounted
under this Starlette app (see `api_transformer` in lbt_app.py), so these paths come first."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from lbt_app import metrics

ROUTES: list[Route] = [
    Route("/metrics", metrics.page, methods=["GET"]),
]

api = Starlette(routes=ROUTES)
