"""The app at the scale of a border region: N permits of one agreement in a throw-away
PostgreSQL schema, and the pages' own service calls timed against them.

For each size (10k and 100k permits by default; 1M on request) a fresh schema gets the demo
agreement (services/demo.py: its users, key and permits, so a real signed permit can be
checked), 200 more officers at its three crossing points, and N residents, applications and
permits of the demo's shape, with about 9 crossings and 10 audit events each — all made in SQL
(INSERT … SELECT over generate_series), not through the ORM. Placeholders where no measured
operation reads them: residents have no photo or proof documents, generated permits carry a
fixed payload of a real payload's length (their signatures are not checked), and generated
audit events carry placeholder hashes (the chain does not verify; bench_audit.py times that).

Then each operation runs `--runs` times (5 by default, fewer when one run takes longer than
`--budget` seconds in all) through the service functions the pages call, and a table prints
p50 / p95, the process's peak RSS during the operation, and the growth per 10× of the p50;
each operation's line also says how many statements it sent and rows the database returned
(`fetched`). Prints figures, asserts nothing: tests/app/test_scale_rows.py runs the same
generator and operations at 1k and 10k in CI and asserts on those counts, never on time.

    LBT_TEST_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/bench_scale.py \
        [--sizes 10k,100k,1M] [--runs 5] [--budget 120] [--explain] [--keep]

`--keep` leaves each size's schema (lbt_bench_scale_10k, …) in place and, on a later `--keep`
run, migrates and reuses it instead of generating again (1M takes 16–32 minutes to make).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import os
import statistics as stats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import throwaway

SCHEMA = "lbt_bench_scale"
OFFICERS = 200
SURNAMES = [
    ("Каримов", "KARIMOV"),
    ("Саидов", "SAIDOV"),
    ("Юсупов", "YUSUPOV"),
    ("Азимов", "AZIMOV"),
    ("Шарипов", "SHARIPOV"),
    ("Исмоилов", "ISMOILOV"),
    ("Олимов", "OLIMOV"),
    ("Ҳакимов", "HAKIMOV"),
    ("Раҷабов", "RAJABOV"),
    ("Мирзоев", "MIRZOEV"),
    ("Холов", "KHOLOV"),
    ("Султонов", "SULTONOV"),
    ("Зоиров", "ZOIROV"),
    ("Бобоев", "BOBOEV"),
    ("Норов", "NOROV"),
    ("Умаров", "UMAROV"),
    ("Ғафуров", "GHAFUROV"),
    ("Турсунов", "TURSUNOV"),
    ("Давлатов", "DAVLATOV"),
    ("Неъматов", "NEMATOV"),
]
GIVEN = [
    ("Алишер", "ALISHER"),
    ("Бахтиёр", "BAKHTIYOR"),
    ("Дилшод", "DILSHOD"),
    ("Фирӯз", "FIRUZ"),
    ("Ҷамшед", "JAMSHED"),
    ("Комрон", "KOMRON"),
    ("Мунира", "MUNIRA"),
    ("Нилуфар", "NILUFAR"),
    ("Парвина", "PARVINA"),
    ("Рустам", "RUSTAM"),
    ("Сабрина", "SABRINA"),
    ("Тоҳир", "TOHIR"),
    ("Умед", "UMED"),
    ("Фарзона", "FARZONA"),
    ("Хуршед", "KHURSHED"),
    ("Шаҳло", "SHAHLO"),
    ("Зарина", "ZARINA"),
    ("Манижа", "MANIZHA"),
    ("Исфандиёр", "ISFANDIYOR"),
    ("Баҳром", "BAHROM"),
]


def _size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1_000}k"


def _rss() -> tuple[int, int]:
    """Current and peak resident set size of this process, in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) // 1024
    return values["VmRSS"], values["VmHWM"]


def _reset_peak() -> None:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


# --- the data -----------------------------------------------------------------------------

