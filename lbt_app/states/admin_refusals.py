"""Administration: the refusal list (/admin/refusals) — add, search, lift."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from lbt_app.core.access import Action, Principal
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import format_day
from lbt_app.services import refusals
from lbt_app.services.refusals import RefusalError, RefusalFormError
from lbt_app.states.handler import handler, whole_number
from lbt_app.states.paging import PagedList, page_number
from lbt_app.states.session import SessionState


class AdminRefusalsState(PagedList, SessionState):
    PAGE_SIZE: ClassVar[int] = refusals.PAGE_SIZE
    query: str = ""
    rows: list[dict[str, str]] = []
    authorities: list[dict[str, str]] = []  # value: the code; label: name and agreement
    adding: bool = False
    form_errors: dict[str, str] = {}
    lifting: dict[str, str] = {}  # the entry the confirmation asks about

    @handler(Action.ADMINISTER, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        with session_scope() as session:
            self.authorities = [
                {"value": a.code, "label": f"{a.name} · {g.name}"}
                for a, g in refusals.issuing_authorities(session=session, principal=principal)
            ]
        self._search(principal)
        return None

    def _search(self, principal: Principal) -> None:
        with session_scope() as session:
            found, self.total = refusals.search(
                session=session,
                principal=principal,
                query=self.query,
                now=utcnow(),
                page=self.page,
            )
        self.page = min(self.page, self.pages)
        lang, zone = self.lang, principal.zone
        self.rows = [
            {
                "id": str(r.entry.id),
                "name": r.entry.full_name,
                "document": r.entry.document_number,
                "authority": f"{r.authority.name} · {r.agreement.name}",
                "reason": r.entry.reason,
                "status": str(r.status),
                "status_label": refusals.STATUS_LABEL[r.status],
                "added": format_day(r.entry.added_at, lang, zone),
                "until": format_day(r.entry.until, lang),
                "lifted": format_day(r.entry.lifted_at, lang, zone),
            }
            for r in found
        ]

    @handler(Action.ADMINISTER)
    def search(self, principal: Principal, form: dict):
        self.query, self.page = str(form.get("query", ""))[:100], 1
        self._search(principal)
        return None

    @handler(Action.ADMINISTER)
    def go_to_page(self, principal: Principal, page: int):
        self.page = page_number(page, self.pages)
        self._search(principal)
        return None

    @handler(Action.ADMINISTER)
    def open_add(self, principal: Principal):
        self.adding, self.form_errors = True, {}
        return None

    @handler(Action.ADMINISTER)
    def close_add(self, principal: Principal):
        self.adding, self.form_errors = False, {}
        return None

    @handler(Action.ADMINISTER)
    def add_entry(self, principal: Principal, form: dict):
        """Put a person on the list; a field that does not pass says why, and nothing is kept."""
        try:
            with session_scope() as session:
                refusals.add(session=session, principal=principal, form=form, now=utcnow())
        except RefusalFormError as error:
            self.form_errors = error.errors
            return None
        self.adding, self.form_errors, self.page = False, {}, 1
        self._search(principal)
        return rx.toast.success(self._t("Added to the refusal list."))

    @handler(Action.ADMINISTER)
    def ask_lift(self, principal: Principal, entry_id: str):
        """The confirmation names the person; only an entry on the page can be asked about."""
        row = next((r for r in self.rows if r["id"] == str(whole_number(entry_id))), None)
        if row is not None and row["status"] != str(refusals.EntryStatus.LIFTED):
            self.lifting = {k: row[k] for k in ("id", "name", "document")}
        return None

    @handler(Action.ADMINISTER)
    def cancel_lift(self, principal: Principal):
        self.lifting = {}
        return None

    @handler(Action.ADMINISTER)
    def confirm_lift(self, principal: Principal):
        lifting, self.lifting = self.lifting, {}
        if not lifting:
            return None
        try:
            with session_scope() as session:
                refusals.lift(
                    session=session,
                    principal=principal,
                    entry_id=int(lifting["id"]),
                    now=utcnow(),
                )
        except RefusalError as error:
            return rx.toast.error(self._t(str(error)))
        self._search(principal)
        return rx.toast.success(self._t("The entry is lifted."))
