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