_GENERATE = [
    # The officers (200 unless told otherwise), spread over the agreement's three crossing points.
    """
    INSERT INTO "user" (username, password_hash, full_name, role, crossing_point_id, lang,
                        is_active, created_at, must_change_password)
    SELECT 'bench_officer' || g, '!', 'Bench Officer ' || g, 'officer',
           (CAST(:points AS int[]))[1 + g % 3], '', true, :now, false
    FROM generate_series(1, :officers) g
    """,
    """
    INSERT INTO resident (id, authority_id, border_area_id, surname_native, given_names_native,
                          surname_latin, given_names_latin, birth_date, sex, nationality,
                          document_number, address, residence_since, photo_id, created_at,
                          search_text, self_declared)
    SELECT :rbase + g, :authority, :home_area,
           (CAST(:sn AS text[]))[1 + g % 20], (CAST(:gn AS text[]))[1 + (g / 20) % 20],
           (CAST(:sl AS text[]))[1 + g % 20], (CAST(:gl AS text[]))[1 + (g / 20) % 20],
           date '1950-01-01' + ((g::bigint * 7919) % 18000)::int,
           CASE WHEN g % 2 = 0 THEN 'M' ELSE 'F' END,
           'TJK', 'B' || lpad(g::text, 8, '0'), 'Khujand, street ' || (g % 300),
           date '2000-01-01' + (g % 7000), NULL, :now,
           (CAST(:st AS text[]))[1 + g % 20 + 20 * ((g / 20) % 20)]
             || ' b' || lpad(g::text, 8, '0'), false
    FROM generate_series(1, :n) g
    """,
    """
    INSERT INTO application (id, resident_id, authority_id, status, proof_id, submitted_at,
                             decided_at, decided_by_id, reason)
    SELECT :abase + g, :rbase + g, :authority, 'approved', NULL,
           :now - make_interval(days => 20 + g % 1400), :now - make_interval(days => 10 + g % 1400),
           :staff, ''
    FROM generate_series(1, :n) g
    """,
    # Validity from up to ~4 years back; 2 or 5 years long (some expired); a few start later,
    # a few suspended or revoked.
    """
    INSERT INTO permit (id, number, resident_id, authority_id, application_id, border_area_id,
                        valid_from, valid_until, max_stay_days, status, status_reason, kid,
                        payload, photo_hash, issued_at, issued_by_id)
    SELECT :pbase + g, 'TJ-B' || lpad(g::text, 8, '0'), :rbase + g, :authority, :abase + g,
           :host_area, f.valid_from,
           f.valid_from + CASE WHEN g % 3 = 0 THEN 1826 ELSE 730 END, 30,
           CASE WHEN g % 33 = 0 THEN 'suspended' WHEN g % 47 = 0 THEN 'revoked'
                ELSE 'active' END,
           '', :kid, :payload, '', :now - make_interval(days => 10 + g % 1400), :staff
    FROM generate_series(1, :n) g,
         LATERAL (SELECT CASE WHEN g % 50 = 0 THEN :today + 10
                              ELSE :today - (10 + g % 1400) END AS valid_from) f
    """,
    """
    INSERT INTO permitcrossingpoint (permit_id, crossing_point_id)
    SELECT :pbase + g, p FROM generate_series(1, :n) g, unnest(CAST(:points AS int[])) p
    """,
    # 8 or 10 crossings (entry, exit, …: outside now), or 9 for one holder in 20 (inside now,
    # entered up to 40 days ago: some near or over the 30-day limit); 11 days apart.
    """
    INSERT INTO crossing (permit_id, crossing_point_id, officer_id, direction, at, verdict,
                          code, manual)
    SELECT :pbase + g, (CAST(:points AS int[]))[1 + (g + k) % 3],
           (CAST(:officer_ids AS int[]))[1 + (g * k) % :officers],
           CASE WHEN k % 2 = 1 THEN 'entry' ELSE 'exit' END,
           c.last_at - make_interval(days => 11 * (c.cnt - k)), 'VALID', 'valid', false
    FROM generate_series(1, :n) g,
         LATERAL (SELECT CASE WHEN g % 20 = 0 THEN 9 ELSE 8 + 2 * (g % 2) END AS cnt,
                         CASE WHEN g % 20 = 0
                              THEN :now - make_interval(days => (g / 20) % 40, hours => g % 5)
                              ELSE :now - make_interval(days => (g * 7) % 60, hours => g % 24)
                         END AS last_at) c,
         generate_series(1, c.cnt) k
    """,
    # 10 events per permit in time order over the last year: issued by staff, 5 checks and
    # 4 crossings by officers; one permit in 1000 also has a misuse report.
    """
    INSERT INTO auditevent (seq, at, actor_id, actor, action, subject, detail, prev_hash, hash,
                            hash_version)
    SELECT :seq0 + e.i, :now - make_interval(secs => (10 * :n - e.i) * 31536000.0 / (10 * :n)),
           CASE WHEN j = 0 THEN :staff
                ELSE (CAST(:officer_ids AS int[]))[1 + (g * j) % :officers] END,
           CASE WHEN j = 0 THEN 'staff' ELSE 'bench_officer' || (1 + (g * j) % :officers) END,
           e.action, 'TJ-B' || lpad(g::text, 8, '0'),
           CASE e.action
             WHEN 'permit_issued' THEN '{"valid_until": "2028-01-01", "points": 3}'
             WHEN 'permit_checked' THEN
               '{"outcome": "VALID", "code": "valid", "point": "FOTEHOBOD", "source": "camera"}'
             WHEN 'crossing_recorded' THEN
               '{"direction": "entry", "point": "FOTEHOBOD", "code": "valid", "source": "camera"}'
             ELSE '{"point": "FOTEHOBOD", "note": "lent to a relative"}'
           END::json,
           lpad(to_hex(:seq0 + e.i - 1), 64, '0'), lpad(to_hex(:seq0 + e.i), 64, '0'), 2
    FROM generate_series(1, :n) g, generate_series(0, 9) j,
         LATERAL (SELECT (g - 1) * 10 + j + 1 AS i,
                         CASE WHEN j = 0 THEN 'permit_issued'
                              WHEN j = 9 AND g % 1000 = 0 THEN 'misuse_reported'
                              WHEN j <= 5 THEN 'permit_checked'
                              ELSE 'crossing_recorded' END AS action) e
    """,
]


