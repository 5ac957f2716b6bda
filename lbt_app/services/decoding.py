"""Images from clients, decoded off the event loop: a few at a time, each in a fresh process.

Every image a client sends — a photo of a permit, a scanner frame, a holder's portrait — is
decoded through this module and nowhere else. The caps on what one image may cost are the
core's (`imaging.PHOTO`, `FRAME`, `PORTRAIT`); this module adds the bounds on the server:

- at most `WORKERS` decodes run at once (one per core, up to 4), at most `WAITING` more wait
  for their turn; a caller beyond that is told the server is busy;
- each decode runs in a process of its own, forked from a small server process that has
  imported the decoders once (multiprocessing's forkserver: no fork of the app's threads), so
  whatever a decode allocates goes back to the system when it ends;
- that process may add at most `MEMORY_CEILING` to its address space (RLIMIT_AS): an image
  that gets past the caps still fails with a MemoryError, reported as "The image is too
  large."; one that outlives `TIMEOUT_SECONDS` is killed, with the same message.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from lbt_app.core import imaging
from lbt_app.core.imaging import DecodeResult, Portrait
from lbt_app.i18n import N_

BUSY = N_("The server is busy. Try again in a moment.")

WORKERS = max(1, min(os.cpu_count() or 1, 4))
WAITING = 4 * WORKERS
# The worst image within the caps peaks near 150 MiB (README, Security model): ample room.
MEMORY_CEILING = 768 * 2**20
# The slowest image within the caps takes about 2 s on one core.
TIMEOUT_SECONDS = 30.0

_log = logging.getLogger(__name__)
_Outcome = TypeVar("_Outcome")


class Busy(Exception):
    """Every decoding slot is taken and the line is full."""


class Exhausted(Exception):
    """The decoding process ran out of memory or time, or died, before it answered."""


class DecodePool:
    """Runs a decoding function in a fresh process, at most `workers` at once."""

    def __init__(
        self,
        *,
        workers: int = WORKERS,
        waiting: int = WAITING,
        memory_ceiling: int = MEMORY_CEILING,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._context = multiprocessing.get_context("forkserver")
        # Imported once in the fork server, so each decoding process starts in milliseconds.
        self._context.set_forkserver_preload(["__main__", __name__])
        # Threads that each wait on one decoding process: their number bounds the processes.
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode")
        self._capacity = workers + waiting
        self._admitted = 0
        self._lock = threading.Lock()
        self._memory_ceiling = memory_ceiling
        self._timeout = timeout

    async def run(self, job: Callable[..., _Outcome], *args: Any) -> _Outcome:
        """`job(*args)` in its own process; raises Busy or Exhausted instead of answering."""
        with self._lock:
            if self._admitted >= self._capacity:
                raise Busy
            self._admitted += 1
        future = self._threads.submit(self._in_process, job, args)
        # Released when the process is done (or its turn is cancelled), not when the caller is.
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _future: Future) -> None:
        with self._lock:
            self._admitted -= 1

    def _in_process(self, job: Callable[..., _Outcome], args: tuple) -> _Outcome:
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_decode_here, args=(sender, self._memory_ceiling, job, args), daemon=True
        )
        started = time.perf_counter()
        try:
            process.start()
        except OSError as error:  # no process to be had (EAGAIN, ENOMEM): the server is full
            receiver.close()
            raise Busy from error
        finally:
            sender.close()
        try:
            if not receiver.poll(self._timeout):
                raise Exhausted(f"{job.__name__} still running after {self._timeout:.0f} s")
            outcome, peak_rss = receiver.recv()
        except (EOFError, OSError) as error:
            process.join()
            raise Exhausted(
                f"{job.__name__} ended without an answer (exit code {process.exitcode})"
            ) from error
        finally:
            receiver.close()
            if process.is_alive():
                process.kill()
            process.join()
        _log.debug(
            "%s: %.0f ms, peak %.0f MiB",
            job.__name__,
            (time.perf_counter() - started) * 1000,
            peak_rss / 2**20,
            extra={"peak_rss": peak_rss},
        )
        return outcome


def _decode_here(sender: Connection, memory_ceiling: int, job: Callable, args: tuple) -> None:
    """The decoding process: cap the address space, run the job, answer with its peak memory."""
    with open("/proc/self/statm") as statm:
        inherited = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    ceiling = inherited + memory_ceiling
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    outcome = job(*args)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux counts KiB
    sender.send((outcome, peak_rss))
    sender.close()


_pool: DecodePool | None = None


def _shared_pool() -> DecodePool:
    """One pool per app process, made on first use (the fork server starts with it)."""
    global _pool
    if _pool is None:
        _pool = DecodePool()
    return _pool


async def read_photo(data: bytes) -> DecodeResult:
    """Every QR code in a photo of a permit, uploaded by an officer."""
    return await _decoded(_read_photo, data)


async def read_frame(data_url: str) -> DecodeResult:
    """Every QR code in a camera frame that the scanner sent as a data URL."""
    return await _decoded(_read_frame, data_url)


async def portrait(data: bytes) -> Portrait:
    """A holder's photo as stored (300 × 400 JPEG), made from an upload."""
    try:
        return await _shared_pool().run(_portrait, data)
    except Busy:
        return Portrait(None, BUSY)
    except Exhausted as error:
        _log.warning("portrait refused: %s", error)
        return Portrait(None, imaging.IMAGE_TOO_LARGE)


async def _decoded(job: Callable[[Any], DecodeResult], data: bytes | str) -> DecodeResult:
    try:
        return await _shared_pool().run(job, data)
    except Busy:
        return DecodeResult.failure(BUSY)
    except Exhausted as error:
        _log.warning("image refused: %s", error)
        return DecodeResult.failure(imaging.IMAGE_TOO_LARGE)


# The jobs, run in the decoding process: each job's caps are named here, once.


def _read_photo(data: bytes) -> DecodeResult:
    return imaging.decode_image(data, limits=imaging.PHOTO)


def _read_frame(data_url: str) -> DecodeResult:
    return imaging.decode_data_url(data_url, limits=imaging.FRAME)


def _portrait(data: bytes) -> Portrait:
    return imaging.portrait_jpeg(data, limits=imaging.PORTRAIT)
