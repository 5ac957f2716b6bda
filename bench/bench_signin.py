"""Sign-in and the event loop: what three concurrent password checks cost everyone else.

A ticker coroutine asks to wake every 10 ms while three wrong-password sign-ins run, first with
the password work on the event loop (the old synchronous handler), then through the handler
(`LoginState.sign_in`, which hashes in a worker thread). The ticker's worst lateness is what
every other client's event would wait. Also: one Argon2 check, and a throttled refusal (no
hash). Throw-away SQLite database with the demo data. Prints figures, asserts nothing.

    .venv/bin/python bench/bench_signin.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import _database

GUESSERS = 3


async def _worst_lateness(work) -> float:
    """Seconds the loop was late, at worst, for a 10 ms sleeper while `work` runs."""
    done, worst = False, 0.0

    async def ticker() -> None:
        nonlocal worst
        while not done:
            asked = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - asked - 0.01)

    async def run() -> None:
        nonlocal done
        await asyncio.sleep(0.02)  # the ticker is running
        await work()
        done = True

    await asyncio.gather(ticker(), run())
    return worst


def bench_signin() -> dict[str, float]:
    from reflex.istate.data import RouterData, SessionData
    from reflex.state import State

    from lbt_app.services import auth
    from lbt_app.states.login import LoginState, _sign_in

    _database(None)
    stored = auth.hash_password("a-long-password")
    checks = []
    for _ in range(5):
        start = time.perf_counter()
        auth.verify_password("wrong-password", stored)
        checks.append(time.perf_counter() - start)

    async def on_the_loop() -> None:
        for n in range(GUESSERS):  # a synchronous handler holds the loop for each in turn
            _sign_in(f"guess{n}", "wrong-password", f"192.0.2.{n}")

    def client(n: int):
        root = State(_reflex_internal_init=True)
        root.router = RouterData(session=SessionData(client_ip=f"198.51.100.{n}"))
        return root.get_substate(LoginState.get_full_name().split("."))

    async def in_threads() -> None:
        form = {"username": "staff", "password": "wrong-password"}
        await asyncio.gather(*(LoginState.sign_in.fn(client(n), form) for n in range(GUESSERS)))

    before = asyncio.run(_worst_lateness(on_the_loop))
    after = asyncio.run(_worst_lateness(in_threads))
    for _ in range(6):  # past the allowance of one name at one address
        _sign_in("officer1", "wrong-password", "203.0.113.5")
    start = time.perf_counter()
    _sign_in("officer1", "officer1-demo-2026", "203.0.113.5")  # refused: the pair waits
    throttled = time.perf_counter() - start
    return {
        "argon2": statistics.median(checks),
        "before": before,
        "after": after,
        "throttled": throttled,
    }


def print_figures(figures: dict[str, float]) -> None:
    print(f"one Argon2id check (median of 5): {figures['argon2'] * 1000:.0f} ms")
    print(
        f"worst event-loop delay while {GUESSERS} wrong passwords are checked: "
        f"{figures['before'] * 1000:.0f} ms on the loop (before), "
        f"{figures['after'] * 1000:.0f} ms in worker threads (now)"
    )
    print(f"a throttled attempt, refused without hashing: {figures['throttled'] * 1000:.1f} ms")


if __name__ == "__main__":
    print_figures(bench_signin())
