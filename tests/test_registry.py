"""The source registry: one row per page, the same page never under two ids, no citation lost in the move."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moatbook.data import DataError, load
from moatbook.data.registry import is_listing_url, url_key

from .conftest import append_row

BEFORE = Path(__file__).parent / "fixtures" / "cited_urls_before_registry.json"


def errors_for(data_dir, slug="acme") -> list[str]:
    with pytest.raises(DataError) as info:
        load([slug], data_dir=data_dir)
    return [str(i) for i in info.value.issues]


@pytest.mark.parametrize(
    "a, b",
    [
        ("http://www.idc.com/promo/x", "https://idc.com/promo/x/"),
        ("https://www.idc.com/promo/x?mc_cid=70b&amp;mc_eid=5ed", "https://www.idc.com/promo/x"),
        ("https://latestmyanmarnews.com/?p=109&embed=true", "https://latestmyanmarnews.com/?p=109"),
        ("https://example.org/a?utm_source=x&id=3", "https://example.org/a?id=3"),
    ],
)
def test_spellings_of_one_address_are_one_page(a, b):
    assert url_key(a) == url_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://www.mi.com/global/discover/article?id=4474", "https://www.mi.com/global/discover/article?id=3879"),
        ("https://example.org/a", "https://example.org/b"),
        ("https://example.org/a", "https://example.com/a"),
    ],
)
def test_different_pages_stay_apart(a, b):
    assert url_key(a) != url_key(b)


@pytest.mark.parametrize(
    "url, listing",
    [
        ("https://canadianrev.squarespace.com/cr/tag/canalys", True),
        ("https://makeupvana.store/tag/tim-cook/page/9", True),
        ("http://chromecentral.blogspot.com/search?max-results=7", True),
        ("https://example.org/?s=xiaomi", True),
        ("https://example.org/", True),
        ("https://kantar.turtl.co/story/smartphone-c-brands/page/4", False),
        ("http://www.electrend.net/categories/industry-view/4929", False),
        ("https://www.idc.com/promo/smartphone-market-share/vendor", False),
    ],
)
def test_listing_pages_are_recognised(url, listing):
    assert is_listing_url(url) is listing


def _source(**kw) -> dict:
    return (
        dict(
            source_id="acme-news",
            publisher="Tracker A",
            title="A page read for Acme",
            url="https://example.org/acme-news",
            accessed="2026-11-30",
            confidence="medium",
        )
        | kw
    )


def test_a_page_registered_twice_is_refused_with_the_id_to_reuse(data_dir, good_row):
    # fx-tracker-a's page, registered again under a new id and cited by a new row of acme's
    row = append_row(data_dir / "sources.csv", _source(url="http://www.example.org/tracker-a/"))
    ev = append_row(data_dir / "evidence" / "acme.csv", {**good_row, "source_id": "acme-news"})
    messages = errors_for(data_dir)
    registry = [m for m in messages if m.startswith(f"{data_dir.name}/sources.csv") or "sources.csv, row" in m]
    assert len(registry) == 1, messages
    assert f"sources.csv, row {row}, column 'url'" in registry[0]
    assert "already registered as 'fx-tracker-a' (row 2)" in registry[0]
    assert "cite 'fx-tracker-a' instead of 'acme-news'" in registry[0]
    cite = [m for m in messages if "evidence/acme.csv" in m]
    assert len(cite) == 1 and f"row {ev}, column 'source_id'" in cite[0] and "cite 'fx-tracker-a'" in cite[0]


def test_the_new_row_is_blamed_even_when_added_above_the_old_one(data_dir, good_row):
    """The row nobody else cites is the one just added, wherever it sits in the file."""
    path = data_dir / "sources.csv"
    lines = path.read_text().splitlines()
    new = "acme-news,Tracker A,A page read for Acme,,https://example.org/tracker-a,,2026-11-30,medium,"
    path.write_text("\n".join([lines[0], new, *lines[1:]]) + "\n")
    append_row(data_dir / "evidence" / "acme.csv", {**good_row, "source_id": "acme-news"})
    message = next(m for m in errors_for(data_dir) if "already registered" in m)
    assert "sources.csv, row 2, column 'url'" in message
    assert "already registered as 'fx-tracker-a' (row 3)" in message


def test_a_second_row_with_the_same_id_is_refused(data_dir):
    row = append_row(data_dir / "sources.csv", _source(source_id="fx-survey"))
    message = next(m for m in errors_for(data_dir) if "is already registered at row" in m)
    assert f"sources.csv, row {row}, column 'source_id'" in message
    assert "'fx-survey' is already registered at row 4" in message


def test_the_old_per_brand_folder_is_refused_with_what_to_do(data_dir):
    (data_dir / "sources").mkdir()
    (data_dir / "sources" / "acme.csv").write_text("source_id,publisher\n")
    message = next(m for m in errors_for(data_dir) if "one registry" in m)
    assert "sources.csv" in message and "acme.csv" in message


def test_an_unknown_source_says_where_to_register_it(data_dir, good_row):
    row = append_row(data_dir / "evidence" / "acme.csv", {**good_row, "source_id": "acme-nowhere"})
    message = next(m for m in errors_for(data_dir) if "acme-nowhere" in m)
    assert f"evidence/acme.csv, row {row}, column 'source_id'" in message
    assert "sources.csv" in message


def test_real_registry_has_one_id_per_page():
    ds = load()
    keys = [url_key(s.url) for s in ds.sources.values()]
    assert len(keys) == len(set(keys))


def _cited_urls(slug: str) -> set[str]:
    from moatbook.book.frontback import WorksCited

    book = WorksCited(slug)
    return {url_key(book.ds.sources[sid].url) for sid in book.used_sources}


def test_every_book_keeps_every_url_it_cited_before_the_registry():
    """Merging the pages that carried two ids lost no citation: every book's works cited keeps every address."""
    before: dict[str, str] = json.loads(BEFORE.read_text())  # url -> the books citing it, space-separated
    books = sorted({b for slugs in before.values() for b in slugs.split()})
    assert len(books) == 7
    for slug in books:
        wanted = {url_key(u) for u, slugs in before.items() if slug in slugs.split()}
        missing = wanted - _cited_urls(slug)
        assert not missing, (slug, sorted(missing))
