"""The audit chain check: full walk against the quick check from the last verified checkpoint.

Builds a log of 100,000 events (about what 100k permits' worth of activity writes: scans,
crossings, issues) in a throw-away, migrated SQLite database — and in PostgreSQL too when
LBT_TEST_DATABASE_URL is set — with the checkpoints the app signs every 1,000 events. Then:
a full check (recorded, so it signs the head), 1,000 more events appended the way the app
appends them, and the quick and the full check timed on the same log (best of three).
Prints figures, asserts nothing.

    .venv/bin/python bench/bench_audit.py [--events 100000] [--new 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import throwaway

ACTIONS = ["permit_checked", "crossing_recorded", "permit_issued", "signed_in"]


def build_log(session, events: int, start: datetime, after: tuple[int, str] | None = None) -> None:
    """The log as `audit.record` would have written it, inserted in bulk; `after`: the seq and
    hash of the newest event already there."""
    from sqlmodel import insert

    from lbt_app.core.audit_chain import GENESIS, HASH_VERSION, EventFields, event_hash
    from lbt_app.db.models import AuditEvent
    from lbt_app.services import audit

    first, prev = after or (0, GENESIS)
    rows = []
    for seq in range(first + 1, first + events + 1):
        fields = EventFields(
            seq=seq,
            at=start + timedelta(seconds=seq),
            actor_id=None,
            actor=f"officer{seq % 7}",
            action=ACTIONS[seq % len(ACTIONS)],
            subject=f"TJ-SGD-{seq:06d}",
            detail={"outcome": "valid", "point": "FOT", "source": "camera"},
            prev_hash=prev,
        )
        prev = event_hash(fields)
        rows.append({**asdict(fields), "hash": prev, "hash_version": HASH_VERSION})
        if seq % audit.CHECKPOINT_EVERY == 0:
            session.execute(insert(AuditEvent), rows)
            rows = []
            audit.checkpoint(session=session, seq=seq, head_hash=prev, now=fields.at)
    if rows:
        session.execute(insert(AuditEvent), rows)
    session.commit()


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def bench_audit(events: int = 100_000, new: int = 1_000, url: str | None = None) -> dict:
    from sqlmodel import Session

    from lbt_app.db.engine import engine_for
    from lbt_app.services import audit

    url = throwaway(url, "lbt_bench_audit")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine_for(url)) as session:
        _, build = _timed(lambda: build_log(session, events, start))
        first, _ = _timed(lambda: audit.run_check(session=session, now=start, full=True))
        session.commit()
        later = start + timedelta(days=30)
        for i in range(new):
            audit.record(session=session, action="permit_checked", now=later, subject=str(i))
        session.commit()

    def best(fn):
        """Best of three, each in a fresh session (the first pays for compiling queries)."""
        runs = []
        for _ in range(3):
            with Session(engine_for(url)) as session:
                runs.append(_timed(lambda: fn(session)))
        return min(runs, key=lambda run: run[1])

    quick, quick_s = best(lambda session: audit.verify_chain(session=session, full=False))
    full, full_s = best(lambda session: audit.verify_chain(session=session, full=True))
    _, shown_s = best(lambda session: audit.last_check(session=session))
    assert first.ok and quick.ok and full.ok
    return {
        "events": full.events,
        "build": build,
        "full": full_s,
        "full_walked": full.walked,
        "quick": quick_s,
        "quick_walked": quick.walked,
        "shown": shown_s,
    }


def print_figures(name: str, f: dict) -> None:
    print(
        f"{name:<11} {f['events']:,} events (built in {f['build']:.1f} s): "
        f"full check {f['full']:.2f} s ({f['full_walked']:,} read), "
        f"quick check {f['quick'] * 1000:.0f} ms ({f['quick_walked']:,} read) — "
        f"{f['full'] / f['quick']:.0f}× faster; "
        f"page shows the last result in {f['shown'] * 1000:.1f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1_000)
    args = parser.parse_args(argv)
    print_figures("SQLite", bench_audit(args.events, args.new))
    pg = os.environ.get("LBT_TEST_DATABASE_URL")
    if pg:
        print_figures("PostgreSQL", bench_audit(args.events, args.new, pg))


if __name__ == "__main__":
    main()
