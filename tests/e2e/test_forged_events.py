"""Frames a page never sends, over the client's own websocket: an officer of another agreement,
a flood of anonymous events, and arguments of the wrong type or size."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lbt_app.services.auth import hash_password
from lbt_app.states.applications import ApplicationsState
from lbt_app.states.officer import OfficerState
from lbt_app.states.oversight import OversightState
from lbt_app.states.residents import ResidentsState
from tests.e2e.conftest import (
    audit_details,
    capture_sockets,
    crossings_of,
    forge_event,
    hydrated,
    permit_field,
    sign_in,
    sign_in_as_officer,
    verdict_of,
    wait_until,
)

pytestmark = pytest.mark.browser

STRANGER_PASSWORD = "stranger-e2e-2026"


def _stranger_officer(app) -> None:
    """An officer at a crossing point of a second agreement, in the running app's database."""
    with app.engine().begin() as conn:
        if conn.execute(sa.text("SELECT 1 FROM \"user\" WHERE username = 'stranger'")).first():
            return
        agreement = conn.execute(
            sa.text(
                "INSERT INTO agreement (code, name, country_a, country_b, timezone, "
                "max_stay_days, max_validity_years, min_residence_years, max_area_km, created_at) "
                "VALUES ('KG-TJ', 'Kyrgyzstan–Tajikistan', 'KGZ', 'TJK', 'Asia/Bishkek', 30, 5, "
                "1, 30, CURRENT_TIMESTAMP) RETURNING id"
            )
        ).scalar_one()
        point = conn.execute(
            sa.text(
                "INSERT INTO crossingpoint (code, name, agreement_id) "
                "VALUES ('KAIRAGACH', 'Kairagach', :a) RETURNING id"
            ),
            {"a": agreement},
        ).scalar_one()
        conn.execute(
            sa.text(
                'INSERT INTO "user" (username, password_hash, full_name, role, '
                "crossing_point_id, lang, is_active, created_at) VALUES ('stranger', :h, "
                "'Officer of another agreement', 'officer', :p, '', TRUE, CURRENT_TIMESTAMP)"
            ),
            {"h": hash_password(STRANGER_PASSWORD), "p": point},
        )


def test_an_officer_of_another_agreement_sees_and_records_nothing_of_ours(page, app):
    _stranger_officer(app)
    sockets = capture_sockets(page)
    sign_in(page, app, "stranger", STRANGER_PASSWORD)
    page.wait_for_url("**/officer")
    hydrated(page)
    inside = crossings_of(app, "NAZAROVA")  # gulnora is recorded inside
    page.fill("[data-testid=manual-number]", permit_field(app, "NAZAROVA"))
    page.click("[data-testid=manual-check]")
    outcome, code, _ = verdict_of(page)
    assert outcome == "INVALID" and code != "valid"
    body = page.inner_text("body")
    assert "NAZAROVA" not in body and "Назарова" not in body
    assert page.locator("[data-testid=verdict] img").count() == 0  # no holder photo
    # the live scan of her permit, then an exit forged on top of it
    name = OfficerState.get_full_name()
    text = permit_field(app, "NAZAROVA", "payload")
    forge_event(sockets, f"{name}.scanned", {"text": text, "sent_at": 0}, "/officer")
    outcome, code, _ = verdict_of(page, after=1)
    assert (outcome, code) == ("INVALID", "unknown_issuer")
    forge_event(sockets, f"{name}.record_crossing", {"direction": "exit"}, "/officer")
    page.wait_for_selector("text=This permit cannot be recorded.")
    assert crossings_of(app, "NAZAROVA") == inside


def test_a_flood_of_anonymous_events_writes_next_to_nothing(page, app):
    sockets = capture_sockets(page)
    page.goto(app.url + "/")
    hydrated(page)
    denied = len(audit_details(app, "access_denied"))
    name = OfficerState.get_full_name()
    for _ in range(300):
        forge_event(sockets, f"{name}.toggle_shift", {}, "/")
    page.wait_for_timeout(3000)  # let the server work through them
    assert len(audit_details(app, "access_denied")) - denied <= 3
    sign_in(page, app, "staff", "staff-demo-2026")  # the app still answers this client
    page.wait_for_url("**/authority")


def test_arguments_of_the_wrong_type_are_answered_calmly_and_change_nothing(page, app):
    sockets = capture_sockets(page)
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    page.goto(app.url + "/authority/oversight")
    hydrated(page)
    oversight, residents = OversightState.get_full_name(), ResidentsState.get_full_name()
    path = "/authority/oversight"
    for page_asked in (1e30, "Infinity", "²", -5, [2], {"page": 2}):
        forge_event(sockets, f"{residents}.go_to_page", {"page": page_asked}, path)
    forge_event(sockets, f"{residents}.open_resident", {"resident_id": "²"}, path)
    forge_event(sockets, f"{residents}.search", {"form": ["query"]}, path)
    forge_event(sockets, f"{oversight}.decide", {"form": {"report": "²", "decision": []}}, path)
    assert wait_until(page, lambda: page.locator("text=not understood").count() > 0)
    page.wait_for_timeout(1500)
    assert page.locator("text=Something went wrong").count() == 0
    assert "Error" not in page.inner_text("body")
    page.click("[data-testid=nav-residents]")  # the page goes on working
    page.wait_for_selector("[data-testid=resident-row]")


def test_background_handlers_refuse_an_officer_and_audit_it(page, app):
    sockets = capture_sockets(page)
    sign_in_as_officer(page, app)
    checks_before = len(audit_details(app, "audit_checked"))
    permits_before = _count(app, "permit")
    background = [
        f"{OversightState.get_full_name()}.check_chain",
        f"{ApplicationsState.get_full_name()}.approve_picked",
        f"{ResidentsState.get_full_name()}.run_import",
    ]
    for handler in background:
        forge_event(sockets, handler, {}, "/officer")
    states = {h.rsplit(".", 1)[0] for h in background}
    assert wait_until(
        page, lambda: states <= {d.get("handler") for d in audit_details(app, "access_denied")}
    )
    assert len(audit_details(app, "audit_checked")) == checks_before
    assert _count(app, "permit") == permits_before


def _count(app, table: str) -> int:
    with app.engine().connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
