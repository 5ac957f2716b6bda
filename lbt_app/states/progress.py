"""Long work off the event loop, with progress: a background event hands the work to a worker
thread, which reports (done, total) as it goes; the event shows the latest report a few times
a second, holding the tab's state only while it writes it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

Report = Callable[[int, int], None]
Result = TypeVar("Result")
SHOW_EVERY_S = 0.25  # how often the page's progress moves


async def in_thread(
    work: Callable[[Report], Result], show: Callable[[int, int], Awaitable[None]]
) -> Result:
    """`work(report)` in a worker thread; `show(done, total)` on the event loop with its newest
    report, at most every SHOW_EVERY_S; what `work` returned (or raised)."""
    latest: list[tuple[int, int]] = []

    def report(done: int, total: int) -> None:
        latest.append((done, total))  # one list append: atomic, read only by the loop

    task = asyncio.ensure_future(asyncio.to_thread(work, report))
    shown = None
    while not task.done():
        await asyncio.wait({task}, timeout=SHOW_EVERY_S)
        if latest and latest[-1] != shown:
            shown = latest[-1]
            del latest[:-1]
            await show(*shown)
    return task.result()
