"""A real installation from an empty database, in a browser, with no demo data anywhere:
`lbt init` → the administrator signs in with two-step sign-in, sets up an agreement (two
areas, three crossing points, an issuing authority) and the users → the staff member, on their
one-time password and with their own second factor, registers a resident and issues a permit →
an officer at an allowed point scans it VALID and records the entry; an officer at a point the
permit does not list gets INVALID."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from tests.e2e.camera import qr_scene, write_y4m
from tests.e2e.conftest import (
    MODES,
    PG_URL,
    REDIS_URL,
    _phone_page,
    hydrated,
    metrics_of,
    sign_in,
    verdict_of,
)
from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    AppFailed,
    Preparation,
    RunningApp,
    fake_camera_args,
    running_app,
)
from tests.e2e.test_residents import apply_and_approve, new_resident

pytestmark = pytest.mark.browser

ADMIN, ADMIN_NAME, ADMIN_PASSWORD = "chief", "Dilnoza Rahimova", "chief-own-password-2026"
AREAS = [  # code, name, native name, side, districts
    ("TJ-SGD", "Sughd border districts", "Ноҳияҳои сарҳадии Суғд", "TJK", "Ghafurov, Spitamen"),
    ("UZ-FRG", "Fergana border districts", "Farg‘ona chegara tumanlari", "UZB", "Rishton, Bagdad"),
]
POINTS = [  # code, name, the areas it serves
    ("FOTEHOBOD", "Fotehobod – Oybek", ("TJ-SGD", "UZ-FRG")),
    ("KUSHTEGIRMON", "Kushtegirmon – Bekobod", ("UZ-FRG",)),
    ("PATAR", "Patar – Rishton", ("TJ-SGD",)),
]
AUTHORITY, AUTHORITY_NAME = "TJ-SGD-LBT", "Sughd Local Border Traffic Office"
AGREEMENT = "Tajikistan–Uzbekistan local border traffic"


@pytest.fixture(scope="module", params=MODES)
def installation(request) -> Iterator[RunningApp]:
    """The app in production mode on a database that only `lbt init` has touched."""
    first_run = Preparation(
        command=("init", "--username", ADMIN, "--full-name", ADMIN_NAME, "--password-stdin"),
        stdin=ADMIN_PASSWORD + "\n",
        env=(
            ("LBT_ENV", "production"),
            ("LBT_DEMO", "0"),
            ("LBT_KEK", base64.b64encode(secrets.token_bytes(32)).decode()),
        ),
        schema="lbt_install",
    )
    try:
        with running_app(request.param, PG_URL, REDIS_URL, prepare=first_run) as running:
            yield running
    except AppFailed as failure:
        pytest.fail(str(failure))


@pytest.fixture
def phones(playwright, installation):
    """Phone-sized pages; with a video file, one whose camera films it (a browser each)."""
    browsers = []

    def open_page(video=None):
        args = CHROMIUM_ARGS + (fake_camera_args(video) if video else [])
        b = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        browsers.append(b)
        return _phone_page(b, **({"permissions": ["camera"]} if video else {}))

    yield open_page
    for b in browsers:
        b.close()


def _code(secret_text: str) -> str:
    """What the user's authenticator app shows now, from the key typed off the page."""
    secret = base64.b32decode(secret_text.replace(" ", "").upper())
    return TOTP(secret, 6, SHA1(), 30).generate(int(time.time())).decode()


def _enrol(page) -> None:
    """The first sign-in's two-step set-up, as a user with an authenticator app does it."""
    page.wait_for_selector("[data-testid=step-enrol]")
    page.fill("#enrol-code", _code(page.inner_text("[data-testid=enrol-secret]")))
    page.click("[data-testid=enrol-confirm]")
    page.wait_for_selector("[data-testid=enrol-recovery-codes]")
    assert len(page.inner_text("[data-testid=enrol-recovery-codes]").split()) == 10
    page.click("[data-testid=enrol-codes-saved]")


def _own_password(page, password: str) -> None:
    page.wait_for_selector("[data-testid=step-new-password]")
    page.fill("#new-password", password)
    page.fill("#new-password-again", password)
    page.click("[data-testid=save-password]")


