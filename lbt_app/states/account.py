"""The account page: a member of staff turns on two-step sign-in for themselves."""

from __future__ import annotations

import reflex as rx

from lbt_app.core.access import Action, Principal
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_, format_moment
from lbt_app.services import auth, second_factor
from lbt_app.settings import get_settings
from lbt_app.states.handler import handler
from lbt_app.states.session import SessionState

TURNED_ON = N_("Two-step sign-in is on")


class AccountState(SessionState):
    enrolled_since: str = ""  # formatted; "" while two-step sign-in is off
    enrol_qr: str = ""
    enrol_secret: str = ""
    recovery_codes: list[str] = []
    error: str = ""  # translated
    _enrol_sealed: bytes = b""  # the new secret, sealed, until its first code puts it in force

    @handler(Action.OWN_ACCOUNT, navigation=True)
    def load(self, principal: Principal):
        """The second factor's standing; an enrolment under way stays (the language may have
        changed), until its first code or sign-out."""
        self._show(principal)
        self.error = ""
        with session_scope() as session:
            since = second_factor.enrolled_since(session=session, principal=principal)
        self.enrolled_since = format_moment(since, self.lang, principal.zone) if since else ""
        return None

    @handler(Action.OWN_ACCOUNT)
    def begin(self, principal: Principal):
        """A new secret, shown as a QR and as text for the authenticator app."""
        with session_scope() as session:
            enrolment = second_factor.begin_own(
                session=session, principal=principal, kek=get_settings().key_encryption_key()
            )
        if enrolment is not None:
            self.enrol_qr, self.enrol_secret, self.error = enrolment.qr, enrolment.secret, ""
            self._enrol_sealed = enrolment.sealed
        return None

    @handler(Action.OWN_ACCOUNT)
    def confirm(self, principal: Principal, form: dict):
        """The app's first code puts the second factor in force; the recovery codes follow."""
        now = utcnow()
        with session_scope() as session:
            codes = second_factor.confirm_own(
                session=session,
                principal=principal,
                sealed=self._enrol_sealed,
                code=str(form.get("code", ""))[:32],
                kek=get_settings().key_encryption_key(),
                now=now,
            )
        if codes is None:
            self.error = self._t(auth.WRONG_CODE)
            return None
        self.enrol_qr = self.enrol_secret = self.error = ""
        self.recovery_codes, self._enrol_sealed = codes, b""
        self.enrolled_since = format_moment(now, self.lang, principal.zone)
        return rx.toast.success(self._t(TURNED_ON))

    @handler(Action.OWN_ACCOUNT)
    def codes_saved(self, principal: Principal):
        self.recovery_codes = []
        return None
