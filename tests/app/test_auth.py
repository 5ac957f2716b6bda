"""Sign-in, throttling and server-side sessions."""

from datetime import timedelta

from sqlmodel import select

from lbt_app.core import throttle
from lbt_app.core.access import Role
from lbt_app.db.models import AuditEvent, AuthAttempt, LoginSession, User
from lbt_app.services import auth
from lbt_app.settings import get_settings
from tests.conftest import NOW

HOME, ELSEWHERE = "198.51.100.7", "203.0.113.9"  # the owner's address, a guesser's


def _sign_in(session, username, password, now=NOW, address=ELSEWHERE):
    return auth.sign_in(
        session=session, username=username, password=password, address=address, now=now
    )


def _sign_up(session, username, address, now=NOW):
    return auth.sign_up(
        session=session,
        username=username,
        password="a-long-password",
        full_name="New Resident",
        address=address,
        now=now,
    )


def _events(session, action):
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_right_password_gives_a_session_token_stored_only_as_a_hash(session):
    result = _sign_in(session, "Staff ", "staff-demo-2026", address=HOME)
    assert result.error is None and result.principal.role is Role.AUTHORITY
    assert result.principal.agreement_id is not None
    stored = session.exec(select(LoginSession)).one()
    assert stored.token_hash != result.token and len(result.token) >= 40
    found = auth.principal_for_token(session=session, token=result.token, now=NOW)
    assert found.username == "staff"


def test_wrong_password_and_unknown_user_get_the_same_answer(session):
    a = _sign_in(session, "staff", "nope")
    b = _sign_in(session, "nobody", "nope")
    assert a.error == b.error == "Wrong user name or password."
    assert a.token is None and b.token is None
    failed = _events(session, "login_failed")
    assert [e.detail["address"] for e in failed] == [ELSEWHERE, ELSEWHERE]


def test_a_guesser_is_slowed_but_the_owner_signs_in_from_their_own_address(session):
    for _ in range(5):
        assert _sign_in(session, "officer1", "guess").error == "Wrong user name or password."
    # Even the right password waits at the guesser's address ...
    refused = _sign_in(session, "officer1", "officer1-demo-2026")
    assert refused.token is None and refused.error == auth.TOO_MANY_ATTEMPTS
    assert refused.retry_after == 2
    # ... while the owner, at their own address, is not held up at all.
    owner = _sign_in(session, "officer1", "officer1-demo-2026", address=HOME)
    assert owner.token is not None


def test_the_wait_doubles_with_each_failure_and_stops_at_the_cap(session):
    now, waits = NOW, []
    for _ in range(5):
        _sign_in(session, "officer1", "guess", now=now)
    while len(waits) < 12:
        refused = _sign_in(session, "officer1", "guess", now=now)
        assert refused.error == auth.TOO_MANY_ATTEMPTS
        waits.append(refused.retry_after)
        now += timedelta(seconds=refused.retry_after)
        assert _sign_in(session, "officer1", "guess", now=now).error != auth.TOO_MANY_ATTEMPTS
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]


def test_a_throttled_attempt_is_refused_without_hashing_and_audited_once_per_burst(
    session, monkeypatch
):
    hashed = []
    real = auth.verify_password
    monkeypatch.setattr(
        auth, "verify_password", lambda password, hash_: hashed.append(1) or real(password, hash_)
    )
    for _ in range(5):
        _sign_in(session, "staff", "guess")
    assert len(hashed) == 5
    for tenth in range(0, 15, 5):  # one burst of refusals within the 2-second wait
        now = NOW + timedelta(seconds=tenth / 10)
        refused = _sign_in(session, "staff", "staff-demo-2026", now=now)
        assert refused.error == auth.TOO_MANY_ATTEMPTS
    assert len(hashed) == 5
    assert len(_events(session, "login_throttled")) == 1
    later = NOW + timedelta(seconds=2)
    _sign_in(session, "staff", "guess", now=later)  # the wait is over: one more failure
    _sign_in(session, "staff", "guess", now=later)  # a new burst
    _sign_in(session, "staff", "guess", now=later)
    throttled = _events(session, "login_throttled")
    assert len(throttled) == 2 and len(hashed) == 6
    assert throttled[-1].detail == {"address": ELSEWHERE, "scope": "pair", "wait": 4}


def test_spraying_many_names_from_one_address_slows_that_address(session):
    for n in range(20):
        _sign_in(session, f"name{n}", "guess")
    refused = _sign_in(session, "farhod", "farhod-demo-2026")
    assert refused.error == auth.TOO_MANY_ATTEMPTS and refused.retry_after == 2
    assert _sign_in(session, "farhod", "farhod-demo-2026", address=HOME).token


