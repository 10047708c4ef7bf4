"""The "grade it yourself" worksheet: its page, its one-page PDF, and a build without a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from moatbook.book import downloads
from moatbook.book.worksheet import worksheet_html
from moatbook.build import worksheet as publisher
from moatbook.data import load


def pdf_pages(data: bytes) -> int:
    """Page objects in a PDF (``/Type /Page``, not the ``/Type /Pages`` tree nodes)."""
    assert data.startswith(b"%PDF-")
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


@pytest.fixture(scope="module")
def ds():
    return load(["xiaomi"])


def test_the_page_lists_every_metric_the_scale_in_words_and_blank_boxes(ds):
    rubric = ds.rubric
    soup = BeautifulSoup(worksheet_html(rubric, "Xiaomi"), "html.parser")
    assert soup.h1.get_text() == "Grade it yourself: Xiaomi"
    rows = soup.select("tbody tr")
    assert [r.select_one("td.metric b").get_text() for r in rows] == [m.title for m in rubric.metrics.values()]
    for row, m in zip(rows, rubric.metrics.values(), strict=True):
        assert m.question in row.get_text()
        assert len(row.select(".box")) == 2 and all(not b.get_text(strip=True) for b in row.select(".box"))
        assert not row.select_one("td.reason").get_text(strip=True)
    scale = soup.select(".scale div")
    assert [d.b.get_text() for d in scale] == [f"{r.name} {r.min:g}–{r.max:g}" for r in rubric.ratings]
    assert all(r.indication in d.get_text() for d, r in zip(scale, rubric.ratings, strict=True))
    text = soup.get_text(" ")
    assert all(b.name in text for b in rubric.bands)
    # self-contained: no script and nothing fetched from elsewhere, so it prints offline
    assert not soup.select("script, link[href], img[src]")


def test_the_teachers_page_links_the_files_the_build_publishes(ds):
    from moatbook.book.frontback import Teachers

    soup = BeautifulSoup(Teachers("xiaomi").worksheet().html, "html.parser")
    hrefs = [a["href"] for a in soup.select("a")]
    assert hrefs == ["../" + downloads.worksheet_path("xiaomi"), "../" + downloads.worksheet_path("xiaomi", "html")]
    assert downloads.worksheet_path("xiaomi") == "downloads/xiaomi-worksheet.pdf"


@pytest.mark.skipif(not publisher.pdf_available(), reason="needs Chromium and Playwright")
def test_the_pdf_is_one_page(ds, tmp_path):
    messages = []
    written = publisher.publish_worksheet(tmp_path, ds, "xiaomi", messages.append)
    pdf = tmp_path / downloads.worksheet_path("xiaomi")
    assert written == [tmp_path / downloads.worksheet_path("xiaomi", "html"), pdf]
    assert pdf_pages(pdf.read_bytes()) == 1
    assert messages == []


def test_without_a_browser_the_build_warns_and_skips_the_pdf(ds, tmp_path, monkeypatch):
    monkeypatch.setattr(publisher, "pdf_available", lambda: False)
    messages = []
    written = publisher.publish_worksheet(tmp_path, ds, "xiaomi", messages.append)
    assert written == [tmp_path / downloads.worksheet_path("xiaomi", "html")]
    assert not (tmp_path / downloads.worksheet_path("xiaomi")).exists()
    assert len(messages) == 1 and "warning" in messages[0] and "worksheet PDF is skipped" in messages[0]


def test_a_browser_that_fails_is_a_warning_too(ds, tmp_path, monkeypatch):
    from moatbook import browser

    def broken(*args, **kwargs):
        raise RuntimeError("chromium crashed")

    monkeypatch.setattr(publisher, "pdf_available", lambda: True)
    monkeypatch.setattr(browser, "browser", broken)
    messages = []
    written = publisher.publish_worksheet(Path(tmp_path), ds, "xiaomi", messages.append)
    assert len(written) == 1 and "chromium crashed" in messages[0]
    assert not (tmp_path / downloads.worksheet_path("xiaomi")).exists()


@pytest.mark.skipif(not publisher.pdf_available(), reason="needs Chromium and Playwright")
def test_the_page_count_sees_a_second_page(tmp_path):
    from moatbook import browser

    page = tmp_path / "two.html"
    page.write_text('<p>one</p><p style="break-before: page">two</p>', encoding="utf-8")
    with browser.browser() as ctx:
        browser.print_pdf(ctx, page, tmp_path / "two.pdf")
    assert pdf_pages((tmp_path / "two.pdf").read_bytes()) == 2


@pytest.mark.skipif(not publisher.pdf_available(), reason="needs Chromium and Playwright")
def test_an_unchanged_worksheet_is_copied_from_the_cache(ds, tmp_path, monkeypatch):
    from moatbook import browser

    cache = tmp_path / "cache"
    publisher.publish_worksheet(tmp_path / "a", ds, "xiaomi", cache=cache)
    first = (tmp_path / "a" / downloads.worksheet_path("xiaomi")).read_bytes()

    def no_browser(*args, **kwargs):
        raise AssertionError("the browser was started for an unchanged worksheet")

    monkeypatch.setattr(browser, "browser", no_browser)
    publisher.publish_worksheet(tmp_path / "b", ds, "xiaomi", cache=cache)
    assert (tmp_path / "b" / downloads.worksheet_path("xiaomi")).read_bytes() == first
    # another brand's page differs, so it is printed (here: refused by the stub, a warning, no PDF)
    from moatbook.book.context import peer_brands

    peer = peer_brands(ds, "xiaomi")[0]
    messages = []
    publisher.publish_worksheet(tmp_path / "c", ds, peer, messages.append, cache=cache)
    assert not (tmp_path / "c" / downloads.worksheet_path(peer)).exists() and "failed" in messages[0]
