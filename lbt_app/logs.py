"""Logs. In production: one JSON object per line on stderr, for the journal and log shippers,
with the same first fields as Reflex's own JSON lines (timestamp, level, logger, message). In
development: Python's and Reflex's readable defaults, untouched.

What a line may hold is decided here: fixed words, numbers, the user's id. Never a token, a
password, a photo, a QR or payload text, a document number, or an exception's message (a
message may quote what the browser sent, e.g. `int()` quoting a typed number, or a database
value, e.g. a unique-key violation) — an exception is logged as its types and stack only.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime

from lbt_app.settings import Settings

EVENTS = logging.getLogger("lbt_app.events")
OK, REFUSED, NOT_UNDERSTOOD, ERROR = "ok", "refused", "not understood", "error"
# The fields an event's line adds to the usual ones (`Handled`).
EVENT_FIELDS = ("user_id", "handler", "duration_ms", "outcome")


@dataclass
class Handled:
    """One event from a browser, as its handler ends: what the log line says about it."""

    handler: str
    outcome: str = ERROR  # until the handler returns
    user_id: int | None = None  # the principal's, when the handler checked one

    def log(self, seconds: float) -> None:
        EVENTS.info(
            "event handled",
            extra={
                "handler": self.handler,
                "outcome": self.outcome,
                "user_id": self.user_id,
                "duration_ms": round(seconds * 1000, 3),
            },
        )


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({f: getattr(record, f) for f in EVENT_FIELDS if hasattr(record, f)})
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = _trace(record.exc_info[1])
        return json.dumps(line, ensure_ascii=False, default=str)


def _trace(error: BaseException | None) -> str:
    """Where an exception (and each one it came from) was raised, and its type: no message."""
    parts: list[str] = []
    while error is not None and len(parts) < 10:
        frames = [
            f"{f.filename}:{f.lineno} in {f.name}"
            for f in traceback.extract_tb(error.__traceback__)
        ]
        parts.append("\n".join([*frames, f"{type(error).__module__}.{type(error).__qualname__}"]))
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return "\n(which led to)\n".join(reversed(parts))


def configure(settings: Settings) -> None:
    """Once per process, where the app starts (rxconfig.py): in production every record, the
    app's and the libraries', is a JSON line; Reflex and its server are told to write theirs
    the same way unless REFLEX_LOG_JSON says otherwise."""
    if settings.is_development:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    if "REFLEX_LOG_JSON" not in os.environ:
        from reflex_base.utils import log as reflex_log

        reflex_log.set_json_mode(True)  # inherited by the workers through the environment
