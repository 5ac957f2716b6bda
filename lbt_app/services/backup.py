"""Backups of the whole database, and restoring one into an empty database.

A backup is a tar file: `manifest.json` (format, app version, backend, Alembic revision, when,
rows per table, the checksum of the copy) and the database copy. PostgreSQL is copied with
`pg_dump` in custom format (only the schema the URL's search_path names), SQLite with its
online backup API, so both work while the app serves and writes. Photos and proofs of
residence are rows of the `document` table, so they are in the copy. The key-encryption key
(LBT_KEK or data/kek) never is: signing keys and second-factor secrets stay sealed under it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import get_origin, get_type_hints

import sqlalchemy as sa

from lbt_app import app_version
from lbt_app.db import migrate
from lbt_app.db.engine import engine_for
from lbt_app.db.extensions import pg_trgm_schema

FORMAT = "lbt-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_NOT_EMPTY = "restore writes only into an empty database (a new file, or a new database or schema)"
_CHUNK = 1 << 20
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*(\S+)")
# Restored into the schema that exists (or is made) already: the dump's own CREATE SCHEMA goes.
_SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ (SCHEMA|COMMENT - SCHEMA) ")


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why in one line."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    app_version: str
    backend: str
    schema: str  # PostgreSQL: the schema copied; SQLite: ""
    alembic_revision: str
    created_at: str  # ISO 8601, UTC
    tables: dict[str, int]  # rows per table at the moment of the copy
    sha256: str  # of the database copy
    size: int

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_json(self) -> bytes:
        fields = {"format": FORMAT, **self.__dict__, "database": MEMBERS[self.backend]}
        return json.dumps(fields, indent=2, sort_keys=True).encode()


# What a manifest read from a file must hold: each field, of its type.
_KINDS = {name: get_origin(kind) or kind for name, kind in get_type_hints(Manifest).items()}


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    tables: dict[str, int]  # rows per table as restored, before the migrations ran


# ---------------------------------------------------------------- the database the URL names


def backend_of(url: str) -> str:
    name = sa.engine.make_url(url).get_backend_name()
    if name not in MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL databases, not {name}.")
    return name


def _sqlite_path(url: str) -> Path:
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("The database URL names no SQLite file.")
    return Path(database)


def _schema(url: str) -> str:
    """The schema the URL's `options=-csearch_path=...` names (the first entry), else public."""
    found = _SEARCH_PATH.search(str(sa.engine.make_url(url).query.get("options", "")))
    if found:
        for name in found.group(1).split(","):
            name = name.strip().strip('"')
            if name and name != "$user":
                return name
    return "public"


