"""The residents registry: records, photos, search in both scripts, CSV import."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from pathlib import Path

import pytest
import reflex as rx
from PIL import Image
from sqlmodel import func, select

from lbt_app.core.access import AccessDenied
from lbt_app.db.models import Application, AuditEvent, Document, Resident
from lbt_app.services import residents
from lbt_app.services.residents import ResidentError
from tests.app.factories import principal
from tests.conftest import NOW

GOOD = {
    "surname_native": "Қаҳҳорова",
    "given_names_native": "Ҷамила",
    "surname_latin": "",
    "given_names_latin": "",
    "birth_date": "1988-04-12",
    "sex": "f",
    "nationality": "tjk",
    "document_number": "a 1234567",
    "address": "Ғафуров, кӯчаи Сомонӣ 5",
    "border_area": "tj-sgd",
    "residence_since": "2006-01-01",
}


def _photo(size=(600, 900), fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(out, fmt)
    return out.getvalue()


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_new_resident_gets_icao_latin_names_and_a_cropped_photo(session):
    staff = principal(session, "staff")
    resident, errors = residents.save_resident(
        session=session, principal=staff, raw=GOOD, now=NOW, photo=_photo()
    )
    assert errors == {}
    assert (resident.surname_latin, resident.given_names_latin) == ("QAHHOROVA", "JAMILA")
    assert (resident.sex, resident.nationality, resident.document_number) == (
        "F",
        "TJK",
        "A1234567",
    )
    photo = session.get(Document, resident.photo_id)
    assert Image.open(io.BytesIO(photo.data)).size == (300, 400)
    event = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.subject) == ("resident_created", "A1234567")


def test_an_edit_keeps_the_photo_and_audits_the_changed_fields(session):
    staff = principal(session, "staff")
    resident, _ = residents.save_resident(
        session=session, principal=staff, raw=GOOD, now=NOW, photo=_photo()
    )
    photo_id = resident.photo_id
    edited, errors = residents.save_resident(
        session=session,
        principal=staff,
        raw={**GOOD, "surname_latin": "KAHHOROVA", "address": "Khujand"},
        now=NOW,
        resident_id=resident.id,
    )
    assert errors == {} and edited.id == resident.id and edited.photo_id == photo_id
    assert edited.surname_latin == "KAHHOROVA"
    event = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.action == "resident_updated"
    assert event.detail["fields"] == ["address", "surname_latin"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"surname_native": " "}, "surname_native", residents.REQUIRED),
        ({"surname_latin": "Kähhor0va"}, "surname_latin", residents.BAD_LATIN),
        ({"birth_date": "12.04.1988"}, "birth_date", residents.BAD_DATE),
        ({"birth_date": "2030-01-01"}, "birth_date", residents.FUTURE_DATE),
        ({"residence_since": "1980-01-01"}, "residence_since", residents.BEFORE_BIRTH),
        ({"sex": "Q"}, "sex", residents.BAD_SEX),
        ({"nationality": "Tajik"}, "nationality", residents.BAD_NATIONALITY),
        ({"document_number": "A-1"}, "document_number", residents.BAD_DOCUMENT),
        ({"border_area": "KZ-ALM"}, "border_area", residents.BAD_AREA),
        ({"border_area": "UZ-FRG"}, "border_area", residents.BAD_AREA),  # the other side
        ({"address": "x" * 301}, "address", residents.TOO_LONG),
    ],
)
def test_bad_fields_are_named_and_nothing_is_written(session, change, field, message):
    before = _count(session, Resident)
    resident, errors = residents.save_resident(
        session=session,
        principal=principal(session, "staff"),
        raw={**GOOD, **change},
        now=NOW,
        photo=_photo(),
    )
    assert resident is None and errors[field] == message
    assert _count(session, Resident) == before


def test_a_document_number_is_registered_once(session):
    existing = session.exec(select(Resident)).first()
    _, errors = residents.save_resident(
        session=session,
        principal=principal(session, "staff"),
        raw={**GOOD, "document_number": existing.document_number.lower()},
        now=NOW,
        photo=_photo(),
    )
    assert errors == {"document_number": residents.DOCUMENT_TAKEN}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not an image", "The file is not an image."),
        (_photo((100, 120)), "The photo is too small: at least 150 × 200 pixels."),
        (b"\xff\xd8" + b"\0" * 9_000_000, "The file is too large."),
    ],
)
def test_a_bad_photo_is_refused_with_its_reason(session, data, message):
    before = _count(session, Resident)
    with pytest.raises(ResidentError, match=message):
        residents.save_resident(
            session=session, principal=principal(session, "staff"), raw=GOOD, now=NOW, photo=data
        )
    session.rollback()
    assert _count(session, Resident) == before


def test_only_our_staff_see_or_change_our_residents(session):
    resident = session.exec(select(Resident)).first()
    for username in ["officer1", "farhod", "admin"]:
        with pytest.raises(AccessDenied):
            residents.search_residents(session=session, principal=principal(session, username))
        with pytest.raises(AccessDenied):
            residents.save_resident(
                session=session, principal=principal(session, username), raw=GOOD, now=NOW
            )
    stranger = dataclasses.replace(principal(session, "staff"), agreement_id=999)
    assert residents.search_residents(session=session, principal=stranger) == ([], 0)
    with pytest.raises(ResidentError):
        residents.resident_file(session=session, principal=stranger, resident_id=resident.id)
    with pytest.raises(ResidentError):
        residents.save_resident(
            session=session, principal=stranger, raw=GOOD, now=NOW, resident_id=resident.id
        )


@pytest.mark.parametrize(
    ("query", "surnames"),
    [
        ("ғафур", ["GHAFUROVA"]),  # native script, any case
        ("GHAFUR", ["GHAFUROVA"]),
        ("rahimov farhod", ["RAHIMOV"]),
        ("zzz", []),
    ],
)
def test_search_in_either_script_and_by_document(session, query, surnames):
    rows, total = residents.search_residents(
        session=session, principal=principal(session, "staff"), query=query
    )
    assert [r.surname_latin for r in rows] == surnames and total == len(surnames)


def test_search_by_document_number_and_paging(session):
    staff = principal(session, "staff")
    any_resident = session.exec(select(Resident)).first()
    rows, _ = residents.search_residents(
        session=session, principal=staff, query=any_resident.document_number.lower()
    )
    assert [r.id for r in rows] == [any_resident.id]
    spaced = f"{any_resident.document_number[:3]} {any_resident.document_number[3:].lower()}"
    rows, total = residents.search_residents(session=session, principal=staff, query=spaced)
    assert [r.id for r in rows] == [any_resident.id] and total == 1
    last_digits = any_resident.document_number[-4:]  # what someone remembers of it
    rows, _ = residents.search_residents(session=session, principal=staff, query=last_digits)
    assert any_resident.id in [r.id for r in rows]
    header = ",".join(residents.FIELDS)
    lines = [f"Т{i},А,,,1990-01-01,M,TJK,P{i:07d},Addr,TJ-SGD,2000-01-01" for i in range(45)]
    residents.import_csv(
        session=session, principal=staff, data="\n".join([header, *lines]).encode(), now=NOW
    )
    first, total = residents.search_residents(session=session, principal=staff, page=1)
    third, _ = residents.search_residents(session=session, principal=staff, page=3)
    last, _ = residents.search_residents(session=session, principal=staff, page=99)
    assert len(first) == residents.PAGE_SIZE and total == _count(session, Resident)
    assert third == last and 0 < len(third) <= residents.PAGE_SIZE


def test_the_resident_file_holds_photo_documents_applications_permits_crossings(session):
    row = residents.search_residents(
        session=session, principal=principal(session, "staff"), query="nazarova"
    )[0][0]
    file = residents.resident_file(
        session=session, principal=principal(session, "staff"), resident_id=row.id
    )
    assert file.photo[:2] == b"\xff\xd8" and file.area == "TJ-SGD"
    assert {kind for kind, _ in file.documents} == {"photo", "proof_of_residence"}
    assert len(file.applications) == 1 and len(file.permits) == 1
    assert file.crossings and file.crossings[0][0].direction == "entry"


def test_csv_import_takes_good_rows_and_reports_bad_ones_by_line(session):
    staff = principal(session, "staff")
    taken = session.exec(select(Resident)).first().document_number
    csv = "\n".join(
        [
            ";".join(residents.FIELDS),
            "Каримов;Алишер;;;1980-02-03;M;TJK;K1000001;Хуҷанд;TJ-SGD;1999-05-01",
            "Бобоев;Сино;;;1980-02-30;M;TJK;K1000002;Хуҷанд;TJ-SGD;1999-05-01",
            "Саидова;Нигора;;;1975-07-07;F;TJK;K1000003;Хуҷанд;XX-YYY;1999-05-01",
            f"Одинаев;Умед;;;1970-01-01;M;TJK;{taken};Хуҷанд;TJ-SGD;1990-01-01",
            "Раҳимова;Дилором;RAHIMOVA;DILOROM;1991-09-09;F;TJK;K1000001;Хуҷанд;TJ-SGD;2000-01-01",
            "Ҳасанов;Фарид;;;1985-12-12;M;TJK;K1000005;Хуҷанд;TJ-SGD;2001-01-01",
        ]
    ).encode("utf-8-sig")
    before = _count(session, Resident)
    seen: list[tuple[int, int]] = []
    report = residents.import_csv(
        session=session,
        principal=staff,
        data=csv,
        now=NOW,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert (report.rows, report.imported, report.problem) == (6, 2, "")
    assert report.errors == [
        (3, "birth_date", residents.CSV_BAD_DATE),
        (4, "border_area", residents.BAD_AREA),
        (5, "document_number", residents.DOCUMENT_TAKEN),
        (6, "document_number", residents.DOCUMENT_TWICE),
    ]
    assert _count(session, Resident) == before + 2
    imported = session.exec(select(Resident).where(Resident.document_number == "K1000005")).one()
    assert (imported.surname_latin, imported.search_text.split()[0]) == ("HASANOV", "ҳасанов")
    assert seen[-1][0] == seen[-1][1]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xff\xfe\x00bad", residents.CSV_NOT_TEXT),
        (b"name,age\nx,1", residents.CSV_BAD_HEADER),
        (b"x" * (residents.MAX_CSV_BYTES + 1), residents.CSV_TOO_LARGE),
    ],
)
def test_a_file_that_is_no_registry_is_refused_whole(session, data, problem):
    before = _count(session, Resident)
    report = residents.import_csv(
        session=session, principal=principal(session, "staff"), data=data, now=NOW
    )
    assert report.problem == problem and report.imported == 0
    assert _count(session, Resident) == before


def _state(username):
    from lbt_app.states.residents import ResidentsState
    from tests.app.test_states import _client, _sub

    return ResidentsState, _sub(_client(username), ResidentsState)


def test_the_form_proposes_latin_names_until_the_user_edits_them(db_url):
    cls, state = _state("staff")
    cls.load.fn(state)
    cls.new_resident.fn(state)
    cls.set_field.fn(state, "surname_native", "Ҷӯраев")
    assert state.form["surname_latin"] == "JURAEV"
    cls.set_field.fn(state, "surname_latin", "DZHURAEV")
    cls.set_field.fn(state, "surname_native", "Ҷӯраева")
    assert state.form["surname_latin"] == "DZHURAEV"  # the hand-made form stays
    cls.set_field.fn(state, "role", "admin")  # not a field: ignored
    assert "role" not in state.form


def test_saving_without_a_photo_or_with_bad_fields_shows_the_errors(db_url, session):
    cls, state = _state("staff")
    cls.load.fn(state)
    cls.new_resident.fn(state)
    for name, value in GOOD.items():
        if name != "border_area":
            cls.set_field.fn(state, name, value)
    before = _count(session, Resident)
    cls.save.fn(state)
    assert state.form_errors == {"photo": "A photo is required."} and state.form_open
    cls.set_field.fn(state, "birth_date", "yesterday")
    cls.save.fn(state)
    assert state.form_errors["birth_date"] == residents.BAD_DATE == "Enter a valid date."
    assert _count(session, Resident) == before


def test_an_edited_field_loses_its_error_and_saving_checks_every_field_again(db_url):
    cls, state = _state("staff")
    cls.load.fn(state)
    cls.new_resident.fn(state)
    assert state.form["sex"] == ""  # nothing that looks like data until chosen
    for name, value in {**GOOD, "birth_date": "yesterday", "document_number": "x"}.items():
        cls.set_field.fn(state, name, value)
    cls.save.fn(state)
    assert state.form_errors["birth_date"] == "Enter a valid date."
    assert state.form_errors["document_number"] == residents.BAD_DOCUMENT
    cls.set_field.fn(state, "birth_date", "1988-04-12")
    assert "birth_date" not in state.form_errors and "document_number" in state.form_errors
    cls.set_field.fn(state, "document_number", "A1")  # edited, still wrong: shown again on save
    assert "document_number" not in state.form_errors
    cls.save.fn(state)
    assert state.form_errors == {"document_number": residents.BAD_DOCUMENT}


def _upload(data: bytes, name: str) -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))


def test_a_desk_application_is_registered_only_once_the_chosen_proof_is_confirmed(db_url, session):
    cls, state = _state("staff")
    cls.load.fn(state)
    cls.search.fn(state, {"query": "Назарова"})
    cls.open_resident.fn(state, state.rows[0]["id"])
    before = _count(session, Application)
    asyncio.run(cls.upload_application.fn(state, [_upload(_photo(), "lease.jpg")]))
    assert state.proof_name == "lease.jpg" and _count(session, Application) == before
    cls.cancel_application.fn(state)
    assert state.proof_name == ""
    assert "Choose the proof of residence first." in str(cls.register_application.fn(state))
    assert _count(session, Application) == before
    asyncio.run(cls.upload_application.fn(state, [_upload(_photo(), "lease.jpg")]))
    cls.open_resident.fn(state, state.rows[0]["id"])  # the same resident: the choice stays
    assert "Application registered." in str(cls.register_application.fn(state))
    assert _count(session, Application) == before + 1 and state.proof_name == ""
    cls.open_resident.fn(state, state.rows[0]["id"])
    assert state.applications[0]["status_label"] == "Submitted, under review"
    assert {d["kind"] for d in state.documents} == {"Photo", "Proof of residence"}
    assert state.file["sex"] == "Female"
    # a proof chosen for one resident is not filed for the next one opened
    asyncio.run(cls.upload_application.fn(state, [_upload(_photo(), "other.jpg")]))
    cls.search.fn(state, {"query": "Раҳимов"})
    cls.open_resident.fn(state, state.rows[0]["id"])
    assert state.proof_name == ""
    assert "Choose the proof of residence first." in str(cls.register_application.fn(state))
    assert _count(session, Application) == before + 1


def test_registry_events_from_other_roles_show_and_change_nothing(db_url, session):
    resident = session.exec(select(Resident)).first()
    for username in [None, "officer1", "farhod", "admin"]:
        cls, state = _state(username)
        cls.search.fn(state, {"query": ""})
        cls.open_resident.fn(state, str(resident.id))
        state.form, state.form_open = {**GOOD, "document_number": "Z9999999"}, True
        cls.save.fn(state)
        assert state.rows == [] and state.file == {}
    assert (
        session.exec(select(Resident).where(Resident.document_number == "Z9999999")).first() is None
    )


def test_staff_search_and_open_a_residents_file(db_url):
    cls, state = _state("staff")
    cls.load.fn(state)
    assert state.total >= 9
    assert state.areas == [{"code": "TJ-SGD", "name": "Sughd border districts"}]
    cls.search.fn(state, {"query": "Назарова"})
    assert [r["latin"] for r in state.rows] == ["NAZAROVA GULNORA"]
    assert state.rows[0]["area"] == "Sughd border districts"  # the area's name, not its code
    cls.open_resident.fn(state, state.rows[0]["id"])
    assert state.file["native"].startswith("Назарова") and state.file["photo"]
    assert state.file["area"] == "Sughd border districts"
    assert state.permits and state.crossings
    assert "No such resident." in str(cls.open_resident.fn(state, "999999"))


def test_a_file_csv_cannot_read_is_refused_whole_and_changes_nothing(session):
    good = "Бобоев;Сино;;;1980-02-03;M;TJK;K1000002;Хуҷанд;TJ-SGD;1999-05-01"
    huge = "Каримов;" + "А" * 200_000 + ";;;1980-02-03;M;TJK;K1000001;Хуҷанд;TJ-SGD;1999-05-01"
    data = "\n".join([";".join(residents.FIELDS), good, huge]).encode()
    before = _count(session, Resident)
    report = residents.import_csv(
        session=session, principal=principal(session, "staff"), data=data, now=NOW
    )
    assert (report.problem, report.problem_line, report.imported) == (
        residents.CSV_NOT_A_TABLE,
        3,
        0,
    )
    assert _count(session, Resident) == before


@pytest.mark.parametrize("odd", ["\x00", "\u202e", "\U000e0001"], ids=["nul", "bidi", "tag"])
def test_control_characters_in_a_field_are_refused(session, odd):
    row = f"Каримов;Алишер{odd};;;1980-02-03;M;TJK;K1000001;Хуҷанд;TJ-SGD;1999-05-01"
    data = "\n".join([";".join(residents.FIELDS), row]).encode()
    report = residents.import_csv(
        session=session, principal=principal(session, "staff"), data=data, now=NOW
    )
    assert report.imported == 0
    assert (2, "given_names_native", residents.BAD_CHARACTERS) in report.errors


def test_the_import_is_ready_for_the_next_file_after_a_refused_one(db_url):
    import asyncio

    from lbt_app.states.residents import ResidentsState
    from tests.app.test_states import _client

    state = _client("staff").get_substate(ResidentsState.get_full_name().split("."))
    header = ";".join(residents.FIELDS)
    state._csv = f"{header}\nКаримов;{'А' * 200_000}".encode()
    state.importing = True
    asyncio.run(ResidentsState.run_import.fn(state))
    assert state.importing is False
    assert state.import_summary.startswith("The file cannot be read as a table")


TAJIK = [
    # native surname, native given names, document number
    ("Қаҳҳорова", "Ҷамила", "Q1000001"),
    ("Ғуломов", "Зӯҳро", "Q1000002"),
    ("Раҳимӣ", "Ҳусниддин", "Q1000003"),
    ("Shodmonov", "Akbar", "Q1000004"),  # a record typed in Latin only
]


def _import(session, staff, rows) -> None:
    lines = [",".join(residents.FIELDS)] + [
        f"{surname},{given},,,1980-02-03,M,TJK,{number},Хуҷанд,TJ-SGD,1999-05-01"
        for surname, given, number in rows
    ]
    report = residents.import_csv(
        session=session, principal=staff, data="\n".join(lines).encode(), now=NOW
    )
    assert report.imported == len(rows), report.errors


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("ҳҳор", ["Q1000001"]),  # part of a surname, Tajik letters
        ("ҚАҲҲОР", ["Q1000001"]),  # upper case
        ("ҷамил", ["Q1000001"]),
        ("зӯҳ", ["Q1000002"]),
        ("ғулом зӯҳро", ["Q1000002"]),  # every word must match
        ("ҳимӣ", ["Q1000003"]),
        ("QAHHOR", ["Q1000001"]),  # the ICAO transliteration, either case
        ("ghulom", ["Q1000002"]),
        ("husnid", ["Q1000003"]),
        ("dmonov akb", ["Q1000004"]),
        ("Ҳу ҳусниддин", ["Q1000003"]),  # a short word filters what a long one found
        ("ғулом ҷамила", []),
        ("q100000", ["Q1000004", "Q1000003", "Q1000002", "Q1000001"]),  # newest first
    ],
)
def test_name_search_finds_parts_of_names_in_both_scripts_through_the_index(
    session, query, numbers
):
    staff = principal(session, "staff")
    _import(session, staff, TAJIK)
    rows, total = residents.search_residents(session=session, principal=staff, query=query)
    assert [r.document_number for r in rows] == numbers and total == len(numbers)
    stranger = dataclasses.replace(staff, agreement_id=999)
    assert residents.search_residents(session=session, principal=stranger, query=query) == ([], 0)


def test_the_search_index_follows_a_changed_name(session):
    staff = principal(session, "staff")
    resident, _ = residents.save_resident(
        session=session, principal=staff, raw=GOOD, now=NOW, photo=_photo()
    )
    changed = {**GOOD, "surname_native": "Ӯроқова", "surname_latin": "", "given_names_latin": ""}
    residents.save_resident(
        session=session, principal=staff, raw=changed, now=NOW, resident_id=resident.id
    )
    session.flush()

    def found(query):
        return [
            r.id
            for r in residents.search_residents(session=session, principal=staff, query=query)[0]
        ]

    assert found("ӯроқ") == [resident.id] and found("uroq") == [resident.id]
    assert found("қаҳҳор") == [] and found("qahhor") == []


def test_a_query_of_short_words_only_asks_for_more_letters(session):
    staff = principal(session, "staff")
    for query in ["ка", "a b", "Ҷ"]:
        with pytest.raises(ResidentError, match="at least 3 letters"):
            residents.search_residents(session=session, principal=staff, query=query)
    assert residents.search_residents(session=session, principal=staff, query="  ")[1] > 0


def test_a_search_counts_up_to_the_limit_and_pages_within_it(session):
    from lbt_app.services.listing import COUNT_LIMIT
    from lbt_app.states.paging import describe_page

    staff = principal(session, "staff")
    _import(session, staff, [("Каримов", "Алишер", f"K{i:07d}") for i in range(COUNT_LIMIT + 5)])
    rows, total = residents.search_residents(session=session, principal=staff, query="карим")
    assert total == COUNT_LIMIT + 1 and len(rows) == residents.PAGE_SIZE
    last, _ = residents.search_residents(session=session, principal=staff, query="карим", page=999)
    pages = COUNT_LIMIT // residents.PAGE_SIZE
    assert last[-1].document_number == f"K{COUNT_LIMIT + 4 - pages * residents.PAGE_SIZE + 1:07d}"
    assert describe_page(2, pages, total, "en") == "Page 2 of 50 · over 1,000 results"
