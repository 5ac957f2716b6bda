"""N officers at once: real websocket clients against the scaled app, 1 and 2 workers.

Starts the app as in production, scaled out (`reflex run --env prod`, PostgreSQL in a
throw-away schema, Redis as the state manager, `GRANIAN_WORKERS` = 1, then 2), fills its
database with bench_scale's generated agreement (10k permits, their crossings and audit
events by default), gives the holders of the permits the officers will check a photo and a
real signed payload, and opens a login session for each officer and for two staff members
through the services (no password hashing in the measured phase).

Each simulated officer is one browser tab, speaking the page's own protocol (Socket.IO over
the websocket at `/_event`, the browser's Origin and Accept-Language, a tab token of its own):
it connects with the hydrate event carrying what the browser stored (the session token),
waits for the officer page to load, then loops with ~1 s think time: check a permit (the
typed number and the camera's decoded text in turn), read the verdict, record the crossing
the verdict allows (entry or exit). Every officer has permits of its own, so no two officers
record the same holder. Latency is from sending an event to the update that carries its
result (the verdict; the recorded crossing). An error toast, "Something went wrong", "Please
sign in" or a redirect to the sign-in page counts as an error.

Each N runs twice: alone, and while two staff members reload the authority dashboard (a new
tab, hydrate, the page's figures) one after another with a pause between reloads. The load
generator runs on the same 2 cores as the app, PostgreSQL and Redis: its own CPU time
(getrusage) and the app's (psutil, its process tree) are printed with each row.
Prints figures, asserts nothing.

    LBT_TEST_DATABASE_URL=postgresql+psycopg://... LBT_TEST_REDIS_URL=redis://.../N \\
        .venv/bin/python bench/bench_load.py [--full] [--officers 10,100] [--seconds 30] \\
        [--workers 1,2] [--permits 10k]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import websockets

SCHEMA = "lbt_bench_load"
PERMITS_PER_OFFICER = 8
THINK_SECONDS = 1.0
STAFF_PAUSE_SECONDS = 1.0
ANSWER_TIMEOUT = 60.0  # an answer later than this is counted as an error, not waited for
NAMESPACE = "/_event"
OFFICER_PAGE, DASHBOARD_PAGE = "/officer", "/authority"
# What a person reads when something failed (English: every tab sends Accept-Language en-US).
ERROR_WORDS = re.compile(r"Something went wrong|Please sign in|not allowed|Try again", re.I)


# --- one browser tab --------------------------------------------------------------------


@dataclass(frozen=True)
class Frontend:
    """What the built frontend sends on connecting (.web/utils/context.jsx)."""

    state_name: str
    storage_keys: dict[str, str]  # the browser's localStorage name → the state var it fills
    hashes: list[str]
    schema: str

    @classmethod
    def read(cls, web: Path) -> Frontend:
        text = (web / "utils" / "context.jsx").read_text()

        def value(name: str) -> object:
            found = re.search(rf"export const {name} = (.*)$", text, re.M)
            if found is None:
                raise RuntimeError(f"{name} not found in the built frontend")
            return json.loads(found.group(1).rstrip(";"))

        storage = value("clientStorage")["local_storage"]
        return cls(
            state_name=str(value("state_name")),
            storage_keys={options["name"]: key for key, options in storage.items()},
            hashes=list(value("initialStateHashes")),
            schema=str(value("stateSchema")),
        )


class Failed(Exception):
    """What a person would have seen as an error; the message says which."""


class Tab:
    """One tab of the app: the Socket.IO connection, the state it was sent, the errors it got.

    Engine.IO v4 over a websocket: "0" opens, "2"/"3" ping/pong, "4" carries Socket.IO
    packets ("40" connect with the hydrate event as its auth, "42" events)."""

    def __init__(self, base_url: str, frontend: Frontend, path: str, stored: dict[str, str]):
        self.base_url, self.frontend, self.path, self.stored = base_url, frontend, path, stored
        self.state: dict[str, dict] = {}
        self.errors: list[str] = []
        self._changed = asyncio.Condition()
        self._ws: websockets.ClientConnection | None = None
        self._reader: asyncio.Task | None = None

    def _event(self, name: str, payload: dict) -> dict:
        return {
            "name": name,
            "payload": payload,
            "router_data": {"pathname": self.path, "asPath": self.path},
        }

    async def open(self) -> None:
        from reflex_base.constants import Reflex

        address = self.base_url.replace("http", "ws", 1)
        url = f"{address}/_event/?token={uuid.uuid4()}&EIO=4&transport=websocket"
        self._ws = await websockets.connect(
            url,
            origin=self.base_url,
            subprotocols=[Reflex.VERSION],
            additional_headers={"Accept-Language": "en-US,en;q=0.9"},
            user_agent_header="Mozilla/5.0 (Linux; Android 14) bench_load",
            ping_interval=None,  # Engine.IO pings on its own
            max_size=None,
            open_timeout=ANSWER_TIMEOUT,
        )
        opened = await self._ws.recv()
        if not isinstance(opened, str) or not opened.startswith("0"):
            raise Failed(f"no Engine.IO open: {opened!r:.80}")
        stored = {self.frontend.storage_keys[k]: v for k, v in self.stored.items()}
        hydrate = self._event(
            f"{self.frontend.state_name}.hydrate_and_load",
            {"vars": stored, "hashes": self.frontend.hashes},
        )
        auth = {"event": hydrate, "state_schema": self.frontend.schema}
        await self._ws.send(f"40{NAMESPACE}," + json.dumps(auth))
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def send(self, handler: str, payload: dict) -> None:
        assert self._ws is not None
        packet = json.dumps(["event", self._event(handler, payload)])
        await self._ws.send(f"42{NAMESPACE},{packet}")

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                if message == "2":
                    await self._ws.send("3")
                elif isinstance(message, str) and message.startswith(f"42{NAMESPACE},"):
                    name, *args = json.loads(message[len(NAMESPACE) + 3 :])
                    if name == "event" and args:
                        await self._update(args[0])
                elif isinstance(message, str) and message.startswith(f"44{NAMESPACE}"):
                    await self._error(f"connection refused: {message[:120]}")
        except websockets.ConnectionClosed as closed:
            await self._error(f"connection closed: {closed}")
        else:
            await self._error("connection closed")

    async def _error(self, text: str) -> None:
        async with self._changed:
            self.errors.append(text)
            self._changed.notify_all()

    async def _update(self, update: dict) -> None:
        replies = []
        async with self._changed:
            for substate, changes in (update.get("delta") or {}).items():
                self.state.setdefault(substate, {}).update(changes)
            for event in update.get("events") or []:
                text = json.dumps(event)
                if "toast" in text and ("error" in text or ERROR_WORDS.search(text)):
                    self.errors.append(f"error toast: {text[:200]}")
                elif ERROR_WORDS.search(text):
                    self.errors.append(f"message: {text[:200]}")
                elif event.get("name") == "_redirect" and event["payload"].get("path") == "/":
                    self.errors.append("sent to the sign-in page")
                elif event.get("name") == "_call_script":
                    replies.append(event["payload"])
            self._changed.notify_all()
        for script in replies:  # what the page's own scripts answer (the device clock)
            if "Date.now()" in script.get("javascript_code", ""):
                callback = re.search(r'"([\w.]+\.device_clock)"', script.get("callback", ""))
                if callback:
                    await self.send(callback.group(1), {"client_ms": time.time() * 1000})

    def var(self, substate: str, name: str) -> object:
        return self.state.get(substate, {}).get(f"{name}_rx_state_")

    async def until(self, done: Callable[[], bool], timeout: float = ANSWER_TIMEOUT) -> None:
        """Wait for the state to satisfy `done`; an error meanwhile raises Failed."""
        errors = len(self.errors)

        def settled() -> bool:
            return len(self.errors) > errors or done()

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(settled), timeout)
            except TimeoutError:
                raise Failed(f"no answer in {timeout:.0f} s") from None
        if len(self.errors) > errors:
            raise Failed(self.errors[-1])


# --- the people ---------------------------------------------------------------------------


@dataclass
class Figures:
    """What the tabs of one phase saw: (finished at, seconds) of each answer, and errors."""

    checks: list[tuple[float, float]] = field(default_factory=list)
    records: list[tuple[float, float]] = field(default_factory=list)
    dashboards: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    officers_with_errors: int = 0

    @staticmethod
    def timed(values: list[tuple[float, float]], sent: float) -> None:
        now = time.perf_counter()
        values.append((now, now - sent))


@dataclass(frozen=True)
class Officer:
    token: str
    permits: list[tuple[str, str]]  # (number, payload) of permits no other officer checks


async def _officer(
    url: str, frontend: Frontend, officer: Officer, names: dict, stop: float, figures: Figures
) -> None:
    """One officer's tab: load the page, then check and record until `stop`."""
    state = names["officer"]
    tab = Tab(url, frontend, OFFICER_PAGE, {"lbt_session": officer.token, "lbt_lang": "en"})
    failures: list[str] = []
    try:
        await tab.open()
        await tab.until(lambda: bool(tab.var(state, "crossing_point")))
        await asyncio.sleep(random.uniform(0, THINK_SECONDS))  # the tabs do not act in step
        turn = 0
        while time.perf_counter() < stop:
            number, payload = officer.permits[turn % len(officer.permits)]
            cue = tab.var(state, "cue") or 0
            sent = time.perf_counter()
            if turn % 2:  # the camera's decoded text, and the typed number, in turn
                await tab.send(f"{state}.scanned", {"text": payload, "sent_at": time.time() * 1e3})
            else:
                await tab.send(f"{state}.check_number", {"form": {"number": number}})
            await tab.until(lambda cue=cue: (tab.var(state, "cue") or 0) > cue)
            Figures.timed(figures.checks, sent)
            turn += 1
            await asyncio.sleep(random.uniform(0.5, 1.5) * THINK_SECONDS)
            ways = (("entry", "can_enter"), ("exit", "can_exit"))
            allowed = [way for way, var in ways if tab.var(state, var)]
            if not allowed or time.perf_counter() >= stop:
                continue
            sent = time.perf_counter()
            await tab.send(f"{state}.record_crossing", {"direction": allowed[0]})
            await tab.until(lambda way=allowed[0]: tab.var(state, "recorded") == way)
            Figures.timed(figures.records, sent)
            await asyncio.sleep(random.uniform(0.5, 1.5) * THINK_SECONDS)
    except (Failed, OSError, websockets.WebSocketException) as failure:
        failures.append(str(failure))
    finally:
        await tab.close()
    failures += [e for e in tab.errors if e not in failures and "connection closed" not in e]
    if failures:
        figures.officers_with_errors += 1
        figures.errors += failures


