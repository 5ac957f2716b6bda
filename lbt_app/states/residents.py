"""Authority staff: the residents registry — search, the resident's file, the form, CSV import."""

from __future__ import annotations

import base64
from typing import ClassVar
from zoneinfo import ZoneInfo

import reflex as rx

from lbt_app.core import imaging
from lbt_app.core.access import Action, Principal
from lbt_app.core.stay import DIRECTION_LABEL
from lbt_app.core.translit import latin
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.i18n import format_day
from lbt_app.services import agreements, applications, decoding, photos, residents
from lbt_app.services.issuing import IssueError
from lbt_app.services.permits import STATUS_LABEL, effective_status
from lbt_app.services.residents import (
    DOCUMENT_LABEL,
    FIELD_LABEL,
    FIELDS,
    SEX_LABEL,
    ResidentError,
)
from lbt_app.states import progress
from lbt_app.states.handler import handler, whole_number
from lbt_app.states.paging import PagedList, page_number
from lbt_app.states.session import SessionState, bring_into_view
from lbt_app.states.wallet import APPLICATION_LABEL

PHOTO_UPLOAD_ID = "resident-photo"
CSV_UPLOAD_ID = "residents-csv"
PROOF_UPLOAD_ID = "application-proof"
FILE_ID = "resident-file"
_NATIVE_TO_LATIN = {"surname_native": "surname_latin", "given_names_native": "given_names_latin"}


def _data_url(jpeg: bytes | None) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode() if jpeg else ""


