"""Reflex configuration: every value comes from the typed settings object."""

import sys

import reflex as rx

from lbt_app import logs
from lbt_app.settings import get_settings

_settings = get_settings()
_settings.restrict_files()  # every Reflex process reads this first
_settings.start_metrics(sys.argv)  # before anything imports prometheus_client
logs.configure(_settings)

config = rx.Config(
    app_name="lbt_app",
    db_url=_settings.database_url,
    redis_url=_settings.redis_url,
    # Loopback unless told otherwise (behind a proxy on this host); only the app's own pages
    # may call it, over HTTP or the event websocket (Socket.IO checks the Origin too).
    backend_host=_settings.listen_host,
    **({"api_url": _settings.api_url} if _settings.api_url else {}),
    cors_allowed_origins=list(_settings.allowed_origins),
    # Behind N reverse proxies the client address comes from X-Forwarded-For (sign-in throttle).
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="teal", radius="medium"))],
)
