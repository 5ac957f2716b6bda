"""open stay tally: holders inside per agreement and last allowed day

The desk's "inside now", "near the limit" and "over the limit" were counted over every open
stay (50k rows at a million permits); `openstaytally` keeps them per last allowed day, so the
desk sums a row a day. The upgrade finds the holders inside from the crossings again (the
app's set-based rebuild: one grouped pass, core judging only the holders inside) and counts
them into the new table.

Revision ID: f3b8d2c6a915
Revises: c4a7e2f91b36
Create Date: 2026-12-02 23:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from alembic import op

revision: str = "f3b8d2c6a915"
down_revision: str | None = "c4a7e2f91b36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openstaytally",
        sa.Column("agreement_id", sa.Integer(), sa.ForeignKey("agreement.id"), nullable=False),
        sa.Column("must_leave_by", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", "must_leave_by"),
    )
    from lbt_app.services.stays import rebuild_open_stays

    with Session(bind=op.get_bind()) as session:
        rebuild_open_stays(session, datetime.now(UTC))
        session.flush()


def downgrade() -> None:
    op.drop_table("openstaytally")
