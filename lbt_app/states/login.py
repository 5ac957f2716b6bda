"""Signing in and signing up: the password work runs off the event loop."""

from __future__ import annotations

import asyncio
import math

import reflex as rx

from lbt_app import routes
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_
from lbt_app.services import auth
from lbt_app.states.handler import handler
from lbt_app.states.session import SessionState


def _sign_in(username: str, password: str, address: str) -> auth.SignIn:
    with session_scope() as session:
        return auth.sign_in(
            session=session, username=username, password=password, address=address, now=utcnow()
        )


def _sign_up(username: str, password: str, full_name: str, address: str) -> auth.SignIn:
    with session_scope() as session:
        return auth.sign_up(
            session=session,
            username=username,
            password=password,
            full_name=full_name,
            address=address,
            now=utcnow(),
        )


def _address(state: SessionState) -> str:
    """The client's address: the socket's peer, or from X-Forwarded-For behind
    LBT_TRUSTED_PROXY_HOPS reverse proxies."""
    return state.router.session.client_ip


def _entered(state: LoginState | SignUpState, result: auth.SignIn) -> bool:
    """Keep the session and show who is in; or show the refusal in the client's language,
    with the wait when a throttle refused."""
    if result.principal is None or result.token is None:
        state.error = state._t(
            result.error or N_("You are not allowed to do this."),
            seconds=result.retry_after,
            minutes=math.ceil(result.retry_after / 60),
        )
        return False
    state.error = ""
    state.token = result.token
    state._show(result.principal)
    return True


class LoginState(SessionState):
    error: str = ""  # translated

    @handler()
    def load(self):
        """Someone already signed in goes straight to their page."""
        self.error = ""
        principal = self._principal()
        if principal is not None:
            self._show(principal)
            return rx.redirect(routes.HOME[principal.role])
        return None

    @handler()
    async def sign_in(self, form: dict):
        result = await asyncio.to_thread(
            _sign_in,
            str(form.get("username", ""))[:64],
            str(form.get("password", ""))[:256],
            _address(self),
        )
        if not _entered(self, result) or result.principal is None:
            return None
        return rx.redirect(routes.HOME[result.principal.role])


class SignUpState(SessionState):
    error: str = ""  # translated

    @handler()
    async def sign_up(self, form: dict):
        """A resident opens an account and lands in the wallet, where they apply."""
        password = str(form.get("password", ""))[:256]
        problem = auth.new_password_problem(password, str(form.get("password_again", ""))[:256])
        if problem is not None:
            self.error = self._t(problem)
            return None
        result = await asyncio.to_thread(
            _sign_up,
            str(form.get("username", ""))[:64],
            password,
            str(form.get("full_name", ""))[:200],
            _address(self),
        )
        return rx.redirect(routes.WALLET) if _entered(self, result) else None
