"""desk tallies: permit counts, crossings per day and the open stays, kept on write

Three small tables the authority's dashboard reads instead of every permit and crossing:
`permittally` (permits per authority, stored status and last day), `crossingtally` (crossings
per crossing point and calendar day in the agreement's zone) and `openstay` (one row per holder
inside now, with the stay's start and last allowed day). The upgrade fills them from the
permits and crossings already recorded, with the same rebuild the app uses after bulk loads
(set-based: one grouped pass); `openstay` is filled by f3b8d2c6a915.

Revision ID: c4e8a1f07b92
Revises: 5db6ca1559d4
Create Date: 2026-12-02 12:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa

from alembic import op
from lbt_app.db.types import UTCDateTime


# revision identifiers, used by Alembic.
revision: str = 'c4e8a1f07b92'
down_revision: Union[str, None] = '5db6ca1559d4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'permittally',
        sa.Column('authority_id', sa.Integer(), sa.ForeignKey('authority.id'), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('authority_id', 'status', 'valid_until'),
    )
    op.create_table(
        'crossingtally',
        sa.Column(
            'crossing_point_id', sa.Integer(), sa.ForeignKey('crossingpoint.id'), nullable=False
        ),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('crossing_point_id', 'day'),
    )
    op.create_table(
        'openstay',
        sa.Column('agreement_id', sa.Integer(), sa.ForeignKey('agreement.id'), nullable=False),
        sa.Column('resident_id', sa.Integer(), sa.ForeignKey('resident.id'), nullable=False),
        sa.Column('permit_id', sa.Integer(), sa.ForeignKey('permit.id'), nullable=False),
        sa.Column('entered_at', UTCDateTime(), nullable=False),
        sa.Column('must_leave_by', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('agreement_id', 'resident_id'),
    )
    op.create_index(
        'ix_openstay_agreement_leave', 'openstay', ['agreement_id', 'must_leave_by', 'resident_id']
    )
    # The open stays are found by the migration that adds their tally (f3b8d2c6a915): the
    # app's code that finds them writes that tally too.
    from lbt_app.db import tallies

    tallies.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_openstay_agreement_leave', table_name='openstay')
    op.drop_table('openstay')
    op.drop_table('crossingtally')
    op.drop_table('permittally')
