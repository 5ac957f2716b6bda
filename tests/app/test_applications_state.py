"""The application review: whose application it is, its proof opens as a file (a PDF too)."""

from __future__ import annotations

import base64
import re

from sqlmodel import select

from lbt_app.db.models import Resident
from lbt_app.services import applications
from lbt_app.states.applications import ApplicationsState
from tests.app.factories import principal
from tests.app.test_states import _client, _sub
from tests.conftest import NOW

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _downloaded(result) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of a download event; empty where there is none."""
    text = str(result)
    url = re.search(r"data:([\w/.+-]+);base64,([A-Za-z0-9+/=]+)", text)
    name = re.search(r"proof-\d+\.\w+", text)
    if not url or not name:
        return "", "", b""
    return name.group(0), url.group(1), base64.b64decode(url.group(2))


def test_the_review_names_the_applicant_and_opens_its_proof(db_url, session):
    state = _sub(_client("staff"), ApplicationsState)
    ApplicationsState.load.fn(state)
    (row,) = state.rows
    # the permit's border area offered by its name; the code is what the choice sends
    assert state.areas == [{"code": "UZ-FRG", "name": "Fergana border districts"}]
    assert state.area == "UZ-FRG"
    ApplicationsState.set_area.fn(state, "TJ-SGD")  # the applicant's own side: not offered
    assert state.area == "UZ-FRG"
    shown = ApplicationsState.select.fn(state, row["id"])
    assert "scrollIntoView" in str(shown)
    davlat = session.exec(select(Resident).where(Resident.surname_latin == "SHARIPOV")).one()
    assert state.applicant["latin"] == "SHARIPOV DAVLAT"
    assert state.applicant["document"] == davlat.document_number
    assert state.applicant["birth_date"] and state.applicant["since"]
    name, content_type, data = _downloaded(ApplicationsState.download_proof.fn(state))
    proof = applications.proof_of(session, principal(session, "staff"), int(row["id"]))
    assert (name, content_type, data) == (
        f"proof-{row['id']}.{'png' if proof.content_type == 'image/png' else 'jpg'}",
        proof.content_type,
        proof.data,
    )


def test_a_pdf_proof_opens_as_a_pdf_file(db_url, session):
    staff = principal(session, "staff")
    nazarova = session.exec(select(Resident).where(Resident.surname_latin == "NAZAROVA")).one()
    application = applications.submit(
        session=session, principal=staff, resident_id=nazarova.id, proof=PDF, now=NOW
    )
    session.commit()
    state = _sub(_client("staff"), ApplicationsState)
    ApplicationsState.load.fn(state)
    ApplicationsState.select.fn(state, str(application.id))
    assert state.proof_is_pdf and state.proof == ""  # not shown inline: it opens as a file
    name, content_type, data = _downloaded(ApplicationsState.download_proof.fn(state))
    assert (name, content_type, data) == (f"proof-{application.id}.pdf", "application/pdf", PDF)


def test_other_roles_get_no_proof(db_url):
    for username in [None, "officer1", "farhod", "admin"]:
        state = _sub(_client(username), ApplicationsState)
        state.selected = 1  # forged into its state
        assert _downloaded(ApplicationsState.download_proof.fn(state)) == ("", "", b"")
