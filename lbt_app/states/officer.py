"""The officer at a crossing point: scan a permit, see the verdict, record what happened.

A permit text reaches the server in one of four ways (`checks.Source`): decoded in the browser,
a camera frame decoded here, an uploaded photo decoded here, or a typed permit number. Every
way ends in `_accept`, which runs the one verdict (`checks.verify_scan`) on the server's clock.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import reflex as rx

from lbt_app.core import imaging
from lbt_app.core.access import Action, Principal
from lbt_app.core.stay import DIRECTION_LABEL, Direction
from lbt_app.core.verdict import Code
from lbt_app.db.engine import session_scope
from lbt_app.db.models import CrossingPoint
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_, format_clock, format_day
from lbt_app.services import checks, decoding, photos
from lbt_app.services.checks import Check, CrossingError, Source
from lbt_app.states.handler import handler
from lbt_app.states.session import SessionState

OUTCOME_LABEL = {"VALID": N_("VALID"), "INVALID": N_("INVALID"), "CHECK": N_("CHECK")}
REFUSED = "REFUSED"  # the verdict screen's tone once the officer turned the holder back
SHIFT_ACTION_LABEL = {
    "permit_checked": N_("Checked"),
    "crossing_recorded": N_("Recorded"),
    "crossing_refused": N_("Refused"),
    "misuse_reported": N_("Misuse reported"),
}

# The same permit read again within this window is the same scan (browser and server agree).
SAME_SCAN_SECONDS = 5
# A device clock further off than this is pointed out; verdicts always use the server's clock.
CLOCK_TOLERANCE_SECONDS = 5 * 60
MAX_PHOTO_BYTES = imaging.PHOTO.max_bytes
PHOTO_UPLOAD_ID = "permit-photo"


class OfficerState(SessionState):
    crossing_point: str = ""
    lane: str = Direction.ENTRY.value
    scanning: bool = False
    frame_acks: int = 0  # frames the server has looked at: the scanner sends one at a time
    outcome: str = ""  # VALID / INVALID / CHECK, empty while no verdict is shown
    outcome_label: str = ""
    tone: str = ""  # the verdict screen's colour: the outcome, or REFUSED after a refusal
    code: str = ""
    reason: str = ""
    note: str = ""  # e.g. several codes in the picture
    source: str = ""
    typed_number: str = ""  # the number typed, shown when no permit has it
    cue: int = 0  # bumped once per verdict: the browser vibrates and beeps
    holder: dict[str, str] = {}
    stay: dict[str, str] = {}
    recent: list[dict[str, str]] = []
    photo: str = ""
    # What the server would record now (`checks.Check.recordable`), false once recorded.
    can_enter: bool = False
    can_exit: bool = False
    recorded: str = ""  # entry / exit / refused once the officer acted on this verdict
    reported: bool = False
    panel: str = ""  # "refuse" or "report" while that form is open
    panel_error: str = ""  # a message id: why that form was not accepted
    clock_note: str = ""
    shift_open: bool = False
    shift_counts: dict[str, int] = {}
    shift_items: list[dict[str, str]] = []
    _text: str = ""
    _source: str = ""
    _check_id: int = 0  # the check on screen: what a crossing is recorded from
    _last_read: str = ""
    _last_read_at: float = 0.0

    @rx.var
    def refusal_reasons(self) -> list[dict[str, str]]:
        return [{"value": k, "label": self._t(v)} for k, v in checks.REFUSAL_REASONS.items()]

    @rx.var
    def scanner_labels(self) -> dict[str, str]:
        return {
            "title": self._t("Permit scanner"),
            "looking": self._t("Point the camera at the permit's QR code"),
            "close": self._t("Close"),
            "switch": self._t("Switch camera"),
            "torch": self._t("Torch"),
            "denied": self._t("Camera access was refused. Use a photo or the permit number."),
            "unavailable": self._t("No camera here. Use a photo or the permit number."),
        }

    @handler(Action.SCAN, navigation=True, blocking=True)
    def load(self, principal: Principal):
        self._show(principal)
        with session_scope() as session:
            point = session.get(CrossingPoint, principal.crossing_point_id)
            self.crossing_point = point.name if point else ""
        return rx.call_script("Date.now()", callback=OfficerState.device_clock)

    @handler(Action.SCAN, blocking=True)
    def device_clock(self, principal: Principal, client_ms: float) -> None:
        self._note_clock(client_ms)

    def _note_clock(self, client_ms: float) -> None:
        skew = client_ms / 1000 - utcnow().timestamp()
        self.clock_note = (
            self._t(
                "This phone's clock is off by {minutes} minutes. Verdicts use the server's time.",
                minutes=round(abs(skew) / 60),
            )
            if abs(skew) > CLOCK_TOLERANCE_SECONDS
            else ""
        )

    @handler()
    def set_lane(self, lane: str | list[str]) -> None:
        if isinstance(lane, str) and lane in {d.value for d in Direction}:
            self.lane = lane

    @handler(Action.SCAN)
    def open_scanner(self, principal: Principal):
        self._clear()
        self.scanning = True
        return None

    @handler()
    def close_scanner(self) -> None:
        self.scanning = False

    @handler(Action.SCAN, blocking=True)
    def scanned(self, principal: Principal, text: str, sent_at: float):
        """A permit text decoded in the officer's browser."""
        if not isinstance(text, str):
            return None
        self._note_clock(sent_at)
        return self._accept(principal, (text[: checks.MAX_TEXT_CHARS],), Source.CAMERA)

    @handler(Action.SCAN)
    async def frame(self, principal: Principal, data_url: str, sent_at: float):
        """A camera frame from a browser that cannot decode (or has found nothing for a while)."""
        self.frame_acks += 1
        if not self.scanning:
            return None
        result = await decoding.read_frame(data_url)
        if not result.ok:
            return None  # no code in this frame (or the server is busy): the scanner keeps going
        self._note_clock(sent_at)
        return self._accept(principal, result.texts, Source.FRAME)

    @handler(Action.SCAN)
    async def upload_photo(self, principal: Principal, files: list[rx.UploadFile]):
        """A still photo of the permit, taken with the phone's camera app and uploaded."""
        if not files:
            return None  # nothing came: the browser keeps a refused file, `file_rejected` says why
        upload = files[0]
        if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
            return rx.toast.error(self._t(imaging.FILE_TOO_LARGE))
        data = await upload.read(MAX_PHOTO_BYTES + 1)
        result = await decoding.read_photo(data)
        if not result.ok:
            return rx.toast.error(self._t(result.error or imaging.NO_QR_CODE))
        return self._accept(principal, result.texts, Source.PHOTO)

    @handler(Action.SCAN, blocking=True)
    def check_number(self, principal: Principal, form: dict):
        number = str(form.get("number", ""))[:32].strip()
        if not number:
            return rx.toast.error(self._t("Type the permit number."))
        with session_scope() as session:
            check = checks.verify_number(
                session=session,
                principal=principal,
                number=number,
                now=utcnow(),
                direction=Direction(self.lane),
            )
        # Shown once committed: the check's audit append holds the log's lock until then.
        self._present(check, check.permit.payload if check.permit else "", Source.MANUAL, principal)
        if check.permit is None:
            self.typed_number = number.upper()
        return None

    def _accept(self, principal: Principal, texts: Sequence[str], source: Source):
        """The codes read from one picture: the permit among them gets the verdict, and the same
        one again within seconds is the same scan."""
        with session_scope() as session:
            choice = checks.choose_permit_text(
                session=session, texts=texts, agreement_id=principal.agreement_id, now=utcnow()
            )
            text, now = choice.text, time.time()
            if text == self._last_read and now - self._last_read_at < SAME_SCAN_SECONDS:
                return None
            self._last_read, self._last_read_at = text, now
            check = checks.verify_scan(
                session=session,
                principal=principal,
                text=text,
                now=utcnow(),
                direction=Direction(self.lane),
                source=source,
            )
        self._present(check, text, source, principal)  # once committed, as above
        self.note = choice.note
        return None

    def _present(self, check: Check, text: str, source: Source, principal: Principal) -> None:
        self._clear()
        verdict = check.verdict
        self._text, self._source, self._check_id = text, str(source), check.check_id
        self.source = str(source)
        self.outcome, self.code = str(verdict.outcome), str(verdict.code)
        self.tone = self.outcome
        self.reason = verdict.reasons[0]
        self.outcome_label = OUTCOME_LABEL[self.outcome]
        self.cue += 1
        claims = verdict.claims
        resident = check.resident
        if claims is not None:
            self.holder = {
                "latin": f"{claims.surname} {claims.given_names}",
                "native": (
                    f"{resident.surname_native} {resident.given_names_native}" if resident else ""
                ),
                "birth_date": format_day(claims.birth_date, self.lang),
                "number": claims.number,
                "area": check.area_name or claims.border_area,
                "valid_until": format_day(claims.valid_until, self.lang),
                "points": ", ".join(check.point_name(c) for c in claims.crossing_points),
            }
        stay = check.stay
        if stay is not None and stay.inside:
            self.stay = {
                "entered_on": format_day(stay.entered_on, self.lang),
                "days": f"{stay.days_used} / {stay.max_stay_days}",
                "must_leave_by": format_day(stay.must_leave_by, self.lang),
            }
        self.recent = [
            {
                "at": format_day(c.at, self.lang, principal.zone),
                "direction_label": DIRECTION_LABEL[c.direction],
                "point": check.point_name(c.point),
            }
            for c in check.recent
        ]
        self.photo = photos.photo_url(check.photo, utcnow())
        # The server's own rule, whatever lane the officer scans in (it follows the history).
        self.can_enter = Direction.ENTRY in check.recordable
        self.can_exit = Direction.EXIT in check.recordable

    def _clear(self) -> None:
        self.scanning = False
        self.outcome = self.outcome_label = self.tone = self.code = self.reason = ""
        self.note = self.source = self.typed_number = ""
        self.photo = self.recorded = self.panel = self.panel_error = ""
        self.reported = self.can_enter = self.can_exit = False
        self.holder, self.stay, self.recent = {}, {}, []
        self._text = self._source = ""
        self._check_id = 0

    def _acted(self, decision: str) -> None:
        """After a decision nothing more is recorded on this verdict; the same permit may be
        scanned again at once (e.g. to confirm)."""
        self.recorded, self.panel = decision, ""
        self.can_enter = self.can_exit = False
        self._last_read = ""

    @handler(Action.RECORD_CROSSING, blocking=True)
    def record_crossing(self, principal: Principal, direction: str):
        if direction not in {d.value for d in Direction} or not self.outcome or self.recorded:
            return rx.toast.error(self._t("This permit cannot be recorded."))
        try:
            with session_scope() as session:
                checks.record_crossing(
                    session=session,
                    principal=principal,
                    text=self._text,
                    direction=Direction(direction),
                    check_id=self._check_id,
                    now=utcnow(),
                    source=Source(self._source),
                    # the code was fresh at the scan (server-side text); a static copy stays one
                    live=self.code == Code.STATIC_COPY,
                )
        except CrossingError as error:
            if str(error) == checks.ALREADY_RECORDED:  # a colleague was quicker: scan again
                self.can_enter = self.can_exit = False
            return rx.toast.error(self._t(str(error)))
        self._acted(direction)  # the verdict screen says so (a toast would cover its buttons)
        return None

    @handler()
    def open_panel(self, name: str) -> None:
        self.panel = name if name in {"refuse", "report"} and self.outcome else ""
        self.panel_error = ""

    @handler(Action.RECORD_CROSSING, blocking=True)
    def refuse(self, principal: Principal, form: dict):
        if not self.outcome or self.recorded:
            return rx.toast.error(self._t("Scan a permit first."))
        reason = str(form.get("reason", ""))
        try:
            with session_scope() as session:
                checks.refuse(
                    session=session,
                    principal=principal,
                    text=self._text,
                    reason=reason,
                    now=utcnow(),
                )
        except CrossingError as error:
            self.panel_error = str(error)
            return None
        self._acted("refused")
        # The screen no longer says what the permit is worth but what the officer decided.
        self.tone, self.outcome_label = REFUSED, N_("REFUSED")
        self.reason = checks.REFUSAL_REASONS[reason]
        self.note = ""
        return None

    @handler(Action.RECORD_CROSSING, blocking=True)
    def report(self, principal: Principal, form: dict):
        if not self.outcome or self.reported:
            return rx.toast.error(self._t("Scan a permit first."))
        try:
            with session_scope() as session:
                checks.report_misuse(
                    session=session,
                    principal=principal,
                    text=self._text,
                    note=str(form.get("note", ""))[: checks.MAX_NOTE_CHARS * 2],
                    now=utcnow(),
                )
        except CrossingError as error:
            self.panel_error = str(error)
            return None
        self.reported, self.panel, self.panel_error = True, "", ""
        return None

    @handler()
    def dismiss(self) -> None:
        self._clear()

    @handler(Action.SCAN, blocking=True)
    def toggle_shift(self, principal: Principal):
        self.shift_open = not self.shift_open
        if not self.shift_open:
            return None
        with session_scope() as session:
            today = checks.shift(session=session, principal=principal, now=utcnow())
        self.shift_counts = today.counts
        self.shift_items = [
            {
                "at": format_clock(e.at, self.lang, today.zone),
                "action_label": SHIFT_ACTION_LABEL[e.action],
                "number": e.number,
                "detail": OUTCOME_LABEL.get(e.outcome) or DIRECTION_LABEL.get(e.direction, ""),
            }
            for e in today.entries
        ]
        return None
