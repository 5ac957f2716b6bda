"""The frame every page shares: header with user, role and language; mobile-first body.
Landmarks (banner, main) and the document's language (`<html lang>`) are set here, for every
page."""

from __future__ import annotations

import json

import reflex as rx
from reflex.components.sonner.toast import Toaster
from reflex.utils.imports import ImportVar
from reflex.vars import Var, VarData

from lbt_app import routes
from lbt_app.core.access import ROLE_LABEL, Role
from lbt_app.i18n import LANGUAGES, N_, SOURCE_LANG, language_name, message_ids, word_table
from lbt_app.states.session import LANG_KEY, SessionState

LANGUAGE = N_("Language")  # the language switcher's name
# The words a page's HTML holds before its words come (in the source language, with the build's
# prerendering): its title, its description and the header's; assets/theme.css hides the rest.
FIRST_PAINT = frozenset((*routes.TITLE.values(), routes.DESCRIPTION, routes.BRAND, LANGUAGE))
# The words shown, in a component (assets/words.js): it renders again when they change.
_WORDS = VarData(
    imports={"$/public/words.js": [ImportVar(tag="useWords")]},
    hooks={"const lbtWords = useWords();": None},
)


def T(msgid: str) -> rx.Var:
    """A translated UI string; unknown message ids fail the build, not the page."""
    if msgid not in message_ids():
        raise KeyError(f"message id missing from the catalogues: {msgid!r}")
    key = json.dumps(msgid, ensure_ascii=False)
    first = f" ?? {key}" if msgid in FIRST_PAINT else ""
    return Var(f"(lbtWords.words[{key}]{first})", _var_data=_WORDS).to(str)


def T_var(msgid: rx.Var) -> rx.Var:
    """A translated string whose message id comes from state."""
    var_data = VarData.merge(_WORDS, msgid._get_all_var_data())
    return Var(f"lbtWords.words[{msgid}]", _var_data=var_data).to(str)


def _ready() -> Var:
    """The page has its state, its on_load data and its words."""
    lang, loaded = SessionState.lang, rx.State.is_hydrated
    var_data = VarData.merge(_WORDS, lang._get_all_var_data(), loaded._get_all_var_data())
    return Var(f"({loaded} && lbtWords.lang === {lang})", _var_data=var_data).to(bool)


def error_note(text: rx.Var, testid: str) -> rx.Component:
    """A refusal in words (already translated), shown while there is one."""
    return rx.cond(
        text != "",
        rx.callout(
            text, icon="triangle-alert", color_scheme="red", data_testid=testid, width="100%"
        ),
    )


def _word_urls() -> str:
    """Where each language's words are, as JSON (lbt_app/frontend_build.py WordTables writes
    them)."""
    return json.dumps({code: f"/assets/{word_table(code)[0]}" for code in LANGUAGES})


def early_words() -> rx.Component:
    """For the page's head: asks for the words of the language the page will most likely be in
    (the reader's choice kept in this browser, else the browser's languages, else the source
    language: as the server picks it, i18n.normalize_lang) while the HTML is still read,
    beside the scripts. Asked for by the scripts once they had run, the table came after them
    on a slow link: 0.4 s and more before a page was live. assets/words.js takes the answer
    (`lbtEarlyWords`); where this fails (no storage), it asks once the state has come."""
    return rx.el.script(
        f"try {{ const urls = {_word_urls()};"
        f" const choices = [localStorage.getItem({json.dumps(LANG_KEY)}) || '',"
        " ...(navigator.languages || [])];"
        " const lang = choices.map((c) => c.toLowerCase().split('-')[0])"
        f".find((c) => c in urls) ?? {json.dumps(SOURCE_LANG)};"
        " const asked = fetch(urls[lang]); asked.catch(() => {});"
        " window.lbtEarlyWords = { [urls[lang]]: asked }; } catch {}"
    )


class Document(rx.Fragment):
    """Marks on `<html>`: `lang`, the language the page is shown in (what screen readers read
    it in), set once the page has its state and again on each switch; and `data-loaded` from
    the tab's first complete load on (state, on_load data and words). Until then
    assets/theme.css keeps the content invisible: it would show blank labels (only the first
    paint's words are in the build) and empty lists, and what arrived later would move what was
    drawn. Later navigations show at once.
    And the words: the page's language's shown once the state says which it is
    (assets/words.js); the likely one was asked for by the page's head (`early_words`)."""

    def add_hooks(self) -> list[str | Var]:
        lang, ready = SessionState.lang, _ready()
        # The state has come (the build's has no client): its language is the page's. The
        # words then come while the page's own data is still on its way, and that, the larger
        # part of most pages, is drawn once, with them.
        known = rx.State.router.session.client_token != ""
        urls = _word_urls()
        effects = [
            f"useEffect(() => {{ if ({known}) showWords({lang}, {urls}[{lang}]); }},"
            f" [{known}, {lang}]);",
            f"useEffect(() => {{ document.documentElement.lang = {lang}; }}, [{lang}]);",
            f"useEffect(() => {{ if ({ready}) document.documentElement.dataset.loaded = ''; }},"
            f" [{ready}]);",
        ]
        var_data = VarData.merge(
            ready._get_all_var_data(),
            known._get_all_var_data(),
            VarData(
                imports={
                    "react": ["useEffect"],
                    "$/public/words.js": [ImportVar(tag="showWords")],
                }
            ),
        )
        return [Var(effect, _var_data=var_data) for effect in effects]


