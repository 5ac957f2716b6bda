"""Event handlers, called as a forged websocket event would call them: the server decides."""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import reflex as rx
from reflex.state import State
from sqlmodel import select

from lbt_app.core import live
from lbt_app.core.verdict import Code
from lbt_app.db.models import AuditEvent, Permit, PermitStatus, Resident, User
from lbt_app.db.types import utcnow
from lbt_app.i18n import t
from lbt_app.services import checks
from lbt_app.services.applications import PHOTO_MISSING, PROOF_MISSING
from lbt_app.states.admin import AdminState
from lbt_app.states.desk import AuthorityState
from lbt_app.states.login import LoginState
from lbt_app.states.officer import OfficerState
from lbt_app.states.residents import ResidentsState
from lbt_app.states.session import SOMETHING_WENT_WRONG, SessionState
from lbt_app.states.wallet import OFFLINE_NOTICE, WalletState
from tests.app import factories

PASSWORDS = {
    "staff": "staff-demo-2026",
    "officer1": "officer1-demo-2026",
    "farhod": "farhod-demo-2026",
    "admin": "admin-demo-2026",
}


def _client(username: str | None):
    """A fresh client's state tree, signed in as `username` (None: anonymous)."""
    root = State(_reflex_internal_init=True)
    if username:
        login = root.get_substate(LoginState.get_full_name().split("."))
        asyncio.run(
            LoginState.sign_in.fn(login, {"username": username, "password": PASSWORDS[username]})
        )
        assert login.token
    return root


def _sub(root, cls):
    return root.get_substate(cls.get_full_name().split("."))


def _redirect_path(result) -> str:
    specs = result if isinstance(result, list) else [result] if result is not None else []
    for spec in specs:
        for name, value in spec.args:
            if name._js_expr == "path":
                return value._var_value
    return ""


def _active_permit(session) -> Permit:
    return session.exec(
        select(Permit).where(Permit.status == PermitStatus.ACTIVE).order_by(Permit.id)
    ).first()


def test_sign_in_sends_each_role_to_its_page(db_url):
    for username, path in [
        ("staff", "/authority"),
        ("officer1", "/officer"),
        ("farhod", "/wallet"),
        ("admin", "/admin"),
    ]:
        root = State(_reflex_internal_init=True)
        login = _sub(root, LoginState)
        result = asyncio.run(
            LoginState.sign_in.fn(login, {"username": username, "password": PASSWORDS[username]})
        )
        assert _redirect_path(result) == path


def test_wrong_password_shows_a_message_and_no_token(db_url):
    login = _sub(State(_reflex_internal_init=True), LoginState)
    asyncio.run(LoginState.sign_in.fn(login, {"username": "staff", "password": "wrong"}))
    assert login.token == ""
    assert login.error == "Wrong user name or password."


