"""Alembic environment: the URL comes from the app's settings, the tables from SQLModel."""

from sqlmodel import SQLModel

import lbt_app.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from alembic import context
from lbt_app.db.engine import engine_for
from lbt_app.settings import get_settings

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    with engine_for(get_settings().database_url).connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


run_migrations()
