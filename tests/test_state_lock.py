"""With Redis, a tab's state lock outlasts a long wait: an event held up behind a burst of
sign-ins keeps its lock, where Reflex's default expiry (10 s) gave LockExpiredError."""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest
from reflex.istate.manager import StateManager
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken
from reflex_base.config import get_config
from reflex_base.constants import Expiration

import lbt_app.lbt_app  # noqa: F401  (registers every state)
from lbt_app.states.session import SessionState

REDIS_URL = os.environ.get("LBT_TEST_REDIS_URL", "")
# How long an event waits here holding its lock: past Reflex's default, well short of ours.
WAIT_SECONDS = Expiration.LOCK / 1000 + 2


def test_the_lock_outlasts_a_sign_in_burst_and_slow_events_are_logged_first():
    config = get_config()
    assert config.redis_lock_expiration >= 60_000 > Expiration.LOCK
    assert config.redis_lock_warning_threshold < config.redis_lock_expiration


@pytest.mark.skipif(not REDIS_URL, reason="needs LBT_TEST_REDIS_URL")
def test_an_event_waiting_longer_than_reflexs_default_keeps_its_lock(monkeypatch):
    monkeypatch.setattr(get_config(), "redis_url", REDIS_URL)
    token = BaseStateToken(ident=secrets.token_hex(8), cls=SessionState)

    async def an_event_held_up() -> str:
        manager = StateManager.create()  # as the app makes it, from the configuration
        assert isinstance(manager, StateManagerRedis)
        try:
            async with manager.modify_state(token) as root:
                session = await root.get_state(SessionState)
                await asyncio.sleep(WAIT_SECONDS)  # e.g. a thread busy hashing passwords
                session.user_name = "kept"
            state = await manager.get_state(token)
            return (await state.get_state(SessionState)).user_name
        finally:
            if keys := await manager.redis.keys(f"{token.ident}*"):
                await manager.redis.delete(*keys)
            await manager.close()

    assert asyncio.run(an_event_held_up()) == "kept"


@pytest.mark.skipif(not REDIS_URL, reason="needs LBT_TEST_REDIS_URL")
@pytest.mark.parametrize("cancels", [1, 2])
def test_an_event_cancelled_while_taking_the_lock_leaves_it_free(monkeypatch, cancels):
    """Reflex cancels a page load's events when the tab goes elsewhere. One cancelled after its
    SET reached Redis, before the reply came back, left the lock behind: the tab's next events
    waited two minutes for it to expire (lbt_app/state_lock.py). Cancelled again while it waits
    for that reply (the tab closed too), it still gives the lock back."""
    monkeypatch.setattr(get_config(), "redis_url", REDIS_URL)
    token = BaseStateToken(ident=secrets.token_hex(8), cls=SessionState)

    async def cancel_one_then_run_the_next() -> tuple[object, str]:
        manager = StateManager.create()
        assert isinstance(manager, StateManagerRedis)
        lock_key = manager._lock_key(token)
        real_set = manager.redis.set

        async def set_with_a_slow_reply(name, *args, **kwargs):
            done = await real_set(name, *args, **kwargs)  # in Redis now
            if name == lock_key:
                await asyncio.sleep(1)  # the reply on its way: here the event is cancelled
            return done

        monkeypatch.setattr(manager.redis, "set", set_with_a_slow_reply)
        try:

            async def an_event() -> None:
                async with manager.modify_state(token):
                    pass

            cancelled = asyncio.create_task(an_event())
            for _ in range(cancels):
                await asyncio.sleep(0.3)
                cancelled.cancel()
            with pytest.raises(asyncio.CancelledError):
                await cancelled
            left = await manager.redis.get(lock_key)
            monkeypatch.setattr(manager.redis, "set", real_set)
            async with asyncio.timeout(5):  # not the lock's two minutes
                async with manager.modify_state(token) as root:
                    (await root.get_state(SessionState)).user_name = "next"
            state = await manager.get_state(token)
            return left, (await state.get_state(SessionState)).user_name
        finally:
            if keys := await manager.redis.keys(f"{token.ident}*"):
                await manager.redis.delete(*keys)
            await manager.close()

    assert asyncio.run(cancel_one_then_run_the_next()) == (None, "next")
