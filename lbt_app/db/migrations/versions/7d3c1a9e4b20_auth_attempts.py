"""auth attempts: failed sign-ins and sign-ups by name and client address (the throttle)

Revision ID: 7d3c1a9e4b20
Revises: 5faf150ea5cc
Create Date: 2026-11-30 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import lbt_app.db.types
from alembic import op

revision: str = "7d3c1a9e4b20"
down_revision: str | None = "5faf150ea5cc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", lbt_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("throttle_noted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("authattempt", schema=None) as batch_op:
        batch_op.create_index("ix_authattempt_at", ["at"], unique=False)
        batch_op.create_index(
            "ix_authattempt_kind_address_at", ["kind", "address", "at"], unique=False
        )
        batch_op.create_index(
            "ix_authattempt_kind_username_at", ["kind", "username", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("authattempt", schema=None) as batch_op:
        batch_op.drop_index("ix_authattempt_kind_username_at")
        batch_op.drop_index("ix_authattempt_kind_address_at")
        batch_op.drop_index("ix_authattempt_at")
    op.drop_table("authattempt")