async def _staff(
    url: str, frontend: Frontend, token: str, names: dict, stop: float, figures: Figures
) -> None:
    """A staff member reloading the dashboard: each reload a new tab, until its figures come."""
    state = names["authority"]
    while time.perf_counter() < stop:
        tab = Tab(url, frontend, DASHBOARD_PAGE, {"lbt_session": token, "lbt_lang": "en"})
        sent = time.perf_counter()
        try:
            await tab.open()
            await tab.until(lambda tab=tab: bool(tab.var(state, "figures")))
            Figures.timed(figures.dashboards, sent)
        except (Failed, OSError, websockets.WebSocketException) as failure:
            figures.errors.append(f"staff: {failure}")
        finally:
            await tab.close()
        await asyncio.sleep(STAFF_PAUSE_SECONDS)


def _state_names() -> dict[str, str]:
    from lbt_app.states.desk import AuthorityState
    from lbt_app.states.officer import OfficerState

    return {"officer": OfficerState.get_full_name(), "authority": AuthorityState.get_full_name()}


# --- one phase ----------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Phase:
    """N officers (and the staff, if any) for a measured window, and what it cost."""

    workers: int
    officers: int
    staff: int
    seconds: float  # the measured window
    checks: list[float]
    records: list[float]
    dashboards: list[float]
    errors: list[str]
    officers_with_errors: int
    generator_cpu: float  # CPU seconds of this process in the window
    app_cpu: float  # CPU seconds of the app's processes in the window
    machine_busy: float  # share of the machine's cores busy in the window (everything on it)

    @property
    def answers(self) -> list[float]:
        return self.checks + self.records

    @property
    def events_per_second(self) -> float:
        return len(self.answers) / self.seconds if self.seconds else 0.0


