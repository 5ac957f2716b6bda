"""Administration: users and the audit chain."""

from __future__ import annotations

from sqlmodel import select

from lbt_app.core.access import ROLE_LABEL, Action, Principal
from lbt_app.db.engine import session_scope
from lbt_app.db.models import User
from lbt_app.states.audit_chain import AuditChainState, run_chain_check
from lbt_app.states.handler import handler


class AdminState(AuditChainState):
    users: list[dict[str, str]] = []

    @handler(Action.ADMINISTER, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        with session_scope() as session:
            self.users = [
                {"username": u.username, "name": u.full_name, "role": ROLE_LABEL[u.role]}
                for u in session.exec(select(User).order_by(User.role, User.username))
            ]
        self._show_chain(principal.zone)
        return None

    @handler(Action.ADMINISTER, background=True)
    async def check_chain(self, principal: Principal):
        """Check the audit chain now (from the last verified checkpoint), off the event loop."""
        await run_chain_check(self, principal)
        return None