def _rows(app: RunningApp, query: str, **params) -> list[tuple]:
    with app.engine().connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query), params).all()]


def _set_up_the_agreement(page) -> None:
    page.click("[data-testid=nav-admin-agreements]")
    page.wait_for_url("**/admin/agreements")
    hydrated(page)
    # the page's load has run (it opens the form, there being no agreement yet, fills the
    # zones and clears the forms): now type
    zone = "[data-testid=agreement-timezone] option[value='{}']"
    page.wait_for_selector(zone.format("UTC"), state="attached")
    page.fill("[data-testid=agreement-code]", "TJ-UZ")
    page.fill("[data-testid=agreement-name]", AGREEMENT)
    page.select_option("[data-testid=agreement-country_a]", "TJK")
    page.select_option("[data-testid=agreement-country_b]", "UZB")
    page.wait_for_selector(zone.format("Asia/Dushanbe"), state="attached")  # the countries' own
    page.select_option("[data-testid=agreement-timezone]", "Asia/Dushanbe")
    page.click("[data-testid=agreement-create]")
    page.wait_for_selector("[data-testid=agreement-chosen]:has-text('Tajikistan–Uzbekistan')")
    for code, name, native, country, districts in AREAS:
        page.fill("[data-testid=area-code]", code)
        page.fill("[data-testid=area-name]", name)
        page.fill("[data-testid=area-name_native]", native)
        page.select_option("[data-testid=area-country]", country)
        page.fill("[data-testid=area-depth_km]", "30")
        page.fill("[data-testid=area-districts]", districts)
        page.click("[data-testid=area-save]")
        page.wait_for_selector(f"[data-testid=area-row][data-code='{code}']")
    for code, name, serves in POINTS:
        page.fill("[data-testid=point-code]", code)
        page.fill("[data-testid=point-name]", name)
        for area in serves:
            page.check(f"[data-testid=point-serves][data-code='{area}']")
        page.click("[data-testid=point-save]")
        page.wait_for_selector(f"[data-testid=point-row][data-code='{code}']")
    page.fill("[data-testid=authority-code]", AUTHORITY)
    page.fill("[data-testid=authority-name]", AUTHORITY_NAME)
    page.fill("[data-testid=authority-name_native]", "Идораи ҳаракати маҳаллии сарҳадии Суғд")
    page.select_option("[data-testid=authority-country]", "TJK")
    page.select_option("[data-testid=authority-kind]", "issuing")
    page.click("[data-testid=authority-save]")
    page.wait_for_selector(f"[data-testid=authority-row][data-code='{AUTHORITY}']")


def _new_account(page, username: str, full_name: str, role: str, binding: str = "") -> str:
    """An account made on the users page; its one-time password, shown this once."""
    page.click("[data-testid=user-new]")
    page.fill("[data-testid=form-username]", username)
    page.fill("[data-testid=form-full-name]", full_name)
    page.select_option("[data-testid=form-role]", role)
    if role == "officer":
        page.select_option("[data-testid=form-point]", label=f"{binding} · {AGREEMENT}")
    elif role == "authority":
        page.select_option("[data-testid=form-authority]", label=binding)
    page.click("[data-testid=form-save]")
    password = page.inner_text("[data-testid=one-time-password]").strip()
    page.click("[data-testid=secret-done]")
    page.wait_for_selector("[data-testid=one-time-password]", state="detached")
    return password


def _issue_a_permit(page) -> None:
    """The staff member registers a resident with an application and approves it."""
    page.click("[data-testid=nav-residents]")
    page.wait_for_url("**/authority/residents")
    hydrated(page)
    new_resident(page, "TJ4410021", "Назарова", "Мадина", "NAZAROVA MADINA")
    apply_and_approve(page, "TJ4410021")


def _officer_scans(phones, app: RunningApp, username: str, password: str, payload: str, tmp):
    video = write_y4m(tmp / f"{username}.y4m", [(qr_scene(payload), 2.0)])
    page = phones(video)
    sign_in(page, app, username, password)
    _own_password(page, f"{username}-own-password")
    page.wait_for_url("**/officer")
    hydrated(page)
    page.click("[data-testid=scan-start]")
    page.wait_for_selector("[data-testid=scanner]")
    return page


