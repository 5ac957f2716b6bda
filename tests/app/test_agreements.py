"""Setting up agreements from an empty installation: what an administrator enters, what is
refused and why, what issuing then honours, and the audit trail of every change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from lbt_app.core.access import AccessDenied
from lbt_app.core.payload import decode_claims, decode_cose, decode_text
from lbt_app.db.models import (
    Agreement,
    AuditEvent,
    Authority,
    BorderArea,
    CrossingPoint,
    CrossingPointArea,
    Resident,
    SigningKey,
)
from lbt_app.services import agreements, keys
from lbt_app.services.agreements import AgreementError
from lbt_app.services.issuing import IssueError, IssueRequest, issue_permit
from lbt_app.settings import get_settings
from tests.app import factories
from tests.conftest import NOW

KG_TJ = {
    "code": "KG-TJ",
    "name": "Kyrgyzstan–Tajikistan local border traffic",
    "country_a": "KGZ",
    "country_b": "TJK",
    "timezone": "Asia/Bishkek",
}
AREA = {
    "code": "KG-BTK",
    "name": "Batken border districts",
    "name_native": "Баткен чек ара райондору",
    "country": "KGZ",
    "depth_km": "30",
    "districts": "Batken, Leilek\nKadamjai",
}
TJ_AREA = {**AREA, "code": "TJ-ISF", "name": "Isfara border districts", "country": "TJK"}
POINT = {"code": "KAYRAGACH", "name": "Kayragach – Ovchi", "name_native": "Кайрагач"}
AUTHORITY = {
    "code": "TJ-ISF-LBT",
    "name": "Isfara Local Border Traffic Office",
    "name_native": "Идораи Исфара",
    "country": "TJK",
    "kind": "issuing",
}


@pytest.fixture
def admin(session):
    return factories.principal(session, "admin")


def _kek() -> bytes:
    return get_settings().key_encryption_key()


def _create(session, admin, raw=KG_TJ):
    agreement, errors = agreements.create_agreement(
        session=session, principal=admin, raw=raw, now=NOW
    )
    assert errors == {}
    return agreement


def _area(session, admin, raw=AREA, code="", agreement="KG-TJ"):
    return agreements.save_area(
        session=session,
        principal=admin,
        agreement_code=agreement,
        area_code=code,
        raw=raw,
        now=NOW,
    )


def _point(session, admin, raw=POINT, serves=("KG-BTK",), code="", agreement="KG-TJ"):
    return agreements.save_point(
        session=session,
        principal=admin,
        agreement_code=agreement,
        point_code=code,
        raw=raw,
        serves=list(serves),
        now=NOW,
    )


def _authority(session, admin, raw=AUTHORITY, code="", agreement="KG-TJ"):
    return agreements.save_authority(
        session=session,
        principal=admin,
        agreement_code=agreement,
        authority_code=code,
        raw=raw,
        kek=_kek(),
        now=NOW,
    )


def _whole_agreement(session, admin):
    _create(session, admin)
    _area(session, admin)
    _area(session, admin, TJ_AREA)
    _point(session, admin, serves=("KG-BTK", "TJ-ISF"))
    _point(session, admin, {**POINT, "code": "KULUNDU", "name": "Kulundu"}, serves=("TJ-ISF",))
    _authority(session, admin)


def _events(session, action):
    return session.exec(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    ).all()


def test_an_administrator_sets_up_a_whole_agreement(session, admin):
    _whole_agreement(session, admin)
    setup = agreements.setup_of(session=session, principal=admin, code="KG-TJ")
    assert setup.agreement.timezone == "Asia/Bishkek" and setup.agreement.max_stay_days == 90
    assert [a.code for a in setup.areas] == ["KG-BTK", "TJ-ISF"]
    assert setup.areas[0].districts == ["Batken", "Leilek", "Kadamjai"]
    assert [(p.point.code, p.serves) for p in setup.points] == [
        ("KAYRAGACH", ("KG-BTK", "TJ-ISF")),
        ("KULUNDU", ("TJ-ISF",)),
    ]
    assert [a.code for a in setup.authorities] == ["TJ-ISF-LBT"] and not setup.has_permits
    book = keys.codebook_for(session=session, agreement_id=setup.agreement.id)
    assert book.areas == ("KG-BTK", "TJ-ISF") and book.issuers == ("TJ-ISF-LBT",)


def test_an_issuing_authority_comes_with_its_first_signing_key(session, admin):
    _create(session, admin)
    authority, _ = _authority(session, admin)
    border, _ = _authority(
        session, admin, {**AUTHORITY, "code": "KG-BS", "country": "KGZ", "kind": "border"}
    )
    rows = session.exec(select(SigningKey).where(SigningKey.authority_id == authority.id)).all()
    assert len(rows) == 1 and rows[0].private_key_encrypted
    assert keys.signing_key(session=session, authority_id=authority.id, kek=_kek()).kid
    assert not session.exec(select(SigningKey).where(SigningKey.authority_id == border.id)).all()
    assert _events(session, "key_created")[-1].actor == "admin"


def test_every_change_is_audited_with_who_what_before_and_after(session, admin):
    _create(session, admin)
    created = _events(session, "agreement_created")[-1]
    assert (created.actor, created.subject) == ("admin", "KG-TJ")
    assert created.detail["before"] == {} and created.detail["after"]["timezone"] == "Asia/Bishkek"
    agreements.change_agreement(
        session=session,
        principal=admin,
        code="KG-TJ",
        raw={**KG_TJ, "name": "KG–TJ LBT", "card_languages": "ky,ru"},
        now=NOW,
        part="details",
    )
    changed = _events(session, "agreement_changed")[-1]
    assert changed.detail == {
        "before": {"name": KG_TJ["name"], "card_languages": ""},
        "after": {"name": "KG–TJ LBT", "card_languages": "ky,ru"},
    }
    _area(session, admin)
    _area(session, admin, {**AREA, "name": "Batken districts"}, code="KG-BTK")
    event = _events(session, "area_changed")[-1]
    assert event.subject == "KG-BTK" and event.detail["agreement"] == "KG-TJ"
    assert event.detail["before"] == {"name": "Batken border districts"}
    assert event.detail["after"] == {"name": "Batken districts"}
    agreements.delete(
        session=session,
        principal=admin,
        agreement_code="KG-TJ",
        part="area",
        code="KG-BTK",
        now=NOW,
    )
    deleted = _events(session, "area_deleted")[-1]
    assert deleted.detail["before"]["code"] == "KG-BTK" and deleted.detail["after"] == {}


def test_saving_the_same_values_records_nothing(session, admin):
    _create(session, admin)
    before = len(_events(session, "agreement_changed"))
    agreements.change_agreement(
        session=session,
        principal=admin,
        code="KG-TJ",
        raw={**KG_TJ, "card_languages": ""},
        now=NOW,
        part="details",
    )
    assert len(_events(session, "agreement_changed")) == before


RULES = {
    "max_stay_days": "30",
    "period_cap_days": "",
    "period_days": "",
    "min_validity_years": "1",
    "max_validity_years": "5",
    "min_residence_years": "1",
    "max_area_km": "30",
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": ""}, "code", agreements.REQUIRED),
        ({"code": "kg tj"}, "code", agreements.BAD_CODE),
        ({"code": "TJ-UZ"}, "code", agreements.CODE_TAKEN),
        ({"code": "X" * 17}, "code", agreements.TOO_LONG),
        ({"name": " "}, "name", agreements.REQUIRED),
        ({"name": "x" * 201}, "name", agreements.TOO_LONG),
        ({"name": "A\u200bB"}, "name", agreements.BAD_CHARACTERS),
        ({"country_a": "XXX"}, "country_a", agreements.BAD_COUNTRY),
        ({"country_a": "BUR"}, "country_a", agreements.BAD_COUNTRY),
        ({"country_b": "KGZ"}, "country_b", agreements.SAME_COUNTRIES),
        ({"timezone": "Mars/Olympus"}, "timezone", agreements.BAD_ZONE),
        ({"card_languages": "de,ru"}, "card_languages", agreements.BAD_CARD_LANGUAGES),
    ],
)
def test_a_new_agreement_is_checked_field_by_field(session, admin, change, field, message):
    count = len(agreements.agreements(session=session, principal=admin))
    agreement, errors = agreements.create_agreement(
        session=session, principal=admin, raw={**KG_TJ, **change}, now=NOW
    )
    assert agreement is None and errors == {field: message}
    assert len(agreements.agreements(session=session, principal=admin)) == count


def test_lower_case_codes_are_taken_as_capitals(session, admin):
    agreement = _create(session, admin, {**KG_TJ, "code": " kg-tj "})
    assert agreement.code == "KG-TJ"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"max_stay_days": "0"}, "max_stay_days", agreements.BAD_STAY),
        ({"max_stay_days": "91"}, "max_stay_days", agreements.BAD_STAY),
        ({"max_stay_days": "1e3"}, "max_stay_days", agreements.BAD_STAY),
        ({"period_cap_days": "90"}, "period_days", agreements.CAP_PAIR),
        ({"period_days": "180"}, "period_cap_days", agreements.CAP_PAIR),
        ({"period_cap_days": "181", "period_days": "180"}, "period_cap_days", agreements.BAD_CAP),
        ({"period_cap_days": "90", "period_days": "731"}, "period_days", agreements.BAD_PERIOD),
        ({"min_validity_years": "0"}, "min_validity_years", agreements.BAD_VALIDITY),
        ({"max_validity_years": "6"}, "max_validity_years", agreements.BAD_VALIDITY),
        (
            {"min_validity_years": "3", "max_validity_years": "2"},
            "min_validity_years",
            agreements.VALIDITY_ORDER,
        ),
        ({"min_residence_years": "0"}, "min_residence_years", agreements.BAD_RESIDENCE),
        ({"max_area_km": "40"}, "max_area_km", agreements.BAD_AREA_LIMIT),
    ],
)
def test_the_rules_are_checked_field_by_field(session, admin, change, field, message):
    _create(session, admin)
    agreement, errors = agreements.change_agreement(
        session=session,
        principal=admin,
        code="KG-TJ",
        raw={**RULES, **change},
        now=NOW,
        part="rules",
    )
    assert agreement is None and errors == {field: message}
    session.expire_all()
    assert (
        session.exec(select(Agreement).where(Agreement.code == "KG-TJ")).one().max_stay_days == 90
    )


def test_the_rules_are_saved_with_an_n_in_m_cap(session, admin):
    _create(session, admin)
    raw = {**RULES, "period_cap_days": "90", "period_days": "180", "min_validity_years": "2"}
    agreement, errors = agreements.change_agreement(
        session=session, principal=admin, code="KG-TJ", raw=raw, now=NOW, part="rules"
    )
    assert errors == {}
    assert (agreement.max_stay_days, agreement.period_cap_days, agreement.period_days) == (
        30,
        90,
        180,
    )
    assert agreement.min_validity_years == 2


def test_the_area_limit_cannot_fall_below_an_area_and_50_km_is_allowed(session, admin):
    _create(session, admin)
    agreements.change_agreement(
        session=session,
        principal=admin,
        code="KG-TJ",
        raw={**RULES, "max_area_km": "50"},
        now=NOW,
        part="rules",
    )
    _area(session, admin, {**AREA, "depth_km": "45"})
    _, errors = agreements.change_agreement(
        session=session, principal=admin, code="KG-TJ", raw=RULES, now=NOW, part="rules"
    )
    assert errors == {"max_area_km": agreements.AREA_DEEPER}


def test_a_country_with_areas_on_its_side_cannot_be_replaced(session, admin):
    _create(session, admin)
    _area(session, admin)
    _, errors = agreements.change_agreement(
        session=session,
        principal=admin,
        code="KG-TJ",
        raw={**KG_TJ, "country_a": "KAZ", "card_languages": ""},
        now=NOW,
        part="details",
    )
    assert errors == {"country_a": agreements.COUNTRY_IN_USE}
    _, errors = agreements.change_agreement(
        session=session,
        principal=admin,
        code="KG-TJ",
        raw={**KG_TJ, "country_b": "UZB", "card_languages": ""},
        now=NOW,
        part="details",
    )
    assert errors == {}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "KG BTK"}, "code", agreements.BAD_CODE),
        ({"code": "TJ-SGD"}, "code", agreements.CODE_TAKEN),
        ({"name": "Баткен"}, "name", agreements.NOT_LATIN),
        ({"name": ""}, "name", agreements.REQUIRED),
        ({"country": "UZB"}, "country", agreements.BAD_SIDE),
        ({"depth_km": "31"}, "depth_km", agreements.BAD_DEPTH),
        ({"depth_km": "0"}, "depth_km", agreements.BAD_DEPTH),
        ({"districts": " , "}, "districts", agreements.BAD_DISTRICTS),
    ],
)
def test_a_border_area_is_checked_field_by_field(session, admin, change, field, message):
    _create(session, admin)
    area, errors = _area(session, admin, {**AREA, **change})
    assert area is None and errors == {field: message}
    assert not session.exec(select(BorderArea).where(BorderArea.code == "KG-BTK")).first()


@pytest.mark.parametrize(
    ("raw", "serves", "field", "message"),
    [
        ({**POINT, "code": "PATAR"}, ("KG-BTK",), "code", agreements.CODE_TAKEN),
        ({**POINT, "name": "Қайрағоч"}, ("KG-BTK",), "name", agreements.NOT_LATIN),
        (POINT, (), "serves", agreements.NO_SERVED_AREA),
        (POINT, ("UZ-FRG",), "serves", agreements.NO_SERVED_AREA),  # another agreement's
    ],
)
def test_a_crossing_point_is_checked_field_by_field(session, admin, raw, serves, field, message):
    _create(session, admin)
    _area(session, admin)
    point, errors = _point(session, admin, raw, serves)
    assert point is None and errors == {field: message}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "TJ-SGD-LBT"}, "code", agreements.CODE_TAKEN),
        ({"code": "A" * 25}, "code", agreements.TOO_LONG),
        ({"country": "UZB"}, "country", agreements.BAD_SIDE),
        ({"kind": "police"}, "kind", agreements.BAD_KIND),
        ({"name": "Идора"}, "name", agreements.NOT_LATIN),
    ],
)
def test_an_authority_is_checked_field_by_field(session, admin, change, field, message):
    _create(session, admin)
    authority, errors = _authority(session, admin, {**AUTHORITY, **change})
    assert authority is None and errors == {field: message}
    assert not session.exec(
        select(SigningKey).join(Authority).where(Authority.agreement_id != 1)
    ).all()


def _demo(session, model, code):
    return session.exec(select(model).where(model.code == code)).one()


def test_renaming_is_always_allowed(session, admin):
    area = _demo(session, BorderArea, "UZ-FRG")
    raw = {
        "code": "UZ-FRG",
        "name": "Fergana districts",
        "name_native": "Farg'ona tumanlari",
        "country": "UZB",
        "depth_km": "30",
        "districts": ", ".join(area.districts),
    }
    saved, errors = _area(session, admin, raw, code="UZ-FRG", agreement="TJ-UZ")
    assert errors == {} and saved.name == "Fergana districts"
    point, errors = _point(
        session,
        admin,
        {"code": "PATAR", "name": "Patar", "name_native": "Патар"},
        serves=("UZ-FRG", "TJ-SGD"),
        code="PATAR",
        agreement="TJ-UZ",
    )
    assert errors == {} and point.name_native == "Патар"
    authority, errors = _authority(
        session,
        admin,
        {**AUTHORITY, "code": "TJ-SGD-LBT", "name": "Sughd LBT Office"},
        code="TJ-SGD-LBT",
        agreement="TJ-UZ",
    )
    assert errors == {} and authority.name == "Sughd LBT Office"


@pytest.mark.parametrize(
    ("save", "model", "code", "uses"),
    [
        ("area", BorderArea, "UZ-FRG", ("permits",)),
        ("area", BorderArea, "TJ-SGD", ("residents",)),
        ("point", CrossingPoint, "PATAR", ("permits", "officers stationed there")),
        ("authority", Authority, "TJ-SGD-LBT", ("permits", "signing keys", "staff accounts")),
    ],
)
def test_renumbering_a_code_in_use_is_refused_with_the_reason(
    session, admin, save, model, code, uses
):
    row = _demo(session, model, code)
    raw = {
        "code": code + "-2",
        "name": row.name,
        "name_native": row.name_native,
        "country": getattr(row, "country", ""),
        "depth_km": "30",
        "districts": "A",
        "kind": getattr(row, "kind", ""),
    }
    with pytest.raises(AgreementError) as refused:
        if save == "area":
            _area(session, admin, raw, code=code, agreement="TJ-UZ")
        elif save == "point":
            _point(session, admin, raw, serves=("UZ-FRG",), code=code, agreement="TJ-UZ")
        else:
            _authority(session, admin, raw, code=code, agreement="TJ-UZ")
    assert str(refused.value) == agreements.CODE_IN_USE and refused.value.field == "code"
    assert set(uses) <= set(refused.value.uses)
    session.expire_all()
    assert session.get(model, row.id).code == code


@pytest.mark.parametrize(
    ("part", "code", "uses"),
    [
        ("area", "UZ-FRG", "permits"),
        ("point", "FOTEHOBOD", "recorded crossings"),
        ("authority", "UZ-FRG-BS", None),
    ],
)
def test_deleting_is_refused_when_used_or_once_permits_exist(session, admin, part, code, uses):
    with pytest.raises(AgreementError) as refused:
        agreements.delete(
            session=session, principal=admin, agreement_code="TJ-UZ", part=part, code=code, now=NOW
        )
    if uses:
        assert str(refused.value) == agreements.IN_USE and uses in refused.value.uses
    else:  # the border service is used by nothing, but the agreement has permits
        assert str(refused.value) == agreements.AFTER_PERMITS


def test_an_unused_code_can_change_and_be_deleted_before_any_permit(session, admin):
    _whole_agreement(session, admin)
    point, errors = _point(
        session, admin, {**POINT, "code": "KAYRAGACH-1"}, serves=("KG-BTK",), code="KAYRAGACH"
    )
    assert errors == {} and point.code == "KAYRAGACH-1"
    agreements.delete(
        session=session,
        principal=admin,
        agreement_code="KG-TJ",
        part="point",
        code="KAYRAGACH-1",
        now=NOW,
    )
    agreements.delete(
        session=session,
        principal=admin,
        agreement_code="KG-TJ",
        part="area",
        code="KG-BTK",
        now=NOW,
    )
    setup = agreements.setup_of(session=session, principal=admin, code="KG-TJ")
    assert [a.code for a in setup.areas] == ["TJ-ISF"]
    assert [p.point.code for p in setup.points] == ["KULUNDU"]
    assert not session.exec(
        select(CrossingPointArea).where(CrossingPointArea.crossing_point_id == point.id)
    ).all()
    with pytest.raises(AgreementError) as refused:  # it has its signing key
        agreements.delete(
            session=session,
            principal=admin,
            agreement_code="KG-TJ",
            part="authority",
            code="TJ-ISF-LBT",
            now=NOW,
        )
    assert "signing keys" in refused.value.uses


def _kg_resident(session, authority):
    area = _demo(session, BorderArea, "TJ-ISF")
    resident = Resident(
        authority_id=authority.id,
        border_area_id=area.id,
        surname_native="Каримов",
        given_names_native="Алишер",
        surname_latin="KARIMOV",
        given_names_latin="ALISHER",
        birth_date=date(1980, 1, 1),
        nationality="TJK",
        document_number="A9988776",
        address="Исфара",
        residence_since=date(2000, 1, 1),
    )
    session.add(resident)
    session.flush()
    return resident


def test_issuing_honours_the_areas_a_point_serves(session, admin):
    _whole_agreement(session, admin)
    authority = _demo(session, Authority, "TJ-ISF-LBT")
    resident = _kg_resident(session, authority)
    start = NOW.date()

    def issue(points):
        return issue_permit(
            session=session,
            authority=authority,
            kek=_kek(),
            now=NOW,
            request=IssueRequest(resident.id, "KG-BTK", points, start, start + timedelta(days=400)),
        )

    with pytest.raises(IssueError, match="serve the permit's border area"):
        issue(("KULUNDU",))  # serves the Tajik side only
    permit = issue(("KAYRAGACH",))
    book = keys.codebook_for(session=session, agreement_id=authority.agreement_id)
    claims = decode_claims(decode_cose(decode_text(permit.payload)).payload, book)
    assert claims.border_area == "KG-BTK" and claims.crossing_points == ("KAYRAGACH",)
    assert claims.issuer == "TJ-ISF-LBT"
    # from now on nothing of this agreement can be deleted, even unused
    with pytest.raises(AgreementError) as refused:
        agreements.delete(
            session=session,
            principal=admin,
            agreement_code="KG-TJ",
            part="point",
            code="KULUNDU",
            now=NOW,
        )
    assert str(refused.value) == agreements.AFTER_PERMITS


def test_issuing_honours_the_shortest_validity(session, admin):
    _whole_agreement(session, admin)
    agreements.change_agreement(
        session=session,
        principal=admin,
        code="KG-TJ",
        raw={**RULES, "min_validity_years": "2"},
        now=NOW,
        part="rules",
    )
    authority = _demo(session, Authority, "TJ-ISF-LBT")
    resident = _kg_resident(session, authority)
    start = NOW.date()
    with pytest.raises(IssueError, match="shorter than the agreement allows"):
        issue_permit(
            session=session,
            authority=authority,
            kek=_kek(),
            now=NOW,
            request=IssueRequest(
                resident.id, "KG-BTK", ("KAYRAGACH",), start, start + timedelta(days=400)
            ),
        )


def test_the_approval_offers_only_the_points_serving_the_area(session, admin):
    from lbt_app.services import applications

    staff = factories.principal(session, "staff")
    assert [p.code for p in applications.crossing_points(session, staff, "UZ-FRG")] == [
        "FOTEHOBOD",
        "KUSHTEGIRMON",
        "PATAR",
    ]
    _point(
        session,
        admin,
        {"code": "PATAR", "name": "Patar – Rishton", "name_native": ""},
        serves=("TJ-SGD",),
        code="PATAR",
        agreement="TJ-UZ",
    )
    assert [p.code for p in applications.crossing_points(session, staff, "UZ-FRG")] == [
        "FOTEHOBOD",
        "KUSHTEGIRMON",
    ]
    assert applications.crossing_points(session, staff, "TJ-SGD") == []  # not a host area


def test_the_card_languages_follow_the_agreement_when_it_chose_them():
    from lbt_app.services import cards

    assert cards.card_languages("UZB", "ky,en") == ("ky", "en")
    assert cards.card_languages("UZB", "") == ("uz", "ru")
    assert cards.card_languages("UZB", "xx,ru") == ("uz", "ru")


@pytest.mark.parametrize("username", ["staff", "officer1", "farhod", None])
def test_only_an_administrator_sets_up_agreements(session, username):
    caller = factories.principal(session, username) if username else None
    with pytest.raises(AccessDenied):
        agreements.create_agreement(session=session, principal=caller, raw=KG_TJ, now=NOW)
    with pytest.raises(AccessDenied):
        agreements.delete(
            session=session,
            principal=caller,
            agreement_code="TJ-UZ",
            part="area",
            code="UZ-FRG",
            now=NOW,
        )
