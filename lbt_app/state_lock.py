"""A tab's state lock in Redis that a cancelled event cannot leave behind.

Reflex 0.10.1 cancels the events of a page load that no longer matters: the tab navigated to
another page, or its websocket closed (the officer opened another address while the page was
still loading). An event cancelled while it was taking its tab's lock could leave the lock set
in Redis with nobody to release it: the SET had reached Redis, the reply never reached the event.
Every later event of that tab then waited for the lock to expire (rxconfig.STATE_LOCK_MS,
two minutes): the tab did nothing at all, whatever the officer tapped (seen in CI, and in 6 of
98 tries of the same steps on a loaded machine; 0 of 150 with this module).

`make_lock_cancellation_safe` changes two steps of Reflex's StateManagerRedis:
- the SET that takes the lock always runs to its end, so that its outcome is known;
- an event stopped while taking the lock gives it back, if the lock is its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from reflex.istate.manager.redis import StateManagerRedis

log = logging.getLogger(__name__)

# Delete the lock only if it still holds this event's lock id (another event may have it now).
_GIVE_BACK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_take_lock = StateManagerRedis._try_get_lock
_wait_for_lock = StateManagerRedis._wait_lock


async def _try_get_lock(self: StateManagerRedis, lock_key: bytes, lock_id: bytes) -> bool | None:
    attempt = asyncio.ensure_future(_take_lock(self, lock_key, lock_id))
    try:
        return await asyncio.shield(attempt)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await attempt  # the SET's outcome, for _wait_lock to give the lock back if taken
        raise


async def _wait_lock(self: StateManagerRedis, lock_key: bytes, lock_id: bytes) -> None:
    try:
        await _wait_for_lock(self, lock_key, lock_id)
    except BaseException:
        await asyncio.shield(_give_back(self, lock_key, lock_id))
        raise


async def _give_back(manager: StateManagerRedis, lock_key: bytes, lock_id: bytes) -> None:
    try:
        given_back = await manager.redis.eval(_GIVE_BACK, 1, lock_key, lock_id)
    except Exception:  # Redis gone: the lock expires by itself
        log.warning("could not give back the state lock %s", lock_key.decode(), exc_info=True)
        return
    if given_back:
        manager._notify_next_waiter(lock_key)  # a waiter on this worker; others hear the del


def make_lock_cancellation_safe() -> None:
    """Once per process, before the first event (lbt_app.py)."""
    StateManagerRedis._try_get_lock = _try_get_lock
    StateManagerRedis._wait_lock = _wait_lock
