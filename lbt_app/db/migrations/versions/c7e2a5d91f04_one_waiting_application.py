"""one waiting application per resident

At most one submitted application per resident (partial unique index
`uq_application_waiting` on application(resident_id) where status = 'submitted').

An old installation may hold two or more waiting applications of one resident already (two
staff, or a resident online and a staff member, filed at the same moment). The oldest one
(submitted first; the lower id when submitted at the same moment) keeps waiting. Each later
one is rejected, decided now by no one, with a reason the resident and the reviewer see
(naming the one that waits), and is named in a warning during the upgrade. No permit is
touched (a waiting application has none). The rejections are not written to the audit log:
an audit event is hashed and, every 1,000th, signed with the key-encryption key, which a
migration does not hold; the warning and the row's reason are the record. A downgrade drops
the index and leaves those applications rejected.

Revision ID: c7e2a5d91f04
Revises: c4e8a1f07b92
Create Date: 2026-12-02 11:40:00.000000
"""
import logging
from datetime import UTC, datetime
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c7e2a5d91f04'
down_revision: Union[str, None] = 'c4e8a1f07b92'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")
WAITING = "status = 'submitted'"
REASON = (
    "Closed when the app was upgraded: application {kept} of this resident was already waiting"
    " and is reviewed instead."
)
# Each waiting application with an older waiting one of the same resident, and the oldest.
_LATER = sa.text(
    "SELECT a.id, a.resident_id, (SELECT k.id FROM application k WHERE k.resident_id ="
    " a.resident_id AND k.status = 'submitted' ORDER BY k.submitted_at, k.id LIMIT 1)"
    " FROM application a WHERE a.status = 'submitted' AND EXISTS (SELECT 1 FROM application b"
    " WHERE b.resident_id = a.resident_id AND b.status = 'submitted' AND (b.submitted_at <"
    " a.submitted_at OR (b.submitted_at = a.submitted_at AND b.id < a.id))) ORDER BY a.id"
)


def _close_later_duplicates() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":  # stored as naive UTC there (lbt_app.db.types)
        now = now.replace(tzinfo=None)
    for application_id, resident_id, kept in connection.execute(_LATER).all():
        log.warning(
            "application %s was a second waiting application of resident %s: it is rejected,"
            " application %s waits",
            application_id,
            resident_id,
            kept,
        )
        connection.execute(
            sa.text(
                "UPDATE application SET status = 'rejected', decided_at = :now,"
                " decided_by_id = NULL, reason = :reason WHERE id = :id"
            ),
            {"now": now, "reason": REASON.format(kept=kept), "id": application_id},
        )


def upgrade() -> None:
    _close_later_duplicates()
    op.create_index(
        'uq_application_waiting',
        'application',
        ['resident_id'],
        unique=True,
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index(
        'uq_application_waiting',
        table_name='application',
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )
