"""Built pages in headless Chromium with the network cut off, the way readers see them.

Each test checks a whole class of defect on every page of two books, Xiaomi (rich
evidence) and Transsion (thin evidence): charts render offline and fit their container
at a phone's width (390 px) and a laptop's (1280 px), the page never scrolls sideways,
every chart has a name a screen reader can announce, all text and badges keep WCAG AA
contrast in light and dark mode, print opens the collapsed tables, there is one search
box, and every download link resolves. Each book is surveyed once per mode (one tab
walks through its pages); the tests then read the survey.
"""

from __future__ import annotations

import urllib.request

import pytest

from moatbook.browser import SQUEEZED, browser, check_pages, chromium_path, open_page, serve, survey
from moatbook.build import toc_chapters
from moatbook.paths import BUILD_DIR

pytestmark = pytest.mark.browser

GENERIC_NAMES = {"", "vega visualization", "visualization", "chart", "figure"}
LIGHT, PHONE, DARK = (1280, False), (390, False), (1280, True)


@pytest.fixture(scope="module")
def chromium():
    if chromium_path() is None:
        pytest.fail("chromium is not installed: run `make browser-deps` (Debian package 'chromium')")
    with browser() as ctx:
        yield ctx


def pages() -> list[str]:
    return [f"{name}.html" for name in toc_chapters()]


@pytest.fixture(scope="module", params=["xiaomi", "transsion"])
def surveyed(request, chromium):
    """Every page of one book, measured at 1280 px light, 390 px light and 1280 px dark."""
    book = request.getfixturevalue(f"{request.param}_book")
    with serve(book / "html") as base:
        found = {mode: survey(chromium, base, pages(), *mode) for mode in (LIGHT, PHONE, DARK)}
    return request.param, found


def test_every_chart_renders_offline(surveyed):
    slug, found = surveyed
    charts = [(p, c) for p, a in found[LIGHT].items() for c in a["charts"]]
    assert len(charts) >= 12, slug  # the metric chapters and the scorecard carry charts
    for p, a in found[LIGHT].items():
        assert all(c["rendered"] for c in a["charts"]), f"{slug} {p}: a chart did not render"
        assert not a["errors"], f"{slug} {p}: {a['errors']}"
        assert not a["blocked"], f"{slug} {p} tried to fetch {a['blocked'][:3]}"
        assert "Error loading script" not in a["text"] and "Javascript Error" not in a["text"]


@pytest.mark.parametrize("mode", [LIGHT, PHONE], ids=["1280", "390"])
def test_every_chart_fits_its_container_shows_all_its_text_and_no_page_scrolls_sideways(surveyed, mode):
    slug, found = surveyed
    problems = []
    for p, a in found[mode].items():
        if a["scroll"] > a["client"] + 1:
            problems.append(f"{p}: the page scrolls sideways ({a['scroll']} px in a {a['client']} px window)")
        for c in a["charts"]:
            if c["width"] > c["container"] + 1 or c["right"] > c["mainRight"] + 1:
                problems.append(
                    f"{p}: chart {c['id']} is {c['width']} px wide in a {c['container']} px container "
                    f"(right edge {c['right']}, text column ends at {c['mainRight']})"
                )
            if c["clipped"]:
                problems.append(f"{p}: chart {c['id']} cuts off its text {c['clipped'][:3]}")
    assert not problems, f"{slug} at {mode[0]} px:\n" + "\n".join(problems[:20])


def test_every_chart_has_a_telling_accessible_name(surveyed):
    slug, found = surveyed
    for p, a in found[LIGHT].items():
        for c in a["charts"]:
            for name in (c["name"].strip(), c["embedName"].strip()):  # the figure's name and the chart's own
                assert name.lower() not in GENERIC_NAMES and len(name) >= 25, f"{slug} {p}: chart named {name!r}"


@pytest.mark.parametrize("mode", [LIGHT, DARK], ids=["light", "dark"])
def test_text_badges_and_links_keep_aa_contrast(surveyed, mode):
    slug, found = surveyed
    problems = [
        f"{p}: {c['el']} has contrast {c['ratio']}:1, needs {c['need']}:1"
        for p, a in found[mode].items()
        for c in a["contrast"]
    ]
    assert not problems, f"{slug}, {'dark' if mode[1] else 'light'} mode:\n" + "\n".join(problems[:20])


