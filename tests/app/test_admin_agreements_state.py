"""The agreement set-up page's handlers, called as a forged websocket event would call them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lbt_app.db.models import Agreement, AuditEvent, BorderArea, CrossingPoint, SigningKey
from lbt_app.states.admin_agreements import AdminAgreementsState
from tests.app.test_states import _client, _sub

S = AdminAgreementsState
# Every handler of the state, with arguments a page would send.
CALLS = {
    "load": (),
    "open_agreement": ("TJ-UZ",),
    "show_new": (True,),
    "pick_country": ("agreement", "country_a", "KGZ"),
    "create_agreement": (
        {
            "code": "KG-TJ",
            "name": "Kyrgyzstan–Tajikistan",
            "country_a": "KGZ",
            "country_b": "TJK",
            "timezone": "Asia/Bishkek",
        },
    ),
    "save_details": ({"name": "x"},),
    "save_rules": ({"max_stay_days": "10"},),
    "edit": ("area", "UZ-FRG"),
    "save_area": ({"code": "TJ-NEW", "name": "New", "country": "TJK", "depth_km": "10"},),
    "save_point": ({"code": "NEWPOINT", "name": "New", "serves:UZ-FRG": "on"},),
    "save_authority": ({"code": "TJ-NEW", "name": "New", "country": "TJK", "kind": "issuing"},),
    "delete": ("authority", "UZ-FRG-BS"),
}


def test_every_handler_is_listed_here():
    assert set(S.event_handlers) - {"setvar"} == set(CALLS)


def _rows(session) -> tuple:
    session.expire_all()
    return tuple(
        len(session.exec(select(model)).all())
        for model in (Agreement, BorderArea, CrossingPoint, SigningKey)
    )


@pytest.mark.parametrize("username", [None, "farhod", "officer1", "staff"])
@pytest.mark.parametrize("name", list(CALLS))
def test_every_handler_refuses_other_roles_and_anonymous_callers(db_url, session, username, name):
    before = _rows(session)
    state = _sub(_client(username), S)
    state.chosen = "TJ-UZ"  # forged into its state too
    getattr(S, name).fn(state, *CALLS[name])
    assert _rows(session) == before
    assert state.agreements == [] and state.areas == []
    denied = session.exec(
        select(AuditEvent).where(AuditEvent.action == "access_denied").order_by(AuditEvent.seq)
    ).all()
    assert denied and denied[-1].subject == "admin"


def test_the_admin_creates_an_agreement_and_its_parts_through_the_handlers(db_url, session):
    state = _sub(_client("admin"), S)
    S.load.fn(state)
    assert [a["code"] for a in state.agreements] == ["TJ-UZ"] and state.chosen == "TJ-UZ"
    assert any(c["value"] == "KGZ" and c["label"] == "Kyrgyzstan" for c in state.countries)
    S.create_agreement.fn(state, CALLS["create_agreement"][0])
    assert state.chosen == "KG-TJ" and state.errors == {}
    assert [s["label"] for s in state.sides] == ["Kyrgyzstan", "Tajikistan"]
    S.save_area.fn(
        state,
        {
            "code": "KG-BTK",
            "name": "Batken",
            "name_native": "Баткен",
            "country": "KGZ",
            "depth_km": "20",
            "districts": "Batken, Leilek",
        },
    )
    S.save_point.fn(state, {"code": "KAYRAGACH", "name": "Kayragach", "serves:KG-BTK": "on"})
    S.save_authority.fn(
        state, {"code": "KG-BTK-LBT", "name": "Batken LBT", "country": "KGZ", "kind": "issuing"}
    )
    assert state.errors == {}
    assert [a["name"] for a in state.areas] == ["Batken"]
    assert state.points[0]["serves"] == "Batken"
    assert state.authorities[0]["kind_label"] == "Issues permits"


def _zones(state, form: str) -> list[str]:
    return [z["value"] for z in state.zones[form]]


def test_each_form_offers_the_time_zones_of_its_two_countries(db_url, session):
    state = _sub(_client("admin"), S)
    S.load.fn(state)
    assert not state.adding  # there is an agreement to set up: the new one's form waits
    assert _zones(state, "details") == ["UTC", "Asia/Dushanbe", "Asia/Samarkand", "Asia/Tashkent"]
    S.show_new.fn(state, True)
    assert state.adding and _zones(state, "agreement") == ["UTC"]  # no country chosen yet
    S.pick_country.fn(state, "agreement", "country_a", "KGZ")
    S.pick_country.fn(state, "agreement", "country_b", "TJK")
    assert [z["label"] for z in state.zones["agreement"]] == [
        "UTC",
        "Bishkek (UTC+6)",
        "Dushanbe (UTC+5)",
    ]
    S.pick_country.fn(state, "agreement", "country_b", "XXX")  # no such country: no zones
    S.pick_country.fn(state, "elsewhere", "country_b", "KAZ")  # no such form: nothing
    assert _zones(state, "agreement") == ["UTC", "Asia/Bishkek"]
    # the details' list follows the countries changed there, and keeps the zone saved
    S.pick_country.fn(state, "details", "country_a", "KGZ")
    S.pick_country.fn(state, "details", "country_b", "KGZ")
    assert state.agreement["timezone"] == "Asia/Dushanbe"
    assert _zones(state, "details") == ["UTC", "Asia/Bishkek", "Asia/Dushanbe"]
    S.create_agreement.fn(state, CALLS["create_agreement"][0])
    assert state.chosen == "KG-TJ" and not state.adding
    assert _zones(state, "details") == ["UTC", "Asia/Bishkek", "Asia/Dushanbe"]
    assert _zones(state, "agreement") == ["UTC"]  # the form opens empty next time
    state.lang_choice = "ru"
    S.load.fn(state)
    assert [z["label"] for z in state.zones["details"]][1:] == [
        "Бишкек (UTC+6)",
        "Душанбе (UTC+5)",
    ]


def test_field_errors_show_under_their_fields_in_the_callers_language(db_url, session):
    state = _sub(_client("admin"), S)
    state.lang_choice = "ru"
    S.load.fn(state)
    S.create_agreement.fn(state, {"code": "kg tj", "country_a": "KGZ", "country_b": "KGZ"})
    assert set(state.errors) == {
        "agreement.code",
        "agreement.name",
        "agreement.country_b",
        "agreement.timezone",
    }
    assert state.errors["agreement.name"] == "Обязательное поле."
    assert not session.exec(select(Agreement).where(Agreement.code == "KG TJ")).first()


def test_a_refusal_names_what_uses_the_code(db_url, session):
    state = _sub(_client("admin"), S)
    S.load.fn(state)
    S.edit.fn(state, "area", "UZ-FRG")
    form = {**state.forms["area"], "code": "UZ-FRG-2"}
    S.save_area.fn(state, form)
    assert state.errors == {"area.code": "This code cannot change: permits refer to it."}
    S.delete.fn(state, "point", "PATAR")
    session.expire_all()
    assert session.exec(select(CrossingPoint).where(CrossingPoint.code == "PATAR")).one()


def test_an_unused_part_of_a_new_agreement_is_deleted_and_its_form_closed(db_url, session):
    state = _sub(_client("admin"), S)
    S.load.fn(state)
    S.create_agreement.fn(state, CALLS["create_agreement"][0])
    S.save_authority.fn(
        state, {"code": "KG-BS", "name": "Border Service", "country": "KGZ", "kind": "border"}
    )
    S.edit.fn(state, "authority", "KG-BS")
    assert state.editing["authority"] == "KG-BS" and state.forms["authority"]["kind"] == "border"
    S.delete.fn(state, "authority", "KG-BS")
    assert state.authorities == [] and state.editing["authority"] == ""
    assert [
        e.subject
        for e in session.exec(select(AuditEvent).where(AuditEvent.action == "authority_deleted"))
    ] == ["KG-BS"]
