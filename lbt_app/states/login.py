"""Signing in."""

from __future__ import annotations

import reflex as rx

from lbt_app import routes
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_
from lbt_app.services import auth
from lbt_app.states.session import SessionState


class LoginState(SessionState):
    error: str = ""

    @rx.event
    def load(self):
        """Someone already signed in goes straight to their page."""
        self.error = ""
        principal = self._principal()
        if principal is not None:
            self._show(principal)
            return rx.redirect(routes.HOME[principal.role])
        return None

    @rx.event
    def sign_in(self, form: dict):
        username = str(form.get("username", ""))[:64]
        password = str(form.get("password", ""))[:256]
        with session_scope() as session:
            result = auth.sign_in(
                session=session, username=username, password=password, now=utcnow()
            )
        if result.error or result.principal is None or result.token is None:
            self.error = result.error or "Wrong user name or password."  # a message id
            return None
        self.error = ""
        self.token = result.token
        self._show(result.principal)
        return rx.redirect(routes.HOME[result.principal.role])


class SignUpState(SessionState):
    error: str = ""  # a message id

    @rx.event
    def sign_up(self, form: dict):
        """A resident opens an account and lands in the wallet, where they apply."""
        password = str(form.get("password", ""))[:256]
        if password != str(form.get("password_again", ""))[:256]:
            self.error = N_("The two passwords differ.")
            return None
        with session_scope() as session:
            result = auth.sign_up(
                session=session,
                username=str(form.get("username", ""))[:64],
                password=password,
                full_name=str(form.get("full_name", ""))[:200],
                now=utcnow(),
            )
        if result.error or result.principal is None or result.token is None:
            self.error = result.error or "You are not allowed to do this."
            return None
        self.error = ""
        self.token = result.token
        self._show(result.principal)
        return rx.redirect(routes.WALLET)
