"""Administration: the user accounts and the audit chain."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

import reflex as rx

from lbt_app.core.access import ROLE_LABEL, Action, Principal, Role
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_, format_moment
from lbt_app.services import users
from lbt_app.services.users import UserError
from lbt_app.states.audit_chain import AuditChainState, run_chain_check
from lbt_app.states.handler import handler, whole_number
from lbt_app.states.paging import PagedList, page_number

# What a confirmation dialog may ask for, with the service that does it.
CONFIRMED: dict[str, Callable] = {
    "deactivate": lambda **kw: users.set_active(active=False, **kw),
    "reset_password": users.reset_password,
    "reset_second_factor": users.reset_second_factor,
}
DONE: dict[str, str] = {
    "deactivate": N_("{name} is deactivated: their open sessions have ended."),
    "reset_password": N_("A new one-time password for {name}."),
    "reset_second_factor": N_(
        "{name} signs in with the password alone until they set up a second factor again."
    ),
    "reactivate": N_("{name} can sign in again."),
    "unlock": N_("{name} can try to sign in again now."),
    "created": N_("The account {name} is open."),
    "changed": N_("The account {name} is saved."),
}


class AdminState(PagedList, AuditChainState):
    PAGE_SIZE: ClassVar[int] = users.PAGE_SIZE
    query: str = ""
    role_filter: str = ""
    rows: list[dict[str, str]] = []
    authorities: list[dict[str, str]] = []  # id, label
    points: list[dict[str, str]] = []  # id, label (point · agreement)
    # the account form: a new account (editing 0) or the one being changed
    form_open: bool = False
    editing: int = 0
    form: dict[str, str] = {}  # username, full_name, authority, point (as shown)
    form_role: str = ""
    form_error: str = ""  # a message id
    # a confirmation waiting: action, username, name
    confirm: dict[str, str] = {}
    _confirm_id: int = 0
    # a one-time password, shown once in a dialog, then forgotten
    secret: str = ""
    secret_for: str = ""

    @rx.var
    def role_choices(self) -> list[dict[str, str]]:
        return [{"value": str(r), "label": self._t(ROLE_LABEL[r])} for r in users.STAFF_ROLES]

    @rx.var
    def role_filters(self) -> list[dict[str, str]]:
        return [{"value": str(r), "label": self._t(ROLE_LABEL[r])} for r in Role]

    @handler(Action.ADMINISTER, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        with session_scope() as session:
            self.authorities = [
                {"id": str(c.id), "label": c.label}
                for c in users.authority_choices(session=session, principal=principal)
            ]
            self.points = [
                {"id": str(c.id), "label": c.label}
                for c in users.point_choices(session=session, principal=principal)
            ]
        self._search(principal)
        self._show_chain(principal.zone)
        return None

    @handler(Action.ADMINISTER, background=True)
    async def check_chain(self, principal: Principal):
        """Check the audit chain now (from the last verified checkpoint), off the event loop."""
        await run_chain_check(self, principal)
        return None

    def _search(self, principal: Principal) -> None:
        lang, zone = self.lang, principal.zone
        with session_scope() as session:
            found, self.total = users.list_users(
                session=session,
                principal=principal,
                now=utcnow(),
                query=self.query,
                role=self.role_filter,
                page=self.page,
            )
        self.page = min(self.page, self.pages)
        self.rows = [
            {
                "id": str(u.id),
                "username": u.username,
                "name": u.full_name,
                "role": ROLE_LABEL[u.role],
                "place": u.place,
                "active": "1" if u.is_active else "",
                "second_factor": "1" if u.second_factor else "",
                "last": format_moment(u.last_sign_in_at, lang, zone) if u.last_sign_in_at else "",
                "held": "1" if u.held else "",
                "self": "1" if u.id == principal.user_id else "",
            }
            for u in found
        ]

    @handler(Action.ADMINISTER)
    def search(self, principal: Principal, form: dict):
        self.query, self.page = str(form.get("query", ""))[:100], 1
        role = str(form.get("role", ""))
        self.role_filter = role if role in set(Role) else ""
        self._search(principal)
        return None

    @handler(Action.ADMINISTER)
    def go_to_page(self, principal: Principal, page: int):
        self.page = page_number(page, self.pages)
        self._search(principal)
        return None

    # the account form

    @handler(Action.ADMINISTER)
    def new_user(self, principal: Principal):
        self.editing, self.form_role, self.form_error = 0, "", ""
        self.form = {"username": "", "full_name": "", "authority": "", "point": ""}
        self.form_open = True
        return None

    @handler(Action.ADMINISTER)
    def edit_user(self, principal: Principal, user_id: str):
        if not any(r["id"] == user_id for r in self.rows):
            return rx.toast.error(self._t(users.NO_SUCH_USER))
        try:
            with session_scope() as session:
                user = users.account(session=session, principal=principal, user_id=int(user_id))
        except UserError as error:
            return rx.toast.error(self._t(str(error)))
        self.editing, self.form_role, self.form_error = user.id or 0, str(user.role), ""
        self.form = {
            "username": user.username,
            "full_name": user.full_name,
            "authority": str(user.authority_id or ""),
            "point": str(user.crossing_point_id or ""),
        }
        self.form_open = True
        return None

    @handler(Action.ADMINISTER)
    def choose_role(self, principal: Principal, role: str):
        self.form_role = role if role in set(Role) else ""
        return None

    @handler(Action.ADMINISTER)
    def close_form(self, principal: Principal):
        self.form_open, self.editing, self.form_error = False, 0, ""
        return None

    @handler(Action.ADMINISTER)
    async def save_user(self, principal: Principal, form: dict):
        """Open the new account (its password hashed off the event loop) or save the change."""
        if not self.form_open:
            return None
        fields = {
            "full_name": str(form.get("full_name", ""))[:200],
            "role": self.form_role,
            "authority_id": whole_number(form.get("authority")),
            "crossing_point_id": whole_number(form.get("point")),
        }
        editing, username = self.editing, str(form.get("username", ""))[:64]

        def save() -> tuple[str, str]:
            with session_scope() as session:
                if editing:
                    user = users.change_user(
                        session=session,
                        principal=principal,
                        user_id=editing,
                        now=utcnow(),
                        **fields,
                    )
                    return user.username, ""
                user, password = users.create_user(
                    session=session, principal=principal, username=username, now=utcnow(), **fields
                )
                return user.username, password

        try:
            name, password = await asyncio.to_thread(save)
        except UserError as error:
            self.form_error = str(error)
            return None
        self.form_open, self.editing, self.form_error = False, 0, ""
        if password:
            self.secret, self.secret_for = password, name
        self._search(principal)
        return rx.toast.success(self._t(DONE["created" if password else "changed"], name=name))

    # acting on one account

    @handler(Action.ADMINISTER)
    def ask(self, principal: Principal, action: str, user_id: str):
        """Open the confirmation of a deactivation or a reset for one listed user."""
        row = next((r for r in self.rows if r["id"] == user_id), None)
        if action not in CONFIRMED or row is None:
            return rx.toast.error(self._t(users.NO_SUCH_USER))
        self._confirm_id = int(user_id)
        self.confirm = {"action": action, "username": row["username"], "name": row["name"]}
        return None

    @handler(Action.ADMINISTER)
    def cancel(self, principal: Principal):
        self.confirm, self._confirm_id = {}, 0
        return None

    @handler(Action.ADMINISTER)
    async def confirmed(self, principal: Principal):
        """Do what the open confirmation asked (a password is hashed off the event loop)."""
        action, user_id = self.confirm.get("action", ""), self._confirm_id
        self.confirm, self._confirm_id = {}, 0
        if action not in CONFIRMED or not user_id:
            return None

        def act() -> tuple[str, str]:
            with session_scope() as session:
                result = CONFIRMED[action](
                    session=session, principal=principal, user_id=user_id, now=utcnow()
                )
            user, password = result if isinstance(result, tuple) else (result, "")
            return user.username, password

        return await self._after(principal, action, act)

    @handler(Action.ADMINISTER)
    async def reactivate(self, principal: Principal, user_id: str):
        return await self._act_now(principal, "reactivate", user_id)

    @handler(Action.ADMINISTER)
    async def unlock(self, principal: Principal, user_id: str):
        return await self._act_now(principal, "unlock", user_id)

    async def _act_now(self, principal: Principal, action: str, user_id: str):
        if not any(r["id"] == user_id for r in self.rows):
            return rx.toast.error(self._t(users.NO_SUCH_USER))
        number = int(user_id)

        def act() -> tuple[str, str]:
            with session_scope() as session:
                if action == "unlock":
                    user = users.unlock(
                        session=session, principal=principal, user_id=number, now=utcnow()
                    )
                else:
                    user = users.set_active(
                        session=session,
                        principal=principal,
                        user_id=number,
                        active=True,
                        now=utcnow(),
                    )
            return user.username, ""

        return await self._after(principal, action, act)

    async def _after(self, principal: Principal, action: str, act: Callable):
        try:
            name, password = await asyncio.to_thread(act)
        except UserError as error:
            return rx.toast.error(self._t(str(error)))
        if password:
            self.secret, self.secret_for = password, name
        self._search(principal)
        return rx.toast.success(self._t(DONE[action], name=name))

    @handler()
    def forget_secret(self):
        """The one-time password was read: it leaves the page and the server's state."""
        self.secret, self.secret_for = "", ""
        return None