_GENERATED = (
    '"user"',
    "resident",
    "application",
    "permit",
    "permitcrossingpoint",
    "crossing",
    "auditevent",
    "permittally",
    "crossingtally",
    "openstay",
)


def generate(session, n: int, now: datetime, officers: int = OFFICERS) -> dict[str, float]:
    """N permits and their history, and `officers` officers more, in SQL; returns seconds per
    step."""
    import sqlalchemy as sa
    from sqlmodel import select

    from lbt_app.db.models import Authority, BorderArea, CrossingPoint, Permit, SigningKey, User
    from lbt_app.services import demo, statistics

    def one(query):
        return session.exec(query).one()

    authority = one(select(Authority).where(Authority.code == "TJ-SGD-LBT"))
    home = one(select(BorderArea.id).where(BorderArea.code == "TJ-SGD"))
    host = one(select(BorderArea.id).where(BorderArea.code == "UZ-FRG"))
    points = list(session.exec(select(CrossingPoint.id).order_by(CrossingPoint.id)).all())
    staff = one(select(User.id).where(User.username == "staff"))
    kid = one(select(SigningKey.kid).where(SigningKey.authority_id == authority.id))
    payload_len = max(len(p) for p in session.exec(select(Permit.payload)).all())
    assert demo.AGREEMENT_CODE == "TJ-UZ"

    def top(table: str, column: str = "id") -> int:
        return session.execute(sa.text(f'SELECT coalesce(max({column}), 0) FROM "{table}"')).one()[
            0
        ]

    params = {
        "n": n,
        "now": now,
        "today": now.date(),
        "officers": officers,
        "points": points,
        "authority": authority.id,
        "home_area": home,
        "host_area": host,
        "staff": staff,
        "kid": kid,
        "payload": "LBT1:" + "0" * (payload_len - 5),
        "sn": [s for s, _ in SURNAMES],
        "sl": [s for _, s in SURNAMES],
        "gn": [g for g, _ in GIVEN],
        "gl": [g for _, g in GIVEN],
        # search_text as Resident.compose_search_text makes it, without the document number
        "st": [f"{sn} {gn} {sl} {gl}".casefold() for gn, gl in GIVEN for sn, sl in SURNAMES],
        "rbase": top("resident"),
        "abase": top("application"),
        "pbase": top("permit"),
    }
    timings: dict[str, float] = {}
    names = ["officers", "residents", "applications", "permits", "permit points", "crossings"]
    for name, sql in zip([*names, "audit events"], _GENERATE, strict=True):
        if name == "residents":
            params["officer_ids"] = list(
                session.exec(
                    select(User.id).where(User.username.startswith("bench_officer"))  # type: ignore[attr-defined]
                ).all()
            )
        if name == "audit events":
            params["seq0"] = top("auditevent", "seq")
        started = time.perf_counter()
        session.execute(sa.text(sql), params)
        timings[name] = time.perf_counter() - started
        print(f"    {name}: {timings[name]:.1f} s", flush=True)
    for table in ("resident", "application", "permit"):
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
    started = time.perf_counter()
    # The rows above were written around the ORM: the desk's tallies and open stays counted anew.
    statistics.rebuild(session=session, now=now)
    timings["desk tallies"] = time.perf_counter() - started
    print(f"    desk tallies: {timings['desk tallies']:.1f} s", flush=True)
    session.commit()
    started = time.perf_counter()
    # What autovacuum does soon after a load: statistics, and the visibility map that lets
    # index-only scans skip the table (the tables written here, not the database's other schemas).
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"VACUUM ANALYZE {', '.join(_GENERATED)}"))
    timings["vacuum analyze"] = time.perf_counter() - started
    return timings


