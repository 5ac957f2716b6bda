"""permit list order: the desk's list read from one index, ties in issue time included

The desk lists permits newest first by (issued_at, id). An index on issued_at alone left the
permits issued at one instant (a bulk approval's, a loader's) to be read whole and sorted
before the first page: 723 rows for a page of 50 at a million permits. The index on
(issued_at, id) gives the page in order.

Revision ID: b6e1f4a2d807
Revises: f3b8d2c6a915
Create Date: 2026-12-02 23:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b6e1f4a2d807"
down_revision: str | None = "f3b8d2c6a915"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_permit_issued_at_id", "permit", ["issued_at", "id"], unique=False)
    op.drop_index("ix_permit_issued_at", table_name="permit")


def downgrade() -> None:
    op.create_index("ix_permit_issued_at", "permit", ["issued_at"], unique=False)
    op.drop_index("ix_permit_issued_at_id", table_name="permit")
