"""Two-step sign-in: who is asked, enrolment, codes, recovery codes, the throttle; the forced
password change and switched-off accounts."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlmodel import select

from lbt_app.core import second_factor as totp
from lbt_app.core.access import AccessDenied
from lbt_app.db.models import AuditEvent, AuthAttempt, LoginSession, RecoveryCode, User
from lbt_app.services import auth, second_factor
from lbt_app.settings import get_settings
from tests.app.factories import principal
from tests.conftest import NOW

ADDRESS = "198.51.100.7"
STEP = timedelta(seconds=totp.STEP_SECONDS)


@pytest.fixture
def required(db_url, monkeypatch):
    monkeypatch.setenv("LBT_SECOND_FACTOR", "required")
    get_settings.cache_clear()


def _sign_in(session, username, password=None, now=NOW):
    return auth.sign_in(
        session=session,
        username=username,
        password=password or f"{username}-demo-2026",
        address=ADDRESS,
        now=now,
    )


def _code(session, result, code, now=NOW):
    return auth.give_code(
        session=session, user_id=result.user_id, code=code, address=ADDRESS, now=now
    )


def _user(session, username) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _secret(enrolment: second_factor.Enrolment) -> bytes:
    return base64.b32decode(enrolment.secret.replace(" ", ""))


def _at(secret: bytes, now=NOW) -> str:
    return totp.code_at(secret, int(now.timestamp()))


def _actions(session, action):
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def _confirm(session, started, code, sealed=None):
    return auth.confirm_enrolment(
        session=session,
        user_id=started.user_id,
        sealed=sealed or started.enrolment.sealed,
        code=code,
        address=ADDRESS,
        now=NOW,
    )


def _enrol(session, username) -> tuple[bytes, list[str]]:
    """Enrol through the sign-in steps (the installation requires it for staff and admins)."""
    started = _sign_in(session, username)
    assert started.step == auth.ENROL and started.token is None
    secret = _secret(started.enrolment)
    confirmed = _confirm(session, started, _at(secret))
    assert confirmed.step == auth.SAVE_CODES
    entered = auth.codes_saved(session=session, user_id=started.user_id, address=ADDRESS, now=NOW)
    assert entered.token is not None
    return secret, list(confirmed.recovery_codes)


def test_staff_must_enrol_and_the_session_opens_only_after_the_last_step(session, required):
    started = _sign_in(session, "staff")
    assert started.step == auth.ENROL and started.error is None and started.token is None
    assert started.enrolment.qr.startswith("data:image/png;base64,")
    secret = _secret(started.enrolment)
    staff = _user(session, "staff")
    assert staff.totp_secret_sealed is None and secret not in started.enrolment.sealed

    wrong = _confirm(session, started, "000000")
    assert wrong.error == auth.WRONG_CODE and wrong.step == auth.ENROL
    assert [e.actor for e in _actions(session, "second_factor_failed")] == ["staff"]
    admins = _sign_in(session, "admin").enrolment.sealed  # sealed for another user
    assert _confirm(session, started, _at(secret), sealed=admins).error == auth.WRONG_CODE

    confirmed = _confirm(session, started, _at(secret))
    assert staff.totp_secret_sealed == started.enrolment.sealed and staff.totp_enabled_at == NOW
    assert confirmed.step == auth.SAVE_CODES and confirmed.token is None
    codes = confirmed.recovery_codes
    assert len(set(codes)) == 10
    stored = session.exec(select(RecoveryCode.code_hash)).all()
    assert sorted(stored) == sorted(totp.recovery_hash(c) for c in codes)
    assert not set(codes) & set(stored)
    assert session.exec(select(LoginSession)).all() == [] and staff.last_sign_in_at is None
    enrolled = _actions(session, "second_factor_enrolled")
    assert [(e.actor, e.subject, e.detail) for e in enrolled] == [("staff", "staff", {})]

    entered = auth.codes_saved(session=session, user_id=started.user_id, address=ADDRESS, now=NOW)
    assert entered.token is not None and entered.principal.username == "staff"
    assert _user(session, "staff").last_sign_in_at == NOW


def test_an_enrolled_user_gives_a_code_and_never_the_same_one_twice(session, required):
    secret, _ = _enrol(session, "admin")
    asked = _sign_in(session, "admin", now=NOW + STEP)
    assert asked.step == auth.CODE and asked.token is None and asked.enrolment is None
    replayed = _code(session, asked, _at(secret), now=NOW + STEP)  # the enrolment's code
    assert replayed.error == auth.WRONG_CODE and replayed.step == auth.CODE
    entered = _code(session, asked, _at(secret, NOW + STEP), now=NOW + STEP)
    assert entered.token is not None and entered.principal.username == "admin"
    again = _code(session, _sign_in(session, "admin", now=NOW + STEP), _at(secret, NOW + STEP))
    assert again.token is None and again.error == auth.WRONG_CODE
    assert len(_actions(session, "second_factor_failed")) == 2


def test_a_phone_a_step_behind_or_ahead_still_works(session, required):
    secret, _ = _enrol(session, "admin")
    later = NOW + 10 * STEP
    ahead = _code(session, _sign_in(session, "admin", now=later), _at(secret, later + STEP), later)
    assert ahead.token is not None
    far = later + 10 * STEP
    stale = _code(session, _sign_in(session, "admin", now=far), _at(secret, far - 2 * STEP), far)
    assert stale.token is None


def test_a_recovery_code_signs_in_once(session, required):
    _, codes = _enrol(session, "staff")
    entered = _code(session, _sign_in(session, "staff"), codes[3].upper())
    assert entered.token is not None
    (used,) = _actions(session, "recovery_code_used")
    assert used.actor == "staff" and used.detail == {"left": 9}
    assert codes[3] not in str(used.detail)
    again = _code(session, _sign_in(session, "staff"), codes[3])
    assert again.token is None and again.error == auth.WRONG_CODE


def test_wrong_codes_count_in_the_sign_in_throttle(session, required):
    secret, _ = _enrol(session, "staff")
    asked = _sign_in(session, "staff", now=NOW + STEP)
    for _ in range(5):
        assert _code(session, asked, "123456", now=NOW + STEP).error == auth.WRONG_CODE
    attempts = session.exec(select(AuthAttempt).where(AuthAttempt.username == "staff")).all()
    assert len(attempts) == 5 and {a.kind for a in attempts} == {auth.SIGN_IN_FAILED}
    waiting = _code(session, asked, _at(secret, NOW + STEP), now=NOW + STEP)
    assert waiting.error == auth.TOO_MANY_ATTEMPTS and waiting.retry_after == 2
    assert waiting.step == auth.CODE and waiting.token is None
    # The right password again does not clear the count: the code is still to be given.
    assert _sign_in(session, "staff", now=NOW + STEP).error == auth.TOO_MANY_ATTEMPTS
    later = NOW + 3 * STEP
    entered = _code(session, asked, _at(secret, later), now=later)
    assert entered.token is not None
    assert session.exec(select(AuthAttempt).where(AuthAttempt.username == "staff")).all() == []


def test_officers_may_enrol_residents_never_and_off_asks_only_the_enrolled(
    session, required, monkeypatch
):
    for username in ["officer1", "farhod"]:
        assert _sign_in(session, username).token is not None  # not asked to enrol
    with pytest.raises(AccessDenied):
        second_factor.begin_own(
            session=session, principal=principal(session, "farhod"), kek=b"k" * 32
        )
    kek = get_settings().key_encryption_key()
    officer = principal(session, "officer1")
    enrolment = second_factor.begin_own(session=session, principal=officer, kek=kek)
    assert _user(session, "officer1").totp_secret_sealed is None  # nothing stored yet

    def confirm(code):
        return second_factor.confirm_own(
            session=session,
            principal=officer,
            sealed=enrolment.sealed,
            code=code,
            kek=kek,
            now=NOW,
        )

    assert confirm("000000") is None
    codes = confirm(_at(_secret(enrolment)))
    assert len(codes) == 10
    assert second_factor.begin_own(session=session, principal=officer, kek=kek) is None
    since = second_factor.enrolled_since(session=session, principal=officer)
    assert since == NOW

    monkeypatch.setenv("LBT_SECOND_FACTOR", "off")
    get_settings.cache_clear()
    assert _sign_in(session, "officer1").step == auth.CODE  # enrolled: asked even when off
    assert _sign_in(session, "staff").token is not None  # not enrolled, not required


def test_with_the_demo_data_the_default_is_off(session):
    assert get_settings().second_factor == "off"
    assert _sign_in(session, "admin").token is not None


def test_a_one_time_password_must_be_changed_before_anything_else(session, required):
    staff = _user(session, "staff")
    staff.must_change_password = True
    session.add(staff)
    asked = _sign_in(session, "staff")
    assert asked.step == auth.NEW_PASSWORD and asked.token is None

    def change(password, again):
        return auth.change_password(
            session=session,
            user_id=asked.user_id,
            password=password,
            again=again,
            address=ADDRESS,
            now=NOW,
        )

    assert change("short", "short").error == auth.PASSWORD_TOO_SHORT
    assert change("a-new-password", "a-new-passw0rd").error == auth.PASSWORDS_DIFFER
    same = change("staff-demo-2026", "staff-demo-2026")
    assert same.error == auth.SAME_PASSWORD and same.step == auth.NEW_PASSWORD
    assert _actions(session, "password_changed") == []
    changed = change("a-new-password", "a-new-password")
    assert changed.error is None and changed.step == auth.ENROL  # then the second factor
    assert not _user(session, "staff").must_change_password
    (event,) = _actions(session, "password_changed")
    assert event.actor == "staff" and "a-new-password" not in str(event.detail)
    assert _sign_in(session, "staff").error == "Wrong user name or password."
    assert _sign_in(session, "staff", "a-new-password").step == auth.ENROL
    assert change("another-password", "another-password").error == auth.START_AGAIN


def test_a_changed_password_opens_the_session_when_nothing_else_is_due(session):
    officer = _user(session, "officer1")
    officer.must_change_password = True
    session.add(officer)
    asked = _sign_in(session, "officer1")
    entered = auth.change_password(
        session=session,
        user_id=asked.user_id,
        password="my-own-password",
        again="my-own-password",
        address=ADDRESS,
        now=NOW,
    )
    assert entered.token is not None and _user(session, "officer1").last_sign_in_at == NOW


def test_a_switched_off_account_is_told_so_only_after_the_right_password(session):
    officer = _user(session, "officer1")
    officer.is_active = False
    session.add(officer)
    assert _sign_in(session, "officer1", "guess").error == "Wrong user name or password."
    refused = _sign_in(session, "officer1")
    assert refused.error == auth.SWITCHED_OFF and refused.token is None and not refused.step
    assert session.exec(select(LoginSession)).all() == []
    details = [e.detail for e in _actions(session, "login_failed")]
    assert details == [{"address": ADDRESS}, {"address": ADDRESS, "switched_off": True}]


def test_later_steps_without_a_pending_sign_in_change_nothing(session, required):
    secret, _ = _enrol(session, "admin")
    admin, staff = _user(session, "admin"), _user(session, "staff")
    before = session.exec(select(LoginSession)).all()
    changed = auth.change_password(
        session=session, user_id=admin.id, password="x" * 12, again="x" * 12, address="", now=NOW
    )
    assert changed.error == auth.START_AGAIN  # admin was not asked to change it
    assert auth.codes_saved(session=session, user_id=staff.id, address="", now=NOW).token is None
    admin.is_active = False
    session.add(admin)
    code = _at(secret, NOW + STEP)
    gone = auth.give_code(session=session, user_id=admin.id, code=code, address="", now=NOW)
    assert gone.error == auth.START_AGAIN
    assert auth.give_code(session=session, user_id=0, code=code, address="", now=NOW).token is None
    assert session.exec(select(LoginSession)).all() == before
    assert _user(session, "admin").password_hash == admin.password_hash
