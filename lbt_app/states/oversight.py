"""Authority staff: the agreement's audit log (filters, chain check) and misuse decisions."""

from __future__ import annotations

import reflex as rx

from lbt_app.core.access import Action, Principal
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import format_moment
from lbt_app.services import oversight
from lbt_app.services.oversight import DECISIONS
from lbt_app.services.permits import PermitError
from lbt_app.states.audit_chain import AuditChainState, run_chain_check
from lbt_app.states.handler import handler, whole_number
from lbt_app.states.paging import describe_count


class OversightState(AuditChainState):
    events: list[dict[str, str]] = []  # seq, at, sentence
    # Keyset paging (newest first): whether newer / older events match; matches counted up to
    # listing.COUNT_LIMIT + 1; the page shows events up to `_up_to` (None: the newest).
    newer: bool = False
    older: bool = False
    count: int = 0
    _up_to: int | None = None
    event_fields: dict[str, list[list[str]]] = {}  # seq → [label, value] for its details
    action: str = ""
    text: str = ""
    actions: list[dict[str, str]] = []  # {"value", "label"} for the filter
    reports: list[dict[str, str]] = []

    @rx.var
    def count_words(self) -> str:
        return describe_count(self.count, self.lang)  # SessionState's lang

    @rx.var
    def decisions(self) -> list[dict[str, str]]:
        return [{"value": k, "label": self._t(v)} for k, v in DECISIONS.items()]

    @handler(Action.MANAGE_PERMITS, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        self._show_chain(principal.zone)
        self._up_to = None
        self._refresh(principal)
        return None

    @handler(Action.MANAGE_PERMITS, background=True)
    async def check_chain(self, principal: Principal):
        """Check the audit chain now (from the last verified checkpoint), off the event loop."""
        await run_chain_check(self, principal)
        return None

    def _refresh(self, principal: Principal, newer_than: int | None = None) -> None:
        """Show the page up to `_up_to`, or the page just newer than `newer_than`."""
        lang = self.lang
        with session_scope() as session:
            log = oversight.audit_log(
                session=session,
                principal=principal,
                action=self.action,
                text=self.text,
                up_to=None if newer_than is not None else self._up_to,
                newer_than=newer_than,
            )
            reports = oversight.misuse_reports(session=session, principal=principal)
            points = oversight.point_names(session=session, principal=principal)
        events, self.newer, self.older, self.count = log.events, log.newer, log.older, log.count
        if newer_than is not None:
            self._up_to = events[0].seq if events and log.newer else None
        actions = oversight.audit_actions(principal=principal)
        self.actions = sorted(
            ({"value": a, "label": oversight.action_name(a, lang)} for a in actions),
            key=lambda a: a["label"].casefold(),
        )
        texts = {e.seq: oversight.describe(e, lang, points) for e in events}
        self.events = [
            {
                "seq": str(e.seq),
                "at": format_moment(e.at, lang, principal.zone),
                "sentence": texts[e.seq].sentence,
            }
            for e in events
        ]
        self.event_fields = {
            str(seq): [[label, value[:500]] for label, value in text.fields]
            for seq, text in texts.items()
        }
        self.reports = [
            {
                "seq": str(r.seq),
                "at": format_moment(r.at, lang, principal.zone),
                "officer": r.officer,
                "number": r.number,
                "point": r.point,
                "note": r.note,
                "decision": r.decision,
                "decision_label": DECISIONS.get(r.decision, ""),
                "decided_by": r.decided_by,
            }
            for r in reports
        ]

    @handler(Action.MANAGE_PERMITS)
    def filter(self, principal: Principal, form: dict):
        action = str(form.get("action", ""))
        self.action = action if action in oversight.ACTION_NAMES else ""
        self.text, self._up_to = str(form.get("text", ""))[:64], None
        self._refresh(principal)
        return None

    @handler(Action.MANAGE_PERMITS)
    def show_older(self, principal: Principal):
        """The next page back in time: the events older than the oldest one shown."""
        if self.older and self.events:
            self._up_to = int(self.events[-1]["seq"]) - 1
        self._refresh(principal)
        return None

    @handler(Action.MANAGE_PERMITS)
    def show_newer(self, principal: Principal):
        """The page just newer than the newest event shown (the newest page when none is)."""
        newest = int(self.events[0]["seq"]) if self.newer and self.events else None
        if newest is None:
            self._up_to = None
        self._refresh(principal, newer_than=newest)
        return None

    @handler(Action.MANAGE_PERMITS)
    def decide(self, principal: Principal, form: dict):
        try:
            with session_scope() as session:
                oversight.decide_misuse(
                    session=session,
                    principal=principal,
                    report_seq=whole_number(form.get("report")) or 0,
                    decision=str(form.get("decision", "")),
                    note=str(form.get("note", ""))[:1000],
                    now=utcnow(),
                )
        except PermitError as error:
            return rx.toast.error(self._t(str(error)))
        self._refresh(principal)
        return rx.toast.success(self._t("Saved."))
