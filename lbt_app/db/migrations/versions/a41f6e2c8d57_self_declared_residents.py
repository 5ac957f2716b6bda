"""self-declared residents: an online applicant's record may repeat a document number

The document number stays unique among confirmed residents (a partial unique index); a record
entered online is self-declared until an approval confirms it.

Revision ID: a41f6e2c8d57
Revises: 7d3c1a9e4b20
Create Date: 2026-11-30 09:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "a41f6e2c8d57"
down_revision: str | None = "7d3c1a9e4b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONFIRMED = sa.text("NOT self_declared")


def upgrade() -> None:
    # Index changes and an added column with a default: no table rebuild on SQLite.
    op.add_column(
        "resident",
        sa.Column("self_declared", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.drop_index("ix_resident_document_number", table_name="resident")
    op.create_index("ix_resident_document_number", "resident", ["document_number"], unique=False)
    op.create_index(
        "uq_resident_document_number_confirmed",
        "resident",
        ["document_number"],
        unique=True,
        sqlite_where=_CONFIRMED,
        postgresql_where=_CONFIRMED,
    )


def downgrade() -> None:
    """Fails while two residents share a document number: settle those first."""
    op.drop_index("uq_resident_document_number_confirmed", table_name="resident")
    op.drop_index("ix_resident_document_number", table_name="resident")
    op.create_index("ix_resident_document_number", "resident", ["document_number"], unique=True)
    op.drop_column("resident", "self_declared")  # SQLite 3.35+ drops a column in place
