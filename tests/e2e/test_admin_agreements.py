"""The administrator sets up a new agreement through the page on a 360-pixel phone: the
agreement, two border areas, three crossing points and an issuing authority (with its key);
then the page fits and speaks plainly in every language."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lbt_app.i18n import LANGUAGES, t
from tests.e2e.conftest import PHONE_360, hydrated, overflow_and_internal_words, sign_in

pytestmark = pytest.mark.browser

AREAS = [
    ("KG-BTK", "Batken border districts", "Баткен чек ара райондору", "KGZ", "Batken, Leilek"),
    ("TJ-ISF", "Isfara border districts", "Ноҳияҳои сарҳадии Исфара", "TJK", "Isfara, Chorkuh"),
]
POINTS = [
    ("KAYRAGACH", "Kayragach – Ovchi", ("KG-BTK", "TJ-ISF")),
    ("KULUNDU", "Kulundu – Khoja Alo", ("KG-BTK",)),
    ("KARAMYK", "Karamyk – Jirgatol", ("TJ-ISF",)),
]


def _saved(page, form: str, code: str) -> None:
    page.click(f"[data-testid={form}-save]")
    page.wait_for_selector(f"[data-testid={form}-row][data-code='{code}']")


def _rows(app, query: str) -> list[tuple]:
    with app.engine().connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query)).all()]


@pytest.fixture
def set_up_and_removed(app):
    """The agreement this test sets up is gone after it: the other tests share the demo app
    (its border areas would show on the sign-up form, its authority on the keys page)."""
    yield
    agreement = "(SELECT id FROM agreement WHERE code = 'KG-TJ')"
    points = f"(SELECT id FROM crossingpoint WHERE agreement_id = {agreement})"
    authorities = f"(SELECT id FROM authority WHERE agreement_id = {agreement})"
    with app.engine().begin() as conn:
        for statement in (
            f"DELETE FROM crossingpointarea WHERE crossing_point_id IN {points}",
            f"DELETE FROM signingkey WHERE authority_id IN {authorities}",
            f"DELETE FROM crossingpoint WHERE agreement_id = {agreement}",
            f"DELETE FROM borderarea WHERE agreement_id = {agreement}",
            f"DELETE FROM authority WHERE agreement_id = {agreement}",
            "DELETE FROM agreement WHERE code = 'KG-TJ'",
        ):
            conn.execute(sa.text(statement))


def test_the_admin_sets_up_an_agreement_on_a_phone(page, app, tmp_path, set_up_and_removed):
    page.set_viewport_size(PHONE_360)
    sign_in(page, app, "admin", "admin-demo-2026")
    page.wait_for_url("**/admin")
    page.click("[data-testid=nav-admin-agreements]")
    page.wait_for_url("**/admin/agreements")
    hydrated(page)
    page.wait_for_selector("[data-testid=agreement-row][data-code='TJ-UZ']")

    page.click("[data-testid=agreement-new]")  # an agreement exists: its form waits for a tap
    page.fill("[data-testid=agreement-code]", "KG-TJ")
    page.fill("[data-testid=agreement-name]", "Kyrgyzstan–Tajikistan local border traffic")
    page.select_option("[data-testid=agreement-country_a]", "KGZ")
    page.click("[data-testid=agreement-create]")  # the second country is missing
    page.wait_for_selector("[data-testid=error-agreement-country_b]")
    page.mouse.move(0, 0)  # off the error toast (hovering keeps it), which covers the button
    page.locator("[data-sonner-toast]").first.wait_for(state="detached", timeout=30_000)
    page.select_option("[data-testid=agreement-country_b]", "TJK")
    # the zones offered are those of the two countries, by city, with their offsets
    zones = "[data-testid=agreement-timezone] option"
    page.wait_for_selector(f"{zones}[value='Asia/Dushanbe']", state="attached")
    assert page.locator(zones).all_inner_texts() == [
        "UTC",
        "Bishkek (UTC+6)",
        "Dushanbe (UTC+5)",
    ]
    page.select_option("[data-testid=agreement-timezone]", "Asia/Bishkek")
    page.click("[data-testid=agreement-create]")
    page.wait_for_selector("[data-testid=agreement-row][data-code='KG-TJ']")
    page.wait_for_selector("[data-testid=agreement-chosen]:has-text('Kyrgyzstan–Tajikistan')")

    for code, name, native, country, districts in AREAS:
        page.fill("[data-testid=area-code]", code)
        page.fill("[data-testid=area-name]", name)
        page.fill("[data-testid=area-name_native]", native)
        page.select_option("[data-testid=area-country]", country)
        page.fill("[data-testid=area-depth_km]", "25")
        page.fill("[data-testid=area-districts]", districts)
        _saved(page, "area", code)
    for code, name, serves in POINTS:
        page.fill("[data-testid=point-code]", code)
        page.fill("[data-testid=point-name]", name)
        for area in serves:
            page.check(f"[data-testid=point-serves][data-code='{area}']")
        _saved(page, "point", code)
    page.fill("[data-testid=authority-code]", "TJ-ISF-LBT")
    page.fill("[data-testid=authority-name]", "Isfara Local Border Traffic Office")
    page.fill("[data-testid=authority-name_native]", "Идораи ҳаракати маҳаллии сарҳадии Исфара")
    page.select_option("[data-testid=authority-country]", "TJK")
    page.select_option("[data-testid=authority-kind]", "issuing")
    _saved(page, "authority", "TJ-ISF-LBT")

    served = _rows(
        app,
        "SELECT p.code, a.code FROM crossingpointarea s "
        "JOIN crossingpoint p ON p.id = s.crossing_point_id "
        "JOIN borderarea a ON a.id = s.border_area_id "
        "WHERE p.code IN ('KAYRAGACH', 'KULUNDU', 'KARAMYK') ORDER BY p.id, a.id",
    )
    assert served == [(p, a) for p, _, areas in POINTS for a in areas]
    keys = _rows(
        app,
        "SELECT k.status FROM signingkey k JOIN authority a ON a.id = k.authority_id "
        "WHERE a.code = 'TJ-ISF-LBT'",
    )
    assert keys == [("active",)]
    assert (
        page.locator("[data-testid=point-row][data-code='KULUNDU']")
        .inner_text()
        .count("Batken border districts")
    )

    for lang in LANGUAGES:
        page.select_option("[data-testid=language]", lang)
        page.wait_for_selector(f"text={t('Border area depth limit', lang)}")
        page.wait_for_selector(f"text={t('Serves the border areas', lang)}")
        # the choices are in the new language's order: the forms still show the saved ones
        assert page.input_value("[data-testid=details-country_a]") == "KGZ"
        assert page.input_value("[data-testid=details-country_b]") == "TJK"
        extra, internal = overflow_and_internal_words(page)
        assert (lang, extra, internal) == (lang, 0, [])
        page.screenshot(path=str(tmp_path / f"admin-agreements-{lang}.png"), full_page=True)
