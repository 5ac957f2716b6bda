"""The authority desk: figures, the permit list, one permit's file, status changes, cards."""

from __future__ import annotations

import base64

import reflex as rx
from babel.dates import format_date

from lbt_app.core.access import AccessDenied, Action, Principal
from lbt_app.core.qr import render_png
from lbt_app.core.stay import DIRECTION_LABEL
from lbt_app.core.verdict import REASONS, Code
from lbt_app.db.engine import session_scope
from lbt_app.db.models import PermitStatus
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_, format_day, format_moment
from lbt_app.services import (
    agreements,
    applications,
    cards,
    checks,
    issuing,
    permits,
    statistics,
)
from lbt_app.services.issuing import IssueError
from lbt_app.services.permits import STATUS_LABEL, PermitError
from lbt_app.settings import get_settings
from lbt_app.states import progress
from lbt_app.states.handler import handler, whole_number
from lbt_app.states.session import SessionState, bring_into_view


def _rows(
    rows: list[permits.PermitRow], lang: str, area_names: dict[str, str]
) -> list[dict[str, str]]:
    return [
        {
            "number": r.number,
            "holder": r.holder,
            "area": area_names.get(r.area, r.area),
            "status": r.status,
            "status_label": STATUS_LABEL[PermitStatus(r.status)],
            "valid_until": format_day(r.valid_until, lang),
        }
        for r in rows
    ]


EXPIRY_CHOICES = ("30", "90", "180")
PERMIT_PANEL_ID = "permit-panel"
NOTHING_TO_PRINT = N_("No permit on the list can be used: there is no card to print.")
PRINTING = N_("Printing card {done} of {total}…")
EVENT_LABEL = {
    "permit_issued": N_("Issued"),
    "permit_suspend": N_("Suspended"),
    "permit_reinstate": N_("Reinstated"),
    "permit_revoke": N_("Revoked"),
    "permit_renewed": N_("Renewed"),
    "permit_checked": N_("Checked"),
    "crossing_recorded": N_("Recorded"),
    "crossing_refused": N_("Refused"),
    "misuse_reported": N_("Misuse reported"),
    "misuse_decided": N_("Misuse decided"),
    "cards_printed": N_("Card printed"),
}


# The crossing points' colours in the chart, in the agreement's order (teal, amber, indigo).
CHART_COLOURS = ("#0d9488", "#f59e0b", "#6366f1")