def test_from_an_empty_database_to_a_recorded_crossing(installation, phones, tmp_path):
    app = installation
    assert _rows(app, 'SELECT count(*) FROM "user"') == [(1,)]
    assert _rows(app, "SELECT count(*) FROM agreement") == [(0,)]

    admin = phones()
    sign_in(admin, app, ADMIN, ADMIN_PASSWORD)
    _enrol(admin)  # required for an administrator
    admin.wait_for_url("**/admin")
    hydrated(admin)
    _set_up_the_agreement(admin)
    admin.click("[data-testid=nav-admin-users]")
    admin.wait_for_url("**/admin")
    hydrated(admin)
    staff_password = _new_account(
        admin, "madina.staff", "Madina Saidova", "authority", AUTHORITY_NAME
    )
    at_kushtegirmon = _new_account(admin, "kushtegirmon1", "Rustam Aliev", "officer", POINTS[1][1])
    at_patar = _new_account(admin, "patar1", "Bahrom Nazarov", "officer", POINTS[2][1])

    staff = phones()
    sign_in(staff, app, "madina.staff", staff_password)
    _own_password(staff, "madina-own-password-2026")
    _enrol(staff)  # required for authority staff
    staff.wait_for_url("**/authority")
    hydrated(staff)
    _issue_a_permit(staff)
    ((number, payload),) = _rows(app, "SELECT number, payload FROM permit")
    points = _rows(
        app,
        "SELECT c.code FROM permitcrossingpoint x "
        "JOIN crossingpoint c ON c.id = x.crossing_point_id ORDER BY c.code",
    )
    assert points == [("FOTEHOBOD",), ("KUSHTEGIRMON",)]  # the points serving UZ-FRG

    allowed = _officer_scans(phones, app, "kushtegirmon1", at_kushtegirmon, payload, tmp_path)
    assert verdict_of(allowed) == ("VALID", "valid", "camera")
    allowed.click("[data-testid=record-entry]")
    allowed.wait_for_selector("[data-testid=recorded]")
    assert _rows(
        app,
        "SELECT x.direction, c.code FROM crossing x JOIN permit p ON p.id = x.permit_id "
        "JOIN crossingpoint c ON c.id = x.crossing_point_id WHERE p.number = :n",
        n=number,
    ) == [("entry", "KUSHTEGIRMON")]

    refused = _officer_scans(phones, app, "patar1", at_patar, payload, tmp_path)
    assert verdict_of(refused)[:2] == ("INVALID", "crossing_point_not_allowed")
    assert len(_rows(app, "SELECT id FROM crossing")) == 1
    # nothing of the demo anywhere: only what the administrator and the staff made
    assert _rows(app, "SELECT code FROM agreement") == [("TJ-UZ",)]
    assert _rows(app, "SELECT count(*) FROM resident") == [(1,)]
    _what_the_operators_see(app, number, payload, (ADMIN_PASSWORD, staff_password))


def _what_the_operators_see(app: RunningApp, number: str, payload: str, passwords) -> None:
    """The metrics count the two scans and the crossing, over every worker; the production
    log is JSON lines that name users by id only and quote nothing they typed or scanned."""
    metrics = metrics_of(app)
    for outcome, count in (("VALID", 1), ("INVALID", 1)):
        labels = frozenset({("outcome", outcome), ("source", "camera")})
        assert metrics[("lbt_scans_total", labels)] == count
    assert metrics[("lbt_crossings_recorded_total", frozenset({("direction", "entry")}))] == 1
    log = app.log.read_text()
    names = (ADMIN, "madina.staff")
    for secret in (*passwords, "madina-own-password-2026", number, payload[:24], *names):
        assert secret not in log
    lines = [json.loads(line) for line in log.splitlines() if '"lbt_app.events"' in line]
    scans = [line for line in lines if line["handler"] == "OfficerState.scanned"]
    assert scans and all(isinstance(line["user_id"], int) for line in scans)
    assert {line["outcome"] for line in lines} <= {"ok", "refused", "not understood"}
