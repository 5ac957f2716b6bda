"""QR version of every demo permit, issued through the real services into a throw-away SQLite.

Run: .venv/bin/python bench/bench_demo_qr.py
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime


def demo_permit_sizes() -> list[tuple[str, str, int, int, int]]:
    """(number, holder, characters, QR version, modules) for each demo permit."""
    tmp = tempfile.mkdtemp(prefix="lbt-bench-")
    os.environ["LBT_DATA_DIR"] = tmp
    os.environ["LBT_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
    from sqlmodel import Session, select

    from lbt_app.core.qr import qr_matrix_info
    from lbt_app.db import migrate
    from lbt_app.db.engine import engine_for
    from lbt_app.db.models import Permit, Resident
    from lbt_app.services import demo
    from lbt_app.settings import get_settings

    get_settings.cache_clear()
    url = get_settings().database_url
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        demo.load(session=session, kek=get_settings().key_encryption_key(), now=datetime.now(UTC))
        session.commit()
        rows = session.exec(select(Permit, Resident).where(Permit.resident_id == Resident.id))
        sizes = []
        for permit, resident in rows:
            info = qr_matrix_info(permit.payload)
            holder = f"{resident.surname_latin} {resident.given_names_latin}"
            sizes.append((permit.number, holder, len(permit.payload), info.version, info.modules))
    return sizes


def print_sizes(sizes: list[tuple[str, str, int, int, int]]) -> None:
    print(f"{'permit':<13} {'holder':<30} {'chars':>5} {'version':>7} {'modules':>7}")
    for number, holder, chars, version, modules in sizes:
        print(f"{number:<13} {holder:<30} {chars:>5} {version:>5}-M {modules:>7}")


if __name__ == "__main__":
    print_sizes(demo_permit_sizes())
