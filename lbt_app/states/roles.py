"""One state per role, each checking the caller on the server in every handler."""

from __future__ import annotations

import asyncio
import base64

import reflex as rx
from babel.dates import format_date
from sqlmodel import select

from lbt_app.core import imaging
from lbt_app.core.access import ROLE_LABEL, AccessDenied, Action, Principal
from lbt_app.core.qr import render_png
from lbt_app.core.stay import DIRECTION_LABEL
from lbt_app.core.verdict import REASONS, Code
from lbt_app.db.engine import session_scope
from lbt_app.db.models import ApplicationStatus, PermitStatus, User
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_, format_day, format_moment, place_name
from lbt_app.services import (
    applications,
    cards,
    checks,
    decoding,
    issuing,
    permits,
    statistics,
    wallet,
)
from lbt_app.services.issuing import IssueError
from lbt_app.services.permits import STATUS_LABEL, PermitError
from lbt_app.services.residents import ResidentError
from lbt_app.settings import get_settings
from lbt_app.states.audit_chain import AuditChainState, run_chain_check
from lbt_app.states.handler import handler, whole_number
from lbt_app.states.session import SessionState, bring_into_view


def _rows(rows: list[permits.PermitRow], lang: str) -> list[dict[str, str]]:
    return [
        {
            "number": r.number,
            "holder": r.holder,
            "area": r.area,
            "status": r.status,
            "status_label": STATUS_LABEL[PermitStatus(r.status)],
            "valid_until": format_day(r.valid_until, lang),
        }
        for r in rows
    ]


EXPIRY_CHOICES = ("30", "90", "180")
PERMIT_PANEL_ID = "permit-panel"
NOTHING_TO_PRINT = N_("No permit on the list can be used: there is no card to print.")
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