# --- the operations -----------------------------------------------------------------------


@dataclass
class Context:
    now: datetime
    staff: object
    officer: object
    document: str  # a generated resident's document number
    name: str  # a generated resident's surname
    check_text: str  # a real signed permit (the demo's) the officer checks and records


def operations(ctx: Context) -> dict[str, Callable[[object], object]]:
    from lbt_app.core.stay import Direction
    from lbt_app.services import applications, checks, oversight, permits, residents, statistics
    from lbt_app.services.checks import Source

    def today():
        return ctx.now.astimezone(ctx.staff.zone).date()

    def dashboard(session):
        return statistics.dashboard(session=session, principal=ctx.staff, now=ctx.now)

    def permit_list(session):
        return permits.list_permits(session=session, principal=ctx.staff, today=today())

    def desk(session):
        dashboard(session)
        applications.host_areas(session, ctx.staff)
        return permit_list(session)

    def search(query):
        return lambda session: residents.search_residents(
            session=session, principal=ctx.staff, query=query
        )

    def shift(session):
        return checks.shift(session=session, principal=ctx.officer, now=ctx.now)

    def audit_log(session):
        return oversight.audit_log(session=session, principal=ctx.staff)

    def oversight_refresh(session):
        audit_log(session)
        oversight.misuse_reports(session=session, principal=ctx.staff)
        oversight.audit_actions(principal=ctx.staff)
        return oversight.point_names(session=session, principal=ctx.staff)

    def check_and_record(session):
        # The officer's two steps (each its own request): the way the check proposes, entry and
        # exit in turn, whatever position a kept schema's holder was left in.
        now = datetime.now(UTC)
        check = checks.verify_scan(
            session=session,
            principal=ctx.officer,
            text=ctx.check_text,
            now=now,
            source=Source.CAMERA,
        )
        session.commit()
        assert check.verdict.code == "valid", check.verdict.code
        checks.record_crossing(
            session=session,
            principal=ctx.officer,
            text=ctx.check_text,
            direction=check.direction or Direction.ENTRY,
            check_id=check.check_id,
            now=now,
            source=Source.CAMERA,
        )
        session.commit()

    return {
        "authority dashboard": dashboard,
        "desk refresh (dashboard + list)": desk,
        "permit list, first page, no filter": permit_list,
        "resident search by document number": search(ctx.document),
        "resident search by name": search(ctx.name),
        "officer's shift view": shift,
        "audit log page 1": audit_log,
        "oversight refresh": oversight_refresh,
        "officer check + record": check_and_record,
    }


def make_context(session, n: int, now: datetime) -> Context:
    from sqlmodel import col, select

    from lbt_app.db.models import Permit, Resident, User, WalletSecret
    from lbt_app.services.auth import principal_of

    def principal(username):
        return principal_of(
            session=session, user=session.exec(select(User).where(User.username == username)).one()
        )

    # A demo permit that a camera may show as it is: active, at Fotehobod, no wallet.
    demo_permit = session.exec(
        select(Permit)
        .where(
            Permit.status == "active",
            col(Permit.valid_until) >= now.date(),
            col(Permit.resident_id).not_in(select(WalletSecret.resident_id)),
            col(Permit.number).not_like("TJ-B%"),
        )
        .order_by(Permit.id)
    ).first()
    middle = session.exec(
        select(Resident).where(Resident.document_number == f"B{n // 2:08d}")
    ).one()
    return Context(
        now=now,
        staff=principal("staff"),
        officer=principal("officer1"),
        document=middle.document_number,
        name=middle.surname_latin.lower(),
        check_text=demo_permit.payload,
    )


