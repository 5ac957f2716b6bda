"""The base state: who is signed in (looked up on the server) and in which language."""

from __future__ import annotations

import logging

import reflex as rx

from lbt_app import routes
from lbt_app.core.access import ROLE_LABEL, AccessDenied, Action, Principal, require
from lbt_app.core.imaging import FILE_TOO_LARGE
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import LANGUAGES, N_, normalize_lang, t, ui_strings
from lbt_app.services import audit, auth
from lbt_app.settings import get_settings

log = logging.getLogger(__name__)

FILE_NOT_ACCEPTED = N_("This kind of file is not accepted here.")


def page_number(page: object) -> int:
    """A page asked for by the browser: a whole number from 1 (anything else is page 1)."""
    return max(1, int(page)) if isinstance(page, int | float) else 1


class SessionState(rx.State):
    # Only an opaque random token lives in the browser; the server maps it to a user.
    token: str = rx.LocalStorage("", name="lbt_session")
    lang_choice: str = rx.LocalStorage("", name="lbt_lang")
    user_name: str = ""
    user_role: str = ""
    _refusal: str = ""

    @rx.var
    def lang(self) -> str:
        header = self.router.headers.accept_language if self.router else ""
        return normalize_lang(self.lang_choice or header, get_settings().default_lang)

    @rx.var
    def tr(self) -> dict[str, str]:
        return ui_strings(self.lang)

    def _t(self, msgid: str, **params: object) -> str:
        return t(msgid, self.lang, **params)

    def _principal(self) -> Principal | None:
        with session_scope() as session:
            return auth.principal_for_token(session=session, token=self.token, now=utcnow())

    def _permit(self, action: Action) -> Principal | None:
        """The caller if the server allows `action`; else None, with the refusal audited."""
        principal = self._principal()
        try:
            return require(principal, action)
        except AccessDenied as denied:
            self._refusal = str(denied)
            with session_scope() as session:
                written = audit.record_refusal(
                    session=session,
                    now=utcnow(),
                    actor=principal,
                    subject=str(action),
                    handler=type(self).get_full_name(),
                    client=self.router.session.client_ip if self.router else "",
                )
            if written:  # repeats are folded into one later event: the log is not flooded either
                log.warning("refused %s for %s", action, principal.username if principal else "-")
            return None

    def _refused(self) -> rx.event.EventSpec:
        return rx.toast.error(self._t(self._refusal or "You are not allowed to do this."))

    def _show(self, principal: Principal) -> None:
        self.user_name = principal.full_name
        self.user_role = ROLE_LABEL[principal.role]

    def _turn_away(self) -> list[rx.event.EventSpec]:
        """Navigation guard: where a page is not for the caller, send them elsewhere."""
        principal = self._principal()
        if principal is None:
            self.user_name = self.user_role = ""
            return [rx.redirect(routes.LOGIN), rx.toast.info(self._t("Please sign in."))]
        return [
            rx.redirect(routes.HOME[principal.role]),
            rx.toast.warning(self._t("That page is not for your role.")),
        ]

    @rx.event
    def file_rejected(self, codes: str):
        """The browser refused a file before sending it: say why (too large, wrong kind)."""
        too_large = isinstance(codes, str) and "file-too-large" in codes.split(",")
        return rx.toast.error(self._t(FILE_TOO_LARGE if too_large else FILE_NOT_ACCEPTED))

    @rx.event
    def set_language(self, lang: str) -> None:
        if lang in LANGUAGES:
            self.lang_choice = lang

    @rx.event
    def sign_out(self):
        if self.token:
            with session_scope() as session:
                auth.sign_out(session=session, token=self.token, now=utcnow())
        self.token = ""
        self.user_name = self.user_role = ""
        return rx.redirect(routes.LOGIN)
