"""`lbt`: admin commands on the database the settings name (LBT_DATABASE_URL)."""

from __future__ import annotations

import argparse
import sys

from lbt_app.db import migrate
from lbt_app.db.engine import session_scope
from lbt_app.db.types import utcnow
from lbt_app.services import demo
from lbt_app.settings import SettingsError, get_settings


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


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
            return 0
        else:
            demo.load(session=session, kek=settings.key_encryption_key(), now=utcnow())
            _out("Demo data loaded.")
    _out("Demo logins (user / password):")
    for login in demo.LOGINS:
        _out(f"  {login.username:<10} {login.password:<20} {login.role.value:<10} {login.note}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lbt", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="create or migrate the database and load the demo data once")
    p.add_argument("--reset", action="store_true", help="drop everything first")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as error:
        sys.stderr.write(f"lbt: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
