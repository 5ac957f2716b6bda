"""The resident's wallet: the permit with its live code, the stay, applying online."""

from __future__ import annotations

import base64

import reflex as rx

from lbt_app.core import imaging
from lbt_app.core.access import Action, Principal
from lbt_app.core.stay import DIRECTION_LABEL
from lbt_app.db.engine import session_scope
from lbt_app.db.models import ApplicationStatus, PermitStatus
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_, format_day
from lbt_app.services import (
    agreements,
    applications,
    decoding,
    photos,
    wallet,
)
from lbt_app.services.issuing import IssueError
from lbt_app.services.permits import STATUS_LABEL
from lbt_app.services.residents import ResidentError
from lbt_app.settings import get_settings
from lbt_app.states.handler import handler
from lbt_app.states.session import SOMETHING_WENT_WRONG, SessionState

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
            "label_failed": self._t(SOMETHING_WENT_WRONG),  # in the QR's place
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
                {"code": a.code, "name": agreements.area_name(a, lang)}
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
            "area": agreements.area_name(view.area, lang),
            "points": ", ".join(view.points),
            "status": str(view.status),
            "status_label": STATUS_LABEL[view.status],
            "reason": p.status_reason,
            "payload": p.payload if view.status is PermitStatus.ACTIVE else "",
            "refreshed": now.isoformat(timespec="minutes"),
            "photo": photos.photo_url(view.photo, now),
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
