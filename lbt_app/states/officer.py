"""The officer at a crossing point: check a permit, see the verdict, record the crossing."""

from __future__ import annotations

import base64

import reflex as rx

from lbt_app.core.access import Action
from lbt_app.core.stay import Direction, proposed_direction
from lbt_app.db.engine import session_scope
from lbt_app.db.models import CrossingPoint
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_, format_day
from lbt_app.services import checks
from lbt_app.services.checks import Check, CrossingError
from lbt_app.states.session import SessionState

OUTCOME_LABEL = {"VALID": N_("VALID"), "INVALID": N_("INVALID"), "CHECK": N_("CHECK")}
DIRECTION_LABEL = {"entry": N_("entry"), "exit": N_("exit")}


class OfficerState(SessionState):
    crossing_point: str = ""
    lane: str = Direction.ENTRY.value
    outcome: str = ""  # VALID / INVALID / CHECK, empty while no verdict is shown
    outcome_label: str = ""
    code: str = ""
    reason: str = ""
    holder: dict[str, str] = {}
    stay: dict[str, str] = {}
    recent: list[dict[str, str]] = []
    photo: str = ""
    proposed: str = ""
    recorded: str = ""
    _text: str = ""
    _manual: bool = False

    @rx.event
    def load(self):
        principal = self._permit(Action.SCAN)
        if principal is None:
            return self._turn_away()
        self._show(principal)
        with session_scope() as session:
            point = session.get(CrossingPoint, principal.crossing_point_id)
            self.crossing_point = point.name if point else ""
        return None

    @rx.event
    def set_lane(self, lane: str | list[str]) -> None:
        if isinstance(lane, str) and lane in {d.value for d in Direction}:
            self.lane = lane

    def _present(self, check: Check, text: str, manual: bool) -> None:
        verdict = check.verdict
        self._text, self._manual = text, manual
        self.outcome, self.code = str(verdict.outcome), str(verdict.code)
        self.reason = verdict.reasons[0]
        self.outcome_label = OUTCOME_LABEL[self.outcome]
        self.recorded = ""
        claims = verdict.claims
        resident = check.resident
        self.holder = (
            {}
            if claims is None
            else {
                "latin": f"{claims.surname} {claims.given_names}",
                "native": (
                    f"{resident.surname_native} {resident.given_names_native}" if resident else ""
                ),
                "birth_date": format_day(claims.birth_date, self.lang),
                "number": claims.number,
                "area": claims.border_area,
                "valid_until": format_day(claims.valid_until, self.lang),
                "points": ", ".join(claims.crossing_points),
            }
        )
        stay = check.stay
        self.stay = (
            {}
            if stay is None or not stay.inside
            else {
                "entered_on": format_day(stay.entered_on, self.lang),
                "days": f"{stay.days_used} / {stay.max_stay_days}",
                "must_leave_by": format_day(stay.must_leave_by, self.lang),
            }
        )
        self.recent = [
            {
                "at": format_day(c.at.date(), self.lang),
                "direction": c.direction,
                "direction_label": DIRECTION_LABEL[c.direction],
                "point": c.point,
            }
            for c in check.recent
        ]
        self.photo = (
            "data:image/jpeg;base64," + base64.b64encode(check.photo).decode()
            if check.photo
            else ""
        )
        # The highlighted button follows the history, whatever lane the officer scans in.
        self.proposed = str(proposed_direction(check.stay)) if check.stay else ""

    @rx.event
    def check_number(self, form: dict):
        principal = self._permit(Action.SCAN)
        if principal is None:
            return self._refused()
        number = str(form.get("number", ""))[:32]
        with session_scope() as session:
            check = checks.verify_number(
                session=session,
                principal=principal,
                number=number,
                now=utcnow(),
                direction=Direction(self.lane),
            )
            text = check.permit.payload if check.permit else ""
            self._present(check, text, manual=True)
        return None

    @rx.event
    def record(self, direction: str):
        principal = self._permit(Action.RECORD_CROSSING)
        if principal is None:
            return self._refused()
        if direction not in {d.value for d in Direction} or not self._text:
            return rx.toast.error(self._t("This permit cannot be recorded."))
        try:
            with session_scope() as session:
                checks.record_crossing(
                    session=session,
                    principal=principal,
                    text=self._text,
                    direction=Direction(direction),
                    now=utcnow(),
                    manual=self._manual,
                )
        except CrossingError as error:
            return rx.toast.error(self._t(str(error)))
        self.recorded = direction
        return rx.toast.success(self._t("Crossing recorded."))

    @rx.event
    def scan_again(self) -> None:
        self.outcome = self.outcome_label = self.code = self.reason = ""
        self.photo = self.proposed = self.recorded = ""
        self.holder, self.stay, self.recent = {}, {}, []
        self._text, self._manual = "", False
