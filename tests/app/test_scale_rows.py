"""The pages read what they show, not the data behind it: the scale bench's operations
(bench/bench_scale.py, its generator and its service calls) run once at 1k and once at 10k
generated permits, counting the statements each sends and the rows the database returns.

A query that loads an agreement's permits, crossings or audit events fails here: its rows pass
the bound, and grow between 1k and 10k. Times are printed, never asserted (README: Benchmarks).
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from bench import bench_scale
from lbt_app.db.engine import engine_for
from lbt_app.services import oversight, statistics
from lbt_app.settings import get_settings
from tests.conftest import PG_URL, Snapshot

pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="PostgreSQL only: the data is generated in PostgreSQL's SQL (generate_series, "
    "arrays) and rows are counted from psycopg's rowcount; set LBT_TEST_DATABASE_URL (CI does)",
)

SCHEMA = "lbt_test_scale_rows"
SIZES = (1_000, 10_000)
# What a page legitimately reads: a page of 50 permits or events (20 residents), a 30-day chart
# per crossing point (90 rows), a capped attention list, a few figures and names; a request
# sends up to 20 statements, and the officer's check + record is two (46 statements: the record
# also settles the holder's open stay and its tally and counts the crossing, in its
# transaction).
MAX_ROWS = 500
MAX_STATEMENTS = 46
# Rows an operation may read more at 10k than at 1k: none grows with the data, except lists
# that fill up to their cap and grow no further: the dashboard's attention list (a few holders
# at 1k, the cap at 10k; test_statistics.py) and the oversight page's misuse reports (one per
# 1,000 generated permits, at most the newest 100).
GROWTH = 5
CAPPED = {
    "authority dashboard": statistics.ATTENTION_LIMIT,
    "desk refresh (dashboard + list)": statistics.ATTENTION_LIMIT,
    "oversight refresh": oversight.REPORTS_SHOWN,  # one report per 1,000 generated permits
}

OPERATIONS = [
    "authority dashboard",
    "desk refresh (dashboard + list)",
    "permit list, first page, no filter",
    "resident search by document number",
    "resident search by name",
    "officer's shift view",
    "audit log page 1",
    "oversight refresh",
    "officer check + record",
]


@pytest.fixture(scope="module")
def fetched(request) -> dict[int, dict[str, bench_scale.Fetched]]:
    """Each size generated in turn over the demo data, in one schema of the test's own (dropped
    at the end), every operation run once against it; the app's settings pointed back."""
    saved = os.environ.get("LBT_DATABASE_URL")
    found: dict[int, dict[str, bench_scale.Fetched]] = {}
    lines = []
    try:
        url, now = bench_scale.with_demo(PG_URL, SCHEMA)
        demo_only = Snapshot(url)
        engine = engine_for(url)
        for n in SIZES:
            demo_only.restore()
            ctx, steps = bench_scale.populate(url, n, now)
            ops = bench_scale.operations(ctx)
            found[n] = {name: bench_scale.fetched(engine, op) for name, op in ops.items()}
            lines.append(
                f"generated {n:,} permits in {sum(steps.values()):.1f} s: "
                + ", ".join(f"{step} {s:.1f}" for step, s in steps.items())
            )
        engine.dispose()
    finally:
        with engine_for(PG_URL).begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        if saved is None:
            os.environ.pop("LBT_DATABASE_URL", None)
        else:
            os.environ["LBT_DATABASE_URL"] = saved
        get_settings.cache_clear()
    head = " / ".join(f"{n // 1000}k" for n in SIZES)
    lines.append(f"operation: rows, statements, time at {head} (times are not asserted)")
    for name in found[SIZES[0]]:
        cells = [found[n][name] for n in SIZES]
        lines.append(
            f"  {name}: rows {' / '.join(str(c.rows) for c in cells)}, statements "
            f"{' / '.join(str(c.statements) for c in cells)}, "
            + " / ".join(f"{c.seconds * 1000:.0f} ms" for c in cells)
        )
    with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print("\n[scale rows] " + "\n[scale rows] ".join(lines), flush=True)
    return found


def test_every_operation_is_counted(fetched) -> None:
    assert list(fetched[SIZES[-1]]) == OPERATIONS
    # The counter sees rows: the first page of the permit list holds 50.
    assert fetched[SIZES[-1]]["permit list, first page, no filter"].rows >= 50


@pytest.mark.parametrize("name", OPERATIONS)
def test_rows_and_statements_bounded_at_10k(fetched, name) -> None:
    counted = fetched[SIZES[-1]][name]
    assert counted.rows <= MAX_ROWS, f"{name}: {counted.rows} rows at 10k"
    assert counted.statements <= MAX_STATEMENTS, f"{name}: {counted.statements} statements"


@pytest.mark.parametrize("name", OPERATIONS)
def test_rows_and_statements_do_not_grow_with_the_data(fetched, name) -> None:
    small, large = (fetched[n][name] for n in SIZES)
    allowed = GROWTH + CAPPED.get(name, 0)
    assert large.rows <= small.rows + allowed, f"{name}: {small.rows} → {large.rows} rows"
    assert large.statements <= small.statements, (
        f"{name}: {small.statements} → {large.statements} statements"
    )
