"""Every page builds: unknown message ids and Var misuse fail here, before any browser; and
none uses what Reflex has deprecated (0.10 warns once in the app's log, 0.11 removes it)."""

import logging

import pytest
from reflex_base.utils import log as reflex_log

from lbt_app.lbt_app import PAGES


class _Deprecations(logging.Handler):
    """Attached to Reflex's deprecation logger itself, not caplog's root: once Reflex runs
    managed (its CLI), its logger stops propagating and caplog would hear nothing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.parametrize("build", [page for page, _, _ in PAGES], ids=lambda page: page.__name__)
def test_page_builds_without_a_deprecated_feature(build, monkeypatch):
    monkeypatch.setattr(reflex_log, "dedupe_once", lambda key: True)  # warned before: again
    deprecations = _Deprecations()
    logger = logging.getLogger("reflex.deprecation")
    logger.addHandler(deprecations)
    try:
        component = build()
    finally:
        logger.removeHandler(deprecations)
    assert component.render()
    assert deprecations.messages == []
