"""`lbt`: admin commands on the database the settings name (LBT_DATABASE_URL)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import stat
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col, select

from lbt_app.core.imaging import PHOTO, decode_image
from lbt_app.core.qr import qr_matrix_info, render_png, render_svg
from lbt_app.core.verdict import Code, Outcome, Verdict
from lbt_app.db import migrate
from lbt_app.db.engine import engine_for, session_scope
from lbt_app.db.models import BorderArea, CrossingPoint, Permit, PermitStatus, Resident
from lbt_app.db.types import utcnow
from lbt_app.services import audit, backup, checks, demo, health, installation, keys, users
from lbt_app.services.backup import BackupError
from lbt_app.services.checks import Check
from lbt_app.services.installation import InstallationError
from lbt_app.services.keys import KeyError_
from lbt_app.services.permits import effective_status
from lbt_app.services.users import UserError
from lbt_app.settings import SettingsError, get_settings


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(f"lbt: {text}\n")


FILE_UNREADABLE = "The file cannot be read."


def cmd_demo(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.reset:
        migrate.downgrade_all(settings.database_url)
    migrate.upgrade(settings.database_url)
    with session_scope() as session:
        if demo.is_loaded(session):
            _out("Database is up to date; demo data already present (kept as it is).")
        elif not settings.load_demo:
            _out("Database is up to date; demo data is off (LBT_DEMO=0).")
            if not installation.has_users(session):
                _out("No users yet: `lbt init` creates the first administrator.")
            return 0
        else:
            demo.load(session=session, kek=settings.key_encryption_key(), now=utcnow())
            _out("Demo data loaded.")
    _out("Demo logins (user / password):")
    for login in demo.LOGINS:
        _out(f"  {login.username:<10} {login.password:<20} {login.role.value:<10} {login.note}")
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    """An installation after an upgrade of the app: back up first, restart the app after."""
    url = get_settings().database_url
    with engine_for(url).connect() as connection:
        before = migrate.schema_state(connection)
    if before.at_head:
        _out(f"Database schema already at {before.head}: nothing to do.")
        return 0
    if before.behind is None:
        _err(
            f"the database is at {before.current}, which this version of the app does not know "
            "(migrated by a newer version?): nothing changed"
        )
        return 2
    migrate.upgrade(url)
    plural = "s" if before.behind != 1 else ""
    _out(
        f"Database schema migrated from {before.current or 'empty'} to {before.head} "
        f"({before.behind} migration{plural}). Restart the app."
    )
    return 0


def cmd_doctor(_args: argparse.Namespace) -> int:
    """Whether this installation is fit to serve: one line per check, exit 1 on any failure."""
    try:
        settings = get_settings()
    except (SettingsError, ValueError) as error:  # nothing else can be checked without them
        todo = "Fix the environment, then run `lbt doctor` again."
        findings = [health.Finding("settings", False, f"{error} {todo}")]
    else:
        findings = [
            health.Finding("settings", True, f"LBT_ENV={settings.env}"),
            *health.full_report(settings),
        ]
    for finding in findings:
        detail = f" [{finding.detail}]" if finding.detail else ""
        _out(f"{'ok' if finding.ok else 'FAIL':<4}  {finding.name:<12} {finding.message}{detail}")
    return 0 if all(finding.ok for finding in findings) else 1


def _ask(prompt: str, given: str | None) -> str:
    if given is not None:
        return given
    if not sys.stdin.isatty():
        what = prompt.rstrip(": ")
        raise InstallationError(f"{what} is needed (a flag, or run it in a terminal).")
    return input(prompt)


def _new_password(args: argparse.Namespace) -> str:
    """From LBT_ADMIN_PASSWORD or one line of standard input (scripts), else asked twice: never
    a command-line argument, which every user of the machine can read in the process list."""
    if os.environ.get("LBT_ADMIN_PASSWORD"):
        return os.environ["LBT_ADMIN_PASSWORD"]
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise InstallationError(
            "A password is needed: LBT_ADMIN_PASSWORD, --password-stdin or a terminal."
        )
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise InstallationError("The two passwords differ.")
    return first


def cmd_init(args: argparse.Namespace) -> int:
    """An empty database becomes an installation: migrated, with its first administrator."""
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    with session_scope() as session:
        if installation.has_users(session):
            raise InstallationError(
                "This database already has users: lbt init sets up an empty installation only."
            )
    kek_file = settings.data_dir / "kek"
    made_kek = not settings.kek_env and not kek_file.exists()
    settings.key_encryption_key()  # made here in development when none is set; checked always
    username = _ask("Administrator's user name: ", args.username)
    full_name = _ask("Administrator's full name: ", args.full_name)
    password = _new_password(args)
    with session_scope() as session:
        admin = installation.first_administrator(
            session=session, username=username, full_name=full_name, password=password, now=utcnow()
        )
        name = admin.username
    _out("Database is up to date; no demo data.")
    if made_kek:
        _out(f"Made the signing key-encryption key: {kek_file} (keep a copy apart from backups).")
    _out(f"Administrator {name} created. Sign in at {settings.public_url} and set up the")
    _out("two-step sign-in, then the agreement, its authorities and the users.")
    return 0


def cmd_rescue_admin(args: argparse.Namespace) -> int:
    """For an installation whose administrator cannot sign in any more."""
    with session_scope() as session:
        password = users.rescue_administrator(session=session, username=args.username, now=utcnow())
    _out(f"One-time password for {args.username}: {password}")
    _out("They choose their own password and set up two-step sign-in again at sign-in.")
    return 0


def cmd_permits(args: argparse.Namespace) -> int:
    today = utcnow().date()
    with session_scope() as session:
        rows = session.exec(
            select(Permit, Resident, BorderArea)
            .join(Resident, col(Resident.id) == Permit.resident_id)
            .join(BorderArea, col(BorderArea.id) == Permit.border_area_id)
            .order_by(Permit.id)
        ).all()
        found = []
        for permit, resident, area in rows:
            status = str(effective_status(permit, today))
            if args.status and status != args.status:
                continue
            found.append(
                {
                    "number": permit.number,
                    "status": status,
                    "holder": f"{resident.surname_latin} {resident.given_names_latin}",
                    "document": resident.document_number,
                    "area": area.code,
                    "valid_from": permit.valid_from.isoformat(),
                    "valid_until": permit.valid_until.isoformat(),
                    "kid": permit.kid,
                    "qr_version": qr_matrix_info(permit.payload).version,
                }
            )
    for row in found:
        if args.json:
            _out(json.dumps(row, ensure_ascii=False))
        else:
            _out(
                f"{row['number']:<13} {row['status']:<10} {row['valid_until']}  "
                f"v{row['qr_version']:<2} {row['area']:<7} {row['holder']}"
            )
    return 0


def cmd_qr(args: argparse.Namespace) -> int:
    with session_scope() as session:
        permit = session.exec(select(Permit).where(Permit.number == args.number)).first()
        if permit is None:
            _err(f"no permit {args.number}")
            return 1
        text = permit.payload
    if args.text or not args.output:
        _out(text)
    if args.output:
        path = Path(args.output)
        if path.suffix.lower() == ".svg":
            path.write_text(render_svg(text))
        elif path.suffix.lower() == ".png":
            path.write_bytes(render_png(text))
        else:
            _err("the output file must end in .png or .svg")
            return 2
        info = qr_matrix_info(text)
        sys.stderr.write(f"wrote {path} (QR version {info.version}, {info.modules} modules)\n")
    return 0


def _regular_file(item: str) -> bool:
    """Whether ITEM names a regular file: a long text, a device or a FIFO is no image to read."""
    try:
        return stat.S_ISREG(os.stat(item).st_mode)
    except (OSError, ValueError):  # too long, no such path, no access; a NUL in it
        return False


def _item_texts(item: str) -> tuple[tuple[str, ...], str | None]:
    """The QR texts of an ITEM (payload text, or every code of an image file), or an error
    message id. Anything but a regular file is checked as a text: every item gets its verdict."""
    if item.startswith("LBT1:") or not _regular_file(item):
        return (item,), None
    try:
        # Non-blocking, and checked again once open: the path may have changed since the stat.
        with os.fdopen(os.open(item, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return (item,), None
            data = file.read(PHOTO.max_bytes + 1)
    except OSError:
        return (), FILE_UNREADABLE
    result = decode_image(data)
    return result.texts, result.error


def _verdict_json(check: Check) -> dict:
    verdict = check.verdict
    claims = verdict.claims
    permit = None
    if claims is not None:
        permit = {
            "number": claims.number,
            "surname": claims.surname,
            "given_names": claims.given_names,
            "birth_date": claims.birth_date.isoformat(),
            "nationality": claims.nationality,
            "document_number": claims.document_number,
            "border_area": claims.border_area,
            "crossing_points": list(claims.crossing_points),
            "valid_from": claims.valid_from.isoformat(),
            "valid_until": claims.valid_until.isoformat(),
            "max_stay_days": claims.max_stay_days,
            "issuer": claims.issuer,
        }
    return {
        "verdict": str(verdict.outcome),
        "code": str(verdict.code),
        "reasons": list(verdict.reasons),
        "permit": permit,
    }


def cmd_verify(args: argparse.Namespace) -> int:
    now = utcnow()
    all_valid = True
    with session_scope() as session:
        if (
            args.at
            and session.exec(select(CrossingPoint).where(CrossingPoint.code == args.at)).first()
            is None
        ):
            _err(f"no crossing point {args.at}")
            return 2
        for item in args.items:
            texts, error = _item_texts(item)
            if not texts:
                check = Check(
                    verdict=Verdict.of(Code.MALFORMED, extra_reasons=(error or "",)),
                    point_code=args.at or "",
                )
            else:
                # a picture with several codes: the one that is a permit (as at the officer's)
                text = checks.choose_permit_text(
                    session=session, texts=texts, agreement_id=None, now=now
                ).text
                check = checks.assess(session=session, text=text, now=now, point_code=args.at)
            checks.record_check(session=session, check=check, now=now, actor_name="cli")
            claims = check.verdict.claims
            all_valid &= check.verdict.outcome is Outcome.VALID
            row = _verdict_json(check)
            if args.json:
                _out(json.dumps(row, ensure_ascii=False))
            else:
                who = f" {claims.number} {claims.surname} {claims.given_names}" if claims else ""
                _out(f"{row['verdict']:<7} {row['code']:<26}{who}  {' '.join(row['reasons'])}")
    return 0 if all_valid else 1


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    with session_scope() as session:
        row = keys.rotate(
            session=session,
            authority_code=args.authority,
            kek=get_settings().key_encryption_key(),
            now=utcnow(),
        )
        _out(f"new key {row.kid} for {args.authority}; the previous key is retired")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    with session_scope() as session:
        affected = keys.revoke(session=session, kid=args.kid, now=utcnow())
    _out(f"key {args.kid} revoked; {affected} permits signed with it no longer verify")
    return 0


def cmd_trust_list(args: argparse.Namespace) -> int:
    with session_scope() as session:
        trust = keys.trust_list(session=session)
    if args.json:
        _out(trust.to_json())
    else:
        for key in trust.values():
            _out(f"{key.kid}  {key.status:<8} {key.issuer:<12} {key.timezone}")
    return 0


def _say_check(check: audit.ChainCheck) -> int:
    start = f"the checkpoint at event {check.from_seq}" if check.from_seq else "the first event"
    walk = f"{check.walked} read from {start}"
    if check.ok:
        legacy = f"; {check.legacy} hashed before actor_id was covered" if check.legacy else ""
        _out(f"audit chain intact: {check.events} events ({walk}{legacy})")
        return 0
    _out(
        f"audit chain BROKEN at event {check.first_broken_seq}: {check.problem} "
        f"({check.events} events verified before it; {walk})"
    )
    return 1


def cmd_audit_verify(args: argparse.Namespace) -> int:
    with session_scope() as session:
        check = audit.run_check(session=session, now=utcnow(), full=args.full, actor_name="cli")
    return _say_check(check)


def cmd_audit_checkpoint(_args: argparse.Namespace) -> int:
    with session_scope() as session:
        check = audit.run_check(session=session, now=utcnow(), full=False, actor_name="cli")
        signed = audit.latest_checkpoint(session=session)
    status = _say_check(check)
    if status == 0 and signed is not None:
        _out(
            f"checkpoint: event {signed.seq}, {signed.events} events, head {signed.head_hash}, "
            f"{signed.at.isoformat()}, key {signed.kid}, signature {signed.signature}"
        )
    return status


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def cmd_backup(args: argparse.Namespace) -> int:
    target = Path(args.file)
    made = backup.create(url=get_settings().database_url, target=target, now=utcnow())
    _out(
        f"Backup written: {target} ({_size(target.stat().st_size)}; {made.backend}, schema "
        f"revision {made.alembic_revision}, {made.rows} rows in {len(made.tables)} tables)."
    )
    _out("It holds the signing keys sealed, not the key-encryption key: keep that apart.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    done = backup.restore(url=get_settings().database_url, source=Path(args.file))
    made = done.manifest
    _out(
        f"Restored {args.file} (made {made.created_at} by version {made.app_version}): "
        f"{sum(done.tables.values())} rows in {len(done.tables)} tables, as the backup recorded."
    )
    _out("Database migrated to this version's schema.")
    _out("The app needs the key-encryption key (LBT_KEK, LBT_KEK_FILE or data/kek) of the")
    _out("installation that made the backup: `lbt doctor` checks that it opens the signing keys.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lbt", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="create or migrate the database and load the demo data once")
    p.add_argument("--reset", action="store_true", help="drop everything first")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser(
        "migrate", help="bring the database to this version's schema (back up first, restart after)"
    )
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("doctor", help="check this installation's configuration, line by line")
    p.set_defaults(func=cmd_doctor, reads_settings_itself=True)
    p = sub.add_parser("init", help="set up an empty database: schema and first administrator")
    p.add_argument("--username", help="the first administrator's user name")
    p.add_argument("--full-name", help="their full name")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p.set_defaults(func=cmd_init)
    p = sub.add_parser(
        "rescue-admin", help="a locked-out administrator: one-time password, second factor reset"
    )
    p.add_argument("username", metavar="USERNAME")
    p.set_defaults(func=cmd_rescue_admin)
    p = sub.add_parser("permits", help="list permits")
    p.add_argument("--status", choices=[s.value for s in PermitStatus])
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_permits)
    p = sub.add_parser("qr", help="a permit's QR code or payload text")
    p.add_argument("number")
    p.add_argument("-o", "--output", help="FILE.png or FILE.svg")
    p.add_argument("--text", action="store_true", help="print the payload text")
    p.set_defaults(func=cmd_qr)
    p = sub.add_parser("verify", help="verify payload texts or QR images; exit 0 if all VALID")
    p.add_argument("items", nargs="+", metavar="ITEM")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--at", metavar="CROSSING_POINT_CODE", help="check at this crossing point")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("keys", help="signing keys")
    ksub = p.add_subparsers(dest="keys_command", required=True)
    k = ksub.add_parser("rotate", help="a new key signs from now on; the old one is retired")
    k.add_argument("authority", metavar="AUTHORITY_CODE")
    k.set_defaults(func=cmd_keys_rotate)
    k = ksub.add_parser("revoke", help="permits signed with this key stop verifying")
    k.add_argument("kid", metavar="KID")
    k.set_defaults(func=cmd_keys_revoke)
    p = sub.add_parser("trust-list", help="the public keys this installation trusts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_trust_list)
    p = sub.add_parser("audit", help="the audit log")
    asub = p.add_subparsers(dest="audit_command", required=True)
    a = asub.add_parser("verify", help="check the hash chain; name the first broken link")
    a.add_argument("--full", action="store_true", default=True, help="walk every event (default)")
    a.add_argument(
        "--incremental",
        dest="full",
        action="store_false",
        help="walk only the events after the last verified checkpoint",
    )
    a.set_defaults(func=cmd_audit_verify)
    a = asub.add_parser("checkpoint", help="check from the last checkpoint, then sign the head")
    a.set_defaults(func=cmd_audit_checkpoint)
    p = sub.add_parser("backup", help="write a backup of the database to a new FILE (0600)")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup FILE into an empty database, migrated")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `lbt permits | head` ends quietly
    args = build_parser().parse_args(argv)
    if getattr(args, "reads_settings_itself", False):  # and reports bad settings itself
        return args.func(args)
    try:
        get_settings().restrict_files()
        return args.func(args)
    except (SettingsError, KeyError_, InstallationError, UserError, BackupError) as error:
        _err(str(error))
        return 2
    except sa.exc.OperationalError as error:
        _err(f"the database cannot be reached: {health.said(error, get_settings().database_url)}")
        _err("check LBT_DATABASE_URL; `lbt doctor` checks the whole configuration")
        return 2


if __name__ == "__main__":
    sys.exit(main())
