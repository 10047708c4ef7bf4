"""Rebuilds: nothing changed publishes nothing; a changed row re-executes exactly the chapters that show it."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from moatbook.book.context import CHAPTER_READS
from moatbook.build import build_book, toc_chapters
from moatbook.build.cache import sha
from moatbook.build.site import build_site
from moatbook.data.schema import METRIC_IDS
from tests.buildkit import change_value, executed, fixture_data

pytestmark = pytest.mark.build

CHAPTERS = {name.rsplit("/", 1)[-1] for name in toc_chapters()}
# chapters that show the whole book (every score) and so execute again when any row changes; the methodology
# (the rules), the works cited (the sources) and the crosswalk (its mapping) read less: context.CHAPTER_READS
BOOK_LEVEL = CHAPTERS - set(METRIC_IDS) - set(CHAPTER_READS)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    data = fixture_data(tmp_path_factory.mktemp("data") / "data", third_brand=True)
    mp.setenv("MOATBOOK_DATA_DIR", str(data))
    try:  # undone even when the first build fails, so no later test reads the fictional data
        out = tmp_path_factory.mktemp("build")
        report = build_book("acme", out_root=out, log=lambda *a: None)
        assert report.ok, report.error
        yield data, out
    finally:
        mp.undo()


def test_a_cold_build_executes_every_chapter(env):
    data, out = env
    assert executed(out / "acme") == CHAPTERS
    assert len(CHAPTERS) == len(METRIC_IDS) + len(BOOK_LEVEL) + len(CHAPTER_READS)


def test_nothing_changed_publishes_nothing(env):
    data, out = env
    page = out / "acme" / "html" / "index.html"
    before = (page.stat().st_ino, page.stat().st_mtime_ns)
    lines = []
    report = build_book("acme", out_root=out, log=lines.append)
    assert report.ok and report.up_to_date and not report.chapters
    assert (page.stat().st_ino, page.stat().st_mtime_ns) == before
    assert any("up to date" in line for line in lines)


def test_one_row_re_executes_its_metric_and_the_book_wide_chapters_only(env):
    data, out = env
    change_value(data, "acme", "net_promoter_score", "nps", 1.5)
    report = build_book("acme", out_root=out, log=lambda *a: None)
    assert report.ok, report.error
    assert executed(out / "acme") == {"net_promoter_score"} | BOOK_LEVEL
    scores = json.loads((out / "acme" / "scores.json").read_text())
    page = BeautifulSoup((out / "acme" / "html" / "chapters" / "net_promoter_score.html").read_text(), "html.parser")
    shown = page.select_one(".mb-score-card .mb-score-big").get_text()
    assert shown.startswith(f"{scores['metrics']['net_promoter_score']['score']:.1f}")
    # the about box carries the book's current data version, filled in when published
    info = json.loads((out / "acme" / "build-info.json").read_text())
    for name in ("price_premium", "net_promoter_score"):
        about = BeautifulSoup((out / "acme" / "html" / "chapters" / f"{name}.html").read_text(), "html.parser")
        assert about.select_one('[data-mb-fill="data_version"]').get_text() == info["data_version"]


def test_an_edited_chapter_re_executes_alone(env, tmp_path):
    import shutil

    from moatbook.paths import CHAPTERS_DIR

    data, out = env
    chapters = tmp_path / "chapters"
    shutil.copytree(CHAPTERS_DIR, chapters)
    page = chapters / "price_premium.md"
    page.write_text(page.read_text().replace("## Caveats", "## Caveats\n\nA sentence added by a test."))
    report = build_book("acme", out_root=out, chapters_dir=chapters, log=lambda *a: None)
    assert report.ok, report.error
    assert executed(out / "acme") == {"price_premium"}
    assert "A sentence added by a test." in (out / "acme" / "html" / "chapters" / "price_premium.html").read_text()


def _entries(out, book: str, chapter: str) -> list:
    """Every cache entry of ``book``'s ``chapter`` (found by the header each entry starts with)."""
    found = []
    for path in (out / ".cache" / "chapters").glob("*/*.nb"):
        header = json.loads(path.read_bytes().split(b"\n", 1)[0])
        if header["company"] == book and header["chapter"] == chapter:
            found.append(path)
    assert found
    return found


