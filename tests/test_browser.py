"""Built pages in headless Chromium with the network cut off, the way readers see them.

Each test checks a whole class of defect on every page of two books, Xiaomi (rich
evidence) and Transsion (thin evidence), at a phone's width (390 px) and a laptop's
(1280 px), in light and dark mode: charts render and fit their container, the page
never scrolls sideways, every chart has a name a screen reader can announce, all text
and badges keep WCAG AA contrast, print opens the collapsed tables, and every download
link resolves.
"""

from __future__ import annotations

import urllib.request

import pytest

from moatbook.browser import audit, browser, check_pages, chromium_path, open_page, serve, wait_for_charts
from moatbook.build import toc_chapters

pytestmark = pytest.mark.browser

GENERIC_NAMES = {"", "vega visualization", "visualization", "chart", "figure"}
MODES = [(1280, False), (390, False), (1280, True), (390, True)]


@pytest.fixture(scope="module")
def chromium():
    if chromium_path() is None:
        pytest.fail("chromium is not installed: run `make browser-deps` (Debian package 'chromium')")
    with browser() as ctx:
        yield ctx


@pytest.fixture(scope="module", params=["xiaomi", "transsion"])
def book(request):
    return request.getfixturevalue(f"{request.param}_book")


def pages() -> list[str]:
    return [f"{name}.html" for name in toc_chapters()]


def test_every_chart_renders_offline(book, chromium):
    with serve(book / "html") as base:
        checks = check_pages(chromium, [f"{base}/{p}" for p in pages()])
    assert sum(c.charts for c in checks) >= 12  # the metric chapters and the scorecard carry charts
    for c in checks:
        assert c.rendered == c.charts, f"{c.url}: {c.rendered} of {c.charts} charts rendered"
        assert not c.errors, f"{c.url}: {c.errors}"
        assert not c.blocked, f"{c.url} tried to fetch {c.blocked[:3]}"


def test_pages_open_from_the_file_system_too(xiaomi_book, chromium):
    url = (xiaomi_book / "html" / "chapters" / "scorecard.html").as_uri()
    [check] = check_pages(chromium, [url])
    assert check.charts >= 1 and check.rendered == check.charts and not check.errors


@pytest.mark.parametrize(("width", "dark"), MODES, ids=[f"{w}{'-dark' if d else ''}" for w, d in MODES])
def test_every_page_fits_names_its_charts_and_keeps_contrast(book, chromium, width, dark):
    problems = []
    with serve(book / "html") as base:
        for p in pages():
            page = open_page(chromium, f"{base}/{p}", width=width, dark=dark, wait_ms=0)
            wait_for_charts(page)
            a = audit(page)
            page.close()
            if a["scroll"] > a["client"] + 1:
                problems.append(f"{p}: the page scrolls sideways ({a['scroll']} px in a {a['client']} px window)")
            for c in a["charts"]:
                if not c["rendered"]:
                    problems.append(f"{p}: chart {c['id']} did not render")
                if c["width"] > c["container"] + 1 or c["right"] > c["mainRight"] + 1:
                    problems.append(
                        f"{p}: chart {c['id']} is {c['width']} px wide in a {c['container']} px container "
                        f"(right edge {c['right']}, text column ends at {c['mainRight']})"
                    )
                if c["name"].strip().lower() in GENERIC_NAMES or len(c["name"]) < 25:
                    problems.append(f"{p}: chart {c['id']} has no telling accessible name ({c['name']!r})")
            for c in a["contrast"]:
                problems.append(f"{p}: {c['el']} has contrast {c['ratio']}:1, needs {c['need']}:1")
    assert not problems, "\n".join(problems[:25])


def test_print_opens_the_collapsed_tables_but_not_the_answers(xiaomi_book, chromium):
    with serve(xiaomi_book / "html") as base:
        page = open_page(chromium, f"{base}/chapters/share_of_wallet.html", print_media=True)
        shut = page.evaluate(
            """() => Array.from(document.querySelectorAll('details.mb-details:not(.mb-solution)'))
                 .filter(d => { const t = d.querySelector('table');
                                return t && t.getBoundingClientRect().height === 0; })
                 .length"""
        )
        total = page.evaluate("() => document.querySelectorAll('details.mb-details:not(.mb-solution)').length")
        answers = page.evaluate(
            "() => Array.from(document.querySelectorAll('details.mb-solution')).filter(d => d.open)"
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


def test_every_download_linked_from_a_page_exists(book, chromium):
    with serve(book / "html") as base:
        links = set()
        for p in pages():
            page = open_page(chromium, f"{base}/{p}", wait_ms=0)
            links |= set(
                page.evaluate(
                    "() => Array.from(document.querySelectorAll('a[download], a.mb-download')).map(a => a.href)"
                )
            )
            page.close()
        assert len(links) >= 14  # a notebook per chapter, the evidence, the scores
        for url in sorted(links):
            with urllib.request.urlopen(url) as resp:  # noqa: S310 (localhost)
                assert resp.status == 200 and resp.read(1), url
