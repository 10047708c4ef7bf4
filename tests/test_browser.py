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


TEXT_BOXES = "main p, main li, main td, main th, main caption, main summary, main h1, main h2, main h3"
CLIPPED_TEXT = """(selector) => { const out = [];
  for (const e of document.querySelectorAll(selector)) {
    if (e.closest('.mb-table-wrap') && e.tagName !== 'CAPTION') continue;  // tables scroll in their wrapper
    if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 2) out.push(e.tagName + ': ' + e.innerText.slice(0, 60));
  }
  return out; }"""


def test_no_text_is_cut_off_on_a_phone(xiaomi_book, chromium):
    """At 390 px, with every collapsible block open, no paragraph, list item, caption or heading is wider than its
    box: long words (data-file names, addresses, tags) must wrap instead of being cut off at the edge."""
    with serve(xiaomi_book / "html") as base:
        page = chromium.new_page()
        page.set_viewport_size({"width": 390, "height": 900})
        try:
            for name in toc_chapters():
                page.goto(f"{base}/{name}.html", wait_until="load")
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                clipped = page.evaluate(CLIPPED_TEXT, TEXT_BOXES)
                assert not clipped, f"{name}: {clipped[:3]}"
                assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        finally:
            page.close()
