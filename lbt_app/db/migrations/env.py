"""Alembic environment: the URL comes from the app's settings, the tables from SQLModel."""

from alembic import context
from sqlmodel import SQLModel

from lbt_app.db.engine import engine_for
from lbt_app.db.models import managed_by_models  # (also registers the tables on the metadata)
from lbt_app.settings import get_settings

_OPTIONS = {
    "target_metadata": SQLModel.metadata,
    "render_as_batch": True,
    "include_name": managed_by_models,
}


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **_OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    with engine_for(get_settings().database_url).connect() as conn:
        context.configure(connection=conn, **_OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


run_migrations()