def with_demo(url: str, schema: str) -> tuple[str, datetime]:
    """A fresh PostgreSQL schema (dropped first if it exists) with the demo data: its URL (the
    app's settings point at it) and the time the data is made for."""
    from sqlmodel import Session

    from lbt_app.db.engine import engine_for
    from lbt_app.services import demo
    from lbt_app.settings import get_settings

    url = throwaway(url, schema)
    now = datetime.now(UTC)
    with Session(engine_for(url)) as session:
        demo.load(session=session, kek=get_settings().key_encryption_key(), now=now)
        session.commit()
    return url, now


def populate(url: str, n: int, now: datetime) -> tuple[Context, dict[str, float]]:
    """N generated permits added to the demo data at `url`: the operations' context, and
    seconds per generation step."""
    from sqlmodel import Session

    from lbt_app.db.engine import engine_for

    with Session(engine_for(url)) as session:
        steps = generate(session, n, now)
        return make_context(session, n, now), steps


@dataclass(frozen=True)
class Fetched:
    """What one run of an operation asked of the database."""

    statements: int  # statements sent
    rows: int  # rows the database returned to Python, over all of them
    seconds: float


def fetched(engine, op: Callable[[object], object]) -> Fetched:
    """Runs `op` once in a session of its own (rolled back after) and counts, through the
    engine's events, its statements and the rows each returned: the cursor's rowcount for
    every statement that returns rows, which psycopg sets to the rows the server sent (the
    whole result, however little of it the code then reads). SQLite's cursor gives -1 there."""
    import sqlalchemy as sa
    from sqlmodel import Session

    counts = {"statements": 0, "rows": 0}

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        counts["statements"] += 1
        if cursor.description is not None:
            counts["rows"] += max(cursor.rowcount, 0)

    sa.event.listen(engine, "after_cursor_execute", count)
    try:
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            op(session)
            seconds = time.perf_counter() - started
            session.rollback()
    finally:
        sa.event.remove(engine, "after_cursor_execute", count)
    return Fetched(counts["statements"], counts["rows"], seconds)


@dataclass
class Figure:
    runs: list[float]
    peak_mb: int
    fetched: Fetched

    @property
    def p50(self) -> float:
        return stats.median(self.runs)

    @property
    def p95(self) -> float:
        ordered = sorted(self.runs)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _measure(engine, ops, runs: int, budget: float) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    for name, op in ops.items():
        _reset_peak()
        timings: list[float] = []
        while len(timings) < runs and (sum(timings) < budget or not timings):
            found = fetched(engine, op)
            timings.append(found.seconds)
        figures[name] = Figure(timings, _rss()[1], found)
        fig = figures[name]
        print(
            f"    {name}: p50 {_ms(fig.p50)}, p95 {_ms(fig.p95)} ({len(timings)} runs), "
            f"peak RSS {fig.peak_mb} MB, {found.rows} rows in {found.statements} statements",
            flush=True,
        )
    return figures


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


# --- EXPLAIN ------------------------------------------------------------------------------


