"""One state per role, each checking the caller on the server in every handler."""

from __future__ import annotations

import reflex as rx
from sqlmodel import select

from lbt_app.core.access import ROLE_LABEL, AccessDenied, Action
from lbt_app.db.engine import session_scope
from lbt_app.db.models import PermitStatus, User
from lbt_app.db.types import utcnow
from lbt_app.i18n import format_day
from lbt_app.services import audit, cards, permits
from lbt_app.services.permits import STATUS_LABEL, PermitError
from lbt_app.states.session import SessionState


def _rows(rows: list[permits.PermitRow], lang: str) -> list[dict[str, str]]:
    return [
        {
            "number": r.number,
            "holder": r.holder,
            "area": r.area,
            "status": r.status,
            "status_label": STATUS_LABEL[PermitStatus(r.status)],
            "valid_until": format_day(r.valid_until, lang),
        }
        for r in rows
    ]


class AuthorityState(SessionState):
    counts: dict[str, int] = {}
    permits: list[dict[str, str]] = []
    revoking: str = ""  # the permit whose revocation form is open

    @rx.event
    def load(self):
        principal = self._permit(Action.VIEW_AUTHORITY_DESK)
        if principal is None:
            return self._turn_away()
        self._show(principal)
        today = utcnow().date()
        with session_scope() as session:
            self.counts = permits.desk_counts(session=session, principal=principal, today=today)
            rows = permits.list_permits(session=session, principal=principal, today=today)
        self.permits = _rows(rows, self.lang)
        return None

    @rx.event
    def ask_revoke(self, number: str) -> None:
        self.revoking = str(number)[:24]

    @rx.event
    def cancel_revoke(self) -> None:
        self.revoking = ""

    @rx.event
    def revoke(self, form: dict):
        """Revoke for good, with the reason kept on the permit and in the audit log."""
        number, self.revoking = self.revoking, ""
        return self._change(number, "revoke", str(form.get("reason", ""))[:500])

    def _change(self, number: str, action: str, reason: str):
        principal = self._permit(Action.MANAGE_PERMITS)
        if principal is None:
            return self._refused()
        try:
            with session_scope() as session:
                permits.change_status(
                    session=session,
                    principal=principal,
                    number=str(number),
                    action=action,
                    reason=str(reason),
                    now=utcnow(),
                )
        except PermitError as error:
            return rx.toast.error(self._t(str(error)))
        return [AuthorityState.load, rx.toast.success(self._t("Saved."))]

    @rx.event
    def suspend(self, number: str):
        return self._change(number, "suspend", self._t("Suspended at the authority desk."))

    @rx.event
    def reinstate(self, number: str):
        return self._change(number, "reinstate", self._t("Reinstated at the authority desk."))

    def _cards(self, numbers: list[str], filename: str):
        principal = self._permit(Action.MANAGE_PERMITS)
        if principal is None:
            return self._refused()
        try:
            with session_scope() as session:
                pdf = cards.permit_cards(
                    session=session, principal=principal, numbers=numbers, now=utcnow()
                )
        except (PermitError, AccessDenied) as error:
            return rx.toast.error(self._t(str(error)))
        return rx.download(data=pdf, filename=filename, mime_type="application/pdf")

    @rx.event
    def card(self, number: str):
        """The printable card of one permit, as a PDF download."""
        return self._cards([str(number)[:24]], f"permit-{str(number)[:24]}.pdf")

    @rx.event
    def all_cards(self):
        """The cards of every permit on the desk, one PDF to print in a batch."""
        return self._cards([p["number"] for p in self.permits], "permit-cards.pdf")


class WalletState(SessionState):
    permits: list[dict[str, str]] = []

    @rx.event
    def load(self):
        principal = self._permit(Action.VIEW_WALLET)
        if principal is None:
            return self._turn_away()
        self._show(principal)
        with session_scope() as session:
            rows = permits.list_permits(session=session, principal=principal, today=utcnow().date())
        self.permits = _rows(rows, self.lang)
        return None


class AdminState(SessionState):
    users: list[dict[str, str]] = []
    chain: str = ""

    @rx.event
    def load(self):
        principal = self._permit(Action.ADMINISTER)
        if principal is None:
            return self._turn_away()
        self._show(principal)
        with session_scope() as session:
            self.users = [
                {"username": u.username, "name": u.full_name, "role": ROLE_LABEL[u.role]}
                for u in session.exec(select(User).order_by(User.role, User.username))
            ]
            check = audit.verify_chain(session=session)
        self.chain = (
            self._t("Audit chain intact: {n} events.", n=check.events)
            if check.ok
            else self._t("Audit chain broken at event {seq}.", seq=check.first_broken_seq)
        )
        return None