class AuthorityState(SessionState):
    figures: dict[str, int] = {}
    by_status: list[dict[str, str | int]] = []
    # The crossings-per-day chart, drawn as bars (components/desk_chart.py): per day, a
    # segment per crossing point {"height": share of the busiest day, "colour"}, and what the
    # day's bar says in words; the busiest day's total; each point's colour.
    chart_bars: list[list[dict[str, str]]] = []
    chart_labels: list[str] = []
    chart_top: int = 0
    chart_span: list[str] = ["", ""]  # the first and the last day
    chart_legend: list[dict[str, str]] = []
    attention: list[dict[str, str]] = []
    permits: list[dict[str, str]] = []
    areas: list[dict[str, str]] = []  # the host border areas to filter by: code, name
    filters: dict[str, str] = {"status": "", "area": "", "expiring": ""}
    # {"number", "holder", "action"} while the status-change form is open, and its error
    change: dict[str, str] = {}
    change_error: str = ""
    # the open permit's page
    open_number: str = ""
    permit_info: dict[str, str] = {}
    permit_qr: str = ""
    permit_events: list[dict[str, str]] = []
    permit_crossings: list[dict[str, str]] = []
    # a batch of cards being printed (one at a time per tab)
    printing: bool = False
    print_done: int = 0
    print_total: int = 0
    print_status: str = ""  # translated: "Printing card 12 of 50…"

    @rx.var
    def printable(self) -> bool:
        """Some permit on the list can be used, so has a card."""
        return any(p["status"] == PermitStatus.ACTIVE for p in self.permits)

    @handler(Action.VIEW_AUTHORITY_DESK, navigation=True, blocking=True)
    def load(self, principal: Principal):
        self._show(principal)
        self._refresh(principal)
        return None

    def _chart(self, points: dict[str, str], per_day: list[dict[str, object]], lang: str) -> None:
        """`points`: code: name; the days' rows count crossings by code."""
        colour = {p: CHART_COLOURS[min(i, len(CHART_COLOURS) - 1)] for i, p in enumerate(points)}
        totals = [sum(int(row[p]) for p in points) for row in per_day]
        top = max(totals, default=0)
        self.chart_top = top
        self.chart_legend = [{"name": name, "colour": colour[p]} for p, name in points.items()]
        self.chart_bars = [
            [
                {"height": f"{100 * int(row[p]) / top:.1f}%", "colour": colour[p]}
                for p in points
                if top and int(row[p])
            ]
            for row in per_day
        ]
        days = [format_date(row["day"], format="d MMM", locale=lang) for row in per_day]
        self.chart_span = [days[0], days[-1]] if days else ["", ""]
        self.chart_labels = [
            f"{day}: "
            + (", ".join(f"{name} {row[p]}" for p, name in points.items() if row[p]) or "0")
            for day, row in zip(days, per_day, strict=True)
        ]

    def _refresh(self, principal: Principal) -> None:
        now, lang = utcnow(), self.lang
        with session_scope() as session:
            board = statistics.dashboard(session=session, principal=principal, now=now)
            names = agreements.area_names(session, principal.agreement_id, lang)
            self.areas = agreements.area_choices(names, applications.host_areas(session, principal))
            rows = permits.list_permits(
                session=session,
                principal=principal,
                today=now.astimezone(principal.zone).date(),
                status=self.filters["status"],
                area=self.filters["area"],
                expiring_days=int(self.filters["expiring"]) if self.filters["expiring"] else None,
            )
        self.permits = _rows(rows, lang, names)
        self.figures = board.figures
        counts = board.permits_by_status
        most = max(counts.values(), default=0) or 1
        self.by_status = [  # every status, none left out, with its share of the longest bar
            {
                "status": label,
                "count": counts.get(status, 0),
                "percent": f"{100 * counts.get(status, 0) // most}%",
            }
            for status, label in STATUS_LABEL.items()
        ]
        self._chart(board.points, board.crossings_per_day, lang)
        self.attention = [
            {
                "name": h.name,
                "document": h.document_number,
                "days": str(h.days_used),
                "leave_by": format_day(h.must_leave_by, lang),
                "over": "yes" if h.over_limit else "",
            }
            for h in board.attention
        ]

    @handler(Action.VIEW_AUTHORITY_DESK)
    def filter(self, principal: Principal, form: dict):
        status, area = str(form.get("status", "")), str(form.get("area", ""))
        expiring = str(form.get("expiring", ""))
        self.filters = {
            "status": status if status in {str(s) for s in PermitStatus} else "",
            "area": area if area in {a["code"] for a in self.areas} else "",
            "expiring": expiring if expiring in EXPIRY_CHOICES else "",
        }
        self._refresh(principal)
        return None

    @handler(Action.VIEW_AUTHORITY_DESK)
    def open_permit(self, principal: Principal, number: str):
        lang = self.lang
        try:
            with session_scope() as session:
                file = permits.permit_file(
                    session=session,
                    principal=principal,
                    number=str(number)[:24],
                    today=utcnow().astimezone(principal.zone).date(),
                )
                names = agreements.area_names(session, principal.agreement_id, lang)
        except PermitError as error:
            return rx.toast.error(self._t(str(error)))
        permit = file.permit
        self.open_number = permit.number
        self.permit_info = {
            "number": permit.number,
            "holder": file.holder,
            "area": names.get(file.area, file.area),
            "points": ", ".join(file.points),
            "status": str(file.status),
            "status_label": STATUS_LABEL[file.status],
            "reason": permit.status_reason,
            "valid_from": format_day(permit.valid_from, lang),
            "valid_until": format_day(permit.valid_until, lang),
        }
        self.permit_qr = (
            "data:image/png;base64,"
            + base64.b64encode(render_png(permit.payload, box_size=4)).decode()
        )
        self.permit_events = [
            {
                "at": format_moment(at, lang, principal.zone),
                "label": EVENT_LABEL[action],
                "actor": actor,
                "detail": self._event_detail(action, detail),
            }
            for at, action, actor, detail in file.events
            if action in EVENT_LABEL
        ]
        self.permit_crossings = [
            {
                "at": format_moment(at, lang, principal.zone),
                "direction_label": DIRECTION_LABEL[direction],
                "point": point,
                "code": self._verdict_words(code),
            }
            for at, direction, point, code in file.crossings
        ]
        return bring_into_view(PERMIT_PANEL_ID)

    def _verdict_words(self, code: object) -> str:
        """A check's outcome in words; nothing where the permit was simply valid."""
        return "" if code == Code.VALID else self._t(REASONS.get(str(code), ""))

    def _event_detail(self, action: str, detail: dict) -> str:
        """What an event about the permit adds, in words (never a stored code)."""
        if action == "crossing_refused":
            return self._t(checks.REFUSAL_REASONS.get(str(detail.get("reason")), ""))
        if "code" in detail:
            return self._verdict_words(detail["code"])
        return str(detail.get("reason") or detail.get("note") or detail.get("new") or "")

    @handler()
    def close_permit(self) -> None:
        self.open_number = ""

    @handler(Action.MANAGE_PERMITS)
    def renew(self, principal: Principal, form: dict):
        try:
            with session_scope() as session:
                new = issuing.renew(
                    session=session,
                    principal=principal,
                    number=self.open_number,
                    years=whole_number(form.get("years")) or 0,
                    kek=get_settings().key_encryption_key(),
                    now=utcnow(),
                )
                number = new.number
        except (IssueError, PermitError) as error:
            return rx.toast.error(self._t(str(error)))
        self._refresh(principal)
        return [AuthorityState.open_permit(number), rx.toast.success(self._t("Permit renewed."))]

    @handler()
    def ask_change(self, number: str, action: str) -> None:
        """Open the form for suspend / reinstate / revoke of a permit on the desk's list; the
        reason is asked for each."""
        holder = next((p["holder"] for p in self.permits if p["number"] == number), None)
        if action in permits.TRANSITIONS and holder is not None:
            self.change = {"number": number, "holder": holder, "action": action}
            self.change_error = ""

    @handler()
    def cancel_change(self) -> None:
        self.change, self.change_error = {}, ""

    @handler(Action.MANAGE_PERMITS)
    def change_status(self, principal: Principal, form: dict):
        """The status change, with its reason kept on the permit and in the audit log."""
        change = self.change
        if not change:
            return None
        if not str(form.get("reason", "")).strip():
            self.change_error = permits.NO_REASON  # the form stays open and says what is missing
            return None
        self.change, self.change_error = {}, ""
        number = change["number"]
        try:
            with session_scope() as session:
                permits.change_status(
                    session=session,
                    principal=principal,
                    number=number,
                    action=change["action"],
                    reason=str(form.get("reason", ""))[:500],
                    now=utcnow(),
                )
        except PermitError as error:
            return rx.toast.error(self._t(str(error)))
        self._refresh(principal)
        reopen = [AuthorityState.open_permit(number)] if self.open_number == number else []
        return [*reopen, rx.toast.success(self._t("Saved."))]

    async def _cards(self, principal: Principal, numbers: list[str], filename: str):
        """Render in a worker thread (about 0.25 s a card), the page following card by card;
        a tab prints one batch at a time."""
        async with self:
            if self.printing:
                return None
            self.printing, self.print_done, self.print_total = True, 0, len(numbers)
            self.print_status = self._t(PRINTING, done=0, total=len(numbers))

        def render(report: progress.Report) -> bytes:
            with session_scope() as session:
                return cards.permit_cards(
                    session=session,
                    principal=principal,
                    numbers=numbers,
                    now=utcnow(),
                    progress=report,
                )

        async def show(done: int, total: int) -> None:
            async with self:
                self.print_done, self.print_total = done, total
                self.print_status = self._t(PRINTING, done=done, total=total)

        try:
            pdf = await progress.in_thread(render, show)
        except (PermitError, AccessDenied) as error:
            async with self:
                return rx.toast.error(self._t(str(error)))
        finally:
            async with self:
                self.printing, self.print_status = False, ""
        return rx.download(data=pdf, filename=filename, mime_type="application/pdf")

    @handler(Action.MANAGE_PERMITS, background=True)
    async def card(self, principal: Principal, number: str):
        """The printable card of one permit, as a PDF download."""
        return await self._cards(principal, [number[:24]], f"permit-{number[:24]}.pdf")

    @handler(Action.MANAGE_PERMITS, background=True)
    async def all_cards(self, principal: Principal):
        """The cards of every usable permit on the desk, one PDF to print in a batch."""
        async with self:
            numbers = [p["number"] for p in self.permits if p["status"] == PermitStatus.ACTIVE]
            if not numbers:
                return rx.toast.error(self._t(NOTHING_TO_PRINT))
        return await self._cards(principal, numbers, "permit-cards.pdf")