class AuthorityState(SessionState):
    figures: dict[str, int] = {}
    by_status: list[dict[str, str | int]] = []
    chart: list[dict[str, str | int]] = []
    points: list[str] = []
    attention: list[dict[str, str]] = []
    permits: list[dict[str, str]] = []
    areas: list[str] = []
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

    @rx.var
    def printable(self) -> bool:
        """Some permit on the list can be used, so has a card."""
        return any(p["status"] == PermitStatus.ACTIVE for p in self.permits)

    @handler(Action.VIEW_AUTHORITY_DESK, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        self._refresh(principal)
        return None

    def _refresh(self, principal: Principal) -> None:
        now, lang = utcnow(), self.lang
        with session_scope() as session:
            board = statistics.dashboard(session=session, principal=principal, now=now)
            self.areas = applications.host_areas(session, principal)
            rows = permits.list_permits(
                session=session,
                principal=principal,
                today=now.astimezone(principal.zone).date(),
                status=self.filters["status"],
                area=self.filters["area"],
                expiring_days=int(self.filters["expiring"]) if self.filters["expiring"] else None,
            )
        self.permits = _rows(rows, lang)
        self.figures, self.points = board.figures, board.points
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
        self.chart = [
            {**row, "day": format_date(row["day"], format="d MMM", locale=lang)}
            for row in board.crossings_per_day
        ]
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
            "area": area if area in self.areas else "",
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
        except PermitError as error:
            return rx.toast.error(self._t(str(error)))
        permit = file.permit
        self.open_number = permit.number
        self.permit_info = {
            "number": permit.number,
            "holder": file.holder,
            "area": file.area,
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
        def render() -> bytes:
            with session_scope() as session:
                return cards.permit_cards(
                    session=session, principal=principal, numbers=numbers, now=utcnow()
                )

        try:
            pdf = await asyncio.to_thread(render)  # hundreds of pages: not on the event loop
        except (PermitError, AccessDenied) as error:
            return rx.toast.error(self._t(str(error)))
        return rx.download(data=pdf, filename=filename, mime_type="application/pdf")

    @handler(Action.MANAGE_PERMITS)
    async def card(self, principal: Principal, number: str):
        """The printable card of one permit, as a PDF download."""
        return await self._cards(principal, [number[:24]], f"permit-{number[:24]}.pdf")

    @handler(Action.MANAGE_PERMITS)
    async def all_cards(self, principal: Principal):
        """The cards of every usable permit on the desk, one PDF to print in a batch."""
        numbers = [p["number"] for p in self.permits if p["status"] == PermitStatus.ACTIVE]
        if not numbers:
            return rx.toast.error(self._t(NOTHING_TO_PRINT))
        return await self._cards(principal, numbers, "permit-cards.pdf")


# Shown by the static offline page (assets/wallet-offline.html holds every translation).
OFFLINE_EMPTY = N_("Open your permit once while online; then it shows here without a network.")
# Saved with the permit in the resident's language; the offline page shows it on top.
OFFLINE_NOTICE = N_("Offline: your permit as saved on this phone.")


APPLICATION_LABEL = {
    ApplicationStatus.SUBMITTED: N_("Submitted, under review"),
    ApplicationStatus.APPROVED: N_("Approved"),
    ApplicationStatus.REJECTED: N_("Rejected"),
}


class WalletState(SessionState):
    applications: list[dict[str, str]] = []
    can_apply: bool = False
    needs_record: bool = False  # no registry record yet: the first application carries it
    apply_areas: list[dict[str, str]] = []  # {"code", "name"} in the resident's language
    apply_errors: dict[str, str] = {}
    apply_photo: str = ""  # preview of the cropped photo
    proof_name: str = ""
    _photo: bytes = b""
    _proof: bytes = b""
    card: dict[str, str] = {}
    stay: dict[str, str] = {}
    recent: list[dict[str, str]] = []
    renew_soon: bool = False
    # the wallet's live-code secret (base64): sent to this resident's own browser only
    live_secret: str = ""

    @rx.var
    def offline_saved(self) -> dict[str, str]:
        """What the offline page shows beside the QR (labels in the resident's language)."""
        return {
            **self.card,
            "photo": "",
            "lang": self.lang,
            "label_valid_until": self._t("Valid until"),
            "label_area": self._t("Border area"),
            "label_points": self._t("Crossing points"),
            "label_refreshed": self._t("Last refreshed"),
            "label_hint": self._t("Turn the screen brightness up"),
            "label_offline": self._t(OFFLINE_NOTICE),
        }

    @handler(Action.VIEW_WALLET, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        now, lang = utcnow(), self.lang
        with session_scope() as session:
            view = wallet.wallet_view(session=session, principal=principal, now=now)
            secret = (
                wallet.activate(
                    session=session,
                    principal=principal,
                    kek=get_settings().key_encryption_key(),
                    now=now,
                )
                if principal.resident_id is not None
                else b""
            )
            mine = applications.own_applications(session=session, principal=principal)
            self.apply_areas = [
                {"code": a.code, "name": place_name(a.name, a.name_native, a.country, lang)}
                for a in applications.applicant_border_areas(session)
            ]
        self.live_secret = base64.b64encode(secret).decode() if secret else ""
        self.needs_record = principal.resident_id is None
        self.applications = [
            {
                "at": format_day(a.submitted_at, lang, principal.zone),
                "status": str(a.status),
                "status_label": APPLICATION_LABEL[a.status],
                "reason": a.reason,
            }
            for a in mine
        ]
        usable = view is not None and view.status is PermitStatus.ACTIVE
        waiting = any(a.status is ApplicationStatus.SUBMITTED for a in mine)
        self.can_apply = not usable and not waiting
        if view is None:
            self.card, self.stay, self.recent, self.renew_soon = {}, {}, [], False
            return None
        p = view.permit
        self.card = {
            "number": p.number,
            "latin": view.holder_latin,
            "native": view.holder_native,
            "valid_from": format_day(p.valid_from, lang),
            "valid_until": format_day(p.valid_until, lang),
            "area": place_name(view.area.name, view.area.name_native, view.area.country, lang),
            "points": ", ".join(view.points),
            "status": str(view.status),
            "status_label": STATUS_LABEL[view.status],
            "reason": p.status_reason,
            "payload": p.payload if view.status is PermitStatus.ACTIVE else "",
            "refreshed": now.isoformat(timespec="minutes"),
            "photo": (
                "data:image/jpeg;base64," + base64.b64encode(view.photo).decode()
                if view.photo
                else ""
            ),
        }
        stay = view.stay
        self.stay = (
            {
                "entered_on": format_day(stay.entered_on, lang),
                "days": f"{stay.days_used} / {stay.max_stay_days}",
                "must_leave_by": format_day(stay.must_leave_by, lang),
                "over": "yes" if stay.over_limit else "",
            }
            if stay.inside
            else {}
        )
        self.recent = [
            {
                "at": format_day(c.at, lang, principal.zone),
                "direction_label": DIRECTION_LABEL[c.direction],
                "point": c.point_name,
            }
            for c in view.recent
        ]
        self.renew_soon = view.renew_soon
        return None

    def _forget_error(self, name: str) -> None:
        """A file was chosen: its message goes."""
        self.apply_errors = {k: v for k, v in self.apply_errors.items() if k != name}

    @handler(Action.VIEW_WALLET)
    async def upload_photo(self, principal: Principal, files: list[rx.UploadFile]):
        if not files:
            return None
        portrait = await decoding.portrait(await files[0].read(imaging.DEFAULT_MAX_BYTES + 1))
        if portrait.jpeg is None:
            self.apply_errors = {"photo": portrait.error or imaging.NOT_AN_IMAGE}
            return None
        self._photo = portrait.jpeg
        self.apply_photo = "data:image/jpeg;base64," + base64.b64encode(portrait.jpeg).decode()
        self._forget_error("photo")
        return None

    @handler(Action.VIEW_WALLET)
    async def upload_proof(self, principal: Principal, files: list[rx.UploadFile]):
        if not files:
            return None
        self._proof = await files[0].read(applications.MAX_PROOF_BYTES + 1)
        self.proof_name = str(files[0].name or "")[:80]
        self._forget_error("proof")
        return None

    @handler(Action.VIEW_WALLET)
    def apply(self, principal: Principal, form: dict):
        try:
            with session_scope() as session:
                application, errors = applications.apply_online(
                    session=session,
                    principal=principal,
                    raw={k: str(v)[:300] for k, v in form.items()},
                    photo=self._photo or None,
                    proof=self._proof,
                    now=utcnow(),
                )
        except (IssueError, ResidentError) as error:
            self.apply_errors = {"proof": str(error)}
            return None
        self.apply_errors = errors
        if application is None:
            return rx.toast.error(self._t("Please correct the marked fields."))
        self._photo, self._proof, self.apply_photo, self.proof_name = b"", b"", "", ""
        return [WalletState.load, rx.toast.success(self._t("Application registered."))]


class AdminState(AuditChainState):
    users: list[dict[str, str]] = []

    @handler(Action.ADMINISTER, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        with session_scope() as session:
            self.users = [
                {"username": u.username, "name": u.full_name, "role": ROLE_LABEL[u.role]}
                for u in session.exec(select(User).order_by(User.role, User.username))
            ]
        self._show_chain(principal.zone)
        return None

    @handler(Action.ADMINISTER, background=True)
    async def check_chain(self, principal: Principal):
        """Check the audit chain now (from the last verified checkpoint), off the event loop."""
        await run_chain_check(self, principal)
        return None
