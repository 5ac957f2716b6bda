"""Who may do what: roles, actions and the principal acting. Pure, no framework."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from lbt_app.i18n import N_


class Role(StrEnum):
    RESIDENT = "resident"
    OFFICER = "officer"
    AUTHORITY = "authority"
    ADMIN = "admin"


ROLE_LABEL: dict[Role, str] = {
    Role.RESIDENT: N_("Resident"),
    Role.OFFICER: N_("Border officer"),
    Role.AUTHORITY: N_("Authority staff"),
    Role.ADMIN: N_("Administrator"),
}


class Action(StrEnum):
    VIEW_AUTHORITY_DESK = "authority.view"
    MANAGE_PERMITS = "permits.manage"
    SCAN = "officer.scan"
    RECORD_CROSSING = "crossing.record"
    VIEW_WALLET = "wallet.view"
    ADMINISTER = "admin"
    OWN_ACCOUNT = "account.own"  # staff's own sign-in settings (the second factor)


POLICY: dict[Action, frozenset[Role]] = {
    Action.VIEW_AUTHORITY_DESK: frozenset({Role.AUTHORITY}),
    Action.MANAGE_PERMITS: frozenset({Role.AUTHORITY}),
    Action.SCAN: frozenset({Role.OFFICER}),
    Action.RECORD_CROSSING: frozenset({Role.OFFICER}),
    Action.VIEW_WALLET: frozenset({Role.RESIDENT}),
    Action.ADMINISTER: frozenset({Role.ADMIN}),
    Action.OWN_ACCOUNT: frozenset({Role.OFFICER, Role.AUTHORITY, Role.ADMIN}),
}


class AccessDenied(PermissionError):
    """The principal may not do this; the message is a translatable message id."""


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the server knows them: role and scope."""

    user_id: int
    username: str
    full_name: str
    role: Role
    authority_id: int | None = None
    agreement_id: int | None = None
    crossing_point_id: int | None = None
    resident_id: int | None = None
    timezone: str = "UTC"  # the agreement's: every date and time this user sees is in it

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def may(principal: Principal | None, action: Action) -> bool:
    return principal is not None and principal.role in POLICY[action]


def require(principal: Principal | None, action: Action) -> Principal:
    if principal is None:
        raise AccessDenied("Please sign in.")
    if not may(principal, action):
        raise AccessDenied("You are not allowed to do this.")
    return principal


def require_agreement(principal: Principal, agreement_id: int) -> None:
    """Authority staff act only on their own agreement's records."""
    if principal.agreement_id is None or principal.agreement_id != agreement_id:
        raise AccessDenied("You are not allowed to do this.")
