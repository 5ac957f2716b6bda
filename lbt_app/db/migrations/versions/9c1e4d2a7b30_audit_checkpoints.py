"""audit checkpoints and hash versions

Revision ID: 9c1e4d2a7b30
Revises: a41f6e2c8d57
Create Date: 2026-11-30 10:00:00.000000

Events written before this revision keep their hashes and are marked version 1 (their hash
leaves out actor_id); they are checked as they were written, never re-chained, so whatever
they held before the upgrade is neither blessed nor lost. New events are version 2. A
downgrade drops the versions: events written since then no longer verify under the older
app (its check names the first of them).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import lbt_app.db.types


# revision identifiers, used by Alembic.
revision: str = '9c1e4d2a7b30'
down_revision: str | None = "a41f6e2c8d57"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('auditcheckpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('head_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', lbt_app.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kid', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auditcheckpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditcheckpoint_seq'), ['seq'], unique=True)

    # The server default marks the existing rows (and any row written by an older app) as
    # version 1; the app writes version 2 explicitly.
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('hash_version', sa.Integer(), nullable=False, server_default='1')
        )


def downgrade() -> None:
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_column('hash_version')

    with op.batch_alter_table('auditcheckpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditcheckpoint_seq'))

    op.drop_table('auditcheckpoint')
