"""resident search text: names in both scripts and the document number, case-folded

Revision ID: 5cf50aad496f
Revises: 27f46c50b563
Create Date: 2026-11-29 11:18:42.468033
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "5cf50aad496f"
down_revision: str | None = "27f46c50b563"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "search_text",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )
    # Existing rows: the same text the application computes (Python casefold, not SQL lower).
    from lbt_app.db.models import Resident

    conn = op.get_bind()
    table = sa.table(
        "resident",
        sa.column("id"),
        sa.column("surname_native"),
        sa.column("given_names_native"),
        sa.column("surname_latin"),
        sa.column("given_names_latin"),
        sa.column("document_number"),
        sa.column("search_text"),
    )
    for row in conn.execute(sa.select(table)).all():
        text = Resident.compose_search_text(
            row.surname_native,
            row.given_names_native,
            row.surname_latin,
            row.given_names_latin,
            row.document_number,
        )
        conn.execute(table.update().where(table.c.id == row.id).values(search_text=text))
    # The server default stays: removing it would make SQLite rebuild the table, which its
    # foreign keys forbid once residents are referenced.


def downgrade() -> None:
    op.drop_column("resident", "search_text")  # SQLite 3.35+ drops a column in place
