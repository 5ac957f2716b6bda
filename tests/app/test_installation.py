"""`lbt init`: an empty database becomes an installation with one administrator and nothing
else; it refuses a database that has users, and production without a key-encryption key."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from lbt_app.db.engine import engine_for
from tests.conftest import PG_URL

LBT = str(Path(sys.executable).parent / "lbt")
EMPTY_BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=EMPTY_BACKENDS)
def empty_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'new.db'}"
    with engine_for(PG_URL).begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS lbt_init CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA lbt_init"))
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3Dlbt_init"


def _init(url: str, data: Path, *args: str, stdin: str = "", **env: str):
    environ = {k: v for k, v in os.environ.items() if k != "LBT_KEK"} | {
        "LBT_DATABASE_URL": url,
        "LBT_DATA_DIR": str(data),
        "LBT_DEMO": "0",
        **env,
    }
    return subprocess.run(
        [LBT, "init", *args], input=stdin, env=environ, capture_output=True, text=True
    )


def _counts(url: str) -> dict[str, int]:
    with engine_for(url).connect() as conn:
        return {
            table: conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in (
                "user",
                "agreement",
                "authority",
                "borderarea",
                "crossingpoint",
                "signingkey",
                "resident",
                "permit",
                "auditevent",
            )
        }


def test_init_makes_one_administrator_and_nothing_else(empty_url, tmp_path):
    done = _init(
        empty_url,
        tmp_path / "data",
        "--username",
        " Chief ",
        "--full-name",
        "Dilnoza  Rahimova",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert done.returncode == 0, done.stderr
    assert "Administrator chief created" in done.stdout
    assert _counts(empty_url) == {
        "user": 1,
        "agreement": 0,
        "authority": 0,
        "borderarea": 0,
        "crossingpoint": 0,
        "signingkey": 0,
        "resident": 0,
        "permit": 0,
        "auditevent": 1,
    }
    with engine_for(empty_url).connect() as conn:
        user = conn.execute(sa.text('SELECT username, full_name, role, password_hash FROM "user"'))
        username, full_name, role, password_hash = user.one()
    assert (username, full_name, role) == ("chief", "Dilnoza Rahimova", "admin")
    assert password_hash.startswith("$argon2") and "correct" not in password_hash
    kek = tmp_path / "data" / "kek"
    assert kek.stat().st_mode & 0o777 == 0o600 and len(kek.read_bytes()) == 32
    assert "key-encryption key" in done.stdout

    again = _init(
        empty_url,
        tmp_path / "data",
        "--username",
        "second",
        "--full-name",
        "Someone Else",
        stdin="another password\n",
        LBT_ADMIN_PASSWORD="another password",
    )
    assert again.returncode == 2
    assert "already has users" in again.stderr and "Traceback" not in again.stderr
    assert _counts(empty_url)["user"] == 1


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--username", "x", "--full-name", "Short Name"], "long enough pw", "user name"),
        (["--username", "chief", "--full-name", "  "], "long enough pw", "full name"),
        (["--username", "chief", "--full-name", "Dilnoza"], "short", "too short"),
        (["--full-name", "Dilnoza"], "long enough pw", "user name is needed"),
    ],
)
def test_init_refuses_bad_input_and_writes_no_user(tmp_path, args, password, message):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    done = _init(url, tmp_path / "data", *args, LBT_ADMIN_PASSWORD=password)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert _counts(url)["user"] == 0


def test_production_needs_the_key_encryption_key_given(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    args = ["--username", "chief", "--full-name", "Dilnoza Rahimova"]
    refused = _init(
        url, tmp_path / "data", *args, LBT_ENV="production", LBT_ADMIN_PASSWORD="long enough pw"
    )
    assert refused.returncode == 2 and "LBT_KEK" in refused.stderr
    assert not (tmp_path / "data" / "kek").exists()
    kek = base64.b64encode(secrets.token_bytes(32)).decode()
    done = _init(
        url,
        tmp_path / "data",
        *args,
        LBT_ENV="production",
        LBT_KEK=kek,
        LBT_ADMIN_PASSWORD="long enough pw",
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "data" / "kek").exists()  # the given key is used, none is made
    assert "key-encryption key" not in done.stdout


def test_a_locked_out_administrator_is_let_in_again_from_the_server(tmp_path):
    """Password, phone and recovery codes lost: `lbt rescue-admin` gives a one-time password
    and clears the second factor; nothing else, and only for an administrator."""
    from sqlmodel import Session

    from lbt_app.db.types import utcnow
    from lbt_app.services import auth

    url, data = f"sqlite:///{tmp_path / 'new.db'}", tmp_path / "data"
    args = ["--username", "chief", "--full-name", "Dilnoza Rahimova"]
    assert _init(url, data, *args, LBT_ADMIN_PASSWORD="long enough pw").returncode == 0
    with engine_for(url).begin() as conn:
        conn.execute(sa.text('UPDATE "user" SET totp_secret_sealed = :s'), {"s": b"sealed"})
    environ = os.environ | {"LBT_DATABASE_URL": url, "LBT_DATA_DIR": str(data), "LBT_DEMO": "0"}

    unknown = subprocess.run(
        [LBT, "rescue-admin", "nobody"], env=environ, capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "No administrator" in unknown.stderr
    done = subprocess.run(
        [LBT, "rescue-admin", "chief"], env=environ, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    password = done.stdout.split("One-time password for chief: ")[1].split()[0]
    with Session(engine_for(url)) as session:
        old = auth.sign_in(
            session=session,
            username="chief",
            password="long enough pw",
            address="10.0.0.9",
            now=utcnow(),
        )
        new = auth.sign_in(
            session=session, username="chief", password=password, address="10.0.0.9", now=utcnow()
        )
    assert old.step == "" and old.token is None and old.error is not None
    assert (new.step, new.token) == (auth.NEW_PASSWORD, None)  # then the second factor again
    with engine_for(url).connect() as conn:
        assert conn.execute(sa.text('SELECT totp_secret_sealed FROM "user"')).scalar() is None
        actions = conn.execute(sa.text("SELECT action FROM auditevent ORDER BY seq")).scalars()
        assert "administrator_rescued" in list(actions)
