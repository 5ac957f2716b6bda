"""`GET /photo/<capability>`: the holder's photo for whoever a checked handler gave the address,
privately cached; a forged, expired or foreign address gets 404 and never a photo. The pages'
states carry such addresses, not the photos' bytes."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import httpx
from sqlmodel import select

from lbt_app.db.models import Document, Permit, Resident
from lbt_app.db.types import utcnow
from lbt_app.endpoints import api
from lbt_app.services import photos
from lbt_app.states.applications import ApplicationsState
from lbt_app.states.officer import OfficerState
from lbt_app.states.residents import ResidentsState
from lbt_app.states.wallet import WalletState
from tests.app.test_states import _client, _sub


async def _ask(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://lbt") as client:
        return await client.get(path)


def _get(path: str) -> httpx.Response:
    return asyncio.run(_ask(path))


def _portraits(session) -> list[bytes]:
    residents = session.exec(select(Resident).order_by(Resident.id)).all()
    return [session.get(Document, r.photo_id).data for r in residents if r.photo_id][:2]


def test_a_minted_address_answers_the_photo_privately_cached(db_url, session):
    mine, _ = _portraits(session)
    answer = _get(photos.photo_url(mine, utcnow()))
    assert answer.status_code == 200 and answer.content == mine
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["x-content-type-options"] == "nosniff"
    policy, age = answer.headers["cache-control"].split(", max-age=")
    assert policy == "private" and 3000 < int(age) <= 7200


def test_forged_expired_and_other_residents_addresses_get_404_and_no_photo(db_url, session):
    mine, theirs = _portraits(session)
    url = photos.photo_url(mine, utcnow())
    digest, expires, tag = url.rsplit("/", 1)[1].split(".")
    their_digest = photos.photo_url(theirs, utcnow()).rsplit("/", 1)[1].split(".")[0]
    pdf = b"%PDF-1.4 a lease"
    session.add(
        Document(
            kind="proof_of_residence",
            content_type="application/pdf",
            sha256=hashlib.sha256(pdf).hexdigest(),
            data=pdf,
            created_at=utcnow(),
        )
    )
    session.commit()
    refused = [
        url[:-2] + ("AA" if not url.endswith("AA") else "BB"),  # forged
        photos.photo_url(mine, utcnow() - timedelta(hours=3)),  # expired
        f"/photo/{their_digest}.{expires}.{tag}",  # my address, another resident's photo
        f"/photo/{digest}.{int(expires) + 86_400}.{tag}",  # a longer life
        "/photo/1",  # a plain id
    ]
    refused.append(photos.photo_url(pdf, utcnow()))  # a PDF opens as a download, never here
    for path in refused:
        answer = _get(path)
        assert pdf not in answer.content
        assert answer.status_code == 404, path
        assert mine not in answer.content and theirs not in answer.content
        assert answer.headers["cache-control"] == "no-store"


def test_officer_wallet_residents_and_review_states_carry_addresses_not_data(db_url, session):
    number = session.exec(select(Permit.number).order_by(Permit.id)).first()
    officer = _sub(_client("officer1"), OfficerState)
    asyncio.run(OfficerState.check_number.fn(officer, {"number": number}))

    wallet = _sub(_client("farhod"), WalletState)
    WalletState.load.fn(wallet)

    staff = _sub(_client("staff"), ResidentsState)
    ResidentsState.load.fn(staff)
    ResidentsState.search.fn(staff, {"query": ""})
    ResidentsState.open_resident.fn(staff, staff.rows[0]["id"])

    desk = _sub(_client("staff"), ApplicationsState)
    ApplicationsState.load.fn(desk)
    ApplicationsState.select.fn(desk, desk.rows[0]["id"])  # the demo's proof is an image

    for shown in [officer.photo, wallet.card["photo"], staff.file["photo"], desk.proof]:
        assert shown.startswith("/photo/") and "data:" not in shown
        answer = _get(shown)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/")
