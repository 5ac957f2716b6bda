"""Bring a database to the newest schema with the committed Alembic migrations, and say how far
a database is from it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError

from lbt_app.db.engine import engine_for


def alembic_config() -> Config:
    """The committed migrations (lbt_app/db/migrations); not in the project's root, where
    `reflex run` would compare them with the models without the search index's tables and
    say, on every start, that migrations are missing."""
    return Config(str(Path(__file__).with_name("alembic.ini")))


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against this version's migrations."""

    current: str | None  # None: no schema at all (an empty database)
    head: str
    behind: int | None  # migrations still to apply; None: `current` is unknown to this version

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def schema_state(connection: sa.Connection) -> SchemaState:
    current = MigrationContext.configure(connection).get_current_revision()
    head = _scripts().get_current_head() or ""
    return SchemaState(current=current, head=head, behind=steps_behind(current))


def steps_behind(current: str | None) -> int | None:
    """The migrations from `current` to this version's head; None: this version does not know
    `current` (written by a newer version of the app, or by hand)."""
    scripts = _scripts()
    try:
        steps = scripts.iterate_revisions(scripts.get_current_head() or "", current or None)
        return len(list(steps))
    except RevisionError:
        return None


def upgrade(url: str) -> None:
    config = alembic_config()
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def downgrade_all(url: str) -> None:
    config = alembic_config()
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
