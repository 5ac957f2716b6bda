"""The refusal list: an administrator adds and lifts entries; eligibility reads only the entries
in force (not lifted, last day not passed in the agreement's calendar)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from lbt_app.core.access import AccessDenied
from lbt_app.db.models import AuditEvent, RefusalEntry
from lbt_app.i18n import t
from lbt_app.services import applications, audit, oversight, refusals
from lbt_app.services.refusals import RefusalError, RefusalFormError
from lbt_app.states.admin_refusals import AdminRefusalsState
from tests.app.factories import principal
from tests.app.test_states import _client, _sub
from tests.conftest import NOW

# 09:00 UTC is 14:00 in Dushanbe (UTC+5): the agreement's day is the same date here.
TODAY = NOW.date()


def _form(**changes) -> dict:
    return {
        "authority": "TJ-SGD-LBT",
        "full_name": "Sharipov Davlat",
        "document_number": " ab 12 345 67 ",
        "reason": "Overstayed twice",
        "until": "",
    } | changes


def _sharipov_eligibility(session) -> dict[str, bool]:
    staff = principal(session, "staff")
    (pending,) = applications.queue(session=session, principal=staff, today=TODAY)
    return pending.eligibility


def _add(session, **changes) -> RefusalEntry:
    entry = refusals.add(
        session=session, principal=principal(session, "admin"), form=_form(**changes), now=NOW
    )
    session.commit()
    return entry


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_an_entry_is_kept_with_the_number_normalised_and_audited(session):
    entry = _add(session)
    assert entry.document_number == "AB1234567"
    assert entry.added_by_id == principal(session, "admin").user_id
    (event,) = _events(session, "refusal_added")
    assert event.actor == "admin" and event.subject == "AB1234567"
    assert event.detail["authority"] == "TJ-SGD-LBT"
    assert event.detail["after"] == {
        "full_name": "Sharipov Davlat",
        "reason": "Overstayed twice",
        "until": "",
        "status": "in_force",
    }


def test_the_applicant_on_the_list_is_not_eligible_until_lifted(session):
    number = _pending_document(session)
    assert _sharipov_eligibility(session)["not_refused"] is True
    entry = _add(session, document_number=number.lower())
    assert _sharipov_eligibility(session)["not_refused"] is False
    refusals.lift(
        session=session, principal=principal(session, "admin"), entry_id=entry.id, now=NOW
    )
    session.commit()
    assert _sharipov_eligibility(session)["not_refused"] is True
    (event,) = _events(session, "refusal_lifted")
    assert event.detail["before"] == {"status": "in_force"}
    assert event.detail["after"] == {"status": "lifted"}
    assert session.get(RefusalEntry, entry.id).lifted_at is not None


def _pending_document(session) -> str:
    staff = principal(session, "staff")
    (pending,) = applications.queue(session=session, principal=staff, today=TODAY)
    return pending.resident.document_number


def test_an_entry_counts_through_its_last_day_and_not_after(session):
    number = _pending_document(session)
    _add(session, document_number=number, until=TODAY.isoformat())
    assert _sharipov_eligibility(session)["not_refused"] is False
    staff = principal(session, "staff")
    tomorrow = TODAY + timedelta(days=1)
    (pending,) = applications.queue(session=session, principal=staff, today=tomorrow)
    assert pending.eligibility["not_refused"] is True


def test_the_last_day_is_the_agreements_calendar_day(session):
    # 20:00 UTC on the 29th is already the 30th in Dushanbe: an entry until the 29th has ended.
    late = NOW.replace(hour=20)
    with pytest.raises(RefusalFormError) as raised:
        refusals.add(
            session=session,
            principal=principal(session, "admin"),
            form=_form(until=TODAY.isoformat()),
            now=late,
        )
    assert raised.value.errors == {"until": refusals.PAST_DATE}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"full_name": "  "}, {"full_name": refusals.REQUIRED}),
        ({"reason": ""}, {"reason": refusals.REQUIRED}),
        ({"document_number": ""}, {"document_number": refusals.REQUIRED}),
        ({"full_name": "A" * 201}, {"full_name": refusals.TOO_LONG}),
        ({"reason": "x" * 501}, {"reason": refusals.TOO_LONG}),
        ({"document_number": "AB-12"}, {"document_number": refusals.BAD_DOCUMENT}),
        ({"full_name": "Ali\u202eEvil"}, {"full_name": refusals.BAD_CHARACTERS}),
        ({"authority": "UZ-FRG-BS"}, {"authority": refusals.UNKNOWN_AUTHORITY}),
        ({"authority": "NO-SUCH"}, {"authority": refusals.UNKNOWN_AUTHORITY}),
        ({"until": "2026-13-01"}, {"until": refusals.BAD_DATE}),
        ({"until": (TODAY - timedelta(days=1)).isoformat()}, {"until": refusals.PAST_DATE}),
    ],
)
def test_bad_input_says_why_and_writes_nothing(session, changes, errors):
    before = _count(session, RefusalEntry), _count(session, AuditEvent)
    with pytest.raises(RefusalFormError) as raised:
        refusals.add(
            session=session, principal=principal(session, "admin"), form=_form(**changes), now=NOW
        )
    assert raised.value.errors == errors
    session.rollback()
    assert (_count(session, RefusalEntry), _count(session, AuditEvent)) == before


def test_the_same_number_twice_on_one_list_is_refused(session):
    _add(session)
    with pytest.raises(RefusalFormError) as raised:
        _add(session, document_number="AB1234567")
    assert raised.value.errors == {"document_number": refusals.ALREADY_LISTED}


def test_lifting_twice_or_a_missing_entry_is_refused(session):
    admin = principal(session, "admin")
    entry = _add(session)
    refusals.lift(session=session, principal=admin, entry_id=entry.id, now=NOW)
    with pytest.raises(RefusalError, match="already been lifted"):
        refusals.lift(session=session, principal=admin, entry_id=entry.id, now=NOW)
    with pytest.raises(RefusalError, match="No such entry"):
        refusals.lift(session=session, principal=admin, entry_id=99999, now=NOW)


def test_the_list_is_searched_by_name_or_number_and_shows_the_status(session):
    _add(session)
    _add(session, full_name="Karimova Nilufar", document_number="CD7654321", until="2026-12-01")
    admin = principal(session, "admin")
    found, total = refusals.search(session=session, principal=admin, query="karimova", now=NOW)
    assert total == 1 and found[0].entry.document_number == "CD7654321"
    found, total = refusals.search(session=session, principal=admin, query="ab 1234", now=NOW)
    assert total == 1 and found[0].entry.full_name == "Sharipov Davlat"
    later = NOW + timedelta(days=10)
    found, total = refusals.search(session=session, principal=admin, query="", now=later)
    assert total == 2
    assert {r.entry.document_number: r.status for r in found} == {
        "CD7654321": refusals.EntryStatus.ENDED,
        "AB1234567": refusals.EntryStatus.IN_FORCE,
    }


def test_other_roles_cannot_use_the_service(session):
    for username in ["staff", "officer1", "farhod"]:
        who = principal(session, username)
        with pytest.raises(AccessDenied):
            refusals.add(session=session, principal=who, form=_form(), now=NOW)
        with pytest.raises(AccessDenied):
            refusals.search(session=session, principal=who, query="", now=NOW)
    with pytest.raises(AccessDenied):
        refusals.lift(session=session, principal=None, entry_id=1, now=NOW)
    assert _count(session, RefusalEntry) == 0


def test_the_audit_sentences_name_the_change(session):
    entry = _add(session)
    refusals.lift(
        session=session, principal=principal(session, "admin"), entry_id=entry.id, now=NOW
    )
    session.commit()
    added, lifted = _events(session, "refusal_added")[0], _events(session, "refusal_lifted")[0]
    text = oversight.describe(added, "en", {})
    assert text.sentence == "admin put document AB1234567 on the refusal list of TJ-SGD-LBT"
    assert ("After", "Full name: Sharipov Davlat; Reason: Overstayed twice; Status: In force") in (
        text.fields
    )
    russian = oversight.describe(lifted, "ru", {})
    assert ("До изменения", "Статус: Действует") in russian.fields


# The state: what the page's buttons send, and what forged events get.


def _state(username: str | None = "admin") -> AdminRefusalsState:
    state = _sub(_client(username), AdminRefusalsState)
    if username == "admin":
        AdminRefusalsState.load.fn(state)
    return state


def test_the_page_adds_lists_and_lifts_in_the_admins_language(db_url, session):
    state = _state()
    assert state.authorities == [
        {
            "value": "TJ-SGD-LBT",
            "label": "Sughd Region Local Border Traffic Office · "
            "Tajikistan–Uzbekistan local border traffic",
        }
    ]
    AdminRefusalsState.open_add.fn(state)
    AdminRefusalsState.add_entry.fn(state, _form(until="2027-01-31"))
    assert not state.adding and state.form_errors == {}
    (row,) = state.rows
    assert row["document"] == "AB1234567" and row["status_label"] == "In force"
    assert row["until"] == "Jan 31, 2027" and row["lifted"] == ""
    assert state.page_words == "Page 1 of 1 · 1 result"
    AdminRefusalsState.ask_lift.fn(state, row["id"])
    assert state.lifting == {"id": row["id"], "name": "Sharipov Davlat", "document": "AB1234567"}
    AdminRefusalsState.confirm_lift.fn(state)
    assert state.lifting == {} and state.rows[0]["status"] == "lifted"
    assert state.rows[0]["lifted"] != ""
    state.lang_choice = "ru"
    AdminRefusalsState.load.fn(state)
    assert state.rows[0]["until"] == "31 янв. 2027\u202fг."
    assert t(state.rows[0]["status_label"], "ru") == "Снято"


def test_the_page_keeps_the_form_open_with_the_reasons(db_url, session):
    state = _state()
    AdminRefusalsState.open_add.fn(state)
    AdminRefusalsState.add_entry.fn(state, _form(full_name="", until="2020-01-01"))
    assert state.adding
    assert state.form_errors == {"full_name": refusals.REQUIRED, "until": refusals.PAST_DATE}
    assert _count(session, RefusalEntry) == 0


def test_only_an_entry_shown_can_be_asked_about_and_the_list_is_searched(db_url, session):
    _add(session)
    state = _state()
    AdminRefusalsState.ask_lift.fn(state, "99999")
    assert state.lifting == {}
    AdminRefusalsState.confirm_lift.fn(state)  # nothing was asked: nothing lifted
    assert _events(session, "refusal_lifted") == []
    AdminRefusalsState.search.fn(state, {"query": "nobody"})
    assert state.rows == [] and state.page_words == "Nothing found."
    AdminRefusalsState.search.fn(state, {"query": "sharipov"})
    assert len(state.rows) == 1


HANDLERS = {
    "load": (),
    "search": ({"query": ""},),
    "go_to_page": (1,),
    "open_add": (),
    "close_add": (),
    "add_entry": (_form(),),
    "ask_lift": ("1",),
    "cancel_lift": (),
    "confirm_lift": (),
}


def test_every_handler_is_listed_here():
    assert set(HANDLERS) == set(AdminRefusalsState.event_handlers) - {"setvar"}


@pytest.mark.parametrize("username", [None, "staff", "officer1", "farhod"])
def test_every_handler_is_refused_to_other_roles_and_audited(db_url, session, username):
    _add(session)
    entry_id = session.exec(select(RefusalEntry.id)).one()
    for name, args in HANDLERS.items():
        state = _state(username)
        state.lifting = {"id": str(entry_id), "name": "x", "document": "x"}  # as if asked
        result = getattr(AdminRefusalsState, name).fn(state, *args)
        assert result is not None, name
        assert state.rows == [] and state.authorities == [], name
    assert _count(session, RefusalEntry) == 1
    assert session.get(RefusalEntry, entry_id).lifted_at is None
    denied = _events(session, audit.REFUSED)
    assert {e.detail["handler"] for e in denied} == {AdminRefusalsState.get_full_name()}
