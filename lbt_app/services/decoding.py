"""Images from clients, decoded off the event loop: a few at a time, each in a fresh process.

Every image a client sends — a photo of a permit, a scanner frame, a holder's portrait — is
decoded through this module and nowhere else. The caps on what one image may cost are the
core's (`imaging.PHOTO`, `FRAME`, `PORTRAIT`); this module adds the bounds on the server:

- at most `WORKERS` decodes run at once (one per core, up to 4), at most `WAITING` more wait
  for their turn; a caller beyond that is told the server is busy;
- each decode runs in a process of its own, forked from a small fork server that imported the
  decoders once (a plain `python -c` child of the app: the app's threads are never forked and
  its main module is never imported again), so whatever a decode allocates goes back to the
  system when it ends;
- that process may add at most `MEMORY_CEILING` to its address space (RLIMIT_AS): an image
  that gets past the caps fails with a MemoryError, reported as "The image is too large.";
  one still running after `TIMEOUT_SECONDS` is killed, with the same message.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import resource
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any, TypeVar

from lbt_app.core import imaging
from lbt_app.core.imaging import DecodeResult, Portrait
from lbt_app.i18n import N_

BUSY = N_("The server is busy. Try again in a moment.")

WORKERS = max(1, min(os.cpu_count() or 1, 4))
WAITING = 4 * WORKERS
# The costliest image the caps let through peaks at 269 MiB (README, Security model).
MEMORY_CEILING = 768 * 2**20
# The slowest images the caps let through take about a second on one core.
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
        # Threads that each wait on one decoding process: their number bounds the processes.
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode")
        self._capacity = workers + waiting
        self._admitted = 0
        self._lock = threading.Lock()
        self._limits = (memory_ceiling, timeout)
        self._server: _ForkServer | None = None

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
        with self._lock:
            if self._server is None or not self._server.answers.alive:
                try:
                    self._server = _ForkServer()
                except OSError as error:  # no process to be had: the machine is full
                    raise Busy from error
            server = self._server
        started = time.perf_counter()
        outcome, peak_rss = server.call(job, args, *self._limits)
        _log.debug(
            "%s: %.0f ms, peak %.0f MiB",
            _name(job),
            (time.perf_counter() - started) * 1000,
            peak_rss / 2**20,
            extra={"peak_rss": peak_rss},
        )
        return outcome


class _ForkServer:
    """The app's end of the fork server: sends it jobs; `answers` gets their outcomes.

    The server ends when the app closes its end of the requests pipe — when this object is
    dropped, or the app ends, even by a crash — and kills any decode still running.
    """

    def __init__(self) -> None:
        requests_r, requests_w = os.pipe()
        replies_r, replies_w = os.pipe()
        try:
            process = subprocess.Popen(  # noqa: S603 — our own interpreter and module
                [sys.executable, "-c", f"{_SERVE}({requests_r}, {replies_w})"],
                pass_fds=(requests_r, replies_w),
                start_new_session=True,  # the terminal's Ctrl-C is for the app, which ends it
            )
        finally:
            os.close(requests_r)
            os.close(replies_w)
        self._requests = Connection(requests_w, readable=False)
        self._send_lock = threading.Lock()
        self._numbers = itertools.count()
        self.answers = _Answers(process, Connection(replies_r, writable=False))

    def call(
        self, job: Callable, args: tuple, memory_ceiling: int, timeout: float
    ) -> tuple[Any, int]:
        """(outcome, peak resident bytes) of `job(*args)` in a fresh process."""
        # The job apart, so that one the server cannot unpickle still gets an answer.
        request = pickle.dumps((job, args, memory_ceiling, timeout))
        with self._send_lock:
            number = next(self._numbers)
            answer = self.answers.expect(number)
            try:
                self._requests.send((number, request))
            except OSError as error:
                self.answers.forget(number)
                raise Exhausted("the fork server is gone") from error
        return answer.result()


class _Answers:
    """Hands each reply of the fork server to its caller, on a thread of its own.

    Apart from the requests pipe, so that dropping the `_ForkServer` closes that pipe.
    """

    def __init__(self, process: subprocess.Popen, replies: Connection) -> None:
        self.alive = True
        self._waiting: dict[int, Future] = {}
        self._lock = threading.Lock()
        threading.Thread(
            target=self._hand_out, args=(process, replies), name="decode-replies", daemon=True
        ).start()

    def expect(self, number: int) -> Future:
        answer: Future = Future()
        with self._lock:
            if self.alive:
                self._waiting[number] = answer
            else:
                answer.set_exception(Exhausted("the fork server is gone"))
        return answer

    def forget(self, number: int) -> None:
        with self._lock:
            self._waiting.pop(number, None)

    def _hand_out(self, process: subprocess.Popen, replies: Connection) -> None:
        while True:
            try:
                number, answered, payload = replies.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                answer = self._waiting.pop(number)
            if answered:
                answer.set_result(payload)
            else:
                answer.set_exception(Exhausted(payload))
        with self._lock:
            self.alive = False
            left, self._waiting = self._waiting, {}
        for answer in left.values():
            answer.set_exception(Exhausted("the fork server is gone"))
        replies.close()
        process.wait()


_SERVE = f"from {__name__} import serve_forks; serve_forks"


def serve_forks(requests_fd: int, replies_fd: int) -> None:
    """The fork server: one fresh process per request, killed when it outlives its time."""
    requests = Connection(requests_fd, writable=False)
    replies = Connection(replies_fd, readable=False)
    running: dict[Connection, tuple[int, int, float, str]] = {}
    while True:
        deadlines = [deadline for _, _, deadline, _ in running.values()]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        for ready in wait([requests, *running], timeout):
            if ready is requests:
                try:
                    number, request = requests.recv()
                except EOFError:  # the app is gone: so are its decodes
                    for _, pid, _, _ in running.values():
                        os.kill(pid, signal.SIGKILL)
                    return
                try:
                    job, args, memory_ceiling, seconds = pickle.loads(request)  # noqa: S301
                except Exception as error:  # noqa: BLE001 — a job this server cannot import
                    replies.send((number, False, f"unreadable request: {error!r}"))
                    continue
                receiver, sender = Pipe(duplex=False)
                try:
                    pid = os.fork()
                except OSError as error:
                    receiver.close()
                    sender.close()
                    replies.send((number, False, f"{_name(job)} found no process ({error})"))
                    continue
                if pid == 0:  # the decoding process keeps nothing of the server's open
                    for connection in (requests, replies, receiver, *running):
                        connection.close()
                    _decode_here(sender, memory_ceiling, job, args)
                sender.close()
                running[receiver] = (number, pid, time.monotonic() + seconds, _name(job))
                continue
            number, pid, _, name = running.pop(ready)
            try:
                reply = (number, True, ready.recv())
            except EOFError:
                reply = None
            ready.close()
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            replies.send(reply or (number, False, f"{name} ended unanswered (exit code {code})"))
        now = time.monotonic()
        for receiver, (number, pid, deadline, name) in list(running.items()):
            if deadline <= now:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                del running[receiver]
                receiver.close()
                replies.send((number, False, f"{name} still running after its time"))


def _decode_here(sender: Connection, memory_ceiling: int, job: Callable, args: tuple) -> None:
    """The decoding process: cap the address space, run the job, answer with its peak memory."""
    try:
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
    except BaseException:  # noqa: BLE001 — the fork must never return into the server's loop
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _name(job: Callable) -> str:
    return getattr(job, "__name__", type(job).__name__)


_pool: DecodePool | None = None


def _shared_pool() -> DecodePool:
    """One pool per app process, made on first use (its fork server starts with it)."""
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