def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as a libpq connection string for pg_dump/pg_restore, and the environment to run
    them in: the password goes in PGPASSWORD, never on a command line others can read."""
    parsed = sa.engine.make_url(url)
    params: dict[str, str] = {}
    if parsed.host:
        params["host"] = parsed.host
    if parsed.port:
        params["port"] = str(parsed.port)
    if parsed.username:
        params["user"] = parsed.username
    if parsed.database:
        params["dbname"] = parsed.database
    for key, value in parsed.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    conninfo = " ".join(f"{key}={_conninfo_value(value)}" for key, value in params.items())
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = parsed.password
    return conninfo, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        why = lines[0].removeprefix(f"{Path(command[0]).name}: ") if lines else "no message"
        raise BackupError(f"{Path(command[0]).name} failed: {why}")
    return done.stdout


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    # The names come from the database's own catalogue, quoted as identifiers.
    count = 'SELECT count(*) FROM "{}"'
    return {
        name: conn.execute(count.format(name.replace('"', '""'))).fetchone()[0] for name in names
    }


def _sa_counts(conn: sa.Connection) -> dict[str, int]:
    names = sorted(sa.inspect(conn).get_table_names())
    count = sa.select(sa.func.count())
    return {name: conn.execute(count.select_from(sa.table(name))).scalar_one() for name in names}


def _require_schema(counts: dict[str, int]) -> None:
    if "alembic_version" not in counts:
        raise BackupError("The database has no schema yet (lbt init or lbt demo makes it).")


# ---------------------------------------------------------------- backup


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_sqlite(url: str, copy: Path) -> tuple[dict[str, int], str]:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"There is no database at {source}.")
    try:
        # mode=rw: a missing file is an error here, never a new empty database.
        src = sqlite3.connect(f"file:{source}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as error:
        raise BackupError(f"The database {source} cannot be opened: {error}.") from None
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)  # one step: a consistent copy while writers go on (WAL)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        counts = _sqlite_counts(dst)
        _require_schema(counts)
        revision = ",".join(r for (r,) in dst.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The database {source} cannot be copied: {error}.") from None
    finally:
        dst.close()
        src.close()
    return counts, revision


def _copy_postgresql(url: str, copy: Path) -> tuple[dict[str, int], str, str]:
    """pg_dump in the snapshot the counts were taken in: the manifest matches the dump."""
    pg_dump = _tool("pg_dump")
    schema = _schema(url)
    conninfo, env = _libpq(url)
    with engine_for(url).connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            counts = _sa_counts(conn)
            _require_schema(counts)
            revision = ",".join(
                conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            )
            quoted = '"' + schema.replace('"', '""') + '"'
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--schema={quoted}",
                    f"--snapshot={snapshot}",
                    f"--file={copy}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
    return counts, revision, schema


def create(*, url: str, target: Path, now: datetime) -> Manifest:
    """Write a backup of the database at `url` to `target` (a new file, mode 0600)."""
    backend = backend_of(url)
    target = Path(target)
    if target.exists() or target.is_symlink():
        raise BackupError(f"{target} already exists: a backup never overwrites a file.")
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent}.")
    try:
        work = tempfile.TemporaryDirectory(prefix=".lbt-backup-", dir=target.parent)
    except OSError as error:
        raise BackupError(f"Cannot write in {target.parent}: {error.strerror}.") from None
    with work as folder:
        copy = Path(folder) / MEMBERS[backend]
        schema = ""
        if backend == "sqlite":
            counts, revision = _copy_sqlite(url, copy)
        else:
            counts, revision, schema = _copy_postgresql(url, copy)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            app_version=app_version(),
            backend=backend,
            schema=schema,
            alembic_revision=revision,
            created_at=now.isoformat(),
            tables=counts,
            sha256=_sha256(copy),
            size=copy.stat().st_size,
        )
        archive = Path(folder) / "backup.tar"
        try:
            _write_archive(archive, manifest, copy)
            _publish(archive, target)
        except OSError as error:
            raise BackupError(f"Cannot write {target}: {error.strerror}.") from None
    return manifest


def _write_archive(archive: Path, manifest: Manifest, copy: Path) -> None:
    fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        with tarfile.open(fileobj=file, mode="w", format=tarfile.PAX_FORMAT) as tar:
            body = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(body))
            info = tar.gettarinfo(str(copy), arcname=MEMBERS[manifest.backend])
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
            with copy.open("rb") as data:
                tar.addfile(info, data)
        file.flush()
        os.fsync(file.fileno())


def _publish(archive: Path, target: Path) -> None:
    """Put the finished archive at `target` in one step, never over an existing file."""
    try:
        os.link(archive, target)
    except FileExistsError:
        raise BackupError(f"{target} already exists: a backup never overwrites a file.") from None
    os.chmod(target, 0o600)
    with contextlib.suppress(OSError):  # not every filesystem syncs a folder
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


# ---------------------------------------------------------------- restore


def _open_archive(source: Path) -> tarfile.TarFile:
    if not source.is_file():
        raise BackupError(f"There is no backup file {source}.")
    try:
        return tarfile.open(source, mode="r:")
    except (tarfile.TarError, EOFError):
        raise BackupError(f"{source} is not an LBT backup (not a tar archive).") from None
    except OSError as error:
        raise BackupError(f"{source} cannot be read: {error.strerror}.") from None


def _manifest(tar: tarfile.TarFile, source: Path) -> Manifest:
    """The archive's first member, which must be the manifest."""
    not_a_backup = BackupError(f"{source} is not an LBT backup (no valid manifest in it).")
    try:
        member = tar.next()
        if member is None or member.name != MANIFEST or not member.isfile():
            raise not_a_backup
        data = tar.extractfile(member)
        fields = json.loads(data.read()) if data else None
    except (tarfile.TarError, EOFError, OSError):
        raise BackupError(f"{source} is damaged or truncated.") from None
    except ValueError:
        raise not_a_backup from None
    if not isinstance(fields, dict) or fields.pop("format", None) != FORMAT:
        raise not_a_backup
    version = fields.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise BackupError(
            f"{source} was made by a newer version of the app (backup format {version})."
        )
    fields.pop("database", None)
    if set(fields) != set(_KINDS) or any(
        not isinstance(fields[name], kind) for name, kind in _KINDS.items()
    ):
        raise not_a_backup
    manifest = Manifest(**fields)
    if manifest.backend not in MEMBERS or not all(
        isinstance(rows, int) for rows in manifest.tables.values()
    ):
        raise not_a_backup
    return manifest


