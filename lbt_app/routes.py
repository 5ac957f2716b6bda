"""Route names: one place for every path the app serves, and what each page is called."""

from lbt_app.core.access import Role
from lbt_app.i18n import N_

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

BRAND = N_("LBT permits")
# Each page's title (its tab, its home-screen shortcut) and every page's meta description: what
# a search engine or a shared link shows under the title.
TITLE: dict[str, str] = {
    LOGIN: BRAND,
    SIGNUP: N_("Sign up"),
    AUTHORITY: N_("Authority desk"),
    RESIDENTS: N_("Residents"),
    APPLICATIONS: N_("Applications"),
    OVERSIGHT: N_("Oversight"),
    OFFICER: N_("Border officer"),
    WALLET: N_("My permit"),
    ADMIN: N_("Administration"),
    ADMIN_REFUSALS: N_("Refusal list"),
    ADMIN_KEYS: N_("Signing keys"),
    ADMIN_AGREEMENTS: N_("Agreements"),
    ACCOUNT: N_("My account"),
}
DESCRIPTION = N_(
    "Local Border Traffic permits: apply for a permit, carry it on your phone, "
    "have it checked at the crossing point."
)

HOME: dict[Role, str] = {
    Role.AUTHORITY: AUTHORITY,
    Role.OFFICER: OFFICER,
    Role.RESIDENT: WALLET,
    Role.ADMIN: ADMIN,
}

PHOTO = "/photo"  # a holder's photo by capability (core/photo_link.py, endpoints.py)


def photo(token: str) -> str:
    return f"{PHOTO}/{token}"
