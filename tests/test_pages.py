"""What readers read in two built books, Xiaomi (rich evidence) and Transsion (thin): no internal
words or raw ids, every link and download resolves, the original report cited where quoted, a
glossary the tables link to, every chart a figure with takeaway, sources and data, answers hidden."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from moatbook.build import toc_chapters
from moatbook.data import load
from moatbook.data.schema import METRIC_IDS

pytestmark = pytest.mark.build


def page(book: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((book / "html" / "chapters" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


INTERNAL = re.compile(
    r"[Ss]eed report|\bseeds?/|\b[Ss]eed 0\d\d\b|\bthe seed\b|figure\(s\)|judgement\(s\)|\(s\)|\bNaN\b|\bNone\b"
    r"|injected-parameters|output_dir"
)


@pytest.fixture(scope="module", params=["xiaomi", "transsion"])
def any_book(request):
    return request.getfixturevalue(f"{request.param}_book")


def reader_text(soup: BeautifulSoup) -> str:
    main = soup.select_one("main") or soup
    for hidden in main.select("script, style, code"):  # code: file names and ids to type into a data file
        hidden.decompose()
    return main.get_text(" ")


def test_no_page_shows_internal_words_or_raw_ids(any_book):
    ds = load()
    ids = set(ds.rubric.metrics)
    for m in ds.rubric.metrics.values():
        ids |= {i for i in m.indicators if "_" in i}
    raw = re.compile(r"\b(" + "|".join(sorted(ids, key=len, reverse=True)) + r")\b")
    for html in sorted((any_book / "html" / "chapters").glob("*.html")):
        text = reader_text(BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser"))
        assert not INTERNAL.findall(text), f"{html.name}: {sorted(set(INTERNAL.findall(text)))}"
        assert not raw.findall(text), f"{html.name}: raw ids {sorted(set(raw.findall(text)))}"


def test_every_local_link_and_download_resolves(any_book):
    root = any_book / "html"
    for html in [root / "index.html", root / "search.html", *sorted((root / "chapters").glob("*.html"))]:
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
            for el in soup.find_all(tag):
                ref = el.get(attr)
                if not ref or ref.startswith(("http://", "https://", "mailto:", "#", "data:", "javascript:")):
                    continue
                path, _, frag = ref.partition("#")
                path = path.split("?")[0]
                if "mb-site-link" in " ".join(el.parent.get("class", [])):
                    continue  # the link to the cross-brand site resolves inside the site (test_site checks it)
                target = (html.parent / path).resolve()
                assert target.exists(), f"{html.relative_to(root)} links to missing {ref}"
                if frag and target.suffix == ".html" and el.get("class") and "mb-cite" in el.get("class"):
                    assert f'id="{frag}"' in target.read_text(encoding="utf-8"), f"{html.name}: no #{frag}"


def test_downloads_are_the_executed_chapters_the_scores_and_the_evidence(any_book):
    slug = any_book.name
    root = any_book / "html"
    for name in toc_chapters():
        nb = json.loads((root / "downloads" / "notebooks" / f"{Path(name).name}.ipynb").read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert any(c.get("outputs") for c in code), name  # executed
        params = "".join(next(c for c in code if "injected-parameters" in c["metadata"].get("tags", []))["source"])
        assert f'company = "{slug}"' in params and 'output_dir = ""' in params
    assert json.loads((root / "downloads" / f"{slug}-scores.json").read_text()) == json.loads(
        (any_book / "scores.json").read_text()
    )
    for metric in METRIC_IDS:
        assert (root / "downloads" / f"{slug}-{metric}-evidence.csv").read_text().startswith("company,metric,")


def test_the_worksheet_is_one_printed_page_linked_from_the_teachers_page(any_book):
    from moatbook.build.worksheet import pdf_available
    from tests.test_worksheet import pdf_pages

    slug = any_book.name
    links = {a["href"] for a in page(any_book, "teachers").select("main a[href]")}
    assert f"../downloads/{slug}-worksheet.pdf" in links and f"../downloads/{slug}-worksheet.html" in links
    assert (any_book / "html" / "downloads" / f"{slug}-worksheet.html").is_file()
    pdf = any_book / "html" / "downloads" / f"{slug}-worksheet.pdf"
    if pdf_available():  # the build prints it wherever Chromium is installed (the tests' machine has it)
        assert pdf_pages(pdf.read_bytes()) == 1


def test_the_original_report_is_cited_and_linked_where_it_is_quoted(xiaomi_book):
    cited = page(xiaomi_book, "works_cited")
    entry = cited.select_one("#original-report")
    assert entry is not None and "Evaluating Xiaomi" in entry.get_text()
    for html in sorted((xiaomi_book / "html" / "chapters").glob("*.html")):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        for el in soup.select("main .mb-score-ref, main .mb-legend, main .mb-fig-source"):
            if "original report" in el.get_text().lower():
                assert el.select_one('a[href$="#original-report"]'), f"{html.name}: {el.get_text()[:60]}"


def test_glossary_defines_the_words_tables_use_and_headings_link_to_it(any_book):
    glossary = page(any_book, "glossary")
    terms = {dt.get_text(" ", strip=True).rstrip("¶#").strip().lower() for dt in glossary.select("dl.glossary dt")}
    for word in (
        "strongest and weakest",
        "coverage",
        "coverage grade",
        "interval",
        "judgement level",
        "band",
        "economic moat",
        "indicator",
        "anchor",
        "range",
        "sub-score",
    ):
        assert word in terms, word
    linked = page(any_book, "customer_retention").select("th a.mb-term")
    assert {a.get_text(" ", strip=True).split(" (")[0] for a in linked} >= {"Points", "90% interval", "Kind"}


def test_every_chart_is_a_figure_with_takeaway_source_and_data(any_book):
    for html in sorted((any_book / "html" / "chapters").glob("*.html")):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        for div in soup.select('div[id^="altair-viz-"]'):
            fig = div.find_parent("figure", class_="mb-figure")
            assert fig is not None, f"{html.name}: a chart outside a figure"
            assert fig.select_one("figcaption .mb-fig-takeaway").get_text(strip=True), html.name
            assert fig.select_one(".mb-fig-source").get_text(strip=True), html.name
            assert fig.select_one("details.mb-fig-data table tbody tr"), html.name
            assert fig.select_one("ul.mb-legend li"), html.name


def test_exercise_answers_are_hidden_behind_a_toggle(any_book):
    for metric in METRIC_IDS:
        soup = page(any_book, metric)
        exercises = soup.select(".mb-exercise")
        assert exercises, metric
        for ex in exercises:
            answer = ex.select_one("details.mb-solution")
            assert answer is not None and not answer.has_attr("open"), metric


def test_running_text_links_the_key_terms_where_a_page_first_uses_them(any_book):
    glossary = page(any_book, "glossary")
    ids = {dt.get("id") for dt in glossary.select("dl.glossary dt")}
    for name in ("methodology", "price_premium", "scorecard", "intro"):
        doc = page(any_book, name)
        prose = [a for a in doc.select("p a.mb-term, li a.mb-term") if not a.find_parent(["table", "figure"])]
        assert prose, f"{name}: no term linked in its text"
        hrefs = [a["href"].split("#")[1] for a in prose]
        assert set(hrefs) <= ids, name  # every link lands on a definition
        assert len(hrefs) == len(set(hrefs)), f"{name}: a term linked twice"
    # "indicator" and "interval" are linked on a metric page; no source title carries a link
    texts = {a.get_text().lower().rstrip("s") for a in page(any_book, "price_premium").select("p a.mb-term")}
    assert {"indicator", "interval"} <= texts
    assert not page(any_book, "works_cited").select("li i a.mb-term, li b a.mb-term")