def test_every_download_linked_from_a_page_exists(surveyed):
    slug, found = surveyed
    links = {url for a in found[LIGHT].values() for url in a["downloads"]}
    assert len(links) >= 14, slug  # a notebook per chapter, the evidence, the scores
    book = BUILD_DIR / slug / "html"
    with serve(book) as base:
        for url in sorted(links):
            path = url.split("/", 3)[3]
            with urllib.request.urlopen(f"{base}/{path}") as resp:  # noqa: S310 (localhost)
                assert resp.status == 200 and resp.read(1), url


def test_pages_open_from_the_file_system_too(xiaomi_book, chromium):
    url = (xiaomi_book / "html" / "chapters" / "scorecard.html").as_uri()
    [check] = check_pages(chromium, [url])
    assert check.charts >= 1 and check.rendered == check.charts and not check.errors


def test_print_opens_the_collapsed_tables_but_not_the_answers(xiaomi_book, chromium):
    with serve(xiaomi_book / "html") as base:
        page = open_page(chromium, f"{base}/chapters/share_of_wallet.html", print_media=True, wait_ms=300)
        shut = page.evaluate(
            """() => Array.from(document.querySelectorAll('details.mb-details:not(.mb-solution)'))
                 .filter(d => { const t = d.querySelector('table');
                                return t && t.getBoundingClientRect().height === 0; })
                 .length"""
        )
        total = page.evaluate("() => document.querySelectorAll('details.mb-details:not(.mb-solution)').length")
        answers = page.evaluate(
            "() => Array.from(document.querySelectorAll('details.mb-solution')).filter(d => d.open).length"
        )
        page.close()
    assert total >= 5 and shut == 0, f"{shut} of {total} collapsed tables stay shut in print"
    assert answers == 0


@pytest.mark.parametrize("width", [1280, 390])
def test_one_search_box(xiaomi_book, chromium, width):
    with serve(xiaomi_book / "html") as base:
        page = open_page(chromium, f"{base}/chapters/intro.html", width=width, wait_ms=300)
        n = page.evaluate(
            """() => Array.from(document.querySelectorAll('.search-button-field, .search-button, input[type=search]'))
                 .filter(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                                return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; }).length"""
        )
        page.close()
    assert n == 1, f"{n} search boxes at {width} px"


TEXT_BOXES = "main p, main li, main td, main th, main caption, main summary, main h1, main h2, main h3"
CLIPPED_TEXT = """(selector) => { const out = []; const page = document.documentElement.clientWidth;
  for (const e of document.querySelectorAll(selector)) {
    const wrap = e.closest('.mb-table-wrap');
    if (wrap && (e.tagName === 'TD' || e.tagName === 'TH')) continue;  // cells scroll with their table
    if (!e.innerText.trim() || !e.checkVisibility({visibilityProperty: true})) continue;  // nothing to read
    const what = e.tagName + ': ' + e.innerText.slice(0, 60);
    if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 2) { out.push(what); continue; }
    // text that reaches past what can be seen: the page's edge, or the edge of the box it scrolls in
    const r = e.getBoundingClientRect();
    const edge = wrap ? Math.min(page, wrap.getBoundingClientRect().right) : page;
    if (r.width > 0 && r.height > 0 && r.right > edge + 2) out.push('past the edge: ' + what);
  }
  return out; }"""


def test_no_text_is_cut_off_on_a_phone(xiaomi_book, chromium):
    """At 390 px, with every collapsible block open, no paragraph, list item, caption or heading is wider than its
    box or reaches past the edge of the page (or of the box a wide table scrolls in): long words (data-file names,
    addresses, tags) must wrap, and a table's caption must stay readable without scrolling."""
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


@pytest.mark.parametrize("book", ["xiaomi_book", "transsion_book"])
def test_long_text_is_not_squeezed_into_a_narrow_column_on_a_phone(book, request, chromium):
    """At 390 px a table scrolls in its box rather than squeeze a cell of long text to a few words a line (rows
    many lines tall)."""
    root = request.getfixturevalue(book)
    with serve(root / "html") as base:
        page = chromium.new_page()
        page.set_viewport_size({"width": 390, "height": 900})
        try:
            for name in toc_chapters():
                page.goto(f"{base}/{name}.html", wait_until="load")
                squeezed = page.evaluate(SQUEEZED, "main")
                assert not squeezed, f"{name}: {squeezed[:3]}"
        finally:
            page.close()
