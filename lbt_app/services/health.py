"""Is this installation fit to serve? One check per concern, each a plain function answering
with a Finding in English for the operator. `lbt doctor` runs them all; `/api/health` only the
cheap ones the proxy and monitoring poll (database, schema, Redis) — never the KEK."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

import redis
import sqlalchemy as sa
from alembic.util import CommandError
from sqlmodel import Session, col, select

from lbt_app.core.keys import decrypt_private_key
from lbt_app.db import migrate
from lbt_app.db.engine import PROBE_TIMEOUT_S, probe_engine
from lbt_app.db.models import Authority, KeyStatus, SigningKey
from lbt_app.db.types import utcnow
from lbt_app.services import demo
from lbt_app.settings import Settings, SettingsError

# Timestamps from several hosts (audit log, crossings, one-time codes) must agree.
MAX_CLOCK_SKEW = timedelta(seconds=3)


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    message: str  # what is wrong and what to do; never a secret or a database address
    detail: str = ""  # the driver's own words (may name a host or a file): the console only


def said(error: BaseException, url: str) -> str:
    """The first line of what the driver said, with the URL's password (if any) blotted out."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    line = lines[0] if lines else type(cause).__name__
    password = urlsplit(url).password
    return line.replace(password, "***") if password else line


def _unreadable(name: str, error: BaseException, url: str) -> Finding:
    return Finding(
        name,
        False,
        "could not be checked: the database answered with an error (is its schema at head?)",
        said(error, url),
    )


def _unchecked(name: str) -> Finding:
    return Finding(name, False, "not checked: the database cannot be reached")


def database(url: str) -> Finding:
    sqlite = url.startswith("sqlite")
    try:
        with probe_engine(url).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        words = said(error, url)
        if sqlite:
            words = f"{sa.engine.make_url(url).database}: {words}"
            todo = "check LBT_DATABASE_URL, that the file exists and that this user may write it"
        else:
            todo = "check LBT_DATABASE_URL and that the database server is running"
        return Finding("database", False, f"cannot be opened: {todo}", words)
    return Finding("database", True, "reachable (SQLite file)" if sqlite else "reachable")


def migrations(url: str) -> Finding:
    try:
        with probe_engine(url).connect() as conn:
            state = migrate.schema_state(conn)
    except (sa.exc.SQLAlchemyError, CommandError) as error:
        return _unreadable("migrations", error, url)
    if state.at_head:
        return Finding("migrations", True, f"the schema is at head ({state.head})")
    if state.current is None:
        message = "no schema: an empty database — `lbt init` sets up a new installation"
    elif state.behind is None:
        message = (
            f"the database is at {state.current}, which this version of the app does not know "
            "(migrated by a newer version?): run that version, or restore a backup"
        )
    else:
        plural = "s" if state.behind != 1 else ""
        message = (
            f"{state.behind} migration{plural} behind ({state.current} → {state.head}): "
            "back up the database, run `lbt migrate`, then restart the app"
        )
    return Finding("migrations", False, message)


@cache
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=PROBE_TIMEOUT_S, socket_timeout=PROBE_TIMEOUT_S
    )


def redis_server(url: str) -> Finding:
    try:
        _redis_client(url).ping()
    except (redis.RedisError, OSError, ValueError) as error:
        return Finding(
            "redis",
            False,
            "cannot be reached: check LBT_REDIS_URL and that Redis is running "
            "(the app keeps its users' page state there)",
            said(error, url),
        )
    return Finding("redis", True, "reachable")


