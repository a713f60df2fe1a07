"""The HTML report in a real browser: filters, search, escaping, no network, print, 10k items.

Chromium comes from Debian (``.ci/browser.sh``), driven by Playwright; the tests skip when
either is missing. Set READINESS_UPDATE_SCREENSHOT=1 to refresh docs/report-screenshot.png.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.reporters import html
from tests.golden.verdicts import XSS_TITLE, big_verdict, sample_verdict

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "report-screenshot.png"
VISIBLE = "#items-table tbody tr:not([hidden])"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("jinja2")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing; run .ci/browser.sh")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Opened:
    """A page on a report file, recording dialogs, console errors and every request."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("dialog", self._dialog)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())

    def _console(self, message: Any) -> None:
        if message.type == "error":  # a CSP violation would show up here
            self.errors.append(message.text)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visible_ids(self) -> list[str]:
        return list(self.page.locator(f"{VISIBLE} td.id").all_inner_texts())

    def filter(self, **values: str) -> None:
        for name, value in values.items():
            if name == "search":
                self.page.fill("#f-search", value)
            else:
                self.page.select_option(f"#f-{name}", value)


@pytest.fixture
def sample(browser: Any, tmp_path: Path) -> Iterator[Opened]:
    path = tmp_path / "report.html"
    html.write(sample_verdict(), str(path))
    opened = Opened(browser, path)
    yield opened
    opened.page.close()


FILTERS = [
    (
        "everything",
        {},
        ["SEC-1", "SEC-2", "DB-1", "DB-2", "DB-3", "OBS-1", "OBS-2", "OPS-1", "OPS-2", "OPS-3"],
    ),
    ("critical", {"severity": "critical"}, ["SEC-1", "SEC-2", "DB-1"]),
    ("critical failed", {"severity": "critical", "outcome": "failed"}, ["SEC-2"]),
    ("section", {"section": "Operations"}, ["OPS-1", "OPS-2", "OPS-3"]),
    ("section and severity", {"section": "Operations", "severity": "nice_to_have"}, ["OPS-3"]),
    ("search in evidence", {"search": "replica"}, ["DB-2"]),
    ("search two words", {"search": "CONNECT db-2"}, ["DB-3"]),
    ("search by id", {"search": "obs-"}, ["OBS-1", "OBS-2"]),
    ("search and outcome", {"search": "obs-", "outcome": "passed"}, ["OBS-1"]),
]


@pytest.mark.parametrize(("values", "ids"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_filters_and_search(sample: Opened, values: dict[str, str], ids: list[str]) -> None:
    sample.filter(**values)
    assert sample.visible_ids() == ids
    assert sample.page.inner_text("#f-count") == f"{len(ids)} of 10 items shown"
    assert sample.errors == []


def test_no_match_says_so_and_clearing_restores_all(sample: Opened) -> None:
    sample.filter(search="no such thing")
    assert sample.visible_ids() == []
    assert sample.page.is_visible("#f-empty")
    sample.filter(search="")
    assert len(sample.visible_ids()) == 10
    assert not sample.page.is_visible("#f-empty")


def test_a_script_in_a_title_is_text_and_runs_nothing(sample: Opened) -> None:
    row = sample.page.locator("#items-table tbody tr", has_text="SEC-2")
    assert row.locator("td").nth(3).inner_text() == XSS_TITLE
    assert sample.page.locator("script").count() == 1  # only the report's own
    sample.page.click("text=javascript:alert(2)")  # shown as text, not a link
    assert sample.dialogs == []
    assert sample.errors == []


def test_nothing_is_fetched(sample: Opened) -> None:
    sample.filter(severity="critical", search="tls")
    assert all(url.startswith("file://") for url in sample.requests), sample.requests


def test_print_hides_the_controls_and_shows_every_item(sample: Opened) -> None:
    sample.page.emulate_media(media="print")
    assert not sample.page.is_visible("#controls")
    assert len(sample.visible_ids()) == 10
    assert sample.page.pdf()[:4] == b"%PDF"


def test_screenshot(sample: Opened, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    sample.page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("READINESS_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)


def test_ten_thousand_items(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    html.write(big_verdict(10_000), str(path))
    assert path.stat().st_size < 5_000_000
    opened = Opened(browser, path)
    try:
        assert opened.page.locator("#items-table tbody tr").count() == 10_000
        opened.filter(outcome="failed")
        assert opened.page.inner_text("#f-count") == "1250 of 10000 items shown"
        opened.filter(outcome="", search="ITEM-09999")
        assert opened.visible_ids() == ["ITEM-09999"]
        assert opened.errors == []
    finally:
        opened.page.close()
