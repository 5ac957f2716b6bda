"""The one way a state declares an event handler: `@handler(Action.X)` states once what the
handler needs, and the server checks it before the body runs.

A client can send any event with any payload over the websocket, so every handler gets:
- arguments of the declared types, in the declared number (anything else is answered with
  "This request was not understood." and changes nothing);
- with an action, the caller's permission for it, looked up on the server from the session
  token (a refusal is audited and answered with a toast); the handler receives the caller as
  its first argument after `self`, and Reflex sees only the arguments the client sends;
- its time in the metrics (`lbt_event_seconds`) and one log line (lbt_app/logs.py).

A handler whose body waits on the database (`blocking=True`: the officer's checks, the
dashboard) runs in a worker thread with its caller's lookup: meanwhile the worker's event loop
serves every other tab, instead of making all of them wait behind one query.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import time
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import reflex as rx

from lbt_app.core.access import Action
from lbt_app.logs import NOT_UNDERSTOOD, OK, REFUSED, Handled
from lbt_app.metrics import EVENT_SECONDS


def handler(
    action: Action | None = None,
    *,
    background: bool = False,
    navigation: bool = False,
    blocking: bool = False,
) -> Callable:
    """`navigation`: a page's on_load, whose refusal sends the caller to their own page.
    `blocking`: a plain (not async) body that waits on the database, run in a worker thread;
    the handler is then a coroutine function (tests await it)."""

    def decorate(fn: Callable) -> Callable:
        name = fn.__qualname__  # e.g. "OfficerState.scanned": the metrics' and the logs' label
        hints = typing.get_type_hints(fn)
        params = list(inspect.signature(fn).parameters.values())
        sent = params[2:] if action else params[1:]  # without self (and the caller)
        annotations = {p.name: hints[p.name] for p in sent if p.name in hints}
        visible = inspect.Signature(
            [params[0], *(p.replace(annotation=annotations.get(p.name, Any)) for p in sent)]
        )

        def accepted(args: tuple, kwargs: dict) -> tuple | None:
            try:
                bound = visible.bind(None, *args, **kwargs)
            except TypeError:
                return None
            bound.apply_defaults()
            values = tuple(bound.arguments.values())[1:]
            fits = all(
                _fits(v, annotations.get(p.name, Any)) for p, v in zip(sent, values, strict=True)
            )
            return values if fits else None

        if inspect.iscoroutinefunction(fn):

            async def run(self, *args, **kwargs):
                with _observed(name) as handled:
                    values = accepted(args, kwargs)
                    if values is None:
                        handled.outcome = NOT_UNDERSTOOD
                        return self._not_understood()
                    if action is None:
                        result = await fn(self, *values)
                        handled.outcome = OK
                        return result
                    async with self:  # a background handler may touch its state only inside
                        principal = self._permit(action)
                        if principal is None:
                            handled.outcome = REFUSED
                            return self._turn_away() if navigation else self._refused()
                    handled.user_id = principal.user_id
                    result = await fn(self, principal, *values)
                    handled.outcome = OK
                    return result

        else:

            def run_here(self, *args, **kwargs):
                with _observed(name) as handled:
                    values = accepted(args, kwargs)
                    if values is None:
                        handled.outcome = NOT_UNDERSTOOD
                        return self._not_understood()
                    if action is None:
                        result = fn(self, *values)
                        handled.outcome = OK
                        return result
                    principal = self._permit(action)
                    if principal is None:
                        handled.outcome = REFUSED
                        return self._turn_away() if navigation else self._refused()
                    handled.user_id = principal.user_id
                    result = fn(self, principal, *values)
                    handled.outcome = OK
                    return result

            if blocking:

                async def run(self, *args, **kwargs):
                    # The tab's state is locked for this event: only this thread touches it.
                    return await asyncio.to_thread(run_here, self, *args, **kwargs)

            else:
                run = run_here

        functools.update_wrapper(run, fn)
        del run.__wrapped__  # Reflex reads the signature below, not the body's
        run.required_action = action  # what it asks of the caller (read by the access tests)
        run.__signature__ = visible
        run.__annotations__ = annotations
        return rx.event(run, background=True) if background else rx.event(run)

    return decorate


@contextmanager
def _observed(name: str) -> Iterator[Handled]:
    """Every event, whatever its outcome (an exception is an "error"): timed, and one log line."""
    handled, started = Handled(name), time.perf_counter()
    try:
        yield handled
    finally:
        seconds = time.perf_counter() - started
        EVENT_SECONDS.labels(handler=name).observe(seconds)
        handled.log(seconds)


def _fits(value: object, hint: Any) -> bool:
    """Whether a value sent by the browser is of the declared type (JSON shapes only)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is list:
        return isinstance(value, list) and all(_fits(v, args[0]) for v in value if args)
    if origin is dict:
        return isinstance(value, dict)
    if hint is int or hint is float:
        allowed = int if hint is int else int | float
        return isinstance(value, allowed) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, hint)


def whole_number(value: object, *, most: int = 2**31 - 1) -> int | None:
    """A whole number the browser sent (a number, or ASCII digits) from 0 to `most`; else None.

    "²" is a digit to Python's `str.isdigit` but not to `int`; 1e30 is a float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    return value if isinstance(value, int) and 0 <= value <= most else None