def key_encryption_key(settings: Settings, url: str) -> Finding:
    """The KEK opens every active signing key: a wrong one is found here, not at the first
    permit issued. No key material is ever part of the answer."""
    source = "LBT_KEK" if settings.kek_env else f"the key file {settings.data_dir / 'kek'}"
    try:
        kek = settings.key_encryption_key(make=False)
    except (SettingsError, OSError) as error:
        return Finding(
            "kek",
            False,
            f"{error} Set LBT_KEK to this installation's key (the copy kept off the server).",
        )
    try:
        with Session(probe_engine(url)) as session:
            active = session.exec(
                select(SigningKey.kid, SigningKey.private_key_encrypted, Authority.code)
                .join(Authority, col(Authority.id) == SigningKey.authority_id)
                .where(
                    SigningKey.status == KeyStatus.ACTIVE,
                    col(SigningKey.private_key_encrypted).is_not(None),
                )
                .order_by(Authority.code)
            ).all()
    except sa.exc.SQLAlchemyError as error:
        return _unreadable("kek", error, url)
    if not active:
        return Finding("kek", True, f"{source} is set; no active signing key to open yet")
    failed = []
    for kid, sealed, authority in active:
        try:
            decrypt_private_key(sealed, kek, kid)
        except ValueError:  # KeyDecryptionError, or a key file of the wrong length
            failed.append(f"{authority} {kid}")
    if failed:
        return Finding(
            "kek",
            False,
            f"{source} does not open {len(failed)} of the {len(active)} active signing keys "
            f"({', '.join(failed)}): it is not the key they were sealed with. Set LBT_KEK to "
            "this installation's key (the copy kept off the server).",
        )
    return Finding("kek", True, f"{source} opens all {len(active)} active signing keys")


def _span(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def clock(url: str, *, now: Callable[[], datetime] = utcnow) -> Finding:
    """This machine's clock against the database server's (`now` is this machine's)."""
    try:
        with probe_engine(url).connect() as conn:
            if conn.dialect.name == "sqlite":
                return Finding("clock", True, "SQLite runs on this machine's clock")
            before = now()
            server = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
            after = now()
    except sa.exc.SQLAlchemyError as error:
        return _unreadable("clock", error, url)
    half_trip = (after - before) / 2
    skew = (server - (before + half_trip)).total_seconds()
    if abs(skew) <= (MAX_CLOCK_SKEW + half_trip).total_seconds():
        return Finding("clock", True, f"in step with the database server ({abs(skew):.1f} s)")
    side = "behind" if skew > 0 else "ahead of"
    return Finding(
        "clock",
        False,
        f"this machine's clock is {_span(abs(skew))} {side} the database server's (at most "
        f"{MAX_CLOCK_SKEW.seconds} s allowed): keep both in step with NTP "
        "(`timedatectl set-ntp true`)",
    )


def public_url(settings: Settings) -> Finding:
    url = settings.public_url
    if urlsplit(url).scheme == "https":
        return Finding("public-url", True, f"{url} is HTTPS")
    if settings.env != "production":
        return Finding("public-url", True, f"{url} (development: HTTPS not required)")
    return Finding(
        "public-url",
        False,
        f"LBT_PUBLIC_URL is {url}: phones open the camera and keep the offline wallet only "
        "over HTTPS. Serve the app behind the HTTPS proxy and set its https:// address.",
    )


def demo_data(settings: Settings, url: str) -> Finding:
    try:
        with Session(probe_engine(url)) as session:
            present = demo.is_present(session)
    except sa.exc.SQLAlchemyError as error:
        return _unreadable("demo", error, url)
    if not present:
        return Finding("demo", True, "no demo data")
    if settings.env != "production":
        return Finding("demo", True, "the demo data is loaded (development)")
    return Finding(
        "demo",
        False,
        f"the demo data is loaded (agreement {demo.AGREEMENT_CODE}, logins whose passwords "
        "are published): not for production. Set up the installation on an empty database "
        "with `lbt init`.",
    )


def service_report(settings: Settings) -> list[Finding]:
    """What the proxy and monitoring poll: cheap (a pooled connection, a ping), no secrets."""
    url = settings.database_url
    found = [database(url)]
    found.append(migrations(url) if found[0].ok else _unchecked("migrations"))
    if settings.redis_url:
        found.append(redis_server(settings.redis_url))
    return found


def full_report(settings: Settings, *, now: Callable[[], datetime] = utcnow) -> list[Finding]:
    """Everything `lbt doctor` checks, in the order it prints them."""
    url = settings.database_url
    found = service_report(settings)
    reachable = found[0].ok
    found.append(key_encryption_key(settings, url) if reachable else _unchecked("kek"))
    found.append(clock(url, now=now) if reachable else _unchecked("clock"))
    found.append(public_url(settings))
    found.append(demo_data(settings, url) if reachable else _unchecked("demo"))
    return found
