"""The base state: who is signed in (looked up on the server) and in which language."""

from __future__ import annotations

import json
import logging
import time

import reflex as rx
from reflex.state import OnLoadInternalState, StateUpdate

from lbt_app import routes
from lbt_app.core.access import ROLE_LABEL, AccessDenied, Action, Principal, require
from lbt_app.core.imaging import FILE_TOO_LARGE
from lbt_app.core.ratelimit import TokenBuckets
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import LANGUAGES, N_, normalize_lang, t
from lbt_app.services import audit, auth
from lbt_app.settings import get_settings
from lbt_app.states.handler import handler

log = logging.getLogger(__name__)

FILE_NOT_ACCEPTED = N_("This kind of file is not accepted here.")


NOT_UNDERSTOOD = N_("This request was not understood.")
TOO_MANY_REQUESTS = N_("Too many requests. Wait a moment.")
# What went wrong on our side, without details: a failed event, a QR the phone could not draw.
SOMETHING_WENT_WRONG = N_("Something went wrong. Please try again.")
# Each page's on_load by route (filled where the pages are registered, lbt_app.py).
PAGE_LOADS: dict[str, rx.event.EventHandler] = {}
# Protected events from callers who are not signed in, per client address and worker process:
# a page sends a few on load; a script sending thousands is answered without any work.
ANONYMOUS_EVENTS = TokenBuckets(rate=2, burst=30)
# What the browser keeps (localStorage), by name: the session token and the language.
TOKEN_KEY, LANG_KEY = "lbt_session", "lbt_lang"
# A tab whose server state was lost: its events wait (at most these many, this much JSON) while
# the browser is asked for what it stored; unanswered this long, it is asked again.
MAX_HELD_EVENTS = 20
MAX_HELD_CHARS = 2_000_000
ASK_AGAIN_SECONDS = 10


class SessionState(rx.State):
    # Only an opaque random token lives in the browser; the server maps it to a user.
    token: str = rx.LocalStorage("", name=TOKEN_KEY)
    lang_choice: str = rx.LocalStorage("", name=LANG_KEY)
    user_name: str = ""
    user_role: str = ""
    _refusal: str = ""
    # Whether this server state has what the browser stored (a new state gets it with the tab's
    # hydrate; one that was lost while the tab stayed open must ask: `StateRecovery`).
    _stored_known: bool = False
    _asked_at: float = 0.0  # when the browser was asked (wall clock: any worker may answer)
    _held: list[tuple[str, dict]] = []  # the events that came meanwhile: name, payload

    @rx.var
    def lang(self) -> str:
        header = self.router.headers.accept_language if self.router else ""
        return normalize_lang(self.lang_choice or header, get_settings().default_lang)

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
            client = self.router.session.client_ip if self.router else ""
            if principal is None and not ANONYMOUS_EVENTS.allow(client, time.monotonic()):
                self._refusal = TOO_MANY_REQUESTS  # a flood: not even the folded audit row
                return None
            with session_scope() as session:
                written = audit.record_refusal(
                    session=session,
                    now=utcnow(),
                    actor=principal,
                    subject=str(action),
                    handler=self.get_full_name(),  # also through a background task's proxy
                    client=client,
                )
            if written:  # repeats are folded into one later event: the log is not flooded either
                log.warning("refused %s for %s", action, principal.username if principal else "-")
            return None

    def _not_understood(self) -> rx.event.EventSpec:
        return rx.toast.error(self._t(NOT_UNDERSTOOD))

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

    def _hold(self, event: rx.event.Event) -> StateUpdate:
        """Keep an event until the browser says what it stored; ask it, once (or again when
        no answer came). What cannot be kept is dropped: an upload (its files are gone with
        the request), more than a few camera frames."""
        try:
            size = len(json.dumps(event.payload))
        except (TypeError, ValueError):
            size = MAX_HELD_CHARS + 1
        held_size = sum(len(json.dumps(payload)) for _, payload in self._held)
        if len(self._held) < MAX_HELD_EVENTS and held_size + size <= MAX_HELD_CHARS:
            self._held = [*self._held, (event.name, event.payload)]
        now = time.time()
        if self._asked_at and now - self._asked_at < ASK_AGAIN_SECONDS:
            return StateUpdate()
        self._asked_at = now
        ask = rx.call_script(READ_STORED, callback=SessionState.resume)
        return StateUpdate(events=rx.event.Event.from_event_type(ask))

    @handler()
    def resume(self, stored: dict):
        """What the browser stored, sent because this tab's server state was lost (Redis
        restarted, the state expired): the page loads again, signed in if the session is still
        open on the server, and the events held meanwhile run in order."""
        if not self._asked_at:
            return None  # not asked: nothing to resume
        token, lang = stored.get("token"), stored.get("lang")
        self.token = token[:200] if isinstance(token, str) else ""
        self.lang_choice = lang[:16] if isinstance(lang, str) else ""
        held, self._held, self._asked_at, self._stored_known = self._held, [], 0.0, True
        events = [rx.event.Event(name=n, payload=p) for n, p in held if n != PAGE_LOADED]
        # A navigation was held: its page is the one loading now, and then it is ready.
        ready = [OnLoadInternalState.set_is_hydrated(True)] if len(events) < len(held) else []
        return [*self._page_load(), *events, *ready]

    @handler()
    def file_rejected(self, codes: str):
        """The browser refused a file before sending it: say why (too large, wrong kind)."""
        too_large = "file-too-large" in codes.split(",")
        return rx.toast.error(self._t(FILE_TOO_LARGE if too_large else FILE_NOT_ACCEPTED))

    @handler()
    def set_language(self, lang: str):
        """The language for this browser; the page loads again, so that what the server
        formatted (dates, messages) follows too."""
        if lang not in LANGUAGES:
            return None
        self.lang_choice = lang
        return self._page_load()

    def _page_load(self) -> list[rx.event.EventHandler]:
        """The on_load of the page the tab shows, to run again."""
        load = PAGE_LOADS.get(self.router.url.path if self.router else "")
        return [load] if load else []

    @handler()
    async def sign_out(self):
        """End the session and forget the user everywhere: every state of this tab on the
        server, and what the browser stored (the language choice stays)."""
        if self.token:
            with session_scope() as session:
                auth.sign_out(
                    session=session,
                    token=self.token,
                    kek=get_settings().key_encryption_key(),
                    now=utcnow(),
                )
        lang = self.lang_choice
        for state in _descendants(SessionState):
            await self.get_state(state)  # into the tree, so that the reset below reaches it
        self.reset()
        self.lang_choice, self._stored_known = lang, True
        return [rx.call_script(FORGET_IN_BROWSER), rx.redirect(routes.LOGIN)]


