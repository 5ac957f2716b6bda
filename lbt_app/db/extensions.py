"""PostgreSQL extensions the schema needs: pg_trgm for the registry's name search (its GIN
index). Made by the migration that adds the index and before a backup is restored."""

from __future__ import annotations

import sqlalchemy as sa

NO_TRIGRAMS = (
    "Could not create the PostgreSQL extension pg_trgm ({error}). The registry's name search "
    "needs it. As a superuser, run in this database: CREATE EXTENSION pg_trgm WITH SCHEMA public; "
    "then try again."
)


def pg_trgm_schema(connection: sa.Connection) -> str:
    """Create pg_trgm if the database lacks it — in `public` when that schema exists (an
    installation may run in a schema of its own; an extension lives once per database) — and
    say which schema holds it, quoted as an identifier where needed."""
    found = sa.text(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    )
    schema = connection.execute(found).scalar()
    if schema:
        return schema
    public = connection.execute(sa.text("SELECT to_regnamespace('public') IS NOT NULL")).scalar()
    try:
        with connection.begin_nested():
            connection.execute(
                sa.text("CREATE EXTENSION pg_trgm" + (" WITH SCHEMA public" if public else ""))
            )
    except sa.exc.DBAPIError as error:
        raise RuntimeError(NO_TRIGRAMS.format(error=str(error.orig).strip())) from None
    return connection.execute(found).scalar_one()
