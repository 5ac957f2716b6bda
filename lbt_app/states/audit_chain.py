"""The audit chain's last check, shown on the admin and oversight pages; "Check now" runs one.

Loading a page never walks the log: it reads the last recorded check. A check runs in a
background event, its work in a thread, so other users' events go on meanwhile.
"""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from lbt_app.core.access import Principal
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import format_moment
from lbt_app.services import audit
from lbt_app.states.session import SessionState


def _quick_check(principal: Principal) -> None:
    """The quick check (from the last verified checkpoint), recorded under the caller's name."""
    with session_scope() as session:
        audit.run_check(session=session, now=utcnow(), full=False, actor=principal)


class AuditChainState(SessionState):
    chain: str = ""
    chain_state: str = ""  # "" not checked yet, "intact" or "broken"
    chain_checked: str = ""
    chain_checking: bool = False

    def _show_chain(self, zone: ZoneInfo) -> None:
        """The last recorded check in words; nothing is walked."""
        with session_scope() as session:
            last = audit.last_check(session=session)
        if last is None:
            self.chain_state, self.chain_checked = "", ""
            self.chain = self._t("The audit chain has not been checked yet.")
            return
        check = last.check
        self.chain_state = "intact" if check.ok else "broken"
        if check.ok:
            self.chain = self._t("Audit chain intact: {n} events.", n=check.events)
        else:
            self.chain = self._t("Audit chain broken at event {seq}.", seq=check.first_broken_seq)
        at = format_moment(last.at, self.lang, zone)
        self.chain_checked = self._t("Last checked {at} by {who}.", at=at, who=last.actor)


async def run_chain_check(state: AuditChainState, principal: Principal) -> None:
    """The body of a page's background "Check now", after its own role check."""
    async with state:
        if state.chain_checking:
            return
        state.chain_checking = True
    try:
        await asyncio.to_thread(_quick_check, principal)
    finally:
        async with state:
            state.chain_checking = False
            state._show_chain(principal.zone)
