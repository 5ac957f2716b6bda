"""Bring a database to the newest schema with the committed Alembic migrations."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from lbt_app.db.engine import engine_for
from lbt_app.settings import PROJECT_ROOT


def upgrade(url: str) -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def downgrade_all(url: str) -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
