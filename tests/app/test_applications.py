"""Applications: queue, eligibility rule by rule, approval through the core, rejection."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlmodel import select

from lbt_app.core.access import AccessDenied
from lbt_app.core.verdict import Code
from lbt_app.db.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Permit,
    RefusalEntry,
    Resident,
)
from lbt_app.services import applications, checks
from lbt_app.services.applications import ApplicationError
from lbt_app.services.issuing import IssueError
from lbt_app.settings import get_settings
from tests.app.factories import online_record, permit_of, portrait_jpeg, principal
from tests.conftest import NOW

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _staff(session):
    return principal(session, "staff")


def _pending(session):
    return applications.queue(session=session, principal=_staff(session), today=NOW.date())


def _approve(session, application_id, years=2, points=("FOTEHOBOD", "PATAR")):
    return applications.approve(
        session=session,
        principal=_staff(session),
        application_id=application_id,
        years=years,
        points=list(points),
        kek=get_settings().key_encryption_key(),
        now=NOW,
    )


def test_the_queue_shows_davlats_application_eligible(session):
    (pending,) = _pending(session)
    assert pending.resident.surname_latin == "SHARIPOV" and pending.eligible
    assert set(pending.eligibility) == set(applications.RULES)


def test_approval_issues_a_permit_that_verifies_valid_and_closes_the_application(session):
    (pending,) = _pending(session)
    permit = _approve(session, pending.application.id, years=5)
    assert permit.valid_from == NOW.date()
    assert permit.valid_until == date(2031, 11, 28)
    check = checks.assess(session=session, text=permit.payload, now=NOW, point_code="PATAR")
    assert check.verdict.code is Code.VALID and check.resident.id == pending.resident.id
    application = session.get(Application, pending.application.id)
    assert application.status is ApplicationStatus.APPROVED
    assert _pending(session) == []
    actions = [
        e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).all()
    ][:2]
    assert actions == ["application_approved", "permit_issued"]
    with pytest.raises(ApplicationError, match="already been decided"):
        _approve(session, pending.application.id)


@pytest.mark.parametrize(
    ("years", "points"), [(6, ("PATAR",)), (0, ("PATAR",)), (1, ()), (1, ("NOWHERE",))]
)
def test_approval_within_the_agreement_only(session, years, points):
    (pending,) = _pending(session)
    with pytest.raises(IssueError):  # ApplicationError is one too
        _approve(session, pending.application.id, years=years, points=points)
    session.rollback()
    assert len(_pending(session)) == 1


def test_each_rule_can_make_an_applicant_ineligible(session):
    (pending,) = _pending(session)
    resident = session.get(Resident, pending.resident.id)
    resident.residence_since = NOW.date() - timedelta(days=200)
    session.add(resident)
    session.flush()
    (again,) = _pending(session)
    assert again.eligibility["long_enough"] is False and not again.eligible
    with pytest.raises(ApplicationError, match="not eligible"):
        _approve(session, pending.application.id)
    resident.residence_since = date(2000, 1, 1)
    session.add(
        RefusalEntry(
            authority_id=_staff(session).authority_id,
            document_number=resident.document_number,
            reason="Smuggling conviction",
        )
    )
    session.flush()
    assert _pending(session)[0].eligibility["not_refused"] is False


def test_someone_with_a_valid_permit_is_not_eligible_again(session):
    farhod = permit_of(session, "RAHIMOV")
    application = applications.submit(
        session=session,
        principal=_staff(session),
        resident_id=farhod.resident_id,
        proof=PNG,
        now=NOW,
    )
    found = next(p for p in _pending(session) if p.application.id == application.id)
    assert found.eligibility == {
        "lives_in_area": True,
        "long_enough": True,
        "no_valid_permit": False,
        "not_refused": True,
        "document_free": True,
    }


def test_rejection_needs_a_reason_the_resident_will_see(session):
    (pending,) = _pending(session)
    with pytest.raises(ApplicationError):
        applications.reject(
            session=session,
            principal=_staff(session),
            application_id=pending.application.id,
            reason="  ",
            now=NOW,
        )
    applications.reject(
        session=session,
        principal=_staff(session),
        application_id=pending.application.id,
        reason="Proof of residence is older than six months",
        now=NOW,
    )
    application = session.get(Application, pending.application.id)
    assert application.status is ApplicationStatus.REJECTED
    assert application.reason == "Proof of residence is older than six months"


def test_a_desk_application_needs_a_real_proof_and_only_one_waiting(session):
    resident = permit_of(session, "GHAFUROVA").resident_id
    staff = _staff(session)
    for bad in [b"GIF89a....", b"\xff\xd8\xff" + b"\0" * applications.MAX_PROOF_BYTES]:
        with pytest.raises(ApplicationError):
            applications.submit(
                session=session, principal=staff, resident_id=resident, proof=bad, now=NOW
            )
    applications.submit(session=session, principal=staff, resident_id=resident, proof=PNG, now=NOW)
    with pytest.raises(ApplicationError, match="already has an application"):
        applications.submit(
            session=session, principal=staff, resident_id=resident, proof=PNG, now=NOW
        )


@pytest.mark.parametrize("username", ["officer1", "farhod", "admin"])
def test_forged_approve_or_reject_from_other_roles_change_nothing(session, username):
    (pending,) = _pending(session)
    other = principal(session, username)
    with pytest.raises(AccessDenied):
        applications.approve(
            session=session,
            principal=other,
            application_id=pending.application.id,
            years=1,
            points=["PATAR"],
            kek=get_settings().key_encryption_key(),
            now=NOW,
        )
    with pytest.raises(AccessDenied):
        applications.reject(
            session=session,
            principal=other,
            application_id=pending.application.id,
            reason="x",
            now=NOW,
        )
    assert len(_pending(session)) == 1
    assert (
        session.exec(select(Permit).where(Permit.application_id == pending.application.id)).all()
        == []
    )


def test_staff_of_another_agreement_see_no_queue_and_cannot_decide(session):
    (pending,) = _pending(session)
    stranger = dataclasses.replace(_staff(session), agreement_id=999)
    assert applications.queue(session=session, principal=stranger, today=NOW.date()) == []
    with pytest.raises(ApplicationError):
        applications.reject(
            session=session,
            principal=stranger,
            application_id=pending.application.id,
            reason="x",
            now=NOW,
        )


def _applicant(session, username):
    """A new account that applies online, as the wallet does."""
    from lbt_app.services import auth

    signed = auth.sign_up(
        session=session,
        username=username,
        password="a-long-password",
        full_name="Applicant",
        address="203.0.113.9",
        now=NOW,
    )
    return signed.principal


def _apply_online(session, applicant, document_number):
    return applications.apply_online(
        session=session,
        principal=applicant,
        raw=online_record(document_number),
        photo=portrait_jpeg(),
        proof=b"%PDF-1.4 proof",
        now=NOW,
    )


def _seen_by_applicant(session, applicant, outcome):
    """What the applicant can learn: the answer and their own applications."""
    application, errors = outcome
    mine = applications.own_applications(
        session=session, principal=principal(session, applicant.username)
    )
    return (
        application is not None,
        errors,
        [(a.status, a.reason, a.authority_id) for a in mine],
    )


def test_applying_online_tells_nothing_about_a_registered_document_number(session):
    registered = permit_of(session, "RAHIMOV")
    taken = session.get(Resident, registered.resident_id).document_number
    impostor, newcomer = _applicant(session, "impostor"), _applicant(session, "newcomer")
    with_taken = _apply_online(session, impostor, taken)
    with_fresh = _apply_online(session, newcomer, "N7654321")
    assert _seen_by_applicant(session, impostor, with_taken) == _seen_by_applicant(
        session, newcomer, with_fresh
    )
    assert with_taken[1] == {} and with_taken[0].status is ApplicationStatus.SUBMITTED

    # The reviewer sees the conflict as a failed rule, and cannot approve it.
    queue = {p.application.id: p for p in _pending(session)}
    conflict, fresh = queue[with_taken[0].id], queue[with_fresh[0].id]
    assert conflict.eligibility["document_free"] is False and not conflict.eligible
    assert fresh.eligibility["document_free"] is True and fresh.eligible
    assert applications.RULES["document_free"] == "Document number registered to no one else"
    with pytest.raises(ApplicationError, match="not eligible"):
        _approve(session, conflict.application.id)
    # The registered holder is untouched: their own renewal is still eligible.
    renewal = applications.submit(
        session=session,
        principal=_staff(session),
        resident_id=registered.resident_id,
        proof=PNG,
        now=NOW,
    )
    holder = next(p for p in _pending(session) if p.application.id == renewal.id)
    assert holder.eligibility["document_free"] is True


def test_an_approval_confirms_the_record_and_its_number_becomes_taken(session):
    first = _apply_online(session, _applicant(session, "first.one"), "N1112223")
    second = _apply_online(session, _applicant(session, "second.one"), "N1112223")
    queue = {p.application.id: p for p in _pending(session)}
    assert queue[first[0].id].eligibility["document_free"] is False  # two claim one number
    applications.reject(
        session=session,
        principal=_staff(session),
        application_id=second[0].id,
        reason="Not the holder of this document",
        now=NOW,
    )
    _approve(session, first[0].id)  # a rejected claim no longer stands in the way
    assert session.get(Resident, first[0].resident_id).self_declared is False
    third = _apply_online(session, _applicant(session, "third.one"), "N1112223")
    assert third[1] == {}
    queue = {p.application.id: p for p in _pending(session)}
    assert queue[third[0].id].eligibility["document_free"] is False