def _process_tree(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return []


def _cpu_of(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_phase(
    url: str,
    frontend: Frontend,
    officers: list[Officer],
    staff_tokens: list[str],
    seconds: float,
    app_pid: int = 0,
    workers: int = 0,
) -> Phase:
    """Officers' tabs open over a ramp (a shift's phones do not connect in the same second)
    and load; from then on, `seconds` are measured; every tab stops by itself at the end."""
    names = _state_names()
    figures = Figures()
    ramp = min(10.0, len(officers) / 50)
    window0 = time.perf_counter() + ramp + 3  # the last tabs opened, loaded and started
    stop = window0 + seconds

    async def officer(one: Officer) -> None:
        await asyncio.sleep(random.uniform(0, ramp))
        await _officer(url, frontend, one, names, stop, figures)

    async def staff(token: str) -> None:
        await asyncio.sleep(ramp + random.uniform(0, STAFF_PAUSE_SECONDS))
        await _staff(url, frontend, token, names, stop, figures)

    tasks = [asyncio.create_task(officer(o)) for o in officers]
    tasks += [asyncio.create_task(staff(t)) for t in staff_tokens]
    await asyncio.sleep(max(0.0, window0 - time.perf_counter()))
    processes = _process_tree(app_pid) if app_pid else []
    cpu0, app0, machine0 = _own_cpu(), _cpu_of(processes), psutil.cpu_times()
    await asyncio.sleep(max(0.0, stop - time.perf_counter()))
    cpu1, app1, machine1 = _own_cpu(), _cpu_of(processes), psutil.cpu_times()
    _, pending = await asyncio.wait(tasks, timeout=ANSWER_TIMEOUT + 5)
    for task in pending:  # bounded: a tab that did not stop is stopped
        task.cancel()
    if pending:
        await asyncio.wait(pending)
        figures.errors.append(f"{len(pending)} tabs did not stop in time")

    def inside(values: list[tuple[float, float]]) -> list[float]:
        return [took for at, took in values if window0 <= at <= stop]

    total = sum(machine1) - sum(machine0)
    idle = machine1.idle + machine1.iowait - machine0.idle - machine0.iowait
    return Phase(
        workers=workers,
        officers=len(officers),
        staff=len(staff_tokens),
        seconds=seconds,
        checks=inside(figures.checks),
        records=inside(figures.records),
        dashboards=inside(figures.dashboards),
        errors=figures.errors,
        officers_with_errors=figures.officers_with_errors,
        generator_cpu=cpu1 - cpu0,
        app_cpu=app1 - app0,
        machine_busy=(total - idle) / total if total else 0.0,
    )


# --- the data -----------------------------------------------------------------------------


def prepare(database_url: str, permits: int, officers: int) -> tuple[list[Officer], list[str]]:
    """bench_scale's agreement at `permits` permits with `officers` officers (at least 200)
    in the app's database; the permits the officers will check signed for real, their holders
    with a photo; a login session for each officer and two for the staff member."""
    import sqlalchemy as sa
    from sqlmodel import Session, select

    from bench import bench_scale
    from lbt_app.core.payload import photo_hash, sign
    from lbt_app.db.engine import engine_for
    from lbt_app.db.models import (
        Agreement,
        Authority,
        BorderArea,
        CrossingPoint,
        Document,
        Permit,
        Resident,
        User,
    )
    from lbt_app.services import issuing, keys
    from lbt_app.services.auth import open_session
    from lbt_app.services.issuing import IssueRequest
    from lbt_app.settings import get_settings

    now = datetime.now(UTC)
    engine = engine_for(database_url)
    with Session(engine, expire_on_commit=False) as session:
        bench_scale.generate(session, permits, now, officers=max(officers, bench_scale.OFFICERS))
        authority = session.exec(select(Authority).where(Authority.code == "TJ-SGD-LBT")).one()
        agreement = session.get(Agreement, authority.agreement_id)
        photo = session.exec(
            select(Document).join(Resident, Resident.photo_id == Document.id).limit(1)
        ).one()
        area = session.exec(select(BorderArea).where(BorderArea.code == "UZ-FRG")).one()
        points = list(
            session.exec(
                select(CrossingPoint)
                .where(CrossingPoint.agreement_id == agreement.id)
                .order_by(CrossingPoint.id)
            ).all()
        )
        key = keys.signing_key(
            session=session, authority_id=authority.id, kek=get_settings().key_encryption_key()
        )
        codebook = keys.codebook_for(session=session, agreement_id=agreement.id)
        today = now.date()
        rows = session.exec(
            select(Permit, Resident)
            .join(Resident, Resident.id == Permit.resident_id)
            .where(
                Permit.number.startswith("TJ-B"),  # type: ignore[attr-defined]
                Permit.status == "active",
                Permit.valid_from <= today,
                Permit.valid_until >= today,
            )
            .order_by(Permit.id)
            .limit(officers * PERMITS_PER_OFFICER)
        ).all()
        if len(rows) < officers * PERMITS_PER_OFFICER:
            raise SystemExit(f"{permits} permits are too few for {officers} officers")
        signed: list[tuple[str, str]] = []
        for permit, resident in rows:
            claims = issuing._claims(  # the claims an issued permit carries
                number=permit.number,
                resident=resident,
                area=area,
                points=points,
                request=IssueRequest(
                    resident.id, area.code, (), permit.valid_from, permit.valid_until
                ),
                agreement=agreement,
                authority=authority,
                photo=photo,
            )
            signed.append((permit.number, sign(claims, key, codebook)))
        permit_table = Permit.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            sa.update(permit_table)
            .where(permit_table.c.number == sa.bindparam("n"))
            .values(payload=sa.bindparam("p"), photo_hash=photo_hash(photo.data).hex()),
            [{"n": n, "p": p} for n, p in signed],
        )
        session.execute(
            sa.update(Resident)
            .where(Resident.id.in_([r.id for _, r in rows]))  # type: ignore[union-attr]
            .values(photo_id=photo.id)
        )
        users = session.exec(
            select(User)
            .where(User.username.startswith("bench_officer"))  # type: ignore[attr-defined]
            .order_by(User.id)
            .limit(officers)
        ).all()
        tokens = [open_session(session, user, now, "login").token for user in users]
        staff = session.exec(select(User).where(User.username == "staff")).one()
        staff_tokens = [open_session(session, staff, now, "login").token for _ in range(2)]
        session.commit()
    team = [
        Officer(token or "", signed[i * PERMITS_PER_OFFICER : (i + 1) * PERMITS_PER_OFFICER])
        for i, token in enumerate(tokens)
    ]
    return team, [t or "" for t in staff_tokens]


# --- the run ------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return "–" if seconds != seconds else f"{seconds * 1000:,.0f} ms"  # NaN: nothing answered


def print_row(phase: Phase) -> None:
    answers = phase.answers
    print(
        f"| {phase.workers} | {phase.officers} | {'2 reloading' if phase.staff else '–'} "
        f"| {phase.events_per_second:.1f} | {_ms(_pct(answers, 0.5))} | {_ms(_pct(answers, 0.95))} "
        f"| {_ms(_pct(answers, 0.99))} "
        f"| {len(phase.errors)} ({phase.officers_with_errors} officers) "
        f"| {_ms(_pct(phase.dashboards, 0.5)) if phase.staff else '–'} "
        f"| {phase.generator_cpu / phase.seconds:.2f} | {phase.app_cpu / phase.seconds:.2f} "
        f"| {phase.machine_busy:.0%} |",
        flush=True,
    )
    for error in sorted(set(phase.errors))[:5]:
        print(f"    error: {error[:200]}", flush=True)


HEADER = (
    "| workers | officers | staff | events/s | p50 | p95 | p99 | errors | dashboard p50 "
    "| generator cores | app cores | machine busy |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def bench(
    pg_url: str,
    redis_url: str,
    workers: list[int],
    officer_counts: list[int],
    seconds: float,
    permits: int,
    staff: bool = True,
) -> list[Phase]:
    from lbt_app.settings import PROJECT_ROOT, get_settings
    from tests.e2e.harness import Preparation, running_app

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket per tab
    phases: list[Phase] = []
    for count in workers:
        with running_app(
            "scaled", pg_url, redis_url, prepare=Preparation(schema=SCHEMA), workers=count
        ) as app:
            os.environ["LBT_DATA_DIR"] = app.env["LBT_DATA_DIR"]  # the app's KEK signs
            os.environ["LBT_DATABASE_URL"] = app.database_url
            get_settings.cache_clear()
            started = time.perf_counter()
            team, staff_tokens = prepare(app.database_url, permits, max(officer_counts))
            print(
                f"\n{count} worker(s): {permits:,} permits, {len(team)} officers ready in "
                f"{time.perf_counter() - started:.0f} s\n{HEADER}",
                flush=True,
            )
            frontend = Frontend.read(PROJECT_ROOT / ".web")
            for n in officer_counts:
                for with_staff in (False, True) if staff else (False,):
                    phase = asyncio.run(
                        run_phase(
                            app.url,
                            frontend,
                            team[:n],
                            staff_tokens if with_staff else [],
                            seconds,
                            app_pid=app.pid,
                            workers=count,
                        )
                    )
                    phases.append(phase)
                    print_row(phase)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return phases


def main(argv: list[str] | None = None) -> list[Phase]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", default="10,100", help="comma-separated, e.g. 10,100,500")
    parser.add_argument("--seconds", type=float, default=30, help="measured seconds per phase")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--permits", default="10k")
    parser.add_argument("--no-staff", action="store_true", help="skip the dashboard phases")
    parser.add_argument(
        "--full", action="store_true", help="10, 100, 200 and 500 officers, 60 s each"
    )
    parser.add_argument("--url", default=os.environ.get("LBT_TEST_DATABASE_URL", ""))
    parser.add_argument("--redis", default=os.environ.get("LBT_TEST_REDIS_URL", ""))
    args = parser.parse_args(argv)
    if not args.url.startswith("postgresql") or not args.redis:
        print("bench_load needs PostgreSQL and Redis: set LBT_TEST_DATABASE_URL and _REDIS_URL.")
        return []
    from bench.bench_scale import _size

    officers = "10,100,200,500" if args.full else args.officers
    return bench(
        args.url,
        args.redis,
        [int(w) for w in args.workers.split(",")],
        [int(n) for n in officers.split(",")],
        60 if args.full else args.seconds,
        _size(args.permits),
        staff=not args.no_staff,
    )


if __name__ == "__main__":
    main()
