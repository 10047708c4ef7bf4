"""The project's real data: valid, sourced, documented, and calibrated against the original report."""

from __future__ import annotations

import re

import pytest

from moatbook.data import load
from moatbook.data.schema import METRIC_IDS, TABLE_MODELS
from moatbook.paths import CHAPTERS_DIR, DATA_DIR, ROOT
from moatbook.scoring import score_dataset

DS = load()
BRANDS = DS.brands()
PEERS = ["apple", "samsung", "huawei", "vivo", "oppo", "transsion"]


def test_every_company_validates_and_the_brands_are_there():
    assert {"xiaomi", *PEERS} <= set(BRANDS)


def test_xiaomi_evidence_covers_all_metrics():
    rows = DS.evidence["xiaomi"]
    assert len(rows) >= 120
    covered = {r.metric for r in rows} | {a.metric for a in DS.assessments["xiaomi"]}
    assert covered == set(METRIC_IDS)


def test_every_cited_source_resolves_and_has_an_address():
    for _slug, rows in DS.evidence.items():
        for r in rows:
            assert r.source_id in DS.sources
    for rows in DS.assessments.values():
        for a in rows:
            assert all(s in DS.sources for s in a.source_ids)
    assert all(s.url.startswith(("http://", "https://")) for s in DS.sources.values())


def test_seed_citations_are_kept_on_sources():
    cited = {s.seed_citation for s in DS.sources.values() if s.seed_citation}
    assert len(cited) >= 25  # the original report's works cited that the evidence uses


def _hard_metrics(card) -> set[str]:
    return {
        mid for mid, m in card.metrics.items() if any(i.scored and i.kind in ("level", "derived") for i in m.indicators)
    }


@pytest.mark.parametrize("slug", PEERS)
def test_each_peer_has_enough_sourced_evidence_or_names_its_gaps(slug):
    """Eight metrics with hard figures, or each metric without them explained in data/gaps.csv."""
    assert len(DS.evidence[slug]) >= 40
    card = score_dataset(DS, slug)
    without = set(METRIC_IDS) - _hard_metrics(card)
    explained = set(DS.gap_notes.get(slug, {}))
    assert len(METRIC_IDS) - len(without) >= 8 or without <= explained, sorted(without - explained)


@pytest.mark.parametrize("slug", BRANDS)
def test_every_metric_not_scored_or_graded_d_says_why(slug):
    """A metric with no sub-score or grade D names, in data/gaps.csv, what was looked for and why none counts."""
    card = score_dataset(DS, slug)
    thin = {mid for mid, m in card.metrics.items() if m.score is None or m.coverage == "D"}
    assert thin <= set(DS.gap_notes.get(slug, {})), sorted(thin - set(DS.gap_notes.get(slug, {})))


@pytest.mark.parametrize("slug", ["xiaomi", *PEERS])
def test_global_share_series_has_rival_trackers(slug):
    rows = [r for r in DS.evidence[slug] if r.indicator == "global_share_annual"]
    years = {int(r.period) for r in rows}
    trackers = {DS.sources[r.source_id].publisher for r in rows}
    assert len(years & set(range(2015, 2025))) >= 3
    assert len(trackers) >= 2


@pytest.mark.parametrize("slug", BRANDS)
def test_every_brand_scores(slug):
    card = score_dataset(DS, slug)
    assert card.overall is not None and 0 <= card.overall <= 100
    assert card.n_scored >= DS.rubric.aggregation.min_scored_metrics


def _names() -> list[str]:
    return sorted({c.name for c in DS.companies.values() if c.kind == "brand"} | set(BRANDS))


def test_no_company_name_in_the_rubric_or_the_code():
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in _names()) + r")\b", re.IGNORECASE)
    texts = {p: p.read_text() for p in (ROOT / "moatbook").rglob("*.py")}
    texts[DATA_DIR / "rubric.yaml"] = (DATA_DIR / "rubric.yaml").read_text()
    for path in CHAPTERS_DIR.glob("*.md"):
        # the parameters cell names the default company; everything else must come from data
        texts[path] = re.sub(r'^company = ".*"$', "", path.read_text(), flags=re.MULTILINE)
    offenders = {
        str(p.relative_to(ROOT)): sorted(set(pattern.findall(t))) for p, t in texts.items() if pattern.search(t)
    }
    assert not offenders


def test_data_readme_documents_every_column():
    readme = (DATA_DIR / "README.md").read_text()
    for table, model in TABLE_MODELS.items():
        for column in model.model_fields:
            assert f"| `{column}` |" in readme, (table, column)


def test_no_quote_column_or_pack_quotes_in_data():
    for path in DATA_DIR.rglob("*.csv"):
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert "quote" not in header.split(","), path