def test_a_damaged_or_disagreeing_cache_entry_is_executed_again_not_published(env):
    data, out = env
    # a partial entry for one chapter, and an intact entry whose sub-score disagrees with the data for another
    for path in _entries(out, "acme", "customer_retention"):
        raw = path.read_bytes()
        path.write_bytes(raw[: raw.index(b"\n") + 100])  # the header whole, the notebook cut short
    for path in _entries(out, "acme", "share_of_wallet"):
        head, payload = path.read_bytes().split(b"\n", 1)
        body = json.loads(payload)
        part = json.loads(body["files"]["scores/share_of_wallet.json"])
        part["score"] = 9.9
        body["files"]["scores/share_of_wallet.json"] = json.dumps(part)
        payload = json.dumps(body).encode()
        header = json.loads(head)
        header["sha256"] = sha(payload)
        path.write_bytes(json.dumps(header).encode() + b"\n" + payload)
    (out / "acme" / "build-info.json").unlink()  # so the build plans instead of finding the book up to date
    lines = []
    report = build_book("acme", out_root=out, log=lines.append)
    assert report.ok, report.error
    assert executed(out / "acme") == {"customer_retention", "share_of_wallet"}
    assert any("ignored a cached chapter: share_of_wallet" in ln and "differs" in ln for ln in lines)
    assert any("ignored a cached chapter" in ln and "checksum" in ln for ln in lines)
    scores = json.loads((out / "acme" / "scores.json").read_text())
    assert (
        json.loads((out / "acme" / "scores" / "share_of_wallet.json").read_text())
        == scores["metrics"]["share_of_wallet"]
    )


def test_the_site_rebuilds_only_the_books_that_show_a_changed_row(env):
    data, out = env
    assert build_site(out_root=out, log=lambda *a: None)
    pages = {b: (out / b / "html" / "index.html").stat().st_ino for b in ("acme", "globex", "initech")}
    change_value(data, "acme", "price_premium", "asp_usd", 1.3)
    lines = []
    assert build_site(out_root=out, log=lines.append)
    assert executed(out / "acme") >= {"price_premium"}
    assert "price_premium" in executed(out / "globex")  # globex's book compares itself with acme
    assert executed(out / "initech") == set()  # initech's book does not show acme at all
    assert (out / "initech" / "html" / "index.html").stat().st_ino == pages["initech"]  # not even republished
    assert (out / "acme" / "html" / "index.html").stat().st_ino != pages["acme"]
    front = (out / "site" / "index.html").read_text()
    assert all(re.search(rf'href="{b}/index.html"', front) for b in ("acme", "globex", "initech"))


def test_the_site_loads_the_data_once_and_scores_each_company_once(env, monkeypatch):
    from moatbook import data as data_module
    from moatbook.book import context

    data, out = env
    (data / "NOTES.txt").write_text("a file that changes what the books are made from, not what they show\n")
    import shutil

    shutil.rmtree(out / ".cache" / "results")  # no scores kept from earlier builds: all are computed now
    loads, scored = [], []
    real_load, real_score = data_module.load, context.score_dataset
    monkeypatch.setattr(data_module, "load", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    monkeypatch.setattr(
        context, "score_dataset", lambda ds, slug: scored.append((slug, ds.as_of, ds.version())) or real_score(ds, slug)
    )
    context.forget()
    lines = []
    assert build_site(out_root=out, log=lines.append)
    assert len(loads) == 1  # one validated load for all three books
    # each company scored once per set of brands it is scored among (a missing metric is filled from the brands
    # loaded with it: globex has one listed peer, so acme's and initech's books fill it from different sets)
    # as of today; the chapter on the moat over time scores them as of each past year too, once each
    today = [(slug, v) for slug, asof, v in scored if asof is None]
    assert len(scored) == len(set(scored))
    assert sorted({slug for slug, _ in today}) == ["acme", "globex", "initech"]
    assert len(today) <= 4
    for book in ("acme", "globex", "initech"):
        assert executed(out / book) == set()  # nothing they show changed: every chapter from the cache
    assert sum("every page is up to date" in ln for ln in lines) == 3


def test_a_changed_stylesheet_reaches_the_published_book(env, tmp_path, monkeypatch):
    """Sphinx keeps a static file it already copied; the build must publish the new one."""
    import shutil

    from moatbook.build import html, pipeline

    data, out = env
    static = tmp_path / "_static"
    shutil.copytree(html.STATIC, static)
    monkeypatch.setattr(html, "STATIC", static)
    monkeypatch.setattr(pipeline, "STATIC", static)
    assert build_book("acme", out_root=out, log=lambda *a: None).ok
    css = static / "moatbook.css"
    css.write_text(css.read_text() + "\n/* a rule added by a test */\n")
    report = build_book("acme", out_root=out, log=lambda *a: None)
    assert report.ok, report.error
    assert (out / "acme" / "html" / "_static" / "moatbook.css").read_text() == css.read_text()
