"""Administration: setting up agreements, their rules, border areas, crossing points and
authorities (/admin/agreements). Forms are read when submitted; errors show under each field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from lbt_app.core.access import Action, Principal
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_
from lbt_app.services import agreements
from lbt_app.services.agreements import KINDS, AgreementError, Setup
from lbt_app.settings import get_settings
from lbt_app.states.handler import handler
from lbt_app.states.session import SessionState, bring_into_view

FORM_IDS = {
    "area": "agreement-area-form",
    "point": "agreement-point-form",
    "authority": "agreement-authority-form",
}
SAVED = {
    "agreement": N_("Agreement created."),
    "details": N_("Agreement saved."),
    "rules": N_("Rules saved. They apply from now on."),
    "area": N_("Border area saved."),
    "point": N_("Crossing point saved."),
    "authority": N_("Authority saved."),
}
DELETED = {
    "area": N_("Border area deleted."),
    "point": N_("Crossing point deleted."),
    "authority": N_("Authority deleted."),
}
EMPTY_FORMS: dict[str, dict[str, str]] = {
    "area": {
        "code": "",
        "name": "",
        "name_native": "",
        "country": "",
        "depth_km": "",
        "districts": "",
    },
    "point": {"code": "", "name": "", "name_native": ""},
    "authority": {"code": "", "name": "", "name_native": "", "country": "", "kind": "issuing"},
}
ZONE_FORMS = ("agreement", "details")  # the forms with two countries and a time zone
SIDES = ("country_a", "country_b")


def _say(error: AgreementError, translate: Callable[..., str]) -> str:
    if error.uses:
        return translate(str(error), uses=", ".join(translate(u) for u in error.uses))
    return translate(str(error))


class AdminAgreementsState(SessionState):
    agreements: list[dict[str, str]] = []
    chosen: str = ""  # the code of the agreement being set up
    agreement: dict[str, str] = {}
    areas: list[dict[str, str]] = []
    points: list[dict[str, str]] = []
    authorities: list[dict[str, str]] = []
    has_permits: bool = False
    # What each part's form edits ("" = a new one), and the values it opens with.
    editing: dict[str, str] = {"area": "", "point": "", "authority": ""}
    forms: dict[str, dict[str, str]] = EMPTY_FORMS
    serves: list[str] = []  # the point form's ticked areas (codes)
    errors: dict[str, str] = {}  # "form.field" → message (translated)
    form_key: int = 0  # a new value redraws the forms with their opening values
    countries: list[dict[str, str]] = []
    sides: list[dict[str, str]] = []  # the chosen agreement's two countries
    adding: bool = False  # the new agreement's form is open
    # Each of ZONE_FORMS: the zones of the two countries chosen in it (saved or picked there).
    zones: dict[str, list[dict[str, str]]] = {form: [] for form in ZONE_FORMS}
    _picked: dict[str, dict[str, str]] = {}  # form → side → country picked, not yet sent
    card_languages: list[dict[str, str]] = []
    kinds: list[dict[str, str]] = []

    @handler(Action.ADMINISTER, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        self.errors = {}
        self._redraw_forms()  # a language switch reorders the choices: forms open afresh
        self._refresh(principal)
        return None

    def _redraw_forms(self) -> None:
        """New keys: every form opens afresh with its opening values."""
        self.form_key += 1
        self._picked = {}

    def _zone_choices(self, sides: dict[str, str], keep: str = "") -> list[dict[str, str]]:
        zones = {*agreements.time_zones(*sorted(c for c in sides.values() if c)), keep} - {""}
        now, lang = utcnow(), self.lang
        return sorted(
            ({"value": z, "label": agreements.zone_label(z, lang, now)} for z in zones),
            key=lambda choice: (choice["value"] != "UTC", choice["label"]),
        )

    def _offer_zones(self) -> None:
        a = self.agreement
        saved = {side: a.get(side, "") for side in SIDES}
        self.zones = {
            "agreement": self._zone_choices(self._picked.get("agreement", {})),
            "details": self._zone_choices(
                {**saved, **self._picked.get("details", {})}, keep=a.get("timezone", "")
            ),
        }

    def _refresh(self, principal: Principal) -> None:
        lang = self.lang
        self.countries = [
            {"value": code, "label": name} for code, name in agreements.country_choices(lang)
        ]
        self.card_languages = [
            {"value": value, "label": self._t(label) if not value else label}
            for value, label in agreements.card_language_choices()
        ]
        self.kinds = [{"value": k, "label": self._t(label)} for k, label in KINDS.items()]
        with session_scope() as session:
            rows = agreements.agreements(session=session, principal=principal)
            self.agreements = [
                {
                    "code": a.code,
                    "name": a.name,
                    "countries": " – ".join(
                        agreements.country_name(c, lang) for c in (a.country_a, a.country_b)
                    ),
                }
                for a in rows
            ]
            if self.chosen not in {a.code for a in rows}:
                self.chosen = rows[0].code if len(rows) == 1 else ""
            self.adding = self.adding or not rows  # nothing else to do yet
            setup = (
                agreements.setup_of(session=session, principal=principal, code=self.chosen)
                if self.chosen
                else None
            )
        self._show_setup(setup)

    def _show_setup(self, setup: Setup | None) -> None:
        lang = self.lang
        if setup is None:
            self.agreement, self.areas, self.points, self.authorities = {}, [], [], []
            self.sides, self.has_permits = [], False
            self._offer_zones()
            return
        a = setup.agreement
        self.agreement = {
            "code": a.code,
            "name": a.name,
            "country_a": a.country_a,
            "country_b": a.country_b,
            "timezone": a.timezone,
            "card_languages": a.card_languages,
            "max_stay_days": str(a.max_stay_days),
            "period_cap_days": str(a.period_cap_days or ""),
            "period_days": str(a.period_days or ""),
            "min_validity_years": str(a.min_validity_years),
            "max_validity_years": str(a.max_validity_years),
            "min_residence_years": str(a.min_residence_years),
            "max_area_km": str(a.max_area_km),
        }
        self.sides = [
            {"value": c, "label": agreements.country_name(c, lang)}
            for c in (a.country_a, a.country_b)
        ]
        names = {area.code: agreements.area_name(area, lang) for area in setup.areas}
        self.areas = [
            {
                "code": area.code,
                "name": area.name,
                "name_native": area.name_native,
                "label": names[area.code],
                "country": area.country,
                "country_name": agreements.country_name(area.country, lang),
                "depth_km": str(area.depth_km),
                "districts": ", ".join(area.districts),
            }
            for area in setup.areas
        ]
        self.points = [
            {
                "code": p.point.code,
                "name": p.point.name,
                "name_native": p.point.name_native,
                "serves": ", ".join(names[c] for c in p.serves),
                "serves_codes": ",".join(p.serves),
            }
            for p in setup.points
        ]
        self.authorities = [
            {
                "code": x.code,
                "name": x.name,
                "name_native": x.name_native,
                "country": x.country,
                "country_name": agreements.country_name(x.country, lang),
                "kind": x.kind,
                "kind_label": self._t(KINDS.get(x.kind, x.kind)),
            }
            for x in setup.authorities
        ]
        self.has_permits = setup.has_permits
        self._offer_zones()

    def _fail(self, form: str, errors: dict[str, str]) -> rx.event.EventSpec:
        self.errors = {f"{form}.{k}": self._t(v) for k, v in errors.items()}
        return rx.toast.error(self._t("Check the marked fields."))

    def _refuse(self, form: str, error: AgreementError) -> rx.event.EventSpec:
        text = _say(error, self._t)
        self.errors = {f"{form}.{error.field}": text} if error.field else {}
        return rx.toast.error(text)

    def _done(self, principal: Principal, message: str) -> rx.event.EventSpec:
        self.errors = {}
        self._redraw_forms()
        self._refresh(principal)
        return rx.toast.success(self._t(message))

    def _run(self, principal: Principal, form: str, change: Callable[[Any], tuple]):
        """Run one change in one transaction: all of it, or (on any error) nothing."""
        try:
            with session_scope() as session:
                row, errors = change(session)
                if errors:
                    session.rollback()
                    return self._fail(form, errors)
        except AgreementError as error:
            return self._refuse(form, error)
        if form in EMPTY_FORMS:
            self.editing = {**self.editing, form: ""}
            self.forms = {**self.forms, form: dict(EMPTY_FORMS[form])}
            self.serves = []
        if form == "agreement" and row is not None:
            self.chosen, self.adding = row.code, False
        return self._done(principal, SAVED[form])

    @handler(Action.ADMINISTER)
    def open_agreement(self, principal: Principal, code: str):
        self.chosen = code if any(a["code"] == code for a in self.agreements) else ""
        self.errors, self.editing = {}, {"area": "", "point": "", "authority": ""}
        self.forms, self.serves = dict(EMPTY_FORMS), []
        self._redraw_forms()
        self._refresh(principal)
        return None

    @handler(Action.ADMINISTER)
    def show_new(self, principal: Principal, shown: bool):
        """Open or close the new agreement's form (it opens with nothing chosen)."""
        self.adding = shown
        self._picked = {k: v for k, v in self._picked.items() if k != "agreement"}
        self._offer_zones()
        return None

    @handler(Action.ADMINISTER)
    def pick_country(self, principal: Principal, form: str, side: str, code: str):
        """A country chosen in a form, before it is sent: the form offers that country's zones."""
        if form not in ZONE_FORMS or side not in SIDES:
            return None
        known = code if code in agreements.countries() else ""
        self._picked = {**self._picked, form: {**self._picked.get(form, {}), side: known}}
        self._offer_zones()
        return None

    @handler(Action.ADMINISTER)
    def create_agreement(self, principal: Principal, form: dict):
        return self._run(
            principal,
            "agreement",
            lambda session: agreements.create_agreement(
                session=session, principal=principal, raw=form, now=utcnow()
            ),
        )

    def _change(self, principal: Principal, part: str, form: dict):
        return self._run(
            principal,
            part,
            lambda session: agreements.change_agreement(
                session=session,
                principal=principal,
                code=self.chosen,
                raw=form,
                now=utcnow(),
                part=part,
            ),
        )

    @handler(Action.ADMINISTER)
    def save_details(self, principal: Principal, form: dict):
        return self._change(principal, "details", form)

    @handler(Action.ADMINISTER)
    def save_rules(self, principal: Principal, form: dict):
        return self._change(principal, "rules", form)

    @handler(Action.ADMINISTER)
    def edit(self, principal: Principal, part: str, code: str):
        """Open the form of an area, a point or an authority (`code` "": a new one)."""
        rows = {"area": self.areas, "point": self.points, "authority": self.authorities}
        if part not in rows:
            return None
        row = next((r for r in rows[part] if r["code"] == code), None)
        values = dict(EMPTY_FORMS[part])
        if row is not None:
            values = {k: row.get(k, "") for k in values}
        elif part in {"area", "authority"} and self.sides:
            values["country"] = self.sides[-1]["value"]
        self.editing = {**self.editing, part: row["code"] if row else ""}
        self.forms = {**self.forms, part: values}
        if part == "point":
            self.serves = row["serves_codes"].split(",") if row and row["serves_codes"] else []
        self.errors = {}
        self._redraw_forms()
        self._offer_zones()
        return bring_into_view(FORM_IDS[part])

    @handler(Action.ADMINISTER)
    def save_area(self, principal: Principal, form: dict):
        return self._run(
            principal,
            "area",
            lambda session: agreements.save_area(
                session=session,
                principal=principal,
                agreement_code=self.chosen,
                area_code=self.editing.get("area", ""),
                raw=form,
                now=utcnow(),
            ),
        )

    @handler(Action.ADMINISTER)
    def save_point(self, principal: Principal, form: dict):
        serves = [
            k.removeprefix("serves:") for k, v in form.items() if k.startswith("serves:") and v
        ]
        return self._run(
            principal,
            "point",
            lambda session: agreements.save_point(
                session=session,
                principal=principal,
                agreement_code=self.chosen,
                point_code=self.editing.get("point", ""),
                raw=form,
                serves=serves,
                now=utcnow(),
            ),
        )

    @handler(Action.ADMINISTER)
    def save_authority(self, principal: Principal, form: dict):
        return self._run(
            principal,
            "authority",
            lambda session: agreements.save_authority(
                session=session,
                principal=principal,
                agreement_code=self.chosen,
                authority_code=self.editing.get("authority", ""),
                raw=form,
                kek=get_settings().key_encryption_key(),
                now=utcnow(),
            ),
        )

    @handler(Action.ADMINISTER)
    def delete(self, principal: Principal, part: str, code: str):
        """Delete an area, a point or an authority of the chosen agreement, where allowed."""
        try:
            with session_scope() as session:
                agreements.delete(
                    session=session,
                    principal=principal,
                    agreement_code=self.chosen,
                    part=part,
                    code=code,
                    now=utcnow(),
                )
        except AgreementError as error:
            return rx.toast.error(_say(error, self._t))
        if self.editing.get(part) == code:
            self.editing = {**self.editing, part: ""}
            self.forms = {**self.forms, part: dict(EMPTY_FORMS[part])}
        return self._done(principal, DELETED[part])