def _extract_copy(tar: tarfile.TarFile, manifest: Manifest, source: Path, into: Path) -> Path:
    """The database copy, checked against the manifest's size and checksum."""
    damaged = BackupError(f"{source} is damaged or truncated (its database copy is incomplete).")
    path = into / MEMBERS[manifest.backend]
    digest = hashlib.sha256()
    try:
        member = tar.next()
        if member is None or member.name != MEMBERS[manifest.backend] or not member.isfile():
            raise damaged
        data = tar.extractfile(member)
        with path.open("wb") as out:
            while data and (chunk := data.read(_CHUNK)):
                digest.update(chunk)
                out.write(chunk)
    except (tarfile.TarError, EOFError, OSError):
        raise damaged from None
    if digest.hexdigest() != manifest.sha256 or path.stat().st_size != manifest.size:
        raise damaged
    return path


def _check_fits(manifest: Manifest, url: str) -> None:
    backend = backend_of(url)
    if manifest.backend != backend:
        raise BackupError(
            f"This is a backup of a {_NAMES[manifest.backend]} database; LBT_DATABASE_URL names "
            f"a {_NAMES[backend]} one. Restore it into {_NAMES[manifest.backend]}."
        )
    for revision in manifest.alembic_revision.split(","):
        if migrate.steps_behind(revision) is None:
            raise BackupError(
                f"The backup's schema (revision {revision}) is newer than this version of the app "
                "knows: restore it with the version that made it (or a newer one)."
            )
    if backend == "postgresql" and manifest.schema != _schema(url):
        raise BackupError(
            f"The backup holds schema {manifest.schema!r}; LBT_DATABASE_URL names schema "
            f"{_schema(url)!r}. Restore it into a database whose search_path is "
            f"{manifest.schema!r}."
        )


def _require_empty_sqlite(path: Path) -> None:
    if not path.exists():
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} exists and is not an SQLite database: {_NOT_EMPTY}.") from None
    if tables:
        raise BackupError(f"The database {path} already has {tables} tables: {_NOT_EMPTY}.")


def _restore_sqlite(copy: Path, manifest: Manifest, url: str) -> dict[str, int]:
    target = _sqlite_path(url)
    _require_empty_sqlite(target)
    try:
        src = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("The backup's database copy fails SQLite's integrity check.")
            counts = _sqlite_counts(src)
            _check_counts(counts, manifest)
            target.parent.mkdir(parents=True, exist_ok=True)
            made = not target.exists()
            dst = sqlite3.connect(target, timeout=30)
            try:
                src.backup(dst)  # one transaction on the target: all of it or nothing
            except sqlite3.DatabaseError:
                dst.close()
                if made:
                    target.unlink(missing_ok=True)
                raise
            dst.close()
        finally:
            src.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The backup cannot be restored into {target}: {error}.") from None
    return counts


def _restore_postgresql(copy: Path, manifest: Manifest, url: str) -> dict[str, int]:
    pg_restore = _tool("pg_restore")
    schema = manifest.schema
    conninfo, env = _libpq(url)
    engine = engine_for(url)
    with engine.begin() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p')"
            ),
            {"schema": schema},
        ).scalar_one()
        if tables:
            raise BackupError(f"The schema {schema!r} already has {tables} tables: {_NOT_EMPTY}.")
        quoted = '"' + schema.replace('"', '""') + '"'
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
        try:  # the dump names the name search index's operator class, not the extension
            pg_trgm_schema(conn)
        except RuntimeError as error:
            raise BackupError(str(error)) from None
    listing = copy.with_suffix(".list")
    entries = _run([pg_restore, "--list", str(copy)], env).splitlines()
    listing.write_text(
        "\n".join(";" + line if _SCHEMA_ENTRY.match(line) else line for line in entries) + "\n"
    )
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--use-list={listing}",
            f"--dbname={conninfo}",
            str(copy),
        ],
        env,
    )
    with engine.connect() as conn:
        counts = _sa_counts(conn)
    _check_counts(counts, manifest)
    return counts


def _check_counts(counts: dict[str, int], manifest: Manifest) -> None:
    if counts != manifest.tables:
        differ = sorted(
            name
            for name in set(counts) | set(manifest.tables)
            if counts.get(name) != manifest.tables.get(name)
        )
        raise BackupError(
            f"The restored rows differ from the backup's manifest: {', '.join(differ)}."
        )


def restore(*, url: str, source: Path) -> Restored:
    """Put the backup `source` into the empty database at `url`, then migrate it to head."""
    source = Path(source)
    backend_of(url)
    with _open_archive(source) as tar, tempfile.TemporaryDirectory(prefix="lbt-restore-") as folder:
        manifest = _manifest(tar, source)
        _check_fits(manifest, url)
        copy = _extract_copy(tar, manifest, source, Path(folder))
        if manifest.backend == "sqlite":
            counts = _restore_sqlite(copy, manifest, url)
        else:
            counts = _restore_postgresql(copy, manifest, url)
    migrate.upgrade(url)
    return Restored(manifest=manifest, tables=counts)
