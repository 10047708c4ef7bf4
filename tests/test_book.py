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
from moatbook.scoring.gaps import scores_json
from moatbook.scoring.report import analyse

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
    assert set(scores) == {
        "company",
        "overall",
        "low",
        "high",
        "median",
        "band",
        "status",
        "band_probabilities",
        "rank_probabilities",
        "metrics",
    }
    assert scores["company"] == "xiaomi" and list(scores["metrics"]) == list(METRIC_IDS)
    for m in scores["metrics"].values():
        assert set(m) == {
            "score",
            "low",
            "high",
            "median",
            "n_evidence",
            "coverage",
            "status",
            "weight",
            "imputed",
            # each metric's reason, what is on file, the one-line summary and the curators' note on gaps
            "reason",
            "rows",
            "judgements",
            "summary",
            "note",
        }
    assert scores["low"] <= scores["overall"] <= scores["high"]
    assert sum(scores["band_probabilities"].values()) == pytest.approx(1, abs=0.01)
    assert sum(scores["rank_probabilities"].values()) == pytest.approx(1, abs=0.01)
    ds = load(["xiaomi"])
    card = analyse(ds, "xiaomi", sensitivity=False).card
    expected = scores_json(ds.rubric, card, ds.evidence["xiaomi"], ds.assessments["xiaomi"], ds.gap_notes.get("xiaomi"))
    assert scores == json.loads(json.dumps(expected))
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
        # the book-wide values are filled in when the book is published, on every page
        info = json.loads((xiaomi_book / "build-info.json").read_text())
        slots = {el["data-mb-fill"]: el.get_text() for el in about.select("[data-mb-fill]")}
        assert slots == {"data_version": info["data_version"], "build_date": info["build_date"]}, html.name
        # and so are the cite box's year, data version and date, where a page has one
        filled = {"build_year": info["build_date"][:4], **slots}
        for el in main.select(".mb-cite-box [data-mb-fill]"):
            assert el.get_text() == filled[el["data-mb-fill"]], html.name


def test_book_shows_the_seed_comparison(xiaomi_book):
    soup = page(xiaomi_book, "scorecard")
    rows = soup.select("table.mb-compare tbody tr")
    assert len(rows) == len(METRIC_IDS) + 1
    assert "72" in rows[-1].get_text()


# --------------------------------------------------------------------------- honest scores in the pages


def test_every_printed_score_carries_its_interval(xiaomi_book):
    scores = json.loads((xiaomi_book / "scores.json").read_text())
    for metric in METRIC_IDS:
        card = page(xiaomi_book, metric).select_one(".mb-score-card")
        m = scores["metrics"][metric]
        text = " ".join(card.get_text(" ").split())  # a term may be a link to the glossary: one space between words
        assert f"90% interval {m['low']:.1f}–{m['high']:.1f}" in text, metric
        assert f"coverage {m['coverage']}" in text
        peers = page(xiaomi_book, metric).select_one("table.mb-peers")
        assert "90% interval" in peers.select_one("thead").get_text()
    factor = page(xiaomi_book, "scorecard").select_one("table.mb-scorecard")
    for tr in factor.select("tbody tr")[: len(METRIC_IDS)]:
        cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        assert re.fullmatch(r"\d+\.\d–\d+\.\d", cells[3]), cells
    intro = page(xiaomi_book, "index") if (xiaomi_book / "html" / "chapters" / "index.html").exists() else None
    for name in ("scorecard", "conclusion", "robustness"):
        text = " ".join(page(xiaomi_book, name).get_text(" ").split())
        assert f"90% interval {scores['low']:.1f}–{scores['high']:.1f}" in text, name
        assert not re.search(r"\brange \d", text), name  # the old sum-of-extremes range is gone
    assert intro is None or "90% interval" in intro.get_text(" ")


def test_robustness_chapter_shows_interval_sensitivity_and_ranking(xiaomi_book):
    soup = page(xiaomi_book, "robustness")
    for heading in (
        "How sure the overall is",
        "What moves it most",
        "Where the uncertainty comes from",
        "What the overall rests on",
        "Among its peers",
        "Three ways to add up",
    ):
        assert any(heading in h.get_text() for h in soup.find_all(["h2", "h3"])), heading
    assert len(soup.select("table.mb-tornado tbody tr")) >= 8
    assert len(soup.select("table.mb-indices tbody tr")) >= 5
    assert len(soup.select("table.mb-aggregations tbody tr")) == 3
    assert len(soup.select("table.mb-ranking tbody tr")) == 7
    assert len(soup.select("table.mb-loo tbody tr")) == len(METRIC_IDS) + 1
    assert len(soup.select('div[id^="altair-viz-"]')) >= 4
    text = soup.get_text(" ")
    assert "is level with" in text or "ranks above" in text


def test_conclusion_claims_only_what_the_rank_probabilities_support(xiaomi_book):
    from moatbook.scoring.report import score_set

    ds = load(["xiaomi"])
    _, cmp, _ = score_set(ds, ["xiaomi", *ds.companies["xiaomi"].peers])
    text = page(xiaomi_book, "conclusion").get_text(" ")
    names = {s: ds.companies[s].name for s in cmp.slugs}
    for other in cmp.slugs:
        if other == "xiaomi":
            continue
        claim = cmp.claim("xiaomi", other)
        sentence = re.search(r"Xiaomi (ranks below[^.]*|ranks above[^.]*|is level with[^.]*)\.", text).group(0)
        part = {"above": "ranks above", "below": "ranks below", "level": "is level with"}[claim]
        segment = sentence.split(part, 1)[1].split(";")[0]
        assert names[other] in segment, (other, claim, sentence)


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
