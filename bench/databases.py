"""A throw-away, migrated database for one benchmark: SQLite in a temporary folder, or a
PostgreSQL schema of its own (dropped and made anew) when given a PostgreSQL URL."""

from __future__ import annotations

import os
import tempfile


def throwaway(url: str | None, name: str) -> str:
    """The URL of an empty database at the newest schema; the app's settings point at it."""
    import sqlalchemy as sa

    from lbt_app.db import migrate
    from lbt_app.settings import get_settings

    if url is None:
        tmp = tempfile.mkdtemp(prefix=f"{name}-")
        os.environ["LBT_DATA_DIR"] = tmp
        url = f"sqlite:///{tmp}/bench.db"
    else:
        with sa.create_engine(url).begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}options=-csearch_path%3D{name}"
    os.environ["LBT_DATABASE_URL"] = url
    get_settings.cache_clear()
    migrate.upgrade(url)
    return url