@pytest.mark.parametrize("username", [None, "farhod", "officer1", "admin"])
def test_forged_suspend_from_a_non_authority_changes_nothing(db_url, session, username):
    permit = _active_permit(session)
    state = _sub(_client(username), AuthorityState)
    state.change = {"number": permit.number, "action": "suspend"}  # forged into its state too
    AuthorityState.change_status.fn(state, {"reason": "forged"})
    session.expire_all()
    assert session.get(Permit, permit.id).status is PermitStatus.ACTIVE
    denied = session.exec(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert denied and denied[-1].subject == "permits.manage"


def test_authority_staff_can_suspend_and_reinstate(db_url, session):
    permit = _active_permit(session)
    state = _sub(_client("staff"), AuthorityState)
    asyncio.run(AuthorityState.load.fn(state))
    AuthorityState.ask_change.fn(state, permit.number, "suspend")
    AuthorityState.change_status.fn(state, {"reason": "Seen working across the border"})
    session.expire_all()
    assert session.get(Permit, permit.id).status is PermitStatus.SUSPENDED
    assert session.get(Permit, permit.id).status_reason == "Seen working across the border"
    AuthorityState.ask_change.fn(state, permit.number, "reinstate")
    AuthorityState.change_status.fn(state, {"reason": "Cleared"})
    session.expire_all()
    assert session.get(Permit, permit.id).status is PermitStatus.ACTIVE
    AuthorityState.ask_change.fn(state, permit.number, "delete")  # not a status change
    assert state.change == {}


def test_a_status_change_names_the_holder_and_asks_for_a_missing_reason(db_url, session):
    permit = _active_permit(session)
    resident = session.get(Resident, permit.resident_id)
    state = _sub(_client("staff"), AuthorityState)
    asyncio.run(AuthorityState.load.fn(state))
    AuthorityState.ask_change.fn(state, permit.number, "revoke")
    holder = f"{resident.surname_latin} {resident.given_names_latin}"
    assert state.change == {"number": permit.number, "holder": holder, "action": "revoke"}
    for blank in ["", "   ", "\n\t"]:
        assert AuthorityState.change_status.fn(state, {"reason": blank}) is None
        # the form stays open with the permit and says what is missing; nothing changed
        assert state.change["number"] == permit.number and state.change_error == "Give a reason."
    session.expire_all()
    assert session.get(Permit, permit.id).status is PermitStatus.ACTIVE
    AuthorityState.change_status.fn(state, {"reason": "Moved away from the border area"})
    assert state.change == {} and state.change_error == ""
    session.expire_all()
    assert session.get(Permit, permit.id).status is PermitStatus.REVOKED
    AuthorityState.ask_change.fn(state, "TJ00-000000", "revoke")  # not on the desk's list
    assert state.change == {}


def _pdf_pages(result) -> int:
    """Pages of the PDF a download event carries (0: no PDF)."""
    found = re.search(r"data:application/pdf;base64,([A-Za-z0-9+/=]+)", str(result))
    return len(pdfium.PdfDocument(base64.b64decode(found.group(1)))) if found else 0


def test_only_usable_permits_offer_and_print_cards(db_url, session):
    state = _sub(_client("staff"), AuthorityState)
    asyncio.run(AuthorityState.load.fn(state))
    by_status: dict[str, list[str]] = {}
    for row in state.permits:
        by_status.setdefault(row["status"], []).append(row["number"])
    assert set(by_status) == {"active", "suspended", "revoked", "expired"}
    assert state.printable
    for status in ["suspended", "revoked", "expired"]:
        refused = _done(AuthorityState.card.fn(state, by_status[status][0]))
        assert "gets no card" in str(refused) and _pdf_pages(refused) == 0
    assert _pdf_pages(_done(AuthorityState.card.fn(state, by_status["active"][0]))) == 1
    batch = _done(AuthorityState.all_cards.fn(state))
    assert _pdf_pages(batch) == len(by_status["active"])
    AuthorityState.filter.fn(state, {"status": "revoked"})
    assert state.permits and not state.printable
    assert "no card to print" in str(_done(AuthorityState.all_cards.fn(state)))
    assert _cards_printed(session) == 2


def test_an_opened_permit_tells_its_history_in_words_and_scrolls_into_view(db_url, session):
    permit = _active_permit(session)
    officer = factories.principal(session, "officer1")
    checks.refuse(
        session=session,
        principal=officer,
        text=permit.payload,
        reason="no_identity_document",
        now=utcnow(),
    )
    session.commit()
    state = _sub(_client("staff"), AuthorityState)
    state.lang_choice = "ru"
    asyncio.run(AuthorityState.load.fn(state))
    shown = AuthorityState.open_permit.fn(state, permit.number)
    assert "scrollIntoView" in str(shown) and "permit-panel" in str(shown)
    details = [e["detail"] for e in state.permit_events]
    assert "Нет документа, удостоверяющего личность" in details  # the refusal, in Russian
    words = [*details, *(c["code"] for c in state.permit_crossings)]
    assert not [w for w in words if re.search(r"\b[a-z]+_[a-z_]+\b", w)], words


def test_forged_suspend_with_odd_arguments_is_refused_cleanly(db_url, session):
    state = _sub(_client("staff"), AuthorityState)
    before = session.exec(select(Permit.status)).all()
    for junk in ["", "NOPE-1", "'; DROP TABLE permit; --", 12345, None]:
        AuthorityState.ask_change.fn(state, junk, "suspend")
        AuthorityState.change_status.fn(state, {"reason": "x"})
    session.expire_all()
    assert session.exec(select(Permit.status)).all() == before


@pytest.mark.parametrize(
    ("cls", "allowed"),
    [
        (AuthorityState, "staff"),
        (OfficerState, "officer1"),
        (WalletState, "farhod"),
        (AdminState, "admin"),
    ],
)
def test_page_loads_turn_away_other_roles(db_url, cls, allowed):
    for username in ["staff", "officer1", "farhod", "admin", None]:
        state = _sub(_client(username), cls)
        result = cls.load.fn(state)
        if inspect.iscoroutine(result):  # a page whose load waits on the database in a thread
            result = asyncio.run(result)
        if username == allowed:
            assert _redirect_path(result) == ""  # stays (the officer's page asks the clock)
        else:
            assert _redirect_path(result) in {"/", "/authority", "/officer", "/wallet", "/admin"}
            assert (
                _redirect_path(result)
                != {
                    AuthorityState: "/authority",
                    OfficerState: "/officer",
                    WalletState: "/wallet",
                    AdminState: "/admin",
                }[cls]
            )


def test_the_wallet_shows_only_the_residents_own_permit(db_url):
    state = _sub(_client("farhod"), WalletState)
    WalletState.load.fn(state)
    assert (state.card["latin"], state.card["status"]) == ("RAHIMOV FARHOD", "active")
    assert state.card["payload"].startswith("LBT1:") and state.live_secret
    assert state.applications and not state.can_apply
    assert state.recent[0]["point"] == "Fotehobod – Oybek"  # the crossing point's name


@pytest.mark.parametrize(
    ("lang", "area"),
    [
        ("en", "Fergana border districts"),
        ("ru", "Fergana border districts"),
        ("uz", "Farg'ona chegara tumanlari"),  # the area's own language
    ],
)
def test_the_wallet_names_the_border_area_in_the_residents_language(db_url, lang, area):
    root = _client("farhod")
    _sub(root, SessionState).lang_choice = lang
    state = _sub(root, WalletState)
    WalletState.load.fn(state)
    assert state.card["area"] == area and "UZ-FRG" not in str(state.card)
    assert state.offline_saved["area"] == area
    assert state.offline_saved["label_offline"] == t(OFFLINE_NOTICE, lang) != ""
    assert state.offline_saved["label_failed"] == t(SOMETHING_WENT_WRONG, lang) != ""
    assert [a["code"] for a in state.apply_areas] == ["TJ-SGD"]


def test_an_empty_application_marks_the_missing_photo_and_proof(db_url, session):
    from lbt_app.services import auth

    auth.sign_up(
        session=session,
        username="+992 93 000 11 22",
        password="a-long-pass",
        full_name="New Applicant",
        address="203.0.113.9",
        now=utcnow(),
    )
    session.commit()
    root = State(_reflex_internal_init=True)
    login = _sub(root, LoginState)
    typed = {"username": "+992 93 000 11 22", "password": "a-long-pass"}  # as at sign-up
    asyncio.run(LoginState.sign_in.fn(login, typed))
    _sub(root, SessionState).lang_choice = "tg"
    state = _sub(root, WalletState)
    WalletState.load.fn(state)
    assert state.needs_record and state.can_apply
    assert state.apply_areas == [{"code": "TJ-SGD", "name": "Ноҳияҳои сарҳадии Суғд"}]
    WalletState.apply.fn(state, {})
    assert state.apply_errors["photo"] == PHOTO_MISSING
    assert state.apply_errors["proof"] == PROOF_MISSING

    proof = b"%PDF-1.4 proof"
    chosen = rx.UploadFile(file=io.BytesIO(proof), path=Path("proof.pdf"), size=len(proof))
    asyncio.run(WalletState.upload_proof.fn(state, [chosen]))
    assert state.proof_name == "proof.pdf"
    assert "proof" not in state.apply_errors and "photo" in state.apply_errors


def _done(result):
    """What a handler returned, awaited if it is async."""
    return asyncio.run(result) if inspect.iscoroutine(result) else result


def _sign_out(root) -> list:
    return asyncio.run(SessionState.sign_out.fn(_sub(root, SessionState)))


def test_sign_out_ends_the_server_session(db_url):
    root = _client("staff")
    token = _sub(root, SessionState).token
    _sign_out(root)
    assert _sub(root, SessionState).token == ""
    state = _sub(root, AuthorityState)
    state.token = token  # a client replaying its old token
    assert _redirect_path(asyncio.run(AuthorityState.load.fn(state))) == "/"


# Not personal: the language, and that the server state knows what the browser stored.
KEPT_AT_SIGN_OUT = {"lang_choice", "_stored_known"}


def _defaults(state) -> dict:
    cls = type(state)
    return {
        name: f.default_value()
        for name, f in cls.__fields__.items()
        if f._owner is cls and name not in KEPT_AT_SIGN_OUT
    }


def _values(state) -> dict:
    return {name: getattr(state, name) for name in _defaults(state)}


def test_sign_out_forgets_the_staff_members_data_in_every_state(db_url):
    root = _client("staff")
    _sub(root, SessionState).lang_choice = "ru"
    residents = _sub(root, ResidentsState)
    ResidentsState.load.fn(residents)
    ResidentsState.open_resident.fn(residents, residents.rows[0]["id"])
    assert residents.file and residents.rows
    authority = _sub(root, AuthorityState)
    asyncio.run(AuthorityState.load.fn(authority))
    assert authority.permits
    result = _sign_out(root)
    for cls in (SessionState, ResidentsState, AuthorityState, WalletState, OfficerState):
        state = _sub(root, cls)
        assert _values(state) == _defaults(state), cls.__name__
    assert _sub(root, SessionState).lang_choice == "ru"  # not personal: the next user keeps it
    assert "localStorage.clear()" in str(result[0])


def test_sign_out_forgets_the_wallet_and_changes_its_secret(db_url, session):
    root = _client("farhod")
    wallet = _sub(root, WalletState)
    WalletState.load.fn(wallet)
    old = base64.b64decode(wallet.live_secret)
    resident_id = session.exec(select(User).where(User.username == "farhod")).one().resident_id
    permit = session.exec(select(Permit).where(Permit.resident_id == resident_id)).first()
    live_text = live.live_text(permit.payload, old, utcnow())
    officer = factories.principal(session, "officer1")
    assert _code(session, officer, live_text) is Code.VALID
    session.commit()
    _sign_out(root)
    assert wallet.live_secret == "" and wallet.card == {}
    session.expire_all()
    # the old secret, copied from the phone before sign-out, makes codes that no longer pass
    assert _code(session, officer, live_text) is Code.STATIC_COPY


def _code(session, officer, text):
    return checks.verify_scan(
        session=session, principal=officer, text=text, now=utcnow()
    ).verdict.code


def test_language_choice_is_limited_to_the_catalogues(db_url):
    state = _sub(_client(None), SessionState)
    SessionState.set_language.fn(state, "ru")
    assert state.lang == "ru"
    SessionState.set_language.fn(state, "xx")
    assert state.lang == "ru"


def _crossings(session) -> int:
    from lbt_app.db.models import Crossing

    session.expire_all()
    return len(session.exec(select(Crossing)).all())


def test_officer_checks_by_number_and_records_once(db_url, session):
    number = session.exec(select(Permit.number).order_by(Permit.id)).first()  # farhod, outside
    state = _sub(_client("officer1"), OfficerState)
    asyncio.run(OfficerState.check_number.fn(state, {"number": number}))
    assert (state.outcome, state.code, state.can_enter, state.can_exit) == (
        "VALID",
        "valid",
        True,
        False,
    )
    assert state.photo.startswith("/photo/")
    before = _crossings(session)
    asyncio.run(OfficerState.record_crossing.fn(state, "entry"))
    assert state.recorded == "entry" and _crossings(session) == before + 1
    asyncio.run(OfficerState.check_number.fn(state, {"number": number}))  # lane is still "entering"
    assert (state.outcome, state.code) == ("CHECK", "already_inside")
    assert (state.can_enter, state.can_exit) == (False, True)  # the holder is inside


@pytest.mark.parametrize("username", [None, "farhod", "staff", "admin"])
def test_forged_officer_events_from_other_roles_record_nothing(db_url, session, username):
    number = session.exec(select(Permit.number).order_by(Permit.id)).first()
    state = _sub(_client(username), OfficerState)
    state._text = session.exec(select(Permit.payload).order_by(Permit.id)).first()
    before = _crossings(session)
    asyncio.run(OfficerState.check_number.fn(state, {"number": number}))
    asyncio.run(OfficerState.record_crossing.fn(state, "entry"))
    assert state.outcome == "" and _crossings(session) == before


def test_officer_cannot_record_without_a_checked_permit_or_with_a_bad_direction(db_url, session):
    state = _sub(_client("officer1"), OfficerState)
    before = _crossings(session)
    asyncio.run(OfficerState.record_crossing.fn(state, "entry"))
    asyncio.run(OfficerState.check_number.fn(state, {"number": "NOPE"}))
    assert state.code == "not_registered"
    asyncio.run(OfficerState.record_crossing.fn(state, "entry"))
    asyncio.run(OfficerState.record_crossing.fn(state, "sideways"))
    assert _crossings(session) == before


def _cards_printed(session) -> int:
    session.expire_all()
    return len(session.exec(select(AuditEvent).where(AuditEvent.action == "cards_printed")).all())


def test_staff_download_cards_and_other_roles_get_nothing(db_url, session):
    state = _sub(_client("staff"), AuthorityState)
    asyncio.run(AuthorityState.load.fn(state))
    number = state.permits[0]["number"]
    one = _done(AuthorityState.card.fn(state, number))
    assert "data:application/pdf;base64," in str(one) and f"permit-{number}.pdf" in str(one)
    batch = _done(AuthorityState.all_cards.fn(state))
    assert "permit-cards.pdf" in str(batch) and _cards_printed(session) == 2
    assert "No such permit." in str(_done(AuthorityState.card.fn(state, "TJ00-000000")))
    for username in [None, "officer1", "farhod", "admin"]:
        forged = _sub(_client(username), AuthorityState)
        forged.permits = state.permits
        assert "application/pdf" not in str(_done(AuthorityState.card.fn(forged, number)))
        assert "application/pdf" not in str(_done(AuthorityState.all_cards.fn(forged)))
    assert _cards_printed(session) == 2


def test_the_desk_filters_opens_a_permit_and_renews_it(db_url, session):
    state = _sub(_client("staff"), AuthorityState)
    asyncio.run(AuthorityState.load.fn(state))
    assert state.figures["active"] == 5 and len(state.chart_bars) == len(state.chart_labels) == 30
    assert state.chart_top > 0 and state.chart_span[1] in state.chart_labels[-1]
    # the border areas by their names too: on the filter, the rows and the permit page
    assert state.areas == [{"code": "UZ-FRG", "name": "Fergana border districts"}]
    assert {p["area"] for p in state.permits} == {"Fergana border districts"}
    # the crossing points by their names, not their codes, in the legend and the bars' words
    legend = [p["name"] for p in state.chart_legend]
    assert legend == ["Fotehobod – Oybek", "Kushtegirmon – Bekobod", "Patar – Rishton"]
    assert any("Fotehobod – Oybek 1" in label for label in state.chart_labels)
    assert not any("FOTEHOBOD" in label for label in state.chart_labels)
    AuthorityState.filter.fn(state, {"status": "suspended", "area": "nowhere", "expiring": "7"})
    assert state.filters == {"status": "suspended", "area": "", "expiring": ""}
    assert [p["status"] for p in state.permits] == ["suspended"]
    AuthorityState.filter.fn(state, {"area": "UZ-FRG"})  # the option's value: the code
    assert state.filters["area"] == "UZ-FRG" and len(state.permits) > 1
    AuthorityState.filter.fn(state, {"status": "active"})
    number = state.permits[-1]["number"]
    AuthorityState.open_permit.fn(state, number)
    assert state.permit_info["number"] == number and state.permit_qr.startswith("data:image/png")
    assert state.permit_info["area"] == "Fergana border districts"
    assert "FOTEHOBOD" not in state.permit_info["points"]
    assert any(e["label"] == "Issued" for e in state.permit_events)
    assert "Permit renewed." in str(AuthorityState.renew.fn(state, {"years": "2"}))
    session.expire_all()
    renewed = session.exec(select(AuditEvent).where(AuditEvent.action == "permit_renewed")).one()
    assert renewed.subject == number and renewed.detail["new"] != number
    too_long = AuthorityState.renew.fn(state, {"years": "9"})
    assert "longer than the agreement allows" in str(too_long)


def test_desk_and_oversight_events_from_other_roles_show_and_change_nothing(db_url, session):
    from lbt_app.states.oversight import OversightState

    number = _active_permit(session).number
    for username in [None, "officer1", "farhod", "admin"]:
        desk = _sub(_client(username), AuthorityState)
        AuthorityState.filter.fn(desk, {"status": "active"})
        AuthorityState.open_permit.fn(desk, number)
        desk.open_number = number
        AuthorityState.renew.fn(desk, {"years": "1"})
        assert desk.permits == [] and desk.permit_info == {}
        oversight = _sub(_client(username), OversightState)
        OversightState.filter.fn(oversight, {"action": ""})
        OversightState.decide.fn(oversight, {"report": "1", "decision": "revocation"})
        assert oversight.events == []
    session.expire_all()
    assert len(session.exec(select(Permit).where(Permit.number == number)).all()) == 1
    renewed = session.exec(select(AuditEvent).where(AuditEvent.action == "permit_renewed")).all()
    assert renewed == []


def test_a_flood_of_anonymous_events_is_answered_without_work(db_url, session):
    before = len(session.exec(select(AuditEvent)).all())
    state = _sub(_client(None), AuthorityState)
    answers = [str(AuthorityState.renew.fn(state, {"years": "1"})) for _ in range(500)]
    session.expire_all()
    written = len(session.exec(select(AuditEvent)).all()) - before
    assert written <= 2  # the first refusal, at most one folded count
    assert "Please sign in." in answers[0]
    assert "Too many requests" in answers[-1]
    signed_in = _sub(_client("staff"), AuthorityState)
    asyncio.run(AuthorityState.load.fn(signed_in))
    assert signed_in.permits  # others go on as before