def language_switcher() -> rx.Component:
    return rx.el.select(
        *[rx.el.option(language_name(code), value=code) for code in LANGUAGES],
        value=SessionState.lang,
        on_change=SessionState.set_language,
        aria_label=T(LANGUAGE),
        data_testid="language",
        style={"padding": "4px", "border_radius": "6px", "flex_shrink": "0"},
    )


def account_link() -> rx.Component:
    """An icon button that is a link: one element, named, reached by the keyboard."""
    return rx.icon_button(
        rx.link(
            rx.icon("user-cog", size=16),
            href=routes.ACCOUNT,
            aria_label=T("My account"),
            data_testid="to-account",
        ),
        as_child=True,
        variant="soft",
    )


# The header's one row: as tall as its 44 px controls, in every language and before the page
# knows who is signed in (filled in after hydration), so that nothing below it moves.
HEADER_HEIGHT = "65px"  # 44 px controls, 2 × 10 px padding, 1 px border
ONE_LINE = {"white_space": "nowrap", "overflow": "hidden", "text_overflow": "ellipsis"}


def grid_columns(narrow: int, wide: int, *, from_width: str) -> dict:
    """A grid's columns: `narrow` on a phone, `wide` from `from_width` on. In the page's own
    CSS, not Radix's `columns` per width, whose classes the build leaves out
    (lbt_app/frontend_build.py RADIX_WITHOUT_BREAKPOINTS)."""
    return {
        "grid_template_columns": f"repeat({narrow}, minmax(0, 1fr))",
        f"@media (min-width: {from_width})": {
            "grid_template_columns": f"repeat({wide}, minmax(0, 1fr))"
        },
    }


class LazyToaster(Toaster):
    """sonner's `<Toaster>`, fetched after the page (or at its first message), not with every
    page's first scripts; a message sent before it came waits for it (assets/toaster.js, whose
    `toast` Reflex's hook gives the events)."""

    library: str | None = "$/public/toaster.js"
    lib_dependencies: list[str] = [Toaster.library]  # noqa: RUF012 — sonner, as Reflex names it
    tag = "LazyToaster"


def toaster() -> rx.Component:
    """Messages (toasts) just under the header: at the bottom of a phone they covered the
    form's submit button, over the header they covered the sign-out and language controls.
    Taps go through them (assets/theme.css)."""
    under_header = {"top": f"calc({HEADER_HEIGHT} + 8px)"}
    return LazyToaster.create(
        position="top-center",
        # sonner's offsets, wide screens and under 600 px: reflex's Toaster types `offset`
        # as one string for all four sides and has no `mobileOffset`
        custom_attrs={"offset": under_header, "mobileOffset": under_header},
    )


def _user() -> rx.Component:
    """Who is signed in: name and role, cut short with an ellipsis rather than wrapping."""
    return rx.hstack(
        rx.vstack(
            rx.text(SessionState.user_name, size="2", style=ONE_LINE, data_testid="user-name"),
            rx.text(
                T_var(SessionState.user_role),
                size="1",
                color_scheme="gray",
                style=ONE_LINE,
                data_testid="user-role",
            ),
            spacing="0",
            align="stretch",
            min_width="0",
            flex="1",
        ),
        rx.cond(SessionState.user_role != ROLE_LABEL[Role.RESIDENT], account_link()),
        rx.icon_button(
            rx.icon("log-out", size=16),
            on_click=SessionState.sign_out,
            variant="soft",
            aria_label=T("Sign out"),
            data_testid="sign-out",
        ),
        align="center",
        spacing="2",
        flex="1",
        min_width="0",
    )


def header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.cond(
                SessionState.user_name != "",
                _user(),  # the room the name needs at 360 px: the brand steps aside
                rx.hstack(
                    rx.icon("shield-check", size=22, flex_shrink="0"),
                    rx.text(T(routes.BRAND), weight="bold", style=ONE_LINE),
                    align="center",
                    spacing="2",
                    flex="1",
                    min_width="0",
                ),
            ),
            language_switcher(),
            width="100%",
            height=HEADER_HEIGHT,
            padding="10px 12px",
            align="center",
            border_bottom="1px solid var(--gray-5)",
            spacing="2",
            wrap="nowrap",
        )
    )


def page(*children: rx.Component, testid: str) -> rx.Component:
    return rx.box(
        header(),
        rx.el.main(
            rx.vstack(
                *children,
                width="100%",
                max_width="960px",
                margin="0 auto",
                padding="12px",
                spacing="4",
            )
        ),
        rx.cond(_ready(), rx.box(data_testid="hydrated", display="none")),
        Document.create(),
        data_testid=testid,
        min_height="100vh",
    )
