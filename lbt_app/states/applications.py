"""Authority staff: the queue of applications, eligibility, approve or reject, bulk approval."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import reflex as rx

from lbt_app.core.access import Action, Principal
from lbt_app.db.engine import session_scope
from lbt_app.db.models import Agreement
from lbt_app.db.types import utcnow
from lbt_app.i18n import format_day
from lbt_app.services import agreements, applications, photos
from lbt_app.services.applications import RULES
from lbt_app.services.issuing import IssueError
from lbt_app.settings import get_settings
from lbt_app.states.handler import handler, whole_number
from lbt_app.states.paging import PagedList, page_count, page_number
from lbt_app.states.session import SessionState, bring_into_view

REVIEW_ID = "application-review-panel"
PROOF_SUFFIX = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _approve_one(
    principal: Principal, application_id: int, years: int, points: list[str], area: str
) -> str:
    """One approval in its own transaction; returns "" or the error's message id."""
    try:
        with session_scope() as session:
            applications.approve(
                session=session,
                principal=principal,
                application_id=application_id,
                years=years,
                points=points,
                kek=get_settings().key_encryption_key(),
                now=utcnow(),
                area=area,
            )
    except IssueError as error:
        return str(error)
    return ""


class ApplicationsState(PagedList, SessionState):
    PAGE_SIZE: ClassVar[int] = applications.PAGE_SIZE
    rows: list[dict[str, str]] = []
    rules: list[dict[str, str]] = []  # the selected application's eligibility, rule by rule
    selected: int = 0
    applicant: dict[str, str] = {}  # whose application is under review
    proof: str = ""  # address of an image proof (services/photos.py)
    proof_is_pdf: bool = False
    areas: list[dict[str, str]] = []  # the host border areas a permit may name: code, name
    area: str = ""
    points: list[dict[str, str]] = []  # the crossing points serving `area`: code, name
    chosen_points: list[str] = []
    min_years: int = 1
    max_years: int = 5
    years: str = "5"
    picked: list[str] = []  # ids ticked for bulk approval
    bulk_running: bool = False
    bulk_done: int = 0
    bulk_total: int = 0
    bulk_summary: str = ""

    @rx.var
    def year_choices(self) -> list[str]:
        return [str(y) for y in range(self.min_years, self.max_years + 1)]

    def _point_codes(self) -> list[str]:
        return [p["code"] for p in self.points]

    @handler(Action.MANAGE_PERMITS, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        self._refresh(principal)
        return None

    def _refresh(self, principal: Principal) -> None:
        today = utcnow().astimezone(principal.zone).date()
        with session_scope() as session:
            self.total = applications.waiting_count(session=session, principal=principal)
            self.page = page_number(self.page, page_count(self.total, self.PAGE_SIZE))
            pending = applications.queue(
                session=session, principal=principal, today=today, page=self.page
            )
            names = agreements.area_names(session, principal.agreement_id, self.lang)
            self.areas = agreements.area_choices(names, applications.host_areas(session, principal))
            if self.area not in self._area_codes():
                self.area = self.areas[0]["code"] if self.areas else ""
            self.points = [
                {"code": p.code, "name": p.name}
                for p in applications.crossing_points(session, principal, self.area)
            ]
            agreement = session.get(Agreement, principal.agreement_id)
            self.min_years = agreement.min_validity_years if agreement else 1
            self.max_years = agreement.max_validity_years if agreement else 1
        self.rows = [
            {
                "id": str(p.application.id),
                "latin": f"{p.resident.surname_latin} {p.resident.given_names_latin}",
                "native": f"{p.resident.surname_native} {p.resident.given_names_native}",
                "document": p.resident.document_number,
                "submitted": format_day(p.application.submitted_at, self.lang, principal.zone),
                "eligible": "yes" if p.eligible else "no",
                "failed": ", ".join(self._t(RULES[k]) for k, ok in p.eligibility.items() if not ok),
            }
            for p in pending
        ]
        self.picked = [i for i in self.picked if any(r["id"] == i for r in self.rows)]
        if not any(r["id"] == str(self.selected) for r in self.rows):
            self.selected = 0

    @handler(Action.MANAGE_PERMITS)
    def go_to_page(self, principal: Principal, page: int):
        self.page = page_number(page, self.pages)
        self._refresh(principal)
        return None

    @handler(Action.MANAGE_PERMITS)
    def select(self, principal: Principal, application_id: str):
        number = whole_number(application_id) or 0
        today = utcnow().astimezone(principal.zone).date()
        try:
            with session_scope() as session:
                pending = applications.own_application(session, principal, number)
                verdicts = applications.eligibility(session, principal, pending.resident, today)
                proof = applications.proof_of(session, principal, number)
                proof_data, proof_type = (proof.data, proof.content_type) if proof else (b"", "")
        except IssueError as error:
            return rx.toast.error(self._t(str(error)))
        resident, lang = pending.resident, self.lang
        self.selected = number
        self.applicant = {
            "latin": f"{resident.surname_latin} {resident.given_names_latin}",
            "native": f"{resident.surname_native} {resident.given_names_native}",
            "birth_date": format_day(resident.birth_date, lang),
            "document": resident.document_number,
            "nationality": resident.nationality,
            "since": format_day(resident.residence_since, lang),
        }
        self.rules = [
            {"label": self._t(RULES[k]), "ok": "yes" if ok else "no"} for k, ok in verdicts.items()
        ]
        self.proof_is_pdf = proof_type == "application/pdf"
        self.proof = "" if self.proof_is_pdf else photos.photo_url(proof_data, utcnow())
        self.chosen_points, self.years = self._point_codes(), str(self.max_years)
        return bring_into_view(REVIEW_ID)

    @handler(Action.MANAGE_PERMITS)
    def download_proof(self, principal: Principal):
        """The proof of the application under review as a file, whatever its kind (a PDF is
        not shown inline on a phone)."""
        try:
            with session_scope() as session:
                proof = applications.proof_of(session, principal, self.selected)
                data, content_type = (proof.data, proof.content_type) if proof else (b"", "")
        except IssueError as error:
            return rx.toast.error(self._t(str(error)))
        if not data:
            return rx.toast.error(self._t("This application has no proof of residence."))
        suffix = PROOF_SUFFIX.get(content_type, "bin")
        return rx.download(
            data=data, filename=f"proof-{self.selected}.{suffix}", mime_type=content_type
        )

    @handler(Action.MANAGE_PERMITS)
    def set_area(self, principal: Principal, area: str):
        """The permit's border area: the crossing points offered are those serving it."""
        if area in self._area_codes():
            self.area = area
            self._refresh(principal)
            self.chosen_points = self._point_codes()
        return None

    def _area_codes(self) -> list[str]:
        return [a["code"] for a in self.areas]

    @handler()
    def toggle_point(self, code: str) -> None:
        if code in self._point_codes():
            chosen = set(self.chosen_points) ^ {code}
            self.chosen_points = [p for p in self._point_codes() if p in chosen]

    @handler()
    def set_years(self, years: str) -> None:
        if self.min_years <= (whole_number(years) or 0) <= self.max_years:
            self.years = str(whole_number(years))

    @handler()
    def toggle_pick(self, application_id: str) -> None:
        if any(r["id"] == application_id for r in self.rows):
            picked = set(self.picked) ^ {application_id}
            self.picked = [r["id"] for r in self.rows if r["id"] in picked]

    @handler(Action.MANAGE_PERMITS)
    def approve(self, principal: Principal):
        problem = _approve_one(
            principal, self.selected, int(self.years), self.chosen_points, self.area
        )
        if problem:
            return rx.toast.error(self._t(problem))
        self.selected = 0
        self._refresh(principal)
        return rx.toast.success(self._t("Permit issued."))

    @handler(Action.MANAGE_PERMITS)
    def reject(self, principal: Principal, form: dict):
        try:
            with session_scope() as session:
                applications.reject(
                    session=session,
                    principal=principal,
                    application_id=self.selected,
                    reason=str(form.get("reason", ""))[:1000],
                    now=utcnow(),
                )
        except IssueError as error:
            return rx.toast.error(self._t(str(error)))
        self.selected = 0
        self._refresh(principal)
        return rx.toast.success(self._t("Application rejected."))

    @handler(Action.MANAGE_PERMITS, background=True)
    async def approve_picked(self, principal: Principal):
        """Approve every ticked application (longest validity, the chosen border area and all
        the crossing points serving it)."""
        async with self:
            if self.bulk_running or not self.picked:
                return None
            ids, years, points = list(self.picked), self.max_years, self._point_codes()
            area = self.area
            self.bulk_running, self.bulk_done, self.bulk_total = True, 0, len(ids)
            self.bulk_summary = ""
        failed = 0
        for done, application_id in enumerate(ids, start=1):
            problem = await asyncio.to_thread(
                _approve_one, principal, int(application_id), years, points, area
            )
            failed += bool(problem)
            async with self:
                self.bulk_done = done
        async with self:
            self.bulk_running, self.picked = False, []
            self.bulk_summary = self._t(
                "Permits issued: {issued}. Not issued: {failed}.",
                issued=len(ids) - failed,
                failed=failed,
            )
            self._refresh(principal)
        return None
