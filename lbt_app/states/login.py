"""Signing in and signing up: the password work runs off the event loop."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import timedelta

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


def _step(service: Callable[..., auth.SignIn], **arguments: object) -> auth.SignIn:
    """One later step of a sign-in, in its own transaction (run off the event loop)."""
    with session_scope() as session:
        return service(session=session, now=utcnow(), **arguments)


def _address(state: SessionState) -> str:
    """The client's address: the socket's peer, or from X-Forwarded-For behind
    LBT_TRUSTED_PROXY_HOPS reverse proxies."""
    return state.router.session.client_ip


def _refusal(state: SessionState, result: auth.SignIn) -> str:
    """The refusal in the client's language, with the wait when a throttle refused."""
    if result.error is None:
        return ""
    return state._t(
        result.error, seconds=result.retry_after, minutes=math.ceil(result.retry_after / 60)
    )


def _entered(state: LoginState | SignUpState, result: auth.SignIn) -> bool:
    """Keep the session and show who is in; or show the refusal."""
    if result.principal is None or result.token is None:
        state.error = _refusal(state, result) or state._t(N_("You are not allowed to do this."))
        return False
    state.error = ""
    state.token = result.token
    state._show(result.principal)
    return True


class LoginState(SessionState):
    error: str = ""  # translated
    # The step of a sign-in the page shows (auth.NEW_PASSWORD ... auth.CODE; "": the password).
    # The server goes by the backend copy below, with the user and the deadline.
    step: str = ""
    enrol_qr: str = ""  # data: URL of the QR an authenticator app reads
    enrol_secret: str = ""  # the same secret, for typing by hand
    recovery_codes: list[str] = []
    recovery: bool = False  # a recovery code is typed instead of the app's code
    _pending_user: int = 0
    _pending_step: str = ""
    _pending_until: float = 0.0
    _enrol_sealed: bytes = b""  # the new secret, sealed, until its first code puts it in force

    @handler()
    def load(self):
        """Someone already signed in goes straight to their page; a sign-in under way stays
        (the language may have changed), unless it has expired."""
        self.error = ""
        principal = self._principal()
        if principal is not None:
            self._forget_pending()
            self._show(principal)
            return rx.redirect(routes.HOME[principal.role])
        if self._pending_step and utcnow().timestamp() >= self._pending_until:
            self._forget_pending()
        return None

    def _forget_pending(self) -> None:
        self._pending_user, self._pending_step, self._pending_until = 0, "", 0.0
        self.step, self.enrol_qr, self.enrol_secret, self._enrol_sealed = "", "", "", b""
        self.recovery_codes, self.recovery = [], False

    def _pending(self, step: str) -> int | None:
        """The user signing in, if this tab is at `step` of their sign-in, in time."""
        if self._pending_step == step and utcnow().timestamp() < self._pending_until:
            return self._pending_user
        self._forget_pending()
        self.error = self._t(auth.START_AGAIN)
        return None

    def _follow(self, result: auth.SignIn):
        """Into the app when the session is open; else to the step the answer names, or back
        to the password when it names none."""
        if result.token is not None and result.principal is not None:
            self._forget_pending()
            _entered(self, result)
            return rx.redirect(routes.HOME[result.principal.role])
        self.error = _refusal(self, result)
        if not result.step:
            self._forget_pending()
            return None
        if result.step != self._pending_step:  # each step reached has its own few minutes
            deadline = utcnow() + timedelta(minutes=auth.PENDING_MINUTES)
            self._pending_until = deadline.timestamp()
        self._pending_user, self._pending_step, self.step = result.user_id, result.step, result.step
        if result.enrolment is not None:
            self.enrol_qr, self.enrol_secret = result.enrolment.qr, result.enrolment.secret
            self._enrol_sealed = result.enrolment.sealed
        if result.recovery_codes:
            self.recovery_codes = list(result.recovery_codes)
            self.enrol_qr = self.enrol_secret = ""
            self._enrol_sealed = b""
        return None

    # The password steps run in the background: the tab's state (and its lock in Redis) is held
    # only to read and write it, never while the password work waits for a thread.
    @handler(background=True)
    async def sign_in(self, form: dict):
        async with self:
            self._forget_pending()
            address = _address(self)
        result = await asyncio.to_thread(
            _sign_in,
            str(form.get("username", ""))[:64],
            str(form.get("password", ""))[:256],
            address,
        )
        async with self:
            return self._follow(result)

    async def _later_step(self, step: str, service: Callable[..., auth.SignIn], **arguments):
        """A step after the password, only for the user this tab is signing in, at that step."""
        async with self:
            user_id, address = self._pending(step), _address(self)
        if user_id is None:
            return None
        result = await asyncio.to_thread(
            _step, service, user_id=user_id, address=address, **arguments
        )
        async with self:
            return self._follow(result)

    @handler(background=True)
    async def new_password(self, form: dict):
        """The one-time password is replaced (hashing off the event loop)."""
        return await self._later_step(
            auth.NEW_PASSWORD,
            auth.change_password,
            password=str(form.get("password", ""))[:256],
            again=str(form.get("password_again", ""))[:256],
        )

    @handler(background=True)
    async def confirm_enrolment(self, form: dict):
        """The first code of the newly set-up app."""
        async with self:
            sealed = self._enrol_sealed
        return await self._later_step(
            auth.ENROL,
            auth.confirm_enrolment,
            sealed=sealed,
            code=str(form.get("code", ""))[:32],
        )

    @handler(background=True)
    async def codes_saved(self):
        return await self._later_step(auth.SAVE_CODES, auth.codes_saved)

    @handler(background=True)
    async def give_code(self, form: dict):
        """The app's current code, or a recovery code."""
        return await self._later_step(
            auth.CODE, auth.give_code, code=str(form.get("code", ""))[:32]
        )

    @handler()
    def use_recovery_code(self, wanted: bool):
        """Type a recovery code (or the app's code again): the field changes, nothing else."""
        self.recovery = wanted
        self.error = ""

    @handler()
    def start_again(self):
        self._forget_pending()
        self.error = ""


class SignUpState(SessionState):
    error: str = ""  # translated

    @handler(background=True)
    async def sign_up(self, form: dict):
        """A resident opens an account and lands in the wallet, where they apply."""
        password = str(form.get("password", ""))[:256]
        problem = auth.new_password_problem(password, str(form.get("password_again", ""))[:256])
        async with self:
            if problem is not None:
                self.error = self._t(problem)
                return None
            address = _address(self)
        result = await asyncio.to_thread(
            _sign_up,
            str(form.get("username", ""))[:64],
            password,
            str(form.get("full_name", ""))[:200],
            address,
        )
        async with self:
            return rx.redirect(routes.WALLET) if _entered(self, result) else None
