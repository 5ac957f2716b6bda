"""Key rotation and revocation, issuing and renewal, through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from lbt_app.core.access import AccessDenied
from lbt_app.core.keys import KeyDecryptionError
from lbt_app.core.verdict import Code
from lbt_app.core.verify import TrustList, verify
from lbt_app.db.models import Authority, KeyStatus, Permit, SigningKey
from lbt_app.services import issuing, keys
from lbt_app.services.issuing import IssueError, IssueRequest
from lbt_app.settings import get_settings
from tests.app.factories import permit_of, principal
from tests.conftest import NOW


def _authority(session) -> Authority:
    return session.exec(select(Authority).where(Authority.code == "TJ-SGD-LBT")).one()


def test_private_keys_are_stored_encrypted(session):
    row = session.exec(select(SigningKey)).first()
    pair = keys.signing_key(
        session=session, authority_id=row.authority_id, kek=get_settings().key_encryption_key()
    )
    raw = pair.private_key.private_bytes_raw()
    assert raw not in row.private_key_encrypted
    with pytest.raises(KeyDecryptionError):
        keys.signing_key(session=session, authority_id=row.authority_id, kek=bytes(32))


def test_rotation_retires_the_old_key_which_keeps_verifying(session):
    old = permit_of(session, "RAHIMOV")
    kek = get_settings().key_encryption_key()
    new_key = keys.rotate(session=session, authority_code="TJ-SGD-LBT", kek=kek, now=NOW)
    trust = keys.trust_list(session=session)
    assert trust[old.kid].status == "retired" and trust[new_key.kid].status == "active"
    assert verify(old.payload, trust, NOW).code is Code.VALID
    fresh = issuing.issue_permit(
        session=session,
        authority=_authority(session),
        kek=kek,
        now=NOW,
        request=IssueRequest(
            resident_id=principal(session, "davlat").resident_id,  # holds no permit yet
            border_area_code="UZ-FRG",
            crossing_point_codes=("PATAR",),
            valid_from=NOW.date(),
            valid_until=NOW.date() + timedelta(days=365),
        ),
    )
    assert fresh.kid == new_key.kid
    assert verify(fresh.payload, trust, NOW).code is Code.VALID


def test_a_revoked_key_fails_its_permits_with_a_clear_reason(session):
    permit = permit_of(session, "RAHIMOV")
    keys.revoke(session=session, kid=permit.kid, now=NOW)
    verdict = verify(permit.payload, keys.trust_list(session=session), NOW)
    assert verdict.code is Code.KEY_REVOKED
    assert "revoked" in verdict.reasons[0]
    row = session.exec(select(SigningKey).where(SigningKey.kid == permit.kid)).one()
    assert row.status is KeyStatus.REVOKED


def test_the_trust_list_travels_as_json_without_private_keys(session):
    trust = keys.trust_list(session=session)
    text = trust.to_json()
    assert "private" not in text
    assert TrustList.from_json(text).keys() == trust.keys()
    assert (
        verify(permit_of(session, "RAHIMOV").payload, TrustList.from_json(text), NOW).code
        is Code.VALID
    )


def test_issuing_refuses_what_the_agreement_does_not_allow(session):
    kek = get_settings().key_encryption_key()
    resident_id = permit_of(session, "RAHIMOV").resident_id
    start = date(2027, 1, 1)
    bad = [
        IssueRequest(resident_id, "UZ-FRG", ("PATAR",), start, start.replace(year=2032)),
        IssueRequest(resident_id, "UZ-FRG", ("NOWHERE",), start, start.replace(year=2028)),
        IssueRequest(resident_id, "XX-YYY", ("PATAR",), start, start.replace(year=2028)),
        IssueRequest(resident_id, "UZ-FRG", ("PATAR",), start, start - timedelta(days=1)),
    ]
    before = len(session.exec(select(Permit)).all())
    for request in bad:
        with pytest.raises(IssueError):
            issuing.issue_permit(
                session=session, authority=_authority(session), kek=kek, now=NOW, request=request
            )
    assert len(session.exec(select(Permit)).all()) == before


def _renew(session, number: str, years: int) -> Permit:
    return issuing.renew(
        session=session,
        principal=principal(session, "staff"),
        number=number,
        years=years,
        kek=get_settings().key_encryption_key(),
        now=NOW,
    )


def test_renewal_starts_the_day_after_the_old_permit_ends(session):
    old = permit_of(session, "RAHIMOV")
    new = _renew(session, old.number, 5)
    assert new.valid_from == old.valid_until + timedelta(days=1)
    assert new.valid_until == date(
        new.valid_from.year + 5, new.valid_from.month, new.valid_from.day
    ) - timedelta(days=1)
    trust = keys.trust_list(session=session)
    assert verify(new.payload, trust, NOW).code is Code.NOT_YET_VALID
    starts = NOW.replace(
        year=new.valid_from.year, month=new.valid_from.month, day=new.valid_from.day
    )
    assert verify(new.payload, trust, starts).code is Code.VALID


def test_a_permit_renewed_already_is_not_renewed_again(session):
    old = permit_of(session, "RAHIMOV")
    _renew(session, old.number, 2)
    before = len(session.exec(select(Permit)).all())
    with pytest.raises(IssueError, match="already holds a usable permit"):
        _renew(session, old.number, 2)
    assert len(session.exec(select(Permit)).all()) == before


def test_revoked_permits_cannot_be_renewed_and_others_cannot_renew(session):
    with pytest.raises(IssueError):
        issuing.renew(
            session=session,
            principal=principal(session, "staff"),
            number=permit_of(session, "GHAFUROVA").number,
            years=1,
            kek=get_settings().key_encryption_key(),
            now=NOW,
        )
    with pytest.raises(AccessDenied):
        issuing.renew(
            session=session,
            principal=principal(session, "officer1"),
            number=permit_of(session, "RAHIMOV").number,
            years=1,
            kek=get_settings().key_encryption_key(),
            now=NOW,
        )
