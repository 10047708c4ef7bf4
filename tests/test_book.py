"""End-to-end: the built Xiaomi book, and builds that must fail safely."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from moatbook.book.render import fmt_number
from moatbook.build import build_book, toc_chapters
from moatbook.data import load
from moatbook.data.schema import METRIC_IDS
from moatbook.paths import CHAPTERS_DIR
from moatbook.scoring import score_dataset

pytestmark = pytest.mark.build


def page(book: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((book / "html" / "chapters" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


def test_every_chapter_is_published(xiaomi_book):
    for name in toc_chapters():
        assert (xiaomi_book / "html" / f"{name}.html").exists(), name
        assert (xiaomi_book / "notebooks" / f"{Path(name).name}.ipynb").exists(), name
    assert (xiaomi_book / "html" / "index.html").exists()


def test_scores_json_is_written_by_the_chapters_in_the_agreed_shape(xiaomi_book):
    scores = json.loads((xiaomi_book / "scores.json").read_text())
    assert set(scores) == {"company", "overall", "band", "metrics"}
    assert scores["company"] == "xiaomi" and list(scores["metrics"]) == list(METRIC_IDS)
    for m in scores["metrics"].values():
        assert set(m) == {"score", "low", "high", "n_evidence", "coverage"}
    ds = load(["xiaomi"])
    assert scores == score_dataset(ds, "xiaomi").to_json()
    for mid in METRIC_IDS:  # each metric chapter wrote its own part, equal to the scorecard's
        assert json.loads((xiaomi_book / "scores" / f"{mid}.json").read_text()) == scores["metrics"][mid]


@pytest.mark.parametrize("metric", METRIC_IDS)
def test_each_metric_page_has_table_chart_walkthrough_and_subscore(xiaomi_book, metric):
    soup = page(xiaomi_book, metric)
    assert soup.select('div[id^="altair-viz-"]'), "no chart"
    assert soup.select("table.mb-evidence") or soup.select("table.mb-judgements")
    assert soup.select("table.mb-walk")
    card = soup.select_one(".mb-score-card .mb-score-big")
    scores = json.loads((xiaomi_book / "scores.json").read_text())
    assert card is not None and card.get_text().startswith(f"{scores['metrics'][metric]['score']:.1f}")
    for heading in (
        "What it measures",
        "Why it protects a moat",
        "The evidence",
        "How the sub-score is computed",
        "The sub-score",
        "Among its peers",
        "Caveats",
        "Try it",
    ):
        assert any(heading in h.get_text() for h in soup.find_all("h2")), heading


@pytest.mark.parametrize("metric", METRIC_IDS)
def test_evidence_tables_show_exactly_the_data(xiaomi_book, metric):
    from moatbook.book.chapter import MetricChapter

    ch = MetricChapter(metric, "xiaomi")
    expected = sorted((fmt_number(r.value, 2), r.unit, r.period, r.market) for r in ch.rows())
    shown = []
    for table in page(xiaomi_book, metric).select("table.mb-evidence"):
        for tr in table.select("tbody tr"):
            cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
            shown.append(tuple(cells[:4]))
    assert sorted(shown) == expected


def test_works_cited_lists_every_source_the_pages_cite(xiaomi_book):
    cited = set()
    for html in (xiaomi_book / "html" / "chapters").glob("*.html"):
        cited |= set(re.findall(r"works_cited\.html#src-([a-z0-9-]+)", html.read_text(encoding="utf-8")))
    listed = {li["id"][4:] for li in page(xiaomi_book, "works_cited").select("ol.mb-works li")}
    assert cited and cited <= listed


def test_pages_read_like_a_book_not_a_notebook(xiaomi_book):
    for html in (xiaomi_book / "html" / "chapters").glob("*.html"):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        main = soup.select_one("main") or soup
        assert not main.select("div.cell_input"), f"{html.name}: a code cell is visible"
        assert not main.select(".output.stderr, .output.traceback, .output.error"), f"{html.name}: stray output"
        text = main.get_text(" ")
        for plumbing in ("output_dir", "injected-parameters", "<IPython", "Html(html=", "NotebookNode"):
            assert plumbing not in text, f"{html.name}: shows {plumbing}"
        about = main.select_one(".mb-about")
        assert about is not None and "Xiaomi" in about.get_text() and "Data version" in about.get_text()


def test_book_shows_the_seed_comparison(xiaomi_book):
    soup = page(xiaomi_book, "scorecard")
    rows = soup.select("table.mb-compare tbody tr")
    assert len(rows) == len(METRIC_IDS) + 1
    assert "72" in rows[-1].get_text()


# --------------------------------------------------------------------------- builds on fictional data


@pytest.fixture(scope="module")
def fixture_env(tmp_path_factory, monkeypatch_module):
    from moatbook.paths import DATA_DIR
    from tests.conftest import FIXTURE

    data = tmp_path_factory.mktemp("data") / "data"
    shutil.copytree(FIXTURE, data)
    shutil.copy2(DATA_DIR / "rubric.yaml", data / "rubric.yaml")
    out = tmp_path_factory.mktemp("build")
    monkeypatch_module.setenv("MOATBOOK_DATA_DIR", str(data))
    return data, out


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def acme_book(fixture_env):
    data, out = fixture_env
    report = build_book("acme", out_root=out, log=lambda *a: None)
    assert report.ok, report.error
    return out / "acme"


def test_hostile_note_renders_as_text(acme_book):
    html = (acme_book / "html" / "chapters" / "price_premium.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html or "&lt;script&gt;alert('x')&lt;/script&gt;" in html
    )
    soup = BeautifulSoup(html, "html.parser")
    notes = " ".join(n.get_text() for n in soup.select(".mb-note"))
    assert "<script>alert('x')</script>" in notes and "```{warning} a MyST directive```" in notes
    assert not soup.select(".admonition.warning")


def test_broken_chapter_fails_naming_chapter_and_cell_and_keeps_the_last_book(acme_book, tmp_path):
    before = (acme_book / "html" / "chapters" / "price_premium.html").read_bytes()
    chapters = tmp_path / "chapters"
    shutil.copytree(CHAPTERS_DIR, chapters)
    broken = chapters / "price_premium.md"
    broken.write_text(broken.read_text().replace("ch.caveats()", "ch.caveats()\n1 / 0"))
    lines = []
    report = build_book("acme", out_root=acme_book.parent, chapters_dir=chapters, log=lines.append)
    assert not report.ok
    assert "chapter" in report.error and "price_premium.md" in report.error
    assert re.search(r"code cell \d+ \(`ch\.caveats\(\)`\): ZeroDivisionError", report.error)
    assert any("untouched" in line for line in lines)
    assert (acme_book / "html" / "chapters" / "price_premium.html").read_bytes() == before
    assert not list(acme_book.parent.glob(".stage-*"))


def test_bad_data_stops_the_build_before_any_chapter_runs(acme_book, fixture_env):
    data, _ = fixture_env
    path = data / "evidence" / "acme.csv"
    good = path.read_text()
    try:
        path.write_text(good + "acme,net_promoter_score,nps,lots,score -100..100,2024,global,fx-survey,bad row,\n")
        lines = []
        report = build_book("acme", out_root=acme_book.parent, log=lines.append)
        assert not report.ok and not report.chapters  # nothing executed
        assert "evidence/acme.csv, row 19, column 'value': 'lots' is not a number" in report.error
        assert (acme_book / "html" / "index.html").exists()
    finally:
        path.write_text(good)


def test_unknown_company_is_refused_with_the_known_ones(capsys):
    from moatbook.__main__ import main
    from moatbook.data import known_companies

    assert main(["build", "--company", "nokia"]) == 2
    err = capsys.readouterr().err
    assert "unknown company 'nokia'" in err and all(slug in err for slug in known_companies())
    assert main(["build", "--company", "../etc"]) == 2
    assert "not a valid company slug" in capsys.readouterr().err


# --------------------------------------------------------------------------- what readers read, on two books

INTERNAL = re.compile(
    r"\bseed\b|\bseeds\b|seed report|figure\(s\)|judgement\(s\)|observation\(s\)|row\(s\)|\(s\)|\bNaN\b|\bNone\b"
    r"|injected-parameters|output_dir",
    re.I,
)


@pytest.fixture(scope="module", params=["xiaomi", "transsion"])
def any_book(request):
    return request.getfixturevalue(f"{request.param}_book")


def reader_text(soup: BeautifulSoup) -> str:
    main = soup.select_one("main") or soup
    for hidden in main.select("script, style"):
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
    assert {a.get_text(" ", strip=True).split(" (")[0] for a in linked} >= {"Points", "Range", "Kind"}


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
