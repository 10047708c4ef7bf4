"""An as-of book reads as of its date: no later period anywhere in its HTML, and its date on every score."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from moatbook.data import load
from moatbook.data.asof import as_of
from moatbook.data.periods import parse_period
from moatbook.paths import BUILD_DIR

pytestmark = pytest.mark.build

YEAR = 2019
# pages whose text is today's rules (the rubric's reasons and changelog), which an as-of book says it keeps
RULES_PAGES = {"methodology", "indicators"}
# a period token: a year, a quarter, a half or a month, not part of a longer date or number, nor a version number
# such as the rubric's "2026.12"
PERIOD = re.compile(r"(?<![\d.\-/])((?:19|20)\d\d)(Q[1-4]|H[12]|-(?:0[1-9]|1[0-2]))?(?![\d\-]|\.\d)")


class _Text(HTMLParser):
    """Visible text of a page, leaving out scripts, styles and the boxes that carry the build's own dates."""

    SKIP_CLASSES = ("mb-about", "mb-cite-box")

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        skip = tag in ("script", "style") or any(c in cls.split() for c in self.SKIP_CLASSES)
        if tag in ("br", "img", "meta", "link", "input", "hr", "source", "path", "circle", "rect", "line"):
            return
        self.stack.append(skip or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag in ("br", "img", "meta", "link", "input", "hr", "source", "path", "circle", "rect", "line"):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.out.append(data)


def _visible(path: Path) -> str:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return " ".join(p.out)


@pytest.fixture(scope="session")
def asof_book() -> Path:
    from moatbook.build import build_book

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MOATBOOK_DATA_DIR", raising=False)
        report = build_book("xiaomi", as_of=YEAR, log=lambda *a: None)
    assert report.ok, report.error
    return BUILD_DIR / f"asof-{YEAR}" / "xiaomi"


def test_an_as_of_book_shows_no_later_period_anywhere(asof_book):
    html = asof_book / "html"
    pages = sorted(html.rglob("*.html"))
    assert len(pages) > 15
    later = []
    for page in pages:
        if page.stem in RULES_PAGES or page.stem in ("search", "genindex"):
            continue
        text = _visible(page)
        text = re.sub(r"\b\d{4}-\d\d-\d\d\b", " ", text)  # access and build dates are not figures' periods
        for m in PERIOD.finditer(text):
            year = int(m.group(1))
            if year > YEAR:
                later.append(f"{page.relative_to(html)}: {text[max(0, m.start() - 50) : m.end() + 20]!r}")
    assert not later, "later periods shown:\n" + "\n".join(later[:20])


def test_the_charts_of_an_as_of_book_hold_no_later_period(asof_book):
    for page in (asof_book / "html").rglob("*.html"):
        for period in re.findall(r'"period":\s*"([^"]+)"', page.read_text(encoding="utf-8")):
            assert parse_period(period).end <= YEAR + 1, (page.name, period)


def test_an_as_of_book_scores_only_what_was_published_by_then(asof_book):
    ds = as_of(load(["xiaomi"]), YEAR)
    scores = json.loads((asof_book / "scores.json").read_text())
    from moatbook.scoring import score_dataset

    card = score_dataset(ds, "xiaomi")
    assert scores["overall"] == card.overall
    cited = (asof_book / "html" / "chapters" / "works_cited.html").read_text(encoding="utf-8")
    full = load(["xiaomi"])
    for sid in full.sources:
        if sid not in ds.sources:
            assert f'id="src-{sid}"' not in cited, sid


def test_an_as_of_book_states_its_date_on_every_page_and_score(asof_book):
    html = asof_book / "html"
    for page in (html / "chapters").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "31 December 2019" in text, page.name
    intro = (html / "chapters" / "intro.html").read_text(encoding="utf-8")
    assert "hindsight" in intro
    for metric in ("price_premium", "market_share_stability"):
        page = (html / "chapters" / f"{metric}.html").read_text(encoding="utf-8")
        assert 'mb-score-meta mb-asof">As of 31 December 2019' in page, metric


def test_a_book_as_of_today_says_so(xiaomi_book):
    text = (xiaomi_book / "html" / "chapters" / "scorecard.html").read_text(encoding="utf-8")
    assert "<b>As of</b> today" in text
