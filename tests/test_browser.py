"""Built pages in headless Chromium with the network cut off: every chart renders."""

from __future__ import annotations

import pytest

from moatbook.browser import browser, check_pages, chromium_path, serve
from moatbook.build import toc_chapters

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    if chromium_path() is None:
        pytest.fail("chromium is not installed: run `make browser-deps` (Debian package 'chromium')")
    with browser() as ctx:
        yield ctx


def test_every_chart_renders_offline(xiaomi_book, chromium):
    html = xiaomi_book / "html"
    with serve(html) as base:
        checks = check_pages(chromium, [f"{base}/{name}.html" for name in toc_chapters()])
    total = sum(c.charts for c in checks)
    assert total >= 25  # every metric chapter and the scorecard carry charts
    for c in checks:
        assert c.rendered == c.charts, f"{c.url}: {c.rendered} of {c.charts} charts rendered"
        assert not c.errors, f"{c.url}: {c.errors}"
        assert not c.blocked, f"{c.url} tried to fetch {c.blocked[:3]}"
        assert "Error loading script" not in c.text


def test_pages_open_from_the_file_system_too(xiaomi_book, chromium):
    url = (xiaomi_book / "html" / "chapters" / "scorecard.html").as_uri()
    [check] = check_pages(chromium, [url])
    assert check.charts >= 1 and check.rendered == check.charts and not check.errors
