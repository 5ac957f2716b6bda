"""The demo data every later test builds on."""

from sqlmodel import func, select

from lbt_app.core.access import Role
from lbt_app.db.models import (
    Agreement,
    Application,
    ApplicationStatus,
    CrossingPoint,
    Permit,
    Resident,
    User,
)
from lbt_app.services import audit
from lbt_app.services.auth import verify_password
from lbt_app.services.demo import LOGINS
from lbt_app.services.permits import effective_status
from tests.conftest import NOW


def test_one_agreement_with_three_crossing_points(session):
    agreement = session.exec(select(Agreement)).one()
    assert (agreement.country_a, agreement.country_b) == ("TJK", "UZB")
    assert agreement.max_stay_days == 30
    assert agreement.max_validity_years == 5
    assert session.exec(select(func.count()).select_from(CrossingPoint)).one() == 3


def test_permits_in_every_state_and_one_pending_application(session):
    statuses = {str(effective_status(p, NOW.date())) for p in session.exec(select(Permit))}
    assert statuses == {"active", "suspended", "revoked", "expired"}
    pending = session.exec(
        select(Application).where(Application.status == ApplicationStatus.SUBMITTED)
    ).all()
    assert len(pending) == 1


def test_residents_have_both_scripts_and_photos(session):
    residents = session.exec(select(Resident)).all()
    assert len(residents) >= 8
    for r in residents:
        assert r.photo_id is not None
        assert r.surname_latin.isascii() and not r.surname_native.isascii()
    assert any(
        ch in "ғӣқӯҳҷҒӢҚӮҲҶ" for r in residents for ch in r.surname_native + r.given_names_native
    )


def test_demo_logins_are_hashed_and_cover_every_role(session):
    users = {u.username: u for u in session.exec(select(User))}
    assert {login.role for login in LOGINS} == set(Role)
    officers = [users[x.username] for x in LOGINS if x.role is Role.OFFICER]
    assert len({o.crossing_point_id for o in officers}) == 2
    for login in LOGINS:
        user = users[login.username]
        assert login.password not in user.password_hash
        assert user.password_hash.startswith("$argon2")
        assert verify_password(login.password, user.password_hash)


def test_demo_permits_carry_real_signed_payloads(session):
    for permit in session.exec(select(Permit)):
        assert permit.payload.startswith("LBT1:")
        assert permit.kid


def test_demo_audit_chain_is_intact(session):
    check = audit.verify_chain(session=session)
    assert check.ok and check.events > 0
