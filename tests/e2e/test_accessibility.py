"""Every page, signed out and as each role: axe-core finds nothing and every control is a
44×44 px target at 390×844 in English and Russian, where nothing moves under the reader's eyes
(layout shift below 0.1 on a cold load and after a language switch) and `<html lang>` is the
language shown; at 360 px, in all five languages, no page is wider than the screen. One app;
each role signs in once per language and walks its pages.

axe-core is the version scripts/bootstrap.py pins (`make setup-test` puts it in .tools/).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from lbt_app import routes
from lbt_app.i18n import LANGUAGES, t
from scripts.bootstrap import AXE_CORE, TOOLS
from tests.e2e.conftest import PHONE_360, choose_language, hydrated, permit_field, sign_in
from tests.e2e.harness import MOBILE

pytestmark = pytest.mark.browser

AUDITED = ("en", "ru")  # axe and tap targets; the width is checked in every language
AXE = TOOLS / "node_modules" / AXE_CORE[0] / "axe.min.js"
TARGET = 44  # px, WCAG 2.5.5 (AAA) and the platforms' own guidance for a finger
SHIFT = 0.1  # cumulative layout shift: Core Web Vitals' "good", what Lighthouse scores against


@dataclass(frozen=True)
class View:
    """A page as a person reaches it; `opens` is clicked first to show what it hides (after
    typing the permit number of the demo resident `number_of` on the officer's page)."""

    path: str
    opens: str = ""
    number_of: str = ""

    @property
    def name(self) -> str:
        return self.path + (f" ({self.opens})" if self.opens else "")


# Who walks which pages: None is signed out; "new resident" signs up (the application form).
WALKS: list[tuple[str | None, list[View]]] = [
    (None, [View(routes.LOGIN), View(routes.SIGNUP)]),
    (
        "officer1",
        [
            View(routes.OFFICER),
            # the verdict screen, for a permit number typed in
            View(routes.OFFICER, "[data-testid=manual-check]", number_of="RAHIMOV"),
            View(routes.ACCOUNT),
        ],
    ),
    ("farhod", [View(routes.WALLET)]),
    ("davlat", [View(routes.WALLET)]),  # an application waiting
    ("new resident", [View(routes.WALLET)]),
    (
        "staff",
        [
            View(routes.AUTHORITY),
            View(routes.AUTHORITY, "[data-testid=permit-open]"),
            View(routes.RESIDENTS),
            View(routes.RESIDENTS, "[data-testid=resident-row]"),
            View(routes.RESIDENTS, "[data-testid=resident-new]"),
            View(routes.APPLICATIONS),
            View(routes.APPLICATIONS, "[data-testid=application-review]"),
            View(routes.OVERSIGHT),
            View(routes.ACCOUNT),
        ],
    ),
    (
        "admin",
        [
            View(routes.ADMIN),
            View(routes.ADMIN_AGREEMENTS),
            View(routes.ADMIN_AGREEMENTS, "[data-testid=agreement-new]"),
            View(routes.ADMIN_REFUSALS),
            View(routes.ADMIN_KEYS),
            View(routes.ACCOUNT),
        ],
    ),
]

# Resolves once the page has stopped changing for 300 ms (its on_load data has arrived).
SETTLED = """() => new Promise((done) => {
  let timer = setTimeout(finish, 300);
  const watch = new MutationObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(finish, 300);
  });
  const give_up = setTimeout(finish, 8000);
  function finish() { watch.disconnect(); clearTimeout(give_up); done(); }
  watch.observe(document.body,
                {subtree: true, childList: true, attributes: true, characterData: true});
})"""

# Every layout shift of the document, kept from its start (run before the page's own scripts).
RECORD_SHIFTS = """window.lbtShifts = [];
new PerformanceObserver((entries) => {
  for (const e of entries.getEntries()) {
    window.lbtShifts.push({value: e.value, at: e.startTime, input: e.hadRecentInput});
  }
}).observe({type: 'layout-shift', buffered: true});"""

# Cumulative layout shift as Lighthouse and Core Web Vitals count it: the largest session window
# (shifts less than 1 s apart, 5 s at most) of the shifts since `since` ms. Shifts within 500 ms
# of a tap or key press are the reader's doing and are left out (Chromium's hadRecentInput); on
# a cold load nothing was pressed, so all count (Chromium may carry the flag over from the
# page before).
LAYOUT_SHIFT = """([since, afterInput]) => {
  let worst = 0, window_ = 0, first = -Infinity, last = -Infinity;
  for (const s of window.lbtShifts) {
    if (s.at < since || (afterInput && s.input)) continue;
    if (s.at - last < 1000 && s.at - first < 5000) window_ += s.value;
    else { window_ = s.value; first = s.at; }
    last = s.at;
    worst = Math.max(worst, window_);
  }
  return worst;
}"""

# Visible controls smaller than TARGET px either way. Not counted, as axe's target-size rule
# does not count them: a link inside a sentence (its height is the line's); what is not there
# for a finger (hidden from everyone, or a 1 px input that a button drives, like the file input
# behind a file button). A checkbox's or radio's label is part of its target.
SMALL_TARGETS = """(target) => {
  const controls = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, ' +
    '[role=button], [role=checkbox], [role=radio], [role=switch], [role=link], [role=tab]');
  const inSentence = (el) => el.tagName === 'A' && [...el.parentElement.childNodes].some(
    (n) => n !== el && n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
  const small = [];
  for (const el of controls) {
    let box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
    if (el.closest('[aria-hidden=true]') || style.pointerEvents === 'none') continue;
    if (el.tabIndex < 0 && box.width <= 1 && box.height <= 1) continue;
    if (inSentence(el)) continue;
    if (el.matches('input[type=checkbox], input[type=radio]') && el.labels.length) {
      box = el.labels[0].getBoundingClientRect();
    }
    if (box.width < target - 0.5 || box.height < target - 0.5) {
      const name = (el.getAttribute('aria-label') || el.textContent || el.name || '').trim();
      const id = el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : '';
      small.push(`${el.tagName.toLowerCase()}${id} "${name.slice(0, 30)}" ` +
                 `${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return [...new Set(small)];
}"""

# Pictures drawn out of their own shape (Lighthouse's image-aspect-ratio: a width-to-height
# ratio off by more than 0.05), unless cropped or fitted on purpose (object-fit).
OUT_OF_SHAPE = """() => [...document.images].flatMap((img) => {
  const box = img.getBoundingClientRect();
  const fit = getComputedStyle(img).objectFit;
  if (!img.naturalWidth || !box.width || !box.height || fit === 'cover' || fit === 'contain') {
    return [];
  }
  const drawn = box.width / box.height, own = img.naturalWidth / img.naturalHeight;
  return Math.abs(drawn - own) > 0.05
    ? [`${img.alt || img.src.slice(0, 40)}: ${img.naturalWidth}×${img.naturalHeight} drawn ` +
       `${Math.round(box.width)}×${Math.round(box.height)}`]
    : [];
})"""
DESCRIBED = "[...document.querySelectorAll('meta[name=description]')].map((m) => m.content)"
WIDER_THAN_SCREEN = "document.scrollingElement.scrollWidth - window.innerWidth"


def _axe_violations(page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {node['target']} — {node['failureSummary']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


def _sign_in_as(page, app, who: str, lang: str) -> None:
    if who == "new resident":
        with app.engine().begin() as conn:  # this browser may open 5 accounts an hour
            conn.execute(sa.text("DELETE FROM authattempt WHERE kind = 'signed_up'"))
        page.goto(app.url + routes.SIGNUP)
        hydrated(page)
        page.fill("#signup-full_name", "Nodira Azimova")
        page.fill("#signup-username", f"a11y-{lang}-{time.time_ns()}")
        page.fill("#signup-password", "border-2026-pass")
        page.fill("#signup-password_again", "border-2026-pass")
        page.click("[data-testid=sign-up]")
    else:
        sign_in(page, app, who, f"{who}-demo-2026")
    page.wait_for_selector("[data-testid=sign-out]")


def _shift_since(page, since: float, after_input: bool) -> float:
    return page.evaluate(LAYOUT_SHIFT, [since, after_input])


def _look_at(page, app, view: View, cold: bool) -> dict[str, float]:
    """Open the view: loaded afresh when `cold` (else only where the tab is elsewhere). What
    moved: on the page's cold load, and after `opens` was clicked."""
    shifts = {}
    if cold or page.url.rstrip("/") != (app.url + view.path).rstrip("/"):
        page.goto(app.url + view.path)
    hydrated(page)
    page.evaluate(SETTLED)
    if cold:
        shifts["cold load"] = _shift_since(page, 0, after_input=False)
    if view.number_of:
        page.fill("[data-testid=manual-number]", permit_field(app, view.number_of))
    if view.opens:
        clicked = page.evaluate("performance.now()")
        page.click(view.opens)
        page.evaluate(SETTLED)
        if cold:
            shifts["opening"] = _shift_since(page, clicked, after_input=True)
    return shifts


def _switch_language(page, lang: str) -> dict[str, float]:
    """Choose `lang` in the header with the keyboard, as a person would (a neighbouring
    language: one arrow key); what moved after the key press until the page settled. Where a
    dialog holds the focus, the choice is made by script: then every shift counts."""
    now = page.evaluate("document.documentElement.lang")
    key = "ArrowDown" if LANGUAGES.index(lang) > LANGUAGES.index(now) else "ArrowUp"
    assert abs(LANGUAGES.index(lang) - LANGUAGES.index(now)) == 1, (now, lang)
    chosen = page.evaluate("performance.now()")
    page.focus("[data-testid=language]")
    if page.evaluate("document.activeElement?.dataset.testid === 'language'"):
        page.keyboard.press(key)
    else:
        page.select_option("[data-testid=language]", lang)
    page.wait_for_function("(lang) => document.documentElement.lang === lang", arg=lang)
    page.evaluate(SETTLED)
    return {f"switch to {lang}": _shift_since(page, chosen, after_input=True)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_is_accessible_and_fits_a_phone(browser, app, lang, tmp_path):
    if "LBT_REDIS_URL" in app.env:
        pytest.skip("the same pages as the embedded app's: audited there")
    assert AXE.is_file(), f"{AXE} is missing: run `make setup-test`"
    audited = lang in AUDITED
    started = time.monotonic()
    found: dict[str, list[str]] = {}
    shifted: dict[str, dict[str, float]] = {}
    for who, views in WALKS:
        context = browser.new_context(
            viewport=MOBILE, is_mobile=True, has_touch=True, locale="en-US", bypass_csp=True
        )
        context.add_init_script(RECORD_SHIFTS)
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            choose_language(page, app, lang)
            if who is not None:
                _sign_in_as(page, app, who, lang)
            for view in views:
                page.set_viewport_size(MOBILE if audited else PHONE_360)
                shifts = _look_at(page, app, view, cold=audited)
                where = f"{lang} {who or 'signed out'} {view.name}"
                if audited:
                    problems = _axe_violations(page)
                    problems += [
                        f"target-{TARGET}px: {small}"
                        for small in page.evaluate(SMALL_TARGETS, TARGET)
                    ]
                    shown = page.evaluate("document.documentElement.lang")
                    if shown != lang:
                        problems.append(f'<html lang="{shown}">')
                    problems += [f"image-aspect-ratio: {i}" for i in page.evaluate(OUT_OF_SHAPE)]
                    described = page.evaluate(DESCRIBED)
                    if described != [t(routes.DESCRIPTION, lang)]:
                        problems.append(f"meta description: {described}")
                    other = "ru" if lang == "en" else "en"
                    shifts |= _switch_language(page, other) | _switch_language(page, lang)
                    shifted[where] = shifts
                    problems += [
                        f"layout shift {value:.3f} on {when}"
                        for when, value in shifts.items()
                        if value >= SHIFT
                    ]
                    if problems:
                        found[where] = problems
                    page.set_viewport_size(PHONE_360)
                    page.evaluate(SETTLED)
                extra = page.evaluate(WIDER_THAN_SCREEN)
                shot = re.sub(r"[^\w]+", "_", f"{who or 'signed out'} {view.name}").strip("_")
                page.screenshot(path=tmp_path / f"{lang}-{shot}.png", full_page=True)
                if extra > 0:
                    found.setdefault(where, []).append(f"{extra} px wider than a 360 px screen")
        finally:
            context.close()
    print(f"\n{lang}: walked in {time.monotonic() - started:.0f} s; at 360 px: {tmp_path}")
    for where, shifts in shifted.items():
        print(f"  {where}: layout shift " + ", ".join(f"{v:.3f} {k}" for k, v in shifts.items()))
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
