"""Glossary terms linked where a page's running text first uses them (moatbook.book.sphinx_ext.link_prose)."""

from __future__ import annotations

import re

from moatbook.book.sphinx_ext import link_prose
from moatbook.build import html as bh


def href(term: str) -> str | None:
    return None if term == "tracker" else f"glossary.html#term-{term.replace(' ', '-')}"


def links(body: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="mb-term" href="([^"]+)">([^<]+)</a>', link_prose(body, href))


def test_the_first_use_in_a_paragraph_is_linked_once_per_page():
    body = "<p>Each indicator has anchors. Another indicator.</p><ul><li>The sub-scores and an anchor.</li></ul>"
    assert links(body) == [
        ("glossary.html#term-indicator", "indicator"),
        ("glossary.html#term-anchor", "anchors"),
        ("glossary.html#term-sub-score", "sub-scores"),
    ]


def test_the_longer_term_wins_and_moat_is_not_linked_twice():
    body = "<p>A derived indicator of the economic moat; the moat again.</p>"
    assert links(body) == [
        ("glossary.html#term-derived-indicator", "derived indicator"),
        ("glossary.html#term-economic-moat", "economic moat"),
    ]


def test_nothing_outside_running_text_is_touched():
    body = (
        '<h2>Indicator weights</h2><table><tr><th>Band</th><td>band</td></tr></table><p><a href="x">an interval</a> '
        "<code>interval</code></p><figure><figcaption>The interval</figcaption></figure>"
        '<div class="mb-about"><p>The moat book</p></div><div>interval outside a paragraph</div>'
        '<p><img alt="an interval" src="x.png"/> words with no term</p><p>intervals, at last</p>'
    )
    out = link_prose(body, href)
    assert out.count('class="mb-term"') == 1
    assert '<a class="mb-term" href="glossary.html#term-interval">intervals</a>, at last' in out
    assert 'alt="an interval"' in out  # attributes are never rewritten


def test_a_term_the_glossary_lacks_is_left_as_text_and_band_is_never_linked_in_prose():
    assert links("<p>One tracker, a premium price band, one interval.</p>") == [
        ("glossary.html#term-interval", "interval")
    ]


def test_source_names_and_titles_are_not_linked():
    assert links("<li><b>Tracker A</b>. <i>Global wearable band market, one indicator</i>.</li>") == []


def test_words_containing_a_term_are_not_links():
    assert links("<p>Bandwidth, a moated castle, sub-scored, indicators-first.</p>") == []


def test_a_change_of_renderer_rebuilds_every_page(tmp_path):
    work = tmp_path / "work"
    files = {"a.md": b"x", bh.RENDERER_FILE: b"one"}
    bh.prepare_work(work, files)
    (work / "out" / "_build" / "html").mkdir(parents=True)
    (work / "out" / "_build" / "html" / "index.html").write_text("built")
    assert bh.prepare_work(work, files) == []  # same renderer: the built pages are kept
    assert (work / "out" / "_build" / "html" / "index.html").exists()
    bh.prepare_work(work, {**files, bh.RENDERER_FILE: b"two"})
    assert not (work / "out").exists()  # another renderer: Sphinx starts afresh
    assert bh.source_files({}, "X", _bundle(tmp_path))[bh.RENDERER_FILE] == (bh.renderer_version().encode())


def _bundle(tmp_path):
    path = tmp_path / "bundle.js"
    path.write_text("// vega")
    return path
