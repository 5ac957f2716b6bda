"""search and audit indexes: the registry's name search and the audit log read an index

Residents' `search_text` (names in both scripts and the document number, case-folded) gets a
trigram index: on PostgreSQL a GIN index with pg_trgm's `gin_trgm_ops` (the extension is
created here, in the schema `public` when it exists: it is trusted, a database owner may
create it), which `LIKE '%word%'` uses for
words of three characters or more; on SQLite an FTS5 table with the trigram tokenizer
(`resident_search`, external content over `resident`), kept in step by triggers on insert,
update and delete, and filled from the existing rows.

Audit events get an index on (action, seq): the audit log filtered by one action pages
newest first from it (keyset: `seq < …`); it replaces the index on action alone.

Index creation only, plus the FTS table's rebuild on SQLite.

Revision ID: c4a7e2f91b36
Revises: c7e2a5d91f04
Create Date: 2026-12-02 11:40:00.000000
"""
from typing import Sequence, Union

from alembic import op

from lbt_app.db.extensions import pg_trgm_schema


# revision identifiers, used by Alembic.
revision: str = 'c4a7e2f91b36'
down_revision: Union[str, None] = 'c7e2a5d91f04'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE resident_search USING fts5("
    "search_text, content='resident', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER resident_search_insert AFTER INSERT ON resident BEGIN "
    "INSERT INTO resident_search (rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER resident_search_delete AFTER DELETE ON resident BEGIN "
    "INSERT INTO resident_search (resident_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER resident_search_update AFTER UPDATE OF search_text ON resident BEGIN "
    "INSERT INTO resident_search (resident_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO resident_search (rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO resident_search (resident_search) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS resident_search_update",
    "DROP TRIGGER IF EXISTS resident_search_delete",
    "DROP TRIGGER IF EXISTS resident_search_insert",
    "DROP TABLE IF EXISTS resident_search",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        schema = pg_trgm_schema(op.get_bind())
        # The operator class named with its schema (quoted as needed): the search path may not
    # hold it.
        op.create_index(
            'ix_resident_search_trgm', 'resident', ['search_text'],
            postgresql_using='gin',
            postgresql_ops={'search_text': f'{schema}.gin_trgm_ops'},
        )
    else:
        for statement in SQLITE_UP:
            op.execute(statement)
    op.create_index('ix_auditevent_action_seq', 'auditevent', ['action', 'seq'], unique=False)
    op.drop_index('ix_auditevent_action', table_name='auditevent')


def downgrade() -> None:
    op.create_index('ix_auditevent_action', 'auditevent', ['action'], unique=False)
    op.drop_index('ix_auditevent_action_seq', table_name='auditevent')
    if op.get_bind().dialect.name == 'postgresql':
        # The extension stays: other objects of the database may use it.
        op.drop_index('ix_resident_search_trgm', table_name='resident')
    else:
        for statement in SQLITE_DOWN:
            op.execute(statement)