PAGE_LOADED = f"{OnLoadInternalState.get_full_name()}.on_load_internal"
HYDRATED = f"{rx.State.get_full_name()}.hydrate_and_load"  # a tab (re)connects: storage comes
RESUMED = f"{SessionState.get_full_name()}.resume"
# Run in the browser when the server lost the tab's state: what the tab stored, for `resume`.
READ_STORED = f"""({{
  token: localStorage.getItem({TOKEN_KEY!r}) ?? "",
  lang: localStorage.getItem({LANG_KEY!r}) ?? "",
}})"""


class StateRecovery(rx.Middleware):
    """A tab whose server state was lost (Redis restarted, the state expired) while the tab
    stayed open re-establishes itself: its events wait while the browser is asked for what it
    stored, then the page loads again and they run. The session comes back only from the
    token the browser holds, looked up on the server; an ended or expired one stays ended."""

    async def preprocess(self, app, state, event):
        if event.name == RESUMED:
            return None
        session = await state.get_state(SessionState)
        if event.name == HYDRATED:
            if not session._stored_known or session._held or session._asked_at:
                session._stored_known, session._held, session._asked_at = True, [], 0.0
            return None
        return None if session._stored_known else session._hold(event)


def _descendants(cls: type[rx.State]) -> list[type[rx.State]]:
    found = []
    for sub in cls.get_substates():
        found += [sub, *_descendants(sub)]
    return found


# Run in the browser at sign-out: nothing of the user stays for the next one on this device.
# The service worker's own cache (assets/sw.js) holds only static files and is kept.
FORGET_IN_BROWSER = f"""(async () => {{
  const lang = localStorage.getItem({LANG_KEY!r});
  localStorage.clear();
  sessionStorage.clear();
  if (lang !== null) localStorage.setItem({LANG_KEY!r}, lang);
  if (window.caches) {{
    for (const name of await caches.keys()) {{
      if (!name.startsWith("lbt-offline-")) await caches.delete(name);
    }}
  }}
}})()"""


def bring_into_view(elem_id: str) -> rx.event.EventSpec:
    """Scroll to an element a handler has just opened, once the browser has drawn it: a panel
    that opens above or below the screen looks as if the tap did nothing."""
    return rx.call_script(
        f"""(function show(tries) {{
  const el = document.getElementById({elem_id!r});
  if (el) el.scrollIntoView({{block: "start"}});
  else if (tries > 0) requestAnimationFrame(() => show(tries - 1));
}})(120)"""
    )
