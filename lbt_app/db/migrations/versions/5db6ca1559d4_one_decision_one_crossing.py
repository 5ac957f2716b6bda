"""one permit per application, one crossing per check

A permit names at most one application (unique index `uq_permit_application`; renewals name
none). A crossing names the officer's check it was recorded from (`crossing.check_id`, the
check's `permit_checked` audit event), at most once (`uq_crossing_check`); older crossings
name none.

An old installation may hold two permits for one application already (two staff approved it
at the same moment). The first one issued keeps the link. Each later one stays as it was issued
(it is signed, and may be printed or in a wallet) but no longer names the application; the
upgrade names each such permit in a warning, so that staff can revoke the spare one. A
downgrade does not restore those links.

Revision ID: 5db6ca1559d4
Revises: 3e7b9d41c2a8
Create Date: 2026-12-02 08:07:29.000000
"""
import logging
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5db6ca1559d4'
down_revision: Union[str, None] = '3e7b9d41c2a8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")
_SPARE = sa.text(
    "SELECT p.id, p.number, p.application_id FROM permit p WHERE p.application_id IS NOT NULL"
    " AND EXISTS (SELECT 1 FROM permit q WHERE q.application_id = p.application_id"
    " AND q.id < p.id) ORDER BY p.id"
)


def _unlink_spare_permits() -> None:
    connection = op.get_bind()
    spare = connection.execute(_SPARE).all()
    for _id, number, application_id in spare:
        log.warning(
            "permit %s was a second permit for application %s: it no longer names the"
            " application (revoke it if the holder should keep only the first)",
            number,
            application_id,
        )
    if spare:
        connection.execute(
            sa.text("UPDATE permit SET application_id = NULL WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": [row[0] for row in spare]},
        )


def upgrade() -> None:
    _unlink_spare_permits()
    op.create_index('uq_permit_application', 'permit', ['application_id'], unique=True)
    with op.batch_alter_table('crossing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_crossing_check_id_auditevent', 'auditevent', ['check_id'], ['id']
        )
        batch_op.create_index('uq_crossing_check', ['check_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('crossing', schema=None) as batch_op:
        batch_op.drop_index('uq_crossing_check')
        batch_op.drop_constraint('fk_crossing_check_id_auditevent', type_='foreignkey')
        batch_op.drop_column('check_id')
    op.drop_index('uq_permit_application', table_name='permit')
