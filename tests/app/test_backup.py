"""`lbt backup` and `lbt restore`, as real subprocesses: a round trip on SQLite and PostgreSQL
(backup → wipe → restore: the audit chain intact, the same permits VALID, every table's rows
equal, the photos byte for byte), refusals (a non-empty target, another backend, a newer
schema, an existing file), bad files, and no key-encryption key in any backup."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from lbt_app.db import migrate
from lbt_app.services import backup
from tests.conftest import PG_URL

LBT = str(Path(sys.executable).parent / "lbt")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
SCHEMA = "lbt_backup"


@dataclass(frozen=True)
class Installation:
    backend: str
    url: str
    data: Path

    def lbt(self, *args: str, url: str | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k not in {"LBT_KEK", "LBT_REDIS_URL"}}
        env |= {"LBT_DATABASE_URL": url or self.url, "LBT_DATA_DIR": str(self.data)}
        return subprocess.run([LBT, *args], env=env, capture_output=True, text=True, timeout=120)

    def wipe(self) -> None:
        if self.backend == "sqlite":
            path = Path(sa.engine.make_url(self.url).database)
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        else:
            _fresh_schema()

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url, poolclass=NullPool)


def _fresh_schema() -> None:
    engine = sa.create_engine(PG_URL, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()


def _url(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'lbt.db'}"
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{SCHEMA}"


@dataclass(frozen=True)
class Made:
    """A backup of the demo installation, and what the installation held when it was made."""

    backend: str
    file: Path
    data: Path  # the installation's data folder: its KEK
    tables: dict[str, int]
    photos: list[tuple[str, str]]  # (kind, sha256) of each photo and proof of residence
    texts: list[str]  # the payloads of the permits that verified VALID


@pytest.fixture(scope="module", params=BACKENDS)
def made(request, tmp_path_factory) -> Iterator[Made]:
    """The demo data with a signed audit checkpoint (every kind of row), backed up, wiped."""
    folder = tmp_path_factory.mktemp(f"made-{request.param}")
    (folder / "db").mkdir()
    (folder / "backups").mkdir()
    if request.param == "postgresql":
        _fresh_schema()
    source = Installation(request.param, _url(request.param, folder / "db"), folder / "data")
    for args in (("demo",), ("audit", "checkpoint")):
        done = source.lbt(*args)
        assert done.returncode == 0, done.stderr
    listed = source.lbt("permits", "--json", "--status", "active").stdout.splitlines()
    numbers = {json.loads(row)["number"] for row in listed}
    texts = [
        text
        for number, text in query(source, "SELECT number, payload FROM permit")
        if number in numbers
    ]
    done = source.lbt("verify", "--json", *texts)
    assert done.returncode == 0 and len(texts) >= 3, done.stdout
    tables = counts(source)
    photos = sorted(query(source, "SELECT kind, sha256 FROM document"))
    assert {kind for kind, _ in photos} == {"photo", "proof_of_residence"}
    file = folder / "backups" / "lbt.backup"
    done = source.lbt("backup", str(file))
    assert done.returncode == 0, done.stderr
    assert f"Backup written: {file}" in done.stdout
    source.wipe()
    yield Made(request.param, file, source.data, tables, photos, texts)
    if request.param == "postgresql":
        engine = sa.create_engine(PG_URL, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


@pytest.fixture
def empty(made: Made, tmp_path) -> Installation:
    """An empty database of the backup's kind (a new file, or the schema made anew), with the
    backed-up installation's data folder (its KEK)."""
    if made.backend == "postgresql":
        _fresh_schema()
    (tmp_path / "db").mkdir()
    return Installation(made.backend, _url(made.backend, tmp_path / "db"), made.data)


def counts(inst: Installation) -> dict[str, int]:
    if inst.backend == "sqlite" and not Path(sa.engine.make_url(inst.url).database).exists():
        return {}  # never made: opening it here would make an empty file
    engine = inst.engine()
    with engine.connect() as conn:
        names = sorted(sa.inspect(conn).get_table_names())
        found = {
            name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            for name in names
        }
    engine.dispose()
    return found


def query(inst: Installation, sql: str) -> list[tuple]:
    engine = inst.engine()
    with engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(sa.text(sql))]
    engine.dispose()
    return rows