def explain(engine, ops, names: list[str]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement the named operations run."""
    import sqlalchemy as sa
    from sqlmodel import Session

    for name in names:
        statements: list[tuple[str, object]] = []

        def grab(conn, cursor, statement, parameters, context, executemany, found=statements):
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                found.append((statement, parameters))

        sa.event.listen(engine, "before_cursor_execute", grab)
        try:
            with Session(engine) as session:
                ops[name](session)
                session.rollback()
        finally:
            sa.event.remove(engine, "before_cursor_execute", grab)
        print(f"\n== EXPLAIN: {name} ==")
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            for statement, parameters in statements:
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = [row[0] for row in cursor.fetchall()]
                print(" ".join(statement.split())[:300])
                print("   " + "\n   ".join(plan))
            raw.rollback()


# --- the run ------------------------------------------------------------------------------


def _kept(url: str, n: int) -> tuple[str, datetime] | None:
    """The URL of a schema kept by an earlier `--keep` run at this size, migrated to the newest
    schema (new tables filled by their migrations), and the time it was generated at."""
    import sqlalchemy as sa

    from lbt_app.db import migrate
    from lbt_app.settings import get_settings

    schema = f"{SCHEMA}_{_label(n).lower()}"
    with sa.create_engine(url).connect() as conn:
        found = conn.execute(
            sa.text("SELECT obj_description(to_regnamespace(:s), 'pg_namespace')"), {"s": schema}
        ).scalar()
    if not found:
        return None
    sep = "&" if "?" in url else "?"
    url = f"{url}{sep}options=-csearch_path%3D{schema}"
    os.environ["LBT_DATABASE_URL"] = url
    get_settings.cache_clear()
    migrate.upgrade(url)
    return url, datetime.fromisoformat(found)


def bench_size(
    url: str, n: int, runs: int, budget: float, explain_ops: list[str], keep: bool = False
) -> dict:
    import sqlalchemy as sa
    from sqlmodel import Session

    from lbt_app.db.engine import engine_for

    print(f"\n== {_label(n)} permits ==", flush=True)
    started = time.perf_counter()
    kept = _kept(url, n) if keep else None
    if kept:
        url, now = kept
        steps: dict[str, float] = {}
        engine = engine_for(url)
        with Session(engine) as session:
            ctx = make_context(session, n, now)
        print(f"  kept schema, generated at {now:%Y-%m-%d %H:%M}, migrated", flush=True)
    else:
        schema = f"{SCHEMA}_{_label(n).lower()}" if keep else SCHEMA
        url, now = with_demo(url, schema)
        ctx, steps = populate(url, n, now)
        engine = engine_for(url)
        if keep:  # marks the schema complete, with the time its history was made for
            with engine.begin() as conn:
                conn.execute(sa.text(f"COMMENT ON SCHEMA {schema} IS '{now.isoformat()}'"))
    generated = time.perf_counter() - started
    print(f"  generated in {generated:.0f} s", flush=True)
    ops = operations(ctx)
    figures = _measure(engine, ops, runs, budget)
    with Session(engine) as session:  # what the dashboard showed: equal before and after a change
        board = ops["authority dashboard"](session)
        charted = sum(
            sum(v for k, v in row.items() if k != "day") for row in board.crossings_per_day
        )
        print(
            f"  dashboard: {board.figures}, {board.permits_by_status}, {charted} crossings "
            f"charted, first attention: {board.attention[:1]}",
            flush=True,
        )
    if explain_ops:
        explain(engine, ops, explain_ops)
    engine.dispose()
    return {"n": n, "generated": generated, "steps": steps, "figures": figures}


def print_table(results: list[dict]) -> None:
    names = list(results[0]["figures"])
    sizes = [_label(r["n"]) for r in results]
    head = [
        "operation",
        *[f"{s} p50 / p95" for s in sizes],
        "growth per 10×",
        "peak RSS",
        "rows (statements)",
    ]
    print("\n| " + " | ".join(head) + " |")
    print("| " + " | ".join("---" for _ in head) + " |")
    for name in names:
        cells = [name]
        for r in results:
            fig = r["figures"][name]
            cells.append(f"{_ms(fig.p50)} / {_ms(fig.p95)}")
        growth = []
        for a, b in itertools.pairwise(results):
            factor = b["figures"][name].p50 / a["figures"][name].p50
            decades = math.log10(b["n"] / a["n"])
            growth.append(f"×{factor ** (1 / decades):.1f}")
        cells.append(", ".join(growth) or "–")
        cells.append(" / ".join(f"{r['figures'][name].peak_mb} MB" for r in results))
        cells.append(
            " / ".join(
                f"{r['figures'][name].fetched.rows} ({r['figures'][name].fetched.statements})"
                for r in results
            )
        )
        print("| " + " | ".join(cells) + " |")
    print(
        "\nGenerated: " + ", ".join(f"{_label(r['n'])} in {r['generated']:.0f} s" for r in results)
    )


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated, e.g. 10k,100k,1M")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=120, help="seconds per operation")
    parser.add_argument("--url", default=os.environ.get("LBT_TEST_DATABASE_URL", ""))
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep each size's schema and reuse it (migrated) on the next --keep run",
    )
    parser.add_argument(
        "--explain", default="", help="operations to EXPLAIN (ANALYZE, BUFFERS), separated by ;"
    )
    args = parser.parse_args(argv)
    if not args.url.startswith("postgresql"):
        print("bench_scale needs PostgreSQL: set LBT_TEST_DATABASE_URL or pass --url.")
        return []
    explain_ops = [name.strip() for name in args.explain.split(";") if name.strip()]
    results = [
        bench_size(args.url, _size(s), args.runs, args.budget, explain_ops, args.keep)
        for s in args.sizes.split(",")
    ]
    print_table(results)
    return results


if __name__ == "__main__":
    main()
