"""`lbt doctor` (and `lbt migrate`): a production configuration checked line by line, each
failure named with what to do, exit 1 on any, never a traceback. Run as the operator runs it:
a subprocess with the environment set, against a real installation (no demo) whose two
authorities' keys are sealed under its own KEK."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from lbt_app.db import migrate
from lbt_app.db.engine import engine_for
from lbt_app.db.models import Agreement, Authority
from lbt_app.db.types import utcnow
from lbt_app.services import demo, health, keys
from lbt_app.settings import load_settings
from tests.conftest import PG_URL

LBT = str(Path(sys.executable).parent / "lbt")
REDIS_URL = os.environ.get("LBT_TEST_REDIS_URL", "")
CHECKS = ["settings", "database", "migrations", "kek", "clock", "public-url", "demo"]
CLOSED_PORT_PG = "postgresql+psycopg://lbt:hunter2-secret@127.0.0.1:1/lbt"


def _kek() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'lbt.db'}"
    with engine_for(PG_URL).begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS lbt_doctor CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA lbt_doctor"))
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3Dlbt_doctor"


def _set_up(url: str, kek: str) -> None:
    """A real installation's database: migrated, one agreement, two authorities with keys."""
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        agreement = Agreement(
            code="KG-TJ",
            name="Kyrgyzstan–Tajikistan local border traffic",
            country_a="KGZ",
            country_b="TJK",
            timezone="Asia/Bishkek",
            max_stay_days=30,
            max_validity_years=5,
        )
        session.add(agreement)
        session.flush()
        for code, country in (("BATKEN-LBT", "KGZ"), ("ISFARA-LBT", "TJK")):
            authority = Authority(
                code=code, name=code, country=country, agreement_id=agreement.id or 0
            )
            session.add(authority)
            session.flush()
            keys.create_key(
                session=session, authority=authority, kek=base64.b64decode(kek), now=utcnow()
            )
        session.commit()


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def installation(request, tmp_path) -> dict[str, str]:
    """The environment of a healthy production installation."""
    url, kek = _url(request.param, tmp_path), _kek()
    _set_up(url, kek)
    return {
        "LBT_ENV": "production",
        "LBT_DATABASE_URL": url,
        "LBT_DATA_DIR": str(tmp_path / "data"),
        "LBT_KEK": kek,
        "LBT_PUBLIC_URL": "https://lbt.example.org",
    }


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LBT_")} | env
    done = subprocess.run([LBT, *args], env=environ, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr + done.stdout
    return done


def _doctor(**env: str) -> tuple[int, dict[str, str]]:
    """Exit status, and each check's line by its name."""
    done = _run("doctor", **env)
    assert done.stderr == ""
    lines = {}
    for line in done.stdout.splitlines():
        status, name, _message = line.split(maxsplit=2)
        assert status in {"ok", "FAIL"}, line
        lines[name] = line
    return done.returncode, lines


def _failed(lines: dict[str, str]) -> set[str]:
    return {name for name, line in lines.items() if line.startswith("FAIL")}


def test_a_healthy_installation_passes_every_check(installation):
    env = installation | ({"LBT_REDIS_URL": REDIS_URL} if REDIS_URL else {})
    status, lines = _doctor(**env)
    assert status == 0, lines
    expected = CHECKS[:3] + (["redis"] if REDIS_URL else []) + CHECKS[3:]
    assert list(lines) == expected and not _failed(lines)
    assert "LBT_KEK opens all 2 active signing keys" in lines["kek"]
    sqlite = installation["LBT_DATABASE_URL"].startswith("sqlite")
    assert ("SQLite" if sqlite else "in step with the database server") in lines["clock"]
    assert "no demo data" in lines["demo"]  # an agreement of its own is no demo


def test_a_wrong_kek_is_named_with_the_keys_it_cannot_open(installation):
    wrong = _kek()
    status, lines = _doctor(**installation | {"LBT_KEK": wrong})
    assert status == 1 and _failed(lines) == {"kek"}
    assert "does not open 2 of the 2 active signing keys" in lines["kek"]
    assert "BATKEN-LBT" in lines["kek"] and "ISFARA-LBT" in lines["kek"]
    text = "\n".join(lines.values())
    assert wrong not in text and installation["LBT_KEK"] not in text


@pytest.mark.parametrize(
    ("kek", "says"),
    [("", "Production needs LBT_KEK"), ("not-base64!", "must be 32 bytes, base64")],
)
def test_a_missing_or_malformed_kek_in_production(installation, kek, says):
    status, lines = _doctor(**installation | {"LBT_KEK": kek})
    assert status == 1 and says in "".join(lines.values())
    assert _failed(lines) <= {"settings", "kek"} and _failed(lines)


def test_a_missing_kek_file_in_development_is_not_made_by_the_doctor(installation, tmp_path):
    env = installation | {"LBT_ENV": "development", "LBT_KEK": ""}
    status, lines = _doctor(**env)
    assert status == 1 and _failed(lines) == {"kek"}
    assert "LBT_KEK is not set" in lines["kek"] and "is missing" in lines["kek"]
    assert not (tmp_path / "data" / "kek").exists()


@pytest.mark.parametrize("where", ["closed port", "a directory", "no such file"])
def test_an_unreachable_database_fails_fast_and_the_rest_is_not_checked(
    installation, tmp_path, where
):
    url = {
        "closed port": CLOSED_PORT_PG,
        "a directory": f"sqlite:///{tmp_path}",  # cannot be opened, even by root
        "no such file": f"sqlite:///{tmp_path / 'nothing.db'}",
    }[where]
    status, lines = _doctor(**installation | {"LBT_DATABASE_URL": url})
    assert status == 1
    assert _failed(lines) == {"database", "migrations", "kek", "clock", "demo"}
    assert "cannot be opened" in lines["database"]
    assert "not checked" in lines["kek"]
    assert "hunter2-secret" not in "".join(lines.values())
    assert not (tmp_path / "nothing.db").exists()


def _downgrade_one(url: str) -> None:
    config = migrate.alembic_config()
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")


def test_migrations_behind_then_lbt_migrate_brings_the_schema_to_head(installation):
    url = installation["LBT_DATABASE_URL"]
    _downgrade_one(url)
    status, lines = _doctor(**installation)
    assert status == 1 and _failed(lines) == {"migrations"}
    assert "1 migration behind" in lines["migrations"] and "lbt migrate" in lines["migrations"]

    done = _run("migrate", **installation)
    assert done.returncode == 0, done.stderr
    assert "(1 migration). Restart the app." in done.stdout
    assert _doctor(**installation)[0] == 0
    again = _run("migrate", **installation)
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_a_schema_this_version_does_not_know_is_named_and_not_touched(installation):
    url = installation["LBT_DATABASE_URL"]
    with engine_for(url).begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfeedf00d'"))
    status, lines = _doctor(**installation)
    assert status == 1 and "does not know" in lines["migrations"]
    refused = _run("migrate", **installation)
    assert refused.returncode == 2 and "does not know" in refused.stderr
    with engine_for(url).connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == (
            "f00dfeedf00d"
        )


def test_an_empty_database_is_sent_to_lbt_init(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine_for(url).dispose()
    with engine_for(url).connect():  # the file exists, with no schema
        pass
    status, lines = _doctor(
        LBT_ENV="production",
        LBT_DATABASE_URL=url,
        LBT_KEK=_kek(),
        LBT_PUBLIC_URL="https://lbt.example.org",
        LBT_DATA_DIR=str(tmp_path / "data"),
    )
    assert status == 1 and "lbt init" in lines["migrations"]


def test_redis_unreachable(installation):
    status, lines = _doctor(
        **installation | {"LBT_REDIS_URL": "redis://:hunter2-secret@127.0.0.1:1/0"}
    )
    assert status == 1 and _failed(lines) == {"redis"}
    assert "LBT_REDIS_URL" in lines["redis"] and "hunter2-secret" not in lines["redis"]


def test_servers_that_never_answer_are_given_up_on_in_seconds(installation):
    """Redis and PostgreSQL that take the connection and say nothing: no hanging doctor."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        env = installation | {
            "LBT_REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "LBT_DATABASE_URL": f"postgresql+psycopg://lbt@127.0.0.1:{port}/lbt",
        }
        status, lines = _doctor(**env)  # _run gives up after 60 s
    assert status == 1 and {"database", "redis"} <= _failed(lines)


def test_plain_http_public_url_fails_in_production_only(installation):
    http = installation | {"LBT_PUBLIC_URL": "http://lbt.example.org:3000"}
    status, lines = _doctor(**http)
    assert status == 1 and _failed(lines) == {"public-url"}
    assert "HTTPS" in lines["public-url"]
    assert _doctor(**http | {"LBT_ENV": "development", "LBT_DEMO": "0"})[0] == 0


def test_demo_data_fails_in_production(installation):
    url, kek = installation["LBT_DATABASE_URL"], installation["LBT_KEK"]
    with Session(engine_for(url)) as session:
        demo.load(session=session, kek=base64.b64decode(kek), now=utcnow())
        session.commit()
    status, lines = _doctor(**installation)
    assert status == 1 and _failed(lines) == {"demo"}
    assert "lbt init" in lines["demo"]
    assert "opens all 3 active signing keys" in lines["kek"]  # the demo's are sealed alike


def test_the_clock_check_measures_the_skew_against_the_database_server(tmp_path):
    """At the service level, with this machine's clock given: the CLI runs on the real one."""
    sqlite = f"sqlite:///{tmp_path / 'lbt.db'}"
    migrate.upgrade(sqlite)
    assert health.clock(sqlite, now=lambda: utcnow() + timedelta(hours=3)).ok  # one clock
    if not PG_URL:
        pytest.skip("LBT_TEST_DATABASE_URL is not set")
    assert health.clock(PG_URL).ok
    ahead = health.clock(PG_URL, now=lambda: utcnow() + timedelta(minutes=5))
    assert not ahead.ok and "5 min 0 s ahead of the database server's" in ahead.message
    behind = health.clock(PG_URL, now=lambda: utcnow() - timedelta(seconds=8))
    assert not behind.ok and "behind" in behind.message and "NTP" in behind.message
    slight = health.clock(PG_URL, now=lambda: utcnow() + timedelta(seconds=1))
    assert slight.ok


def test_the_service_report_opens_no_secret(installation):
    """What `/api/health` runs: database, schema (and Redis), never the KEK."""
    settings = load_settings(installation | {"LBT_KEK": _kek()})  # a wrong one: unused here
    assert [f.name for f in health.service_report(settings)] == ["database", "migrations"]
    assert all(f.ok for f in health.service_report(settings))


def test_other_commands_say_the_database_cannot_be_reached_without_a_traceback(tmp_path):
    done = _run("permits", LBT_DATABASE_URL=CLOSED_PORT_PG, LBT_DATA_DIR=str(tmp_path))
    assert done.returncode == 2
    assert "the database cannot be reached" in done.stderr and "lbt doctor" in done.stderr
    assert "hunter2-secret" not in done.stderr