def manifest_of(path: Path) -> dict:
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def refused(done: subprocess.CompletedProcess, words: str) -> None:
    """Exit 2 and one clear line, no traceback."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("lbt: "), done.stderr
    assert words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_backup_wipe_restore_gives_back_the_same_installation(made, empty):
    assert made.file.stat().st_mode & 0o777 == 0o600
    assert list(made.file.parent.iterdir()) == [made.file]  # no temporary file left
    manifest = manifest_of(made.file)
    assert manifest["backend"] == made.backend and manifest["format_version"] == 1
    assert manifest["tables"] == made.tables  # the rows of every table, alembic_version too
    assert counts(empty) == {}

    done = empty.lbt("restore", str(made.file))
    assert done.returncode == 0, done.stderr
    assert "as the backup recorded" in done.stdout
    assert counts(empty) == made.tables
    revision = query(empty, "SELECT version_num FROM alembic_version")[0][0]
    assert manifest["alembic_revision"] == revision
    # Photos and proofs of residence are rows of `document`: back byte for byte.
    restored = query(empty, "SELECT kind, sha256, data FROM document")
    assert sorted((kind, sha) for kind, sha, _ in restored) == made.photos
    assert all(hashlib.sha256(bytes(data)).hexdigest() == sha for _, sha, data in restored)
    done = empty.lbt("audit", "verify")
    assert done.returncode == 0 and "audit chain intact" in done.stdout, done.stdout
    done = empty.lbt("verify", "--json", *made.texts)
    verdicts = [json.loads(line)["verdict"] for line in done.stdout.splitlines()]
    assert done.returncode == 0 and verdicts == ["VALID"] * len(made.texts)


def test_restore_migrates_an_older_backup_to_head(empty, tmp_path):
    config = migrate.alembic_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    older = script.get_revision(head).down_revision
    engine = empty.engine()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, older)
    engine.dispose()
    file = tmp_path / "old.backup"
    assert empty.lbt("backup", str(file)).returncode == 0
    assert manifest_of(file)["alembic_revision"] == older

    empty.wipe()
    done = empty.lbt("restore", str(file))
    assert done.returncode == 0, done.stderr
    assert query(empty, "SELECT version_num FROM alembic_version") == [(head,)]


def test_restore_refuses_a_database_that_is_not_empty(made, empty):
    assert empty.lbt("restore", str(made.file)).returncode == 0
    empty.lbt("verify", made.texts[0])  # one row more than the backup has
    before = counts(empty)
    refused(empty.lbt("restore", str(made.file)), "restore writes only into an empty database")
    assert counts(empty) == before


def _rewritten(source: Path, target: Path, **changes) -> Path:
    """The backup with its manifest changed, its database copy as it was."""
    with tarfile.open(source) as tar, tarfile.open(target, "w") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps(json.loads(data) | changes).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def test_restore_refuses_another_backend_or_a_newer_schema(made, empty, tmp_path):
    file = made.file
    other = "postgresql" if made.backend == "sqlite" else "sqlite"
    refused(
        empty.lbt("restore", str(_rewritten(file, tmp_path / "other", backend=other))),
        "Restore it into",
    )
    newer = _rewritten(file, tmp_path / "newer", alembic_revision="f00dfeedcafe")
    refused(empty.lbt("restore", str(newer)), "newer than this version of the app knows")
    refused(
        empty.lbt("restore", str(_rewritten(file, tmp_path / "format", format_version=2))),
        "made by a newer version of the app",
    )
    assert counts(empty) == {}  # nothing was written


def test_bad_backup_files_are_refused_with_one_line_and_nothing_written(made, empty, tmp_path):
    data = made.file.read_bytes()
    with tarfile.open(made.file) as tar:
        copy = tar.getmembers()[-1]
        end = copy.offset_data + copy.size  # past it only the archive's zero padding
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty").write_bytes(b"")
    (bad / "text").write_text("not a backup at all\n")
    for cut in (700, len(data) // 2, end - 1):
        (bad / f"cut-{cut}").write_bytes(data[:cut])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (bad / "flipped").write_bytes(bytes(flipped))
    with tarfile.open(bad / "no-manifest", "w") as tar:
        tar.add(__file__, arcname="database.sqlite")
    _rewritten(made.file, bad / "revision-not-text", alembic_revision=5)
    _rewritten(made.file, bad / "tables-not-counted", tables=["document"])
    (bad / "bad-json").write_bytes(
        data.replace(b'"format": "lbt-backup"', b'"format": "lbt-bakup"')
    )

    for path in sorted(bad.iterdir()):
        done = empty.lbt("restore", str(path))
        assert done.returncode == 2, (path.name, done.stderr)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
        assert any(
            words in done.stderr for words in ("is not an LBT backup", "is damaged or truncated")
        ), (path.name, done.stderr)
        assert counts(empty) == {}, path.name
    refused(empty.lbt("restore", str(tmp_path / "missing")), "There is no backup file")
    assert list((tmp_path / "db").iterdir()) == []


def test_backup_refuses_an_existing_file_and_a_database_without_schema(empty, tmp_path):
    file = tmp_path / "lbt.backup"
    file.write_text("keep me")
    refused(empty.lbt("backup", str(file)), "never overwrites a file")
    assert file.read_text() == "keep me"
    refused(empty.lbt("backup", str(tmp_path / "no" / "such" / "folder")), "There is no folder")
    if empty.backend == "sqlite":
        refused(empty.lbt("backup", str(tmp_path / "a")), "There is no database")
    else:
        refused(empty.lbt("backup", str(tmp_path / "a")), "no schema yet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "lbt.backup"]
    assert list((tmp_path / "db").iterdir()) == []


def test_a_backup_never_holds_the_key_encryption_key(made, tmp_path):
    kek = (made.data / "kek").read_bytes()
    assert len(kek) == 32
    forms = [kek, base64.b64encode(kek), kek.hex().encode(), base64.urlsafe_b64encode(kek)]
    contents = [made.file.read_bytes()]
    with tarfile.open(made.file) as tar:
        contents += [tar.extractfile(m).read() for m in tar.getmembers()]
    if made.backend == "postgresql":  # the dump's tables are compressed: read them as SQL
        dump = tmp_path / "database.pgdump"
        dump.write_bytes(contents[-1])
        sql = subprocess.run(
            ["pg_restore", "--file=-", str(dump)], capture_output=True, check=True
        ).stdout
        assert b"COPY" in sql and b"signingkey" in sql
        contents.append(sql)
    for content in contents:
        for form in forms:
            assert form not in content
    # What is in it is sealed under the KEK: the signing keys are there, encrypted.
    assert manifest_of(made.file)["tables"]["signingkey"] >= 1


def test_pg_dump_gets_the_password_from_the_environment_only(made, empty, tmp_path, monkeypatch):
    """The URL's password reaches pg_dump and pg_restore as PGPASSWORD, never as an argument
    (every user of the machine can read a process's arguments)."""
    if made.backend != "postgresql":
        pytest.skip("PostgreSQL only")
    password = "s3cret-Pa55"
    parsed = sa.engine.make_url(empty.url)
    url = parsed.set(password=password).render_as_string(hide_password=False)
    calls = []
    real_run = subprocess.run

    def spy(argv, **kwargs):
        calls.append((argv, kwargs.get("env") or {}))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", spy)
    backup.restore(url=url, source=made.file)  # this server trusts local connections
    backup.create(url=url, target=tmp_path / "again.backup", now=datetime.now(UTC))
    assert {Path(argv[0]).name for argv, _ in calls} == {"pg_dump", "pg_restore"}
    for argv, env in calls:
        assert not any(password in arg for arg in argv), argv
        assert env.get("PGPASSWORD") == password
    assert any(f'--schema="{SCHEMA}"' in arg for argv, _ in calls for arg in argv)


def test_the_schema_is_the_first_of_the_urls_search_path():
    base = "postgresql+psycopg://u@h/db"
    assert backup._schema(base) == "public"
    assert backup._schema(base + "?options=-csearch_path%3Dlbt_x") == "lbt_x"
    assert backup._schema(base + "?options=-c%20search_path%3D%22%24user%22,lbt_y") == "lbt_y"


def test_a_restore_without_its_kek_cannot_vouch_for_the_audit_log(made, empty, tmp_path):
    """Why the KEK must be kept apart from the backups, and found again for a restore."""
    stranger = Installation(empty.backend, empty.url, tmp_path / "another-data")
    assert stranger.lbt("restore", str(made.file)).returncode == 0
    done = stranger.lbt("audit", "verify")
    assert done.returncode == 1 and "checkpoint signature does not verify" in done.stdout
