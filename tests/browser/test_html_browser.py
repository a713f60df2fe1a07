"""The HTML report in a real browser: blockers above the fold, filters, search, escaping, long
cells, no network, print, 10k items.

Chromium comes from Debian (``.ci/browser.sh``), driven by Playwright; the tests skip when
either is missing. Set READINESS_UPDATE_SCREENSHOT=1 to refresh docs/report-screenshot.png.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.model import Verdict
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
VISIBLE = "#items-table tbody tr.on"  # the rows the page shows (report.js)


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


def open_report(browser: Any, tmp_path: Path, verdict: Verdict) -> Opened:
    path = tmp_path / "report.html"
    html.write(verdict, str(path))
    return Opened(browser, path)


@pytest.fixture
def sample(browser: Any, tmp_path: Path) -> Iterator[Opened]:
    opened = open_report(browser, tmp_path, sample_verdict())
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
    ("not met", {"outcome": "not-met"}, ["SEC-2", "DB-3", "OBS-2", "OPS-2"]),
    ("not met and severity", {"outcome": "not-met", "severity": "important"}, ["DB-3", "OPS-2"]),
]


@pytest.mark.parametrize(("values", "ids"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_filters_and_search(sample: Opened, values: dict[str, str], ids: list[str]) -> None:
    sample.filter(**values)
    assert sample.visible_ids() == ids
    assert sample.page.inner_text("#f-count") == f"{len(ids)} of 10 items shown"
    assert sample.errors == []


def test_the_not_met_filter_shows_exactly_the_items_not_met(sample: Opened) -> None:
    """Failed, error and pending; not the waived (met) nor the not-applicable skipped items."""
    unmet = [i.spec.id for i in sample_verdict().items if i.outcome.applicable and not i.met]
    sample.filter(outcome="not-met")
    assert sample.visible_ids() == unmet
    assert sorted(sample.page.locator(f"{VISIBLE} td:first-child").all_inner_texts()) == [
        "error",
        "failed",
        "failed",
        "pending",
    ]


def test_blockers_are_above_the_fold_most_severe_first(sample: Opened) -> None:
    rows = sample.page.locator("#blockers-table tbody tr")
    assert rows.locator("td.id").all_inner_texts() == ["SEC-2", "DB-3", "OPS-2", "OBS-2"]
    assert rows.locator("td:first-child").all_inner_texts() == [
        "critical",
        "important",
        "important",
        "nice_to_have",
    ]
    first = rows.first.inner_text()
    assert "token <b>expired</b> & not rotated" in first  # the reason
    assert "expires: 2026-10-01" in first  # the evidence
    assert "Rotate the *admin* token" in first  # the remediation
    for n in range(rows.count()):  # every blocker row whole within 1280x900, without scrolling
        box = rows.nth(n).bounding_box()
        assert box is not None
        assert box["y"] >= 0
        assert box["y"] + box["height"] <= 900, f"blocker {n} ends below the fold: {box}"
        assert box["x"] + box["width"] <= 1280


def test_long_ids_wrap_inside_their_column(browser: Any, tmp_path: Path) -> None:
    verdict = sample_verdict()
    long_id = "PG-1[orders-primary-eu-west-1.db.internal:5432]"
    node_id = (
        "tests/integration/test_orders_database.py::test_primary_accepts_connections_under_load"
    )
    items = (
        replace(verdict.items[0], spec=replace(verdict.items[0].spec, id=long_id)),
        replace(verdict.items[1], spec=replace(verdict.items[1].spec, id=node_id)),
        *verdict.items[2:],
    )
    opened = open_report(browser, tmp_path, replace(verdict, items=items))
    try:
        for table in ("#items-table", "#blockers-table"):
            for cell in opened.page.locator(f"{table} tbody td.id").all():
                overflow = cell.evaluate("c => c.scrollWidth - c.clientWidth")
                assert overflow == 0, f"{cell.inner_text()} overflows its column in {table}"
        assert long_id in opened.visible_ids()
    finally:
        opened.page.close()


def test_a_long_cell_is_capped_and_expands_on_request(browser: Any, tmp_path: Path) -> None:
    verdict = sample_verdict()
    long = "\n".join(f"line {n}: connection refused by db-{n}.internal" for n in range(40))
    items = (*verdict.items[:4], replace(verdict.items[4], message=long), *verdict.items[5:])
    opened = open_report(browser, tmp_path, replace(verdict, items=items))
    try:
        cell = opened.page.locator("#items-table tbody tr", has_text="DB-3").locator("td.det")
        capped = cell.bounding_box()
        assert capped is not None
        assert capped["height"] < 200
        cell.get_by_role("button", name="show all").click()
        whole = cell.bounding_box()
        assert whole is not None
        assert whole["height"] > 40 * 15
        assert "line 39: connection refused" in cell.inner_text()
        cell.get_by_role("button", name="show less").click()
        again = cell.bounding_box()
        assert again is not None
        assert again["height"] == capped["height"]
        assert opened.errors == []
    finally:
        opened.page.close()


def test_the_waivers_section_lists_every_waiver_with_its_state(sample: Opened) -> None:
    rows = sample.page.locator("#waivers tbody tr")
    cells = [row.locator("td").all_inner_texts() for row in rows.all()]
    assert [c[:5] for c in cells] == [
        ["DB-2", "applied", "2026-12-31", "alice", "replica being rebuilt, ticket OPS-42"],
        ["SEC-1", "stale", "2026-12-01", "bob", "old exception"],
        ["OBS-2", "expired", "2026-01-01", "carol", "dashboards later"],
    ]
    assert cells[0][5] == "1: DB-2"


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
    """What a release manager sees first at 1280x900 (docs/report-screenshot.png)."""
    shot = tmp_path / "report.png"
    sample.page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("READINESS_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)


def test_printing_prints_every_row_past_the_first_page(browser: Any, tmp_path: Path) -> None:
    opened = open_report(browser, tmp_path, big_verdict(150))
    try:
        assert len(opened.visible_ids()) == html.PAGE_ROWS
        assert opened.page.pdf()[:4] == b"%PDF"  # fires beforeprint, like the print dialog
        assert len(opened.visible_ids()) == 150
    finally:
        opened.page.close()


def test_without_javascript_every_row_shows(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    html.write(big_verdict(150), str(path))
    page = browser.new_page(java_script_enabled=False)
    try:
        page.goto(path.as_uri())
        rows = page.locator("#items-table tbody tr").all()
        assert len(rows) == 150
        assert all(row.is_visible() for row in rows[95:])  # past the first page too
        assert not page.is_visible("#controls")
    finally:
        page.close()


def test_ten_thousand_items(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    html.write(big_verdict(10_000), str(path))
    assert path.stat().st_size < 5_000_000
    opened = Opened(browser, path)
    page = opened.page
    try:
        assert page.locator("#items-table tbody tr").count() == 10_000
        assert len(opened.visible_ids()) == 100  # a page at a time
        assert page.inner_text("#f-count") == "10000 of 10000 items match; the first 100 are shown"
        opened.filter(outcome="not-met")
        assert page.inner_text("#f-count") == "1250 of 10000 items match; the first 100 are shown"
        assert opened.visible_ids()[:2] == ["ITEM-00003", "ITEM-00011"]
        page.click("#f-next")
        assert len(opened.visible_ids()) == 200
        page.click("#f-all")
        assert page.inner_text("#f-count") == "1250 of 10000 items shown"
        assert len(opened.visible_ids()) == 1250
        assert not page.is_visible("#f-page")
        opened.filter(outcome="", search="ITEM-09999")
        assert opened.visible_ids() == ["ITEM-09999"]
        # no critical item fails here: the blockers stop at the cap, the rest is a note
        assert page.locator("#blockers-table tbody tr").count() == html.BLOCKERS_SHOWN
        assert "1225 more not-met items are in the items table" in page.inner_text("#blockers")
        assert opened.errors == []
    finally:
        page.close()
