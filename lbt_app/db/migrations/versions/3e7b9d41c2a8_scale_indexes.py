"""scale indexes: what the dashboard, the desk's list and the officer's shift look up

Permits by authority and status (the dashboard counts from this index alone), by issue time
(the desk's list, newest first); crossings by time and point (crossings per day), and by
permit and time with the direction (each permit's last crossing from the index alone: it
replaces ix_crossing_permit_at); audit events by actor and time (an officer's shift) and by
time.

Revision ID: 3e7b9d41c2a8
Revises: ed630585f8c6
Create Date: 2026-12-02 08:30:00.000000
"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '3e7b9d41c2a8'
down_revision: Union[str, None] = 'ed630585f8c6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = [
    ('ix_permit_authority_status', 'permit', ['authority_id', 'status', 'valid_until', 'max_stay_days']),
    ('ix_permit_issued_at', 'permit', ['issued_at']),
    ('ix_crossing_at_point', 'crossing', ['at', 'crossing_point_id']),
    ('ix_crossing_permit_at_direction', 'crossing', ['permit_id', 'at', 'direction']),
    ('ix_auditevent_actor_at', 'auditevent', ['actor_id', 'at']),
    ('ix_auditevent_at', 'auditevent', ['at']),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.drop_index('ix_crossing_permit_at', table_name='crossing')


def downgrade() -> None:
    op.create_index('ix_crossing_permit_at', 'crossing', ['permit_id', 'at'], unique=False)
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
