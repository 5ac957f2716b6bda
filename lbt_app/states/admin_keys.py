"""Administration: the authorities' signing keys (/admin/keys) — rotate, revoke, export the
public trust list."""

from __future__ import annotations

import reflex as rx

from lbt_app.core.access import Action, Principal
from lbt_app.db.engine import session_scope
from lbt_app.db.models import KeyStatus
from lbt_app.db.types import utcnow
from lbt_app.i18n import N_, format_day, format_moment
from lbt_app.services import keys
from lbt_app.services.keys import KeyError_
from lbt_app.settings import get_settings
from lbt_app.states.handler import handler
from lbt_app.states.session import SessionState

TRUST_LIST_FILE = "lbt-trust-list.json"
KID_MISMATCH = N_("Type the key id exactly as shown.")


class AdminKeysState(SessionState):
    authorities: list[dict[str, str]] = []  # code, name, agreement
    keys: list[dict[str, str]] = []  # each names its authority's code
    rotating: dict[str, str] = {}  # the authority the confirmation asks about
    revoking: dict[str, str] = {}  # the key the confirmation asks about
    revoke_error: str = ""

    @handler(Action.ADMINISTER, navigation=True)
    def load(self, principal: Principal):
        self._show(principal)
        self._list(principal)
        return None

    def _list(self, principal: Principal) -> None:
        lang, zone = self.lang, principal.zone
        with session_scope() as session:
            groups = keys.overview(session=session, principal=principal, now=utcnow())
        self.authorities = [
            {
                "code": g.authority.code,
                "name": g.authority.name,
                "agreement": g.agreement.name,
                "active": next((k.key.kid for k in g.keys if k.key.status is KeyStatus.ACTIVE), ""),
            }
            for g in groups
        ]
        self.keys = [
            {
                "authority": g.authority.code,
                "kid": line.key.kid,
                "status": str(line.key.status),
                "status_label": keys.STATUS_LABEL[line.key.status],
                "created": format_moment(line.key.created_at, lang, zone),
                "retired": format_day(line.key.retired_at, lang, zone),
                "revoked": format_day(line.key.revoked_at, lang, zone),
                "signed": str(line.signed),
                "verifying": str(line.verifying),
            }
            for g in groups
            for line in g.keys
        ]

    @handler(Action.ADMINISTER)
    def ask_rotate(self, principal: Principal, code: str):
        found = next((a for a in self.authorities if a["code"] == code), None)
        if found is not None:
            self.rotating = dict(found)
        return None

    @handler(Action.ADMINISTER)
    def cancel_rotate(self, principal: Principal):
        self.rotating = {}
        return None

    @handler(Action.ADMINISTER)
    def confirm_rotate(self, principal: Principal):
        rotating, self.rotating = self.rotating, {}
        if not rotating:
            return None
        try:
            with session_scope() as session:
                row = keys.rotate(
                    session=session,
                    authority_code=rotating["code"],
                    kek=get_settings().key_encryption_key(),
                    now=utcnow(),
                    actor=principal,
                )
                kid = row.kid
        except KeyError_ as error:
            return rx.toast.error(self._t(str(error)))
        self._list(principal)
        return rx.toast.success(self._t("New key {kid} signs from now on.", kid=kid))

    @handler(Action.ADMINISTER)
    def ask_revoke(self, principal: Principal, kid: str):
        """The confirmation names the permits that will stop verifying, counted now."""
        found = next((k for k in self.keys if k["kid"] == kid), None)
        if found is None or found["status"] == str(KeyStatus.REVOKED):
            return None
        with session_scope() as session:
            count = keys.verifying_permits(session=session, kid=kid, now=utcnow())
        self.revoking = {"kid": kid, "count": str(count), "status": found["status"]}
        self.revoke_error = ""
        return None

    @handler(Action.ADMINISTER)
    def cancel_revoke(self, principal: Principal):
        self.revoking, self.revoke_error = {}, ""
        return None

    @handler(Action.ADMINISTER)
    def confirm_revoke(self, principal: Principal, form: dict):
        """Revoke the key asked about, only if its id was typed exactly (checked here again)."""
        kid = self.revoking.get("kid", "")
        if not kid:
            return None
        if str(form.get("kid", "")) != kid:
            self.revoke_error = KID_MISMATCH
            return None
        self.revoking, self.revoke_error = {}, ""
        try:
            with session_scope() as session:
                count = keys.revoke(session=session, kid=kid, now=utcnow(), actor=principal)
        except KeyError_ as error:
            return rx.toast.error(self._t(str(error)))
        self._list(principal)
        return rx.toast.success(
            self._t(
                "Key {kid} revoked. Permits that no longer verify: {count}.", kid=kid, count=count
            )
        )

    @handler(Action.ADMINISTER)
    def export_trust_list(self, principal: Principal):
        """The public keys this installation trusts, as a file (no private key is in it)."""
        with session_scope() as session:
            text = keys.trust_list(session=session).to_json()
        return rx.download(data=text, filename=TRUST_LIST_FILE)
