"""The schema: constraints, timestamps and indexes, on every backend."""

import logging
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from lbt_app.core.access import Role
from lbt_app.db.engine import engine_for
from lbt_app.db.models import (
    Agreement,
    AuditEvent,
    Crossing,
    Permit,
    Resident,
    User,
    managed_by_models,
)
from lbt_app.settings import PROJECT_ROOT


def test_migrations_match_the_models(db_url):
    with engine_for(db_url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": managed_by_models})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_reflex_finds_no_schema_changes_to_report_when_the_app_starts(db_url, monkeypatch, caplog):
    """`reflex run` compares the models with the database when it finds an alembic.ini in the
    project's root, without the filter the migrations use: on every start it said migrations
    were missing (the name search's own tables), and `reflex db makemigrations` would have
    written one dropping them. The migrations live in lbt_app/db, where it does not look."""
    from reflex.utils import prerequisites
    from reflex_base.config import get_config

    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setattr(get_config(), "db_url", db_url)
    with caplog.at_level(logging.INFO, logger=prerequisites.__name__):
        prerequisites.check_schema_up_to_date()
    assert [r.getMessage() for r in caplog.records] == []


def test_timestamps_come_back_timezone_aware_utc(session):
    event = session.exec(select(AuditEvent).order_by(AuditEvent.seq)).first()
    assert event.at.tzinfo is not None
    assert event.at.utcoffset() == timedelta(0)


def test_a_naive_timestamp_is_refused(session):
    permit = session.exec(select(Permit)).first()
    session.add(
        Crossing(
            permit_id=permit.id,
            crossing_point_id=1,
            direction="entry",
            at=datetime(2026, 1, 1, 12, 0),
            verdict="VALID",
            code="valid",
        )
    )
    with pytest.raises(sa.exc.StatementError, match="naive"):
        session.flush()


def test_an_aware_timestamp_in_another_zone_is_stored_as_the_same_instant(session):
    permit = session.exec(select(Permit)).first()
    tashkent = timezone(timedelta(hours=5))
    at = datetime(2026, 5, 1, 8, 0, tzinfo=tashkent)
    session.add(
        Crossing(
            permit_id=permit.id,
            crossing_point_id=1,
            direction="entry",
            at=at,
            verdict="VALID",
            code="valid",
        )
    )
    session.commit()
    back = session.exec(select(Crossing).where(Crossing.at == at)).one()
    assert back.at == datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("model", "changes"),
    [
        (Agreement, {"max_stay_days": 91}),
        (Agreement, {"max_validity_years": 6}),
        (Agreement, {"period_cap_days": 90}),  # a cap needs its period
        (Permit, {"valid_until": date(2000, 1, 1)}),
    ],
)
def test_check_constraints_refuse_what_the_regulation_forbids(session, model, changes):
    row = session.exec(select(model)).first()
    for key, value in changes.items():
        setattr(row, key, value)
    session.add(row)
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_crossing_direction_is_entry_or_exit(session):
    permit = session.exec(select(Permit)).first()
    session.add(
        Crossing(
            permit_id=permit.id,
            crossing_point_id=1,
            direction="sideways",
            at=datetime.now(UTC),
            verdict="VALID",
            code="valid",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_officer_needs_a_crossing_point_and_staff_an_authority(session):
    session.add(User(username="x1", password_hash="h", full_name="X", role=Role.OFFICER))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()
    session.rollback()
    session.add(User(username="x2", password_hash="h", full_name="X", role=Role.AUTHORITY))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_document_numbers_and_permit_numbers_are_unique(session):
    resident = session.exec(select(Resident)).first()
    clone = Resident(**{k: v for k, v in resident.model_dump().items() if k != "id"})
    session.add(clone)
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_foreign_keys_are_enforced(session):
    session.add(
        Crossing(
            permit_id=999999,
            crossing_point_id=1,
            direction="entry",
            at=datetime.now(UTC),
            verdict="VALID",
            code="valid",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_the_lookups_have_indexes(db_url):
    inspector = sa.inspect(engine_for(db_url))

    def indexed(table: str) -> list[list[str]]:
        found = [ix["column_names"] for ix in inspector.get_indexes(table)]
        found += [uc["column_names"] for uc in inspector.get_unique_constraints(table)]
        return found

    assert ["number"] in indexed("permit")
    assert ["document_number"] in indexed("resident")

    def leads(table: str, columns: list[str]) -> bool:
        return any(found[: len(columns)] == columns for found in indexed(table))

    assert leads("crossing", ["permit_id", "at"]) and leads("crossing", ["at"])
    assert leads("permit", ["issued_at"]) and leads("permit", ["authority_id", "status"])
    assert leads("auditevent", ["actor_id", "at"]) and leads("auditevent", ["at"])


def test_a_database_with_data_migrates_down_and_up_again(tmp_path):
    """An embedded installation upgraded in place keeps its residents (SQLite foreign keys on)."""
    from alembic import command
    from sqlmodel import Session

    from lbt_app.db import migrate
    from lbt_app.services import demo
    from tests.conftest import NOW

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        demo.load(session=session, kek=bytes(32), now=NOW)
        session.commit()
    config = migrate.alembic_config()
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "27f46c50b563")  # the first release's schema, data kept
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        residents = session.exec(select(Resident)).all()
    assert len(residents) == 9
    assert all(r.surname_native.casefold() in r.search_text for r in residents)


def test_events_hashed_before_checkpoints_keep_verifying_after_the_upgrade(tmp_path):
    """Old events become hash version 1 as they are; new ones are version 2; down and up again."""
    from alembic import command
    from sqlmodel import Session

    from lbt_app.core.audit_chain import GENESIS, EventFields, event_hash
    from lbt_app.db import migrate
    from lbt_app.services import audit
    from tests.conftest import NOW

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = migrate.alembic_config()

    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "5faf150ea5cc")
    prev = GENESIS
    with engine_for(url).begin() as conn:
        for seq in (1, 2, 3):
            fields = EventFields(seq, NOW, None, "cli", "old", str(seq), {"n": seq}, prev)
            prev = event_hash(fields, version=1)
            conn.execute(
                sa.text(
                    "INSERT INTO auditevent (seq, at, actor, action, subject, detail, prev_hash,"
                    " hash) VALUES (:seq, :at, 'cli', 'old', :subject, :detail, :prev, :hash)"
                ),
                {
                    "seq": seq,
                    "at": NOW.replace(tzinfo=None),
                    "subject": str(seq),
                    "detail": f'{{"n": {seq}}}',
                    "prev": fields.prev_hash,
                    "hash": prev,
                },
            )
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        audit.record(session=session, action="new", now=NOW, actor_name="cli")
        session.commit()
        versions = session.exec(select(AuditEvent.hash_version).order_by(AuditEvent.seq)).all()
        check = audit.verify_chain(session=session)
    assert versions == [1, 1, 1, 2]
    assert check.ok and check.events == 4 and check.legacy == 3
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "5faf150ea5cc")
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        check = audit.verify_chain(session=session)
    # A downgrade drops the version marks: the events written since no longer verify.
    assert not check.ok and check.first_broken_seq == 4


def test_the_name_search_index_is_made_for_existing_residents_and_removed_again(db_url):
    """Down to the revision before the search index and up again, on either database: the
    residents registered meanwhile are found through the index the upgrade builds."""
    from alembic import command
    from sqlmodel import Session

    from lbt_app.db import migrate
    from lbt_app.services import residents
    from tests.app.factories import principal

    config = migrate.alembic_config()
    with engine_for(db_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "5db6ca1559d4")
        names = set(sa.inspect(connection).get_table_names())
        indexes = {i["name"] for i in sa.inspect(connection).get_indexes("resident")}
    assert "resident_search" not in names and "ix_resident_search_trgm" not in indexes
    with Session(engine_for(db_url)) as session:  # registered while the index is gone
        resident = session.exec(select(Resident).where(Resident.surname_latin == "GHAFUROVA")).one()
        resident.surname_native = "Ӯрунова"
        session.add(resident)
        session.commit()
    migrate.upgrade(db_url)
    with Session(engine_for(db_url)) as session:
        staff = principal(session, "staff")
        rows, total = residents.search_residents(session=session, principal=staff, query="ӯрун")
        assert [r.surname_latin for r in rows] == ["GHAFUROVA"] and total == 1
        # and it is kept in step after the last migration: on SQLite by triggers on `resident`,
        # which a later migration recreating that table (Alembic's batch mode) would drop
        resident.surname_native = "Ҷӯрахонова"
        session.add(resident)
        session.commit()
        rows, total = residents.search_residents(session=session, principal=staff, query="ҷӯрахон")
    assert [r.surname_latin for r in rows] == ["GHAFUROVA"] and total == 1