class ResidentsState(PagedList, SessionState):
    PAGE_SIZE: ClassVar[int] = residents.PAGE_SIZE
    query: str = ""
    rows: list[dict[str, str]] = []
    # the open resident's file
    selected: int = 0
    file: dict[str, str] = {}
    documents: list[dict[str, str]] = []
    applications: list[dict[str, str]] = []
    permits: list[dict[str, str]] = []
    crossings: list[dict[str, str]] = []
    proof_name: str = ""  # a chosen proof of residence, waiting for "Register application"
    _proof: bytes = b""
    # the form
    form_open: bool = False
    editing: int = 0
    form: dict[str, str] = {}
    form_errors: dict[str, str] = {}
    photo_preview: str = ""
    areas: list[dict[str, str]] = []  # where the authority's residents live: code, name
    # CSV import
    importing: bool = False
    import_done: int = 0
    import_total: int = 0
    import_summary: str = ""
    import_errors: list[dict[str, str]] = []
    _photo: bytes = b""
    _csv: bytes = b""
    _latin_edited: list[str] = []

    @handler(Action.MANAGE_PERMITS, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        with session_scope() as session:
            names = agreements.area_names(session, principal.agreement_id, self.lang)
            self.areas = agreements.area_choices(names, residents.home_areas(session, principal))
        return self._search(principal)

    def _search(self, principal: Principal):
        """Show the page of matches; a query the index cannot serve shows none, and says why."""
        try:
            with session_scope() as session:
                found, self.total = residents.search_residents(
                    session=session, principal=principal, query=self.query, page=self.page
                )
        except ResidentError as error:
            self.rows, self.total, self.page = [], 0, 1
            return rx.toast.error(self._t(str(error)))
        self.page = min(self.page, self.pages)
        self.rows = [
            {
                "id": str(r.id),
                "latin": f"{r.surname_latin} {r.given_names_latin}",
                "native": r.native,
                "birth_date": format_day(r.birth_date, self.lang),
                "document": r.document_number,
                "area": self._area_name(r.area),
            }
            for r in found
        ]

    def _area_name(self, code: str) -> str:
        return next((a["name"] for a in self.areas if a["code"] == code), code)

    @handler(Action.MANAGE_PERMITS)
    def search(self, principal: Principal, form: dict):
        self.query, self.page = str(form.get("query", ""))[:100], 1
        return self._search(principal)

    @handler(Action.MANAGE_PERMITS)
    def go_to_page(self, principal: Principal, page: int):
        self.page = page_number(page, self.pages)
        return self._search(principal)

    @handler(Action.MANAGE_PERMITS)
    def open_resident(self, principal: Principal, resident_id: str):
        try:
            with session_scope() as session:
                found = residents.resident_file(
                    session=session,
                    principal=principal,
                    resident_id=whole_number(resident_id) or 0,
                )
                self._fill_file(found, principal.zone)
        except ResidentError as error:
            return rx.toast.error(self._t(str(error)))
        return bring_into_view(FILE_ID)

    def _fill_file(self, found: residents.ResidentFile, zone: ZoneInfo) -> None:
        r, lang = found.resident, self.lang
        today = utcnow().astimezone(zone).date()
        if self.selected != r.id:
            self._forget_proof()
        self.selected = r.id or 0
        self.file = {
            "latin": f"{r.surname_latin} {r.given_names_latin}",
            "native": f"{r.surname_native} {r.given_names_native}",
            "birth_date": format_day(r.birth_date, lang),
            "sex": SEX_LABEL.get(r.sex, r.sex),
            "nationality": r.nationality,
            "document": r.document_number,
            "address": r.address,
            "area": self._area_name(found.area),
            "since": format_day(r.residence_since, lang),
            "photo": photos.photo_url(found.photo, utcnow()),
        }
        self.documents = [
            {"kind": DOCUMENT_LABEL.get(kind, kind), "at": format_day(at, lang, zone)}
            for kind, at in found.documents
        ]
        self.applications = [
            {
                "status_label": APPLICATION_LABEL[a.status],
                "at": format_day(a.submitted_at, lang, zone),
                "reason": a.reason,
            }
            for a in found.applications
        ]
        self.permits = [
            {
                "number": p.number,
                "status_label": STATUS_LABEL[effective_status(p, today)],
                "valid_until": format_day(p.valid_until, lang),
            }
            for p in found.permits
        ]
        self.crossings = [
            {
                "at": format_day(c.at, lang, zone),
                "direction_label": DIRECTION_LABEL[c.direction],
                "point": point,
            }
            for c, point in found.crossings
        ]

    @handler(Action.MANAGE_PERMITS)
    async def upload_application(self, principal: Principal, files: list[rx.UploadFile]):
        """Keep the chosen proof of residence; the application waits for a confirmation."""
        if not files or self.selected == 0:
            return None
        self._proof = await files[0].read(applications.MAX_PROOF_BYTES + 1)
        self.proof_name = str(files[0].name or "")[-80:] or self._t("Proof of residence")
        return None

    @handler(Action.MANAGE_PERMITS)
    def register_application(self, principal: Principal):
        """Register the open resident's application with the chosen proof."""
        proof = self._proof
        if not proof:
            return rx.toast.error(self._t("Choose the proof of residence first."))
        try:
            with session_scope() as session:
                applications.submit(
                    session=session,
                    principal=principal,
                    resident_id=self.selected,
                    proof=proof,
                    now=utcnow(),
                )
        except (IssueError, ResidentError) as error:
            return rx.toast.error(self._t(str(error)))
        self._forget_proof()
        return [
            ResidentsState.open_resident(str(self.selected)),
            rx.toast.success(self._t("Application registered.")),
        ]

    @handler()
    def cancel_application(self) -> None:
        self._forget_proof()

    def _forget_proof(self) -> None:
        self._proof, self.proof_name = b"", ""

    @handler()
    def close_resident(self) -> None:
        self.selected = 0
        self._forget_proof()

    @handler(Action.MANAGE_PERMITS)
    def new_resident(self, principal: Principal):
        self.editing = 0
        self.form = dict.fromkeys(FIELDS, "")
        self.form["border_area"] = self.areas[0]["code"] if self.areas else ""
        self._open_form()
        return None

    @handler(Action.MANAGE_PERMITS)
    def edit_resident(self, principal: Principal):
        try:
            with session_scope() as session:
                r = residents.own_resident(session, principal, self.selected)
                area = residents.home_areas(session, principal)
                code = next((c for c, i in area.items() if i == r.border_area_id), "")
                self.form = {
                    name: str(getattr(r, name)) for name in FIELDS if name != "border_area"
                } | {"border_area": code}
        except ResidentError as error:
            return rx.toast.error(self._t(str(error)))
        self.editing = self.selected
        self._open_form()
        self._latin_edited = ["surname_latin", "given_names_latin"]
        self.photo_preview = self.file.get("photo", "")
        return None

    def _open_form(self) -> None:
        self.form_errors, self._photo, self.photo_preview = {}, b"", ""
        self._latin_edited = []
        self.form_open = True

    @handler()
    def close_form(self) -> None:
        self.form_open = False
        self._photo = b""

    @handler()
    def set_field(self, name: str, value: str) -> None:
        """Typing in the form; the Latin names follow the native ones until edited by hand."""
        if name not in FIELDS:
            return
        self.form[name] = value[:300]
        edited = {name}
        if name in _NATIVE_TO_LATIN.values():
            self._latin_edited = [*self._latin_edited, name]
        target = _NATIVE_TO_LATIN.get(name)
        if target and target not in self._latin_edited:
            self.form[target] = latin(value)
            edited.add(target)
        # an edited field's old error goes; saving checks every field again
        self.form_errors = {k: v for k, v in self.form_errors.items() if k not in edited}

    @handler(Action.MANAGE_PERMITS)
    async def upload_photo(self, principal: Principal, files: list[rx.UploadFile]):
        if not files:
            return None
        upload = files[0]
        if upload.size is not None and upload.size > imaging.DEFAULT_MAX_BYTES:
            return rx.toast.error(self._t(imaging.FILE_TOO_LARGE))
        data = await upload.read(imaging.DEFAULT_MAX_BYTES + 1)
        portrait = await decoding.portrait(data)
        if portrait.jpeg is None:
            self.form_errors = {**self.form_errors, "photo": portrait.error or ""}
            return None
        self._photo = portrait.jpeg
        self.photo_preview = _data_url(portrait.jpeg)
        self.form_errors = {k: v for k, v in self.form_errors.items() if k != "photo"}
        return None

    @handler(Action.MANAGE_PERMITS)
    def save(self, principal: Principal):
        try:
            with session_scope() as session:
                saved, errors = residents.save_resident(
                    session=session,
                    principal=principal,
                    raw=self.form,
                    now=utcnow(),
                    resident_id=self.editing or None,
                    photo=self._photo or None,
                )
                saved_id = saved.id if saved else 0
        except ResidentError as error:
            self.form_errors = {"photo": str(error)}
            return None
        self.form_errors = errors
        if saved_id == 0:
            return rx.toast.error(self._t("Please correct the marked fields."))
        self.form_open, self._photo = False, b""
        self._search(principal)
        return [ResidentsState.open_resident(str(saved_id)), rx.toast.success(self._t("Saved."))]

    @handler(Action.MANAGE_PERMITS)
    async def upload_csv(self, principal: Principal, files: list[rx.UploadFile]):
        """Take the registry file; the import itself runs in the background with progress."""
        if self.importing or not files:
            return None
        self._csv = await files[0].read(residents.MAX_CSV_BYTES + 1)
        self.importing, self.import_done, self.import_total = True, 0, 1
        self.import_summary, self.import_errors = "", []
        return ResidentsState.run_import

    @handler(Action.MANAGE_PERMITS, background=True)
    async def run_import(self, principal: Principal):
        async with self:
            data, self._csv = self._csv, b""
            if not data:
                self.importing = False
                return None

        def run(report: progress.Report) -> residents.ImportReport:
            with session_scope() as session:
                return residents.import_csv(
                    session=session, principal=principal, data=data, now=utcnow(), progress=report
                )

        async def show(done: int, total: int) -> None:
            async with self:
                self.import_done, self.import_total = done, total

        try:
            report = await progress.in_thread(run, show)
        finally:  # whatever happened, the next file may be imported
            async with self:
                self.importing = False
        async with self:
            self.import_done = self.import_total
            if report.problem:
                self.import_summary = self._t(
                    report.problem, columns=", ".join(FIELDS), line=report.problem_line
                )
            else:
                self.import_summary = self._t(
                    "{imported} of {rows} rows imported.",
                    imported=report.imported,
                    rows=report.rows,
                )
            self.import_errors = [
                {
                    "line": str(line),
                    "field": self._t(FIELD_LABEL.get(name, name)),
                    "message": self._t(message),
                }
                for line, name, message in report.errors[:200]
            ]
            self._search(principal)
        return None
