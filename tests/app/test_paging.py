"""Every paged list pages by one rule and says where the reader is: "Page 2 of 5 · 93 results"."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lbt_app.db.models import Resident
from lbt_app.services import applications, audit, oversight, residents
from lbt_app.states.applications import ApplicationsState
from lbt_app.states.oversight import OversightState
from lbt_app.states.paging import describe_count, describe_page, page_count, page_number
from lbt_app.states.residents import ResidentsState
from tests.app.factories import principal
from tests.app.test_states import _client, _sub
from tests.conftest import NOW

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.mark.parametrize(
    ("asked", "pages", "page"),
    [
        (2, 5, 2),
        ("3", 5, 3),
        (9, 5, 5),
        (0, 5, 1),
        (-4, 5, 1),
        ("x", 5, 1),
        (None, 5, 1),
        (1, 0, 1),
        ("²", 5, 1),
    ],
)
def test_a_page_asked_for_is_one_of_the_pages(asked, pages, page):
    assert page_number(asked, pages) == page


def test_the_pager_reads_as_words_in_each_language():
    assert page_count(93, 20) == 5 and page_count(0, 20) == 1 and page_count(40, 20) == 2
    assert describe_page(2, 5, 93, "en") == "Page 2 of 5 · 93 results"
    assert describe_page(1, 1, 1, "en") == "Page 1 of 1 · 1 result"
    assert describe_page(1, 1, 0, "en") == "Nothing found."
    assert describe_page(3, 50, 1001, "en") == "Page 3 of 50 · over 1,000 results"
    assert page_count(1001, 20) == 50  # a list counted past the limit pages within it
    assert describe_page(2, 5, 93, "ru") == "Страница 2 из 5 · найдено: 93"
    assert describe_page(1, 1, 0, "ky") == "Эч нерсе табылган жок."


def _more_residents(session, count: int) -> None:
    """`count` more residents of the staff's border area, each with an application waiting."""
    rows = [",".join(residents.FIELDS)] + [
        f"Каримов,Алишер,,,1980-02-03,M,TJK,P{i:07d},Хуҷанд,TJ-SGD,1999-05-01" for i in range(count)
    ]
    staff = principal(session, "staff")
    report = residents.import_csv(
        session=session, principal=staff, data="\n".join(rows).encode(), now=NOW
    )
    assert report.imported == count
    for resident in session.exec(
        select(Resident).where(Resident.document_number.startswith("P"))
    ).all():
        applications.submit(
            session=session, principal=staff, resident_id=resident.id, proof=PNG, now=NOW
        )
    session.commit()


def test_residents_and_applications_page_by_the_one_rule(db_url, session):
    _more_residents(session, 25)
    registry = _sub(_client("staff"), ResidentsState)
    ResidentsState.load.fn(registry)
    total = registry.total
    assert total >= 34 and registry.pages == 2 and len(registry.rows) == 20
    assert registry.page_words == f"Page 1 of 2 · {total} results"
    ResidentsState.go_to_page.fn(registry, 2)
    assert registry.page == 2 and len(registry.rows) == total - 20
    assert registry.page_words == f"Page 2 of 2 · {total} results"
    ResidentsState.go_to_page.fn(registry, 99)
    assert registry.page == 2
    ResidentsState.search.fn(registry, {"query": "P0000007"})
    assert registry.page_words == "Page 1 of 1 · 1 result"
    ResidentsState.search.fn(registry, {"query": "nobody by this name"})
    assert registry.rows == [] and registry.page_words == "Nothing found."
    registry.lang_choice = "ru"
    assert registry.page_words == "Ничего не найдено."

    queue = _sub(_client("staff"), ApplicationsState)
    ApplicationsState.load.fn(queue)
    assert queue.total == 26 and queue.pages == 2 and len(queue.rows) == 20
    assert queue.page_words == "Page 1 of 2 · 26 results"
    first_page = [r["id"] for r in queue.rows]
    ApplicationsState.go_to_page.fn(queue, 2)
    assert len(queue.rows) == 6 and not {r["id"] for r in queue.rows} & set(first_page)
    assert queue.page_words == "Page 2 of 2 · 26 results"
    ApplicationsState.go_to_page.fn(queue, -1)
    assert queue.page == 1 and [r["id"] for r in queue.rows] == first_page


def test_the_audit_log_pages_newer_and_older_and_counts_within_bounds(db_url, session):
    officer = principal(session, "officer1")
    for i in range(2 * oversight.PAGE_SIZE + 3):
        audit.record(session=session, action="login", now=NOW, actor=officer, subject=f"S{i}")
    session.commit()
    log = _sub(_client("staff"), OversightState)
    OversightState.load.fn(log)
    assert log.newer is False and log.older is True and len(log.events) == oversight.PAGE_SIZE
    assert log.count_words == f"Events: {log.count}" and log.count > 2 * oversight.PAGE_SIZE
    pages = [[e["seq"] for e in log.events]]
    while log.older:
        OversightState.show_older.fn(log)
        pages.append([e["seq"] for e in log.events])
    OversightState.show_older.fn(log)  # nothing older: the page stays
    assert [e["seq"] for e in log.events] == pages[-1] and log.newer
    seqs = [int(seq) for page in pages for seq in page]
    assert seqs == sorted(set(seqs), reverse=True) and len(seqs) == log.count
    back = [[e["seq"] for e in log.events]]
    while log.newer:
        OversightState.show_newer.fn(log)
        back.append([e["seq"] for e in log.events])
    assert back == pages[::-1]
    OversightState.filter.fn(log, {"action": "login", "text": "S1"})
    assert log.count_words == "Events: 14" and not log.newer and not log.older  # S1, S10…S102
    assert describe_count(1001, "en") == "Events: over 1,000"
    assert describe_count(0, "ru") == "Ничего не найдено."


def test_paging_events_from_other_roles_show_nothing(db_url, session):
    for username in [None, "officer1", "farhod"]:
        for cls in (ResidentsState, ApplicationsState):
            state = _sub(_client(username), cls)
            cls.go_to_page.fn(state, 2)
            assert state.page == 1 and state.total == 0
        log = _sub(_client(username), OversightState)
        OversightState.show_older.fn(log)
        OversightState.show_newer.fn(log)
        assert log.events == [] and log.count == 0
