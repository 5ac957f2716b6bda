"""Every page builds: unknown message ids and Var misuse fail here, before any browser."""

import pytest

from lbt_app.pages.account import account_page
from lbt_app.pages.admin import admin_page
from lbt_app.pages.admin_agreements import admin_agreements_page
from lbt_app.pages.admin_keys import admin_keys_page
from lbt_app.pages.admin_refusals import admin_refusals_page
from lbt_app.pages.applications import applications_page
from lbt_app.pages.desk import authority_page
from lbt_app.pages.login import login_page
from lbt_app.pages.officer import officer_page
from lbt_app.pages.wallet import wallet_page


@pytest.mark.parametrize(
    "build",
    [
        login_page,
        officer_page,
        authority_page,
        wallet_page,
        admin_page,
        admin_refusals_page,
        admin_keys_page,
        admin_agreements_page,
        applications_page,
        account_page,
    ],
)
def test_page_builds(build):
    component = build()
    assert component.render()
