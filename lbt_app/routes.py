"""Route names: one place for every path the app serves."""

from lbt_app.core.access import Role

LOGIN = "/"
SIGNUP = "/signup"
AUTHORITY = "/authority"
RESIDENTS = "/authority/residents"
APPLICATIONS = "/authority/applications"
OVERSIGHT = "/authority/oversight"
OFFICER = "/officer"
WALLET = "/wallet"
ADMIN = "/admin"
ADMIN_AGREEMENTS = "/admin/agreements"
ADMIN_REFUSALS = "/admin/refusals"
ADMIN_KEYS = "/admin/keys"
ACCOUNT = "/account"

HOME: dict[Role, str] = {
    Role.AUTHORITY: AUTHORITY,
    Role.OFFICER: OFFICER,
    Role.RESIDENT: WALLET,
    Role.ADMIN: ADMIN,
}

PHOTO = "/photo"  # a holder's photo by capability (core/photo_link.py, endpoints.py)


def photo(token: str) -> str:
    return f"{PHOTO}/{token}"
