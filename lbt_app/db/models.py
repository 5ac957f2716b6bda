"""The tables. Words as in DESIGN.md; timestamps are timezone-aware UTC."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from lbt_app.core.access import Role
from lbt_app.core.audit_chain import HASH_VERSION
from lbt_app.db.types import UTCDateTime, utcnow


def _ts(*, index: bool = False):
    return Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=index)
    )


def _enum(enum: type[StrEnum], default: StrEnum | None = None, *, index: bool = False):
    """Stored as the lower-case value in a plain string column (portable, readable)."""
    column_type = sa.Enum(
        enum, values_callable=lambda e: [m.value for m in e], native_enum=False, length=16
    )
    return Field(default=default, sa_column=Column(column_type, nullable=False, index=index))


def _ts_optional():
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class PermitStatus(StrEnum):
    """Stored: active, suspended or revoked; `expired` is derived from valid_until."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class KeyStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


class Agreement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    name: str = Field(max_length=200)
    country_a: str = Field(max_length=3, description="ISO 3166-1 alpha-3")
    country_b: str = Field(max_length=3, description="ISO 3166-1 alpha-3")
    timezone: str = Field(max_length=64, description="IANA zone in which permit days count")
    max_stay_days: int = Field(gt=0, le=90)
    max_validity_years: int = Field(ge=1, le=5)
    min_residence_years: int = Field(default=1, ge=1)
    min_validity_years: int = Field(
        default=1, sa_column=Column(sa.Integer, nullable=False, server_default="1")
    )
    max_area_km: int = Field(default=30, gt=0, le=50)
    period_cap_days: int | None = Field(default=None, description="N days within any M days")
    period_days: int | None = None
    # The two languages its cards print in, e.g. "tg,ru" (empty: the host country's and Russian).
    card_languages: str = Field(
        default="", sa_column=Column(sa.String(16), nullable=False, server_default="")
    )
    created_at: datetime = _ts()

    __table_args__ = (
        sa.CheckConstraint("max_stay_days > 0 AND max_stay_days <= 90", name="ck_agreement_stay"),
        sa.CheckConstraint(
            "max_validity_years >= 1 AND max_validity_years <= 5", name="ck_agreement_validity"
        ),
        sa.CheckConstraint("max_area_km > 0 AND max_area_km <= 50", name="ck_agreement_area"),
        sa.CheckConstraint(
            "(period_cap_days IS NULL) = (period_days IS NULL)", name="ck_agreement_period"
        ),
    )


class Authority(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=24, unique=True, index=True)
    name: str = Field(max_length=200)
    name_native: str = Field(default="", max_length=200)
    country: str = Field(max_length=3)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    kind: str = Field(default="issuing", max_length=16, description="issuing or border")


class SigningKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(max_length=32, unique=True, index=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    algorithm: str = Field(default="EdDSA", max_length=16)
    public_key: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    private_key_encrypted: bytes | None = Field(
        default=None, sa_column=Column(sa.LargeBinary, nullable=True)
    )
    status: KeyStatus = _enum(KeyStatus, KeyStatus.ACTIVE)
    created_at: datetime = _ts()
    retired_at: datetime | None = _ts_optional()
    revoked_at: datetime | None = _ts_optional()


class BorderArea(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    name: str = Field(max_length=200)
    name_native: str = Field(default="", max_length=200)
    country: str = Field(max_length=3)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    depth_km: int = Field(default=30, gt=0, le=50)
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class CrossingPoint(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    name: str = Field(max_length=200)
    name_native: str = Field(
        default="", sa_column=Column(sa.String(200), nullable=False, server_default="")
    )
    agreement_id: int = Field(foreign_key="agreement.id", index=True)


class CrossingPointArea(SQLModel, table=True):
    """The border areas a crossing point serves: a permit for an area may list these points."""

    crossing_point_id: int = Field(foreign_key="crossingpoint.id", primary_key=True)
    border_area_id: int = Field(foreign_key="borderarea.id", primary_key=True)


class Document(SQLModel, table=True):
    """An uploaded file: a portrait photo or a proof of residence."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=24)
    content_type: str = Field(max_length=64)
    sha256: str = Field(max_length=64, index=True)
    data: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    created_at: datetime = _ts()


class Resident(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    border_area_id: int = Field(foreign_key="borderarea.id", index=True)
    surname_native: str = Field(max_length=100)
    given_names_native: str = Field(max_length=100)
    surname_latin: str = Field(max_length=100, index=True)
    given_names_latin: str = Field(max_length=100)
    birth_date: date
    sex: str = Field(default="X", max_length=1)
    nationality: str = Field(max_length=3)
    document_number: str = Field(max_length=24, index=True)
    address: str = Field(max_length=300)
    residence_since: date
    photo_id: int | None = Field(default=None, foreign_key="document.id")
    created_at: datetime = _ts()
    # Names in both scripts and the document number, case-folded: what the registry search reads.
    search_text: str = Field(default="", max_length=500)
    # Entered by the applicant online and not yet confirmed by an approval: such a record may
    # repeat a document number (the applicant is not told; the reviewer sees it).
    self_declared: bool = Field(
        default=False, sa_column=Column(sa.Boolean, nullable=False, server_default=sa.false())
    )

    __table_args__ = (
        sa.Index(
            "uq_resident_document_number_confirmed",
            "document_number",
            unique=True,
            sqlite_where=sa.text("NOT self_declared"),
            postgresql_where=sa.text("NOT self_declared"),
        ),
    )

    @staticmethod
    def compose_search_text(
        surname_native: str,
        given_names_native: str,
        surname_latin: str,
        given_names_latin: str,
        document_number: str,
    ) -> str:
        parts = (surname_native, given_names_native, surname_latin, given_names_latin)
        return " ".join([*parts, document_number]).casefold()[:500]


# The name search's trigram index differs by database and is made by its migration
# (c4a7e2f91b36): PostgreSQL's GIN index over search_text, SQLite's FTS5 table and its shadow
# tables. Schema comparisons (Alembic autogenerate, the models-match-migrations test) skip them.
SEARCH_INDEX = "ix_resident_search_trgm"
SEARCH_TABLE = "resident_search"


def managed_by_models(name: str | None, type_: str, _parents: object = None) -> bool:
    """Alembic's `include_name`: whether a database object is the models' to compare."""
    if type_ == "table":
        return not (name or "").startswith(SEARCH_TABLE)
    return name != SEARCH_INDEX


@sa.event.listens_for(Resident, "before_insert")
@sa.event.listens_for(Resident, "before_update")
def _index_resident(_mapper, _connection, resident: Resident) -> None:
    resident.search_text = Resident.compose_search_text(
        resident.surname_native,
        resident.given_names_native,
        resident.surname_latin,
        resident.given_names_latin,
        resident.document_number,
    )


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    full_name: str = Field(max_length=200)
    role: Role = _enum(Role)
    authority_id: int | None = Field(default=None, foreign_key="authority.id", index=True)
    crossing_point_id: int | None = Field(default=None, foreign_key="crossingpoint.id")
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    lang: str = Field(default="", max_length=8)
    is_active: bool = True
    created_at: datetime = _ts()
    last_sign_in_at: datetime | None = _ts_optional()
    # Set by an administrator's password reset: the one-time password must be changed at sign-in.
    must_change_password: bool = Field(
        default=False, sa_column=Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    # The second factor (RFC 6238), sealed under the KEK; enabled once a first code matched.
    totp_secret_sealed: bytes | None = Field(
        default=None, sa_column=Column(sa.LargeBinary, nullable=True)
    )
    totp_enabled_at: datetime | None = _ts_optional()
    totp_last_step: int | None = Field(default=None, description="the last code's time step")

    __table_args__ = (
        sa.CheckConstraint(
            "role != 'officer' OR crossing_point_id IS NOT NULL", name="ck_user_officer_point"
        ),
        sa.CheckConstraint(
            "role != 'authority' OR authority_id IS NOT NULL", name="ck_user_authority"
        ),
    )


class RecoveryCode(SQLModel, table=True):
    """A one-use code that stands in for the second factor; only its hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = _ts_optional()


class LoginSession(SQLModel, table=True):
    """Server side of a sign-in: the browser holds only the random token."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = _ts()
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = _ts_optional()


class AuthAttempt(SQLModel, table=True):
    """A failed sign-in or an account opened, by user name and client address: what the
    throttle counts (core/throttle.py); rows older than its window are pruned."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16, description="sign_in_failed or signed_up")
    username: str = Field(max_length=64)
    address: str = Field(max_length=64)
    at: datetime = _ts(index=True)
    # The throttle already audited the burst this row started (one event per burst).
    throttle_noted: bool = False

    __table_args__ = (
        sa.Index("ix_authattempt_kind_address_at", "kind", "address", "at"),
        sa.Index("ix_authattempt_kind_username_at", "kind", "username", "at"),
    )


class Application(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    status: ApplicationStatus = _enum(ApplicationStatus, ApplicationStatus.SUBMITTED, index=True)
    proof_id: int | None = Field(default=None, foreign_key="document.id")
    submitted_at: datetime = _ts(index=True)
    decided_at: datetime | None = _ts_optional()
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    reason: str = Field(default="", max_length=500)

    __table_args__ = (
        # At most one waiting application per resident, whatever the concurrency.
        sa.Index(
            "uq_application_waiting",
            "resident_id",
            unique=True,
            sqlite_where=sa.text("status = 'submitted'"),
            postgresql_where=sa.text("status = 'submitted'"),
        ),
    )


class WalletSecret(SQLModel, table=True):
    """The live-code secret of a resident's wallet, sealed under the KEK (core/live.py)."""

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", unique=True, index=True)
    secret_sealed: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    activated_at: datetime = _ts()


class RefusalEntry(SQLModel, table=True):
    """A person an authority will not issue a permit to (by travel document number)."""

    id: int | None = Field(default=None, primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    document_number: str = Field(max_length=24, index=True)
    full_name: str = Field(
        default="", sa_column=Column(sa.String(200), nullable=False, server_default="")
    )
    reason: str = Field(max_length=500)
    until: date | None = Field(default=None, description="the last day it applies; None: always")
    added_at: datetime = _ts()
    added_by_id: int | None = Field(default=None, foreign_key="user.id")
    lifted_at: datetime | None = _ts_optional()
    lifted_by_id: int | None = Field(default=None, foreign_key="user.id")


class Permit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True, index=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    border_area_id: int = Field(foreign_key="borderarea.id")
    valid_from: date
    valid_until: date = Field(index=True)
    max_stay_days: int = Field(gt=0)
    status: PermitStatus = _enum(PermitStatus, PermitStatus.ACTIVE, index=True)
    status_reason: str = Field(default="", max_length=500)
    kid: str = Field(default="", max_length=32)
    payload: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    photo_hash: str = Field(default="", max_length=64)
    issued_at: datetime = _ts()
    issued_by_id: int | None = Field(default=None, foreign_key="user.id")

    __table_args__ = (
        sa.CheckConstraint("valid_until >= valid_from", name="ck_permit_dates"),
        # An authority's permits by status and last day (the desk's list filtered by status).
        sa.Index(
            "ix_permit_authority_status", "authority_id", "status", "valid_until", "max_stay_days"
        ),
        # The desk's list, newest first: the id orders permits issued at one instant (a bulk
        # approval's), so a page reads its 50 rows from the index, ties and all.
        sa.Index("ix_permit_issued_at_id", "issued_at", "id"),
        # One permit per application, whatever the concurrency (renewals have none).
        sa.Index("uq_permit_application", "application_id", unique=True),
    )


class PermitCrossingPoint(SQLModel, table=True):
    """The crossing points a permit allows."""

    permit_id: int = Field(foreign_key="permit.id", primary_key=True)
    crossing_point_id: int = Field(foreign_key="crossingpoint.id", primary_key=True)


class Crossing(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    permit_id: int = Field(foreign_key="permit.id")
    crossing_point_id: int = Field(foreign_key="crossingpoint.id", index=True)
    officer_id: int | None = Field(default=None, foreign_key="user.id")
    direction: str = Field(max_length=8, description="entry into / exit from the host area")
    at: datetime = _ts()
    verdict: str = Field(max_length=8)
    code: str = Field(max_length=32)
    manual: bool = False
    # The officer's check this passage was recorded from (its `permit_checked` audit event):
    # one crossing per check. None for crossings recorded before checks were linked.
    check_id: int | None = Field(default=None, foreign_key="auditevent.id")

    __table_args__ = (
        # A holder's history, and each permit's last crossing read from the index alone.
        sa.Index("ix_crossing_permit_at_direction", "permit_id", "at", "direction"),
        sa.Index("ix_crossing_at_point", "at", "crossing_point_id"),  # crossings per day
        sa.Index("uq_crossing_check", "check_id", unique=True),  # one crossing per check
        sa.CheckConstraint("direction IN ('entry', 'exit')", name="ck_crossing_direction"),
    )


class AuditEvent(SQLModel, table=True):
    """Append-only and hash-chained: each row's hash covers the previous one."""

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = _ts()
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    actor: str = Field(default="", max_length=64)
    action: str = Field(max_length=48)
    subject: str = Field(default="", max_length=64, index=True)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    hash_version: int = Field(default=HASH_VERSION, description="1: before actor_id was hashed")

    __table_args__ = (
        sa.Index("ix_auditevent_actor_at", "actor_id", "at"),  # an officer's shift
        sa.Index("ix_auditevent_at", "at"),
        sa.Index("ix_auditevent_action_seq", "action", "seq"),  # one action, newest first
    )


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement of the audit log's length and newest hash at one moment."""

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    events: int
    head_hash: str = Field(max_length=64)
    at: datetime = _ts()
    kid: str = Field(max_length=32)
    signature: str = Field(max_length=128)


# --- Figures kept up to date on write (db/tallies.py, services/stays.py): the desk reads these,
# never every permit or crossing. Rebuilt from the rows by `statistics.rebuild`.


class PermitTally(SQLModel, table=True):
    """How many permits an authority has per stored status and last day: rows bounded by days,
    not permits; "expired" is derived by comparing the day with today (`effective_status`)."""

    authority_id: int = Field(foreign_key="authority.id", primary_key=True)
    status: str = Field(max_length=16, primary_key=True)
    valid_until: date = Field(primary_key=True)
    n: int = 0


class CrossingTally(SQLModel, table=True):
    """Crossings per crossing point and calendar day in the agreement's time zone."""

    crossing_point_id: int = Field(foreign_key="crossingpoint.id", primary_key=True)
    day: date = Field(primary_key=True)
    n: int = 0


class OpenStay(SQLModel, table=True):
    """A holder inside the host border area now: their last crossing is an entry. Written with
    the crossing (an entry opens it, an exit deletes it); `must_leave_by` is what core's stay
    rules gave at entry, which nothing before the exit changes."""

    agreement_id: int = Field(foreign_key="agreement.id", primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", primary_key=True)
    permit_id: int = Field(foreign_key="permit.id")  # the permit the holder entered with
    entered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    must_leave_by: date

    __table_args__ = (
        # The desk's attention list: the stays whose last day is near, most urgent first.
        sa.Index("ix_openstay_agreement_leave", "agreement_id", "must_leave_by", "resident_id"),
    )


class OpenStayTally(SQLModel, table=True):
    """How many holders of an agreement are inside with each last allowed day: the desk's
    inside, near and over the limit are sums over these rows (one per day, not per holder),
    written with every open stay (services/stays.py)."""

    agreement_id: int = Field(foreign_key="agreement.id", primary_key=True)
    must_leave_by: date = Field(primary_key=True)
    n: int = 0


from lbt_app.db import tallies  # noqa: E402, F401  (keeps the tallies right on every flush)
