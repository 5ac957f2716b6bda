"""Reflex configuration: every value comes from the typed settings object."""

import sys

import reflex as rx

from lbt_app import logs
from lbt_app.frontend_build import FewerChunks, LeanRadixThemes, WasmCompression, WordTables
from lbt_app.settings import get_settings

_settings = get_settings()
_settings.restrict_files()  # every Reflex process reads this first
_settings.start_metrics(sys.argv)  # before anything imports prometheus_client
logs.configure(_settings)

# With Redis, a tab's state is locked while one of its events runs (the password steps of a
# sign-in hold it only to read and write the state, not while the hashing waits for a thread).
# The lock expires only when a worker died holding it: then that tab waits at most this long.
# An event that outlasts it loses its changes (LockExpiredError, "Something went wrong"):
# 200 officers signing in at once keep the threads busy hashing for 40-80 s, and a handler
# waiting for a thread meanwhile holds its lock as long. Reflex's default is 10 s.
STATE_LOCK_MS = 120_000
SLOW_EVENT_MS = 5_000  # an event that held its tab's lock longer is logged

config = rx.Config(
    app_name="lbt_app",
    db_url=_settings.database_url,
    redis_url=_settings.redis_url,
    redis_lock_expiration=STATE_LOCK_MS,
    redis_lock_warning_threshold=SLOW_EVENT_MS,
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
    plugins=[
        # Radix Themes without the colour scales the app does not use (sage: teal's own gray)
        LeanRadixThemes(theme=rx.theme(accent_color="teal", gray_color="sage", radius="medium")),
        WasmCompression(),  # the scanner's decoder compressed too
        FewerChunks(),
        WordTables(),  # the pages' words as files, not in every tab's state
    ],
    # The built files are compressed once, at build; each browser gets the smallest it accepts.
    frontend_compression_formats=["brotli", "gzip"],
    # Libraries for components built at run time (the app has none) loaded only if one is:
    # LeanRadixThemes then drops Radix's loader, and pages fetch only the components they use.
    frontend_lazy_bundled_libraries=True,
)
