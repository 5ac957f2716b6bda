"""One typed settings object, read from the environment (prefix LBT_)."""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECOND_FACTOR_POLICIES = ("required", "off")
# prometheus_client's multiprocess mode: it reads this variable when it is first imported.
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The files it writes there, one per metric kind and process: a start removes only these.
_METRICS_FILE = re.compile(r"(counter|gauge_[a-z]+|histogram|summary)_\d+\.db")


class SettingsError(RuntimeError):
    """The environment asks for something the app must refuse to run with."""


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    database_url: str
    redis_url: str | None
    kek_env: str | None  # the key given from outside: LBT_KEK, or the file LBT_KEK_FILE names
    session_hours: int
    trusted_proxy_hops: int
    default_lang: str
    load_demo: bool
    public_url: str
    # Where the browser opens the event websocket, built into the pages: the public address
    # when one is set (behind the proxy), else None and Reflex uses the port it serves on.
    api_url: str | None
    allowed_origins: tuple[str, ...]
    listen_host: str
    # The app's processes count into files here (one per process); /metrics adds them up.
    metrics_dir: Path
    # "required": staff and administrators sign in with a code as well as a password.
    second_factor: str = "required"

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    def key_encryption_key(self, *, make: bool = True) -> bytes:
        """The 32-byte key that encrypts signing keys at rest (env secret or 0600 file, made
        here in development when missing unless `make` is false)."""
        if self.kek_env:
            try:
                kek = base64.b64decode(self.kek_env, validate=True)
            except binascii.Error:
                kek = b""
            if len(kek) != 32:
                raise SettingsError("LBT_KEK must be 32 bytes, base64-encoded.")
            return kek
        path = self.data_dir / "kek"
        if not path.exists():
            if not make:
                raise SettingsError(
                    f"No key-encryption key: LBT_KEK is not set and {path} is missing."
                )
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        if path.stat().st_mode & 0o077:
            raise SettingsError(f"{path} must be readable by its owner only (chmod 600).")
        return path.read_bytes()

    def restrict_files(self) -> None:
        """Whatever this process writes (database, Reflex's state files with session tokens,
        uploads) is its owner's alone: files 0600, folders 0700, old ones tightened too."""
        os.umask(0o077)
        states = Path(os.environ.get("REFLEX_STATES_WORKDIR") or ".states").resolve()
        for folder in (self.data_dir, states):
            if not folder.is_dir():
                continue
            folder.chmod(0o700)
            for path in folder.rglob("*"):
                if not path.is_symlink():
                    path.chmod(0o700 if path.is_dir() else 0o600)

    def start_metrics(self, argv: Sequence[str]) -> None:
        """`reflex run` starts with no counts left from an earlier run, and hands the folder
        down to the workers it starts (through the environment, so they leave it alone).
        Other commands (`reflex db`, `lbt`) count in memory and never touch a server's files."""
        if METRICS_DIR_ENV in os.environ or not _is_reflex_run(argv):
            return
        self.metrics_dir.mkdir(parents=True, exist_ok=True)
        for path in self.metrics_dir.iterdir():
            if _METRICS_FILE.fullmatch(path.name):
                path.unlink()
        os.environ[METRICS_DIR_ENV] = str(self.metrics_dir)


def _is_reflex_run(argv: Sequence[str]) -> bool:
    program = Path(argv[0]) if argv else Path()
    reflex = program.name == "reflex" or program.parent.name == "reflex"  # or `python -m reflex`
    return reflex and len(argv) > 1 and argv[1] == "run"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SettingsError(f"{url!r} is not an http(s) address.")
    return f"{parts.scheme}://{parts.netloc}"


def _kek_from_file(value: str | None) -> str | None:
    """The base64 key in the file LBT_KEK_FILE names (systemd's LoadCredential puts it in
    $CREDENTIALS_DIRECTORY): kept out of the environment, which child processes inherit."""
    if not value:
        return None
    path = Path(value)
    try:
        if path.stat().st_mode & 0o077:
            raise SettingsError(f"{path} must be readable by its owner only (chmod 600).")
        return path.read_text().strip() or None
    except OSError as error:
        raise SettingsError(f"LBT_KEK_FILE {path} cannot be read ({error.strerror}).") from None


def _count(value: str | None, name: str) -> int:
    if not value:
        return 0
    if not (value.strip().isascii() and value.strip().isdigit()):
        raise SettingsError(f"{name} must be a whole number (0 or more).")
    return int(value)


def load_settings(environ: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
    env = environ.get("LBT_ENV", "development")
    if env not in {"development", "production"}:
        raise SettingsError("LBT_ENV must be 'development' or 'production'.")
    data_dir = Path(environ.get("LBT_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    database_url = environ.get("LBT_DATABASE_URL") or f"sqlite:///{data_dir / 'lbt.db'}"
    load_demo = _flag(environ.get("LBT_DEMO"), default=env == "development")
    if env == "production" and load_demo:
        raise SettingsError("Demo data (with its published passwords) is refused in production.")
    kek_env = environ.get("LBT_KEK") or _kek_from_file(environ.get("LBT_KEK_FILE"))
    if env == "production" and not kek_env:
        raise SettingsError("Production needs LBT_KEK or LBT_KEK_FILE (32 random bytes, base64).")
    # The demo's accounts have published passwords and no phones: no codes asked by default.
    second_factor = environ.get("LBT_SECOND_FACTOR") or ("off" if load_demo else "required")
    if second_factor not in SECOND_FACTOR_POLICIES:
        raise SettingsError("LBT_SECOND_FACTOR must be 'required' or 'off'.")
    port = _count(environ.get("LBT_PORT") or "3000", "LBT_PORT")  # `make run PORT=…` sets it
    public_url = environ.get("LBT_PUBLIC_URL") or f"http://localhost:{port}"
    # Without a public address the app runs on this machine: both loopback names work.
    extra = environ.get("LBT_ALLOWED_ORIGINS") or (
        "" if environ.get("LBT_PUBLIC_URL") else f"http://127.0.0.1:{port}"
    )
    extra_origins = [_origin(o) for o in extra.split(",") if o.strip()]
    return Settings(
        env=env,
        data_dir=data_dir,
        database_url=database_url,
        redis_url=environ.get("LBT_REDIS_URL") or None,
        kek_env=kek_env,
        session_hours=int(environ.get("LBT_SESSION_HOURS", "12")),
        trusted_proxy_hops=_count(environ.get("LBT_TRUSTED_PROXY_HOPS"), "LBT_TRUSTED_PROXY_HOPS"),
        default_lang=environ.get("LBT_DEFAULT_LANG", "en"),
        load_demo=load_demo,
        public_url=public_url,
        api_url=_origin(public_url) if environ.get("LBT_PUBLIC_URL") else None,
        # Browsers may call the app (CORS, the event websocket) only from these pages.
        allowed_origins=tuple(dict.fromkeys([_origin(public_url), *extra_origins])),
        listen_host=environ.get("LBT_LISTEN_HOST") or "127.0.0.1",
        metrics_dir=Path(environ.get("LBT_METRICS_DIR") or data_dir / "metrics").resolve(),
        second_factor=second_factor,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
