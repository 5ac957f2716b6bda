"""Signing in."""

from __future__ import annotations

import reflex as rx

from lbt_app import routes
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
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
            self.error = self._t(result.error or "Wrong user name or password.")
            return None
        self.error = ""
        self.token = result.token
        self._show(result.principal)
        return rx.redirect(routes.HOME[result.principal.role])