def test_a_distributed_guess_delays_the_owner_by_seconds_never_locks_them_out(session):
    for n in range(40):  # four failures from each of ten addresses
        _sign_in(session, "admin", "guess", address=f"192.0.2.{n % 10}")
    slowed = _sign_in(session, "admin", "admin-demo-2026", address=HOME)
    assert slowed.error == auth.TOO_MANY_ATTEMPTS and 0 < slowed.retry_after <= 30
    later = NOW + timedelta(seconds=slowed.retry_after)
    assert _sign_in(session, "admin", "admin-demo-2026", now=later, address=HOME).token


def test_signing_in_clears_the_failures_of_that_name_at_that_address(session):
    for _ in range(4):
        _sign_in(session, "gulnora", "guess")
    assert _sign_in(session, "gulnora", "gulnora-demo-2026").token
    for _ in range(5):  # a fresh allowance
        assert _sign_in(session, "gulnora", "typo").error == "Wrong user name or password."
    assert _sign_in(session, "gulnora", "typo").error == auth.TOO_MANY_ATTEMPTS


def test_failures_older_than_the_window_no_longer_count(session):
    for _ in range(5):
        _sign_in(session, "officer2", "guess")
    an_hour_later = NOW + throttle.WINDOW + timedelta(seconds=1)
    assert _sign_in(session, "officer2", "officer2-demo-2026", now=an_hour_later).token
    assert session.exec(select(AuthAttempt)).all() == []  # nothing kept past the window


def test_an_address_opens_at_most_five_accounts_an_hour(session):
    for n in range(5):
        assert _sign_up(session, f"new.person{n}", ELSEWHERE).token
    users_before = len(session.exec(select(User)).all())
    refused = _sign_up(session, "one.more", ELSEWHERE, now=NOW + timedelta(minutes=1))
    assert refused.token is None and refused.error == auth.TOO_MANY_ACCOUNTS
    assert refused.retry_after == 59 * 60
    assert len(session.exec(select(User)).all()) == users_before  # nothing created
    _sign_up(session, "and.another", ELSEWHERE, now=NOW + timedelta(minutes=2))
    assert len(_events(session, "signup_throttled")) == 1  # once per burst
    assert _sign_up(session, "someone.else", HOME).token  # another address
    assert _sign_up(session, "one.more", ELSEWHERE, now=NOW + timedelta(hours=1)).token


def test_sessions_expire_and_end_at_sign_out(session):
    token = _sign_in(session, "admin", "admin-demo-2026").token
    assert auth.principal_for_token(session=session, token=token, now=NOW + timedelta(hours=11))
    assert (
        auth.principal_for_token(session=session, token=token, now=NOW + timedelta(hours=13))
        is None
    )
    auth.sign_out(session=session, token=token, kek=get_settings().key_encryption_key(), now=NOW)
    assert auth.principal_for_token(session=session, token=token, now=NOW) is None


def test_a_deactivated_user_loses_their_session(session):
    token = _sign_in(session, "farhod", "farhod-demo-2026").token
    user = session.exec(select(User).where(User.username == "farhod")).one()
    user.is_active = False
    session.add(user)
    session.flush()
    assert auth.principal_for_token(session=session, token=token, now=NOW) is None


def test_forged_or_empty_tokens_find_nobody(session):
    assert auth.principal_for_token(session=session, token="", now=NOW) is None
    assert auth.principal_for_token(session=session, token="x" * 43, now=NOW) is None


def test_a_phone_number_signs_in_as_it_was_typed_at_sign_up(session):
    signed = _sign_up(session, "+992 92 555 12 34", HOME)
    assert signed.principal.username == "+992925551234"
    for typed in ["+992 92 555 12 34", "+992925551234", " +992 92\u00a0555 1234 "]:
        assert _sign_in(session, typed, "a-long-password").token, typed
    assert _sign_in(session, "+992 92 555 12 35", "a-long-password").token is None


def test_a_new_password_is_checked_for_length_before_the_repetition():
    short = "short"
    assert auth.new_password_problem(short, "different") == auth.PASSWORD_TOO_SHORT
    assert auth.new_password_problem("long-enough", "long-enougj") == auth.PASSWORDS_DIFFER
    assert auth.new_password_problem("long-enough", "long-enough") is None
    assert str(auth.MIN_PASSWORD) in auth.PASSWORD_TOO_SHORT
    assert auth.new_password_problem("x" * (auth.MIN_PASSWORD - 1), "") == auth.PASSWORD_TOO_SHORT
