"""real installation: users' second factor, served areas, refusal list terms

Users get a last sign-in, a forced password change after a reset, and a sealed TOTP secret
with one-use recovery codes; agreements a validity range and the languages their cards print
in; crossing points a native name and the border areas they serve; refusal entries a name, an
end date and who lifted them. Every new column has a default: existing rows stay as they were.

Revision ID: ed630585f8c6
Revises: 9c1e4d2a7b30
Create Date: 2026-12-02 04:39:30.557488
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import lbt_app.db.types


# revision identifiers, used by Alembic.
revision: str = 'ed630585f8c6'
down_revision: Union[str, None] = '9c1e4d2a7b30'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = lbt_app.db.types.UTCDateTime(timezone=True)
# Plain ADD / DROP COLUMN (SQLite 3.35+ does both in place): these tables are referenced by
# others, and a batch copy of them would trip SQLite's foreign keys while the rows move.
def _in_place() -> dict[str, list[sa.Column]]:
    return {
        'agreement': [
            sa.Column('min_validity_years', sa.Integer(), server_default='1', nullable=False),
            sa.Column('card_languages', sa.String(length=16), server_default='', nullable=False),
        ],
        'crossingpoint': [
            sa.Column('name_native', sa.String(length=200), server_default='', nullable=False),
        ],
        'user': [
            sa.Column('last_sign_in_at', UTC, nullable=True),
            sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False),
            sa.Column('totp_secret_sealed', sa.LargeBinary(), nullable=True),
            sa.Column('totp_enabled_at', UTC, nullable=True),
            sa.Column('totp_last_step', sa.Integer(), nullable=True),
        ],
    }


def upgrade() -> None:
    op.create_table('crossingpointarea',
    sa.Column('crossing_point_id', sa.Integer(), nullable=False),
    sa.Column('border_area_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['border_area_id'], ['borderarea.id'], ),
    sa.ForeignKeyConstraint(['crossing_point_id'], ['crossingpoint.id'], ),
    sa.PrimaryKeyConstraint('crossing_point_id', 'border_area_id')
    )
    op.create_table('recoverycode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('used_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recoverycode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recoverycode_user_id'), ['user_id'], unique=False)

    for table, columns in _in_place().items():
        for column in columns:
            op.add_column(table, column)

    with op.batch_alter_table('refusalentry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('lifted_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('lifted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_refusalentry_lifted_by_id_user', 'user', ['lifted_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('refusalentry', schema=None) as batch_op:
        batch_op.drop_constraint('fk_refusalentry_lifted_by_id_user', type_='foreignkey')
        batch_op.drop_column('lifted_by_id')
        batch_op.drop_column('lifted_at')
        batch_op.drop_column('until')
        batch_op.drop_column('full_name')

    for table, columns in _in_place().items():
        for column in reversed(columns):
            op.drop_column(table, column.name)

    with op.batch_alter_table('recoverycode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recoverycode_user_id'))

    op.drop_table('recoverycode')
    op.drop_table('crossingpointarea')
