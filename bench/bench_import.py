"""CSV import of residents: 10,000 rows (goal: under 30 s on this machine).

Makes a CSV of plausible Tajik residents (Cyrillic names, Latin left to the ICAO default, a
few bad rows), then imports it through `services.residents.import_csv` into a throw-away,
migrated SQLite database with the demo data — and into PostgreSQL too when
LBT_TEST_DATABASE_URL is set. The baseline in the same process is reading the same file with
the standard csv module alone. Prints figures, asserts nothing.

    .venv/bin/python bench/bench_import.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import throwaway

SURNAMES = ["Раҳимов", "Назарова", "Қодиров", "Ғафурова", "Ҳасанов", "Юсупова", "Шарипов"]
GIVEN = ["Фарҳод", "Гулнора", "Ҷамшед", "Ширин", "Бахтиёр", "Малика", "Давлат", "Зарина"]
BAD_EVERY = 100  # one row in a hundred carries a mistake an office list would have


def make_csv(rows: int, seed: int = 1) -> bytes:
    from lbt_app.services.residents import FIELDS

    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for i in range(rows):
        birth = f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        since = f"{int(birth[:4]) + rng.randint(1, 18)}-01-01"
        if i % BAD_EVERY == 7:
            birth = "31.12.1980"
        writer.writerow(
            [
                rng.choice(SURNAMES),
                rng.choice(GIVEN),
                "",
                "",
                birth,
                rng.choice("MF"),
                "TJK",
                f"B{i:08d}",
                f"Ғафуров, кӯчаи {rng.randint(1, 200)}",
                "TJ-SGD",
                since,
            ]
        )
    return out.getvalue().encode()


def _database(url: str | None) -> str:
    from sqlmodel import Session

    from lbt_app.db.engine import engine_for
    from lbt_app.services import demo
    from lbt_app.settings import get_settings

    url = throwaway(url, "lbt_bench")
    with Session(engine_for(url)) as session:
        demo.load(session=session, kek=get_settings().key_encryption_key(), now=datetime.now(UTC))
        session.commit()
    return url


def bench_import(rows: int = 10_000, url: str | None = None) -> dict[str, float]:
    from sqlmodel import Session, select

    from lbt_app.db.engine import engine_for
    from lbt_app.db.models import User
    from lbt_app.services import residents
    from lbt_app.services.auth import principal_of

    data = make_csv(rows)
    start = time.perf_counter()
    baseline_rows = sum(1 for _ in csv.DictReader(io.StringIO(data.decode())))
    baseline = time.perf_counter() - start
    url = _database(url)
    with Session(engine_for(url)) as session:
        staff = principal_of(
            session=session, user=session.exec(select(User).where(User.username == "staff")).one()
        )
        start = time.perf_counter()
        report = residents.import_csv(
            session=session, principal=staff, data=data, now=datetime.now(UTC)
        )
        session.commit()
        elapsed = time.perf_counter() - start
    assert baseline_rows == rows
    return {
        "rows": rows,
        "bytes": len(data),
        "imported": report.imported,
        "errors": len(report.errors),
        "seconds": elapsed,
        "baseline": baseline,
    }


def print_figures(name: str, figures: dict[str, float]) -> None:
    print(
        f"{name:<11} {figures['rows']:>6,.0f} rows ({figures['bytes'] / 1e6:.1f} MB): "
        f"{figures['seconds']:.2f} s, {figures['rows'] / figures['seconds']:,.0f} rows/s; "
        f"imported {figures['imported']:,.0f}, row errors {figures['errors']:,.0f}; "
        f"csv module alone {figures['baseline'] * 1000:.0f} ms "
        f"(import = {figures['seconds'] / figures['baseline']:.0f}× the bare parse)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    print_figures("SQLite", bench_import(args.rows))
    pg = os.environ.get("LBT_TEST_DATABASE_URL")
    if pg:
        print_figures("PostgreSQL", bench_import(args.rows, pg))


if __name__ == "__main__":
    main()
