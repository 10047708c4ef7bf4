"""The indicator catalogue, the quarter rule, the market limits, the gap messages and like-for-like surveys."""

from __future__ import annotations

import pytest

from moatbook.data import DataError, load, load_rubric
from moatbook.data.catalogue import catalogue, format_text, metric_minimum, minimum_options
from moatbook.data.compare import like_for_like
from moatbook.data.schema import EvidenceRow, Source
from moatbook.data.series import years_from_quarters
from moatbook.scoring import score_company
from moatbook.scoring.gaps import metric_gap

from .conftest import append_row

RUBRIC = load_rubric()


def test_catalogue_lists_every_indicator_once_with_its_rubric_weight():
    entries = catalogue(RUBRIC)
    assert len(entries) == sum(len(m.indicators) for m in RUBRIC.metrics.values())
    for e in entries:
        spec = RUBRIC.metrics[e.metric].indicators[e.indicator]
        assert e.weight == spec.weight
        assert e.kind == spec.kind


def test_catalogue_says_where_rows_go_and_what_a_series_needs():
    trend = next(e for e in catalogue(RUBRIC, "market_share_stability") if e.indicator == "share_trend")
    assert trend.rows_go_to == "market_share_stability/global_share_annual"
    spec = RUBRIC.metrics["market_share_stability"].indicators["share_trend"]
    assert f"{spec.min_points} calendar years" in trend.minimum and f"latest {spec.window_years}" in trend.minimum
    annual = next(e for e in catalogue(RUBRIC, "market_share_stability") if e.indicator == "global_share_annual")
    assert "calendar years only" in annual.periods and "four quarters" in annual.periods
    assert annual.markets == "global only"
    assert "share_of_wallet/global_share" in annual.read_by


def test_the_minimum_for_a_series_metric_is_not_one_figure():
    """The checklist once promised a sub-score from one global-share figure; the engine needs a series."""
    options = minimum_options(RUBRIC, "market_share_stability")
    assert options and all("calendar years" in o for o in options)
    assert "one figure" not in metric_minimum(RUBRIC, "market_share_stability")


def _row(**kw) -> EvidenceRow:
    base = dict(
        company="x",
        metric="market_share_stability",
        indicator="global_share_quarterly",
        unit="%",
        value=10,
        period="2020Q1",
        market="global",
        source_id="a",
        measure="quarterly share",
    )
    return EvidenceRow.model_construct(
        **{**base, **kw, "tracker": kw.get("tracker", ""), "sub_brand": "", "segment": "", "population": "", "note": ""}
    )


SOURCES = {
    "a": Source(
        source_id="a",
        publisher="Tracker A",
        title="t",
        url="https://example.org/a",
        accessed="2026-11-30",
        confidence="high",
    ),
    "b": Source(
        source_id="b",
        publisher="Tracker B",
        title="t",
        url="https://example.org/b",
        accessed="2026-11-30",
        confidence="high",
    ),
}


def test_four_quarters_of_one_tracker_make_a_year():
    rows = [_row(period=f"2020Q{q}", value=v) for q, v in zip((1, 2, 3, 4), (8, 10, 12, 14), strict=True)]
    years = years_from_quarters(RUBRIC, "market_share_stability", "global_share_annual", rows, SOURCES)
    assert len(years) == 1
    y = years[0]
    assert (y.period, y.value, y.indicator, y.tracker) == ("2020", 11, "global_share_annual", "Tracker A")
    assert "computed here" in y.measure


def test_three_quarters_or_two_trackers_make_no_year_and_an_annual_figure_wins():
    three = [_row(period=f"2020Q{q}") for q in (1, 2, 3)]
    mixed = three + [_row(period="2020Q4", source_id="b")]
    assert years_from_quarters(RUBRIC, "market_share_stability", "global_share_annual", three, SOURCES) == []
    assert years_from_quarters(RUBRIC, "market_share_stability", "global_share_annual", mixed, SOURCES) == []
    full = [*three, _row(period="2020Q4")]
    annual = _row(indicator="global_share_annual", period="2020", value=11)
    got = years_from_quarters(RUBRIC, "market_share_stability", "global_share_annual", [*full, annual], SOURCES)
    assert got == []


def test_the_engine_reads_years_made_from_quarters():
    rows = [_row(period=f"{y}Q{q}", value=10 + y - 2018) for y in (2018, 2019, 2020) for q in (1, 2, 3, 4)]
    card = score_company(RUBRIC, "x", rows, [], SOURCES)
    trend = next(i for i in card.metrics["market_share_stability"].indicators if i.id == "share_trend")
    assert trend.scored and trend.value == pytest.approx(1.0)


def test_a_quarter_on_an_annual_indicator_says_where_it_goes(data_dir, good_row):
    row = append_row(
        data_dir / "evidence" / "acme.csv",
        {
            **good_row,
            "metric": "market_share_stability",
            "indicator": "global_share_annual",
            "unit": "%",
            "period": "2024Q3",
        },
    )
    with pytest.raises(DataError) as info:
        load(["acme"], data_dir=data_dir)
    message = next(str(i) for i in info.value.issues if f"row {row}," in str(i))
    assert "calendar years" in message


@pytest.mark.parametrize(
    "indicator, market, pattern",
    [
        ("global_share_annual", "India", "takes 'global' figures only"),
        ("key_market_share", "global", "takes figures for one market"),
    ],
)
def test_indicators_limited_to_some_markets_refuse_others(data_dir, good_row, indicator, market, pattern):
    metric = "market_share_stability" if indicator == "global_share_annual" else "share_of_wallet"
    row = append_row(
        data_dir / "evidence" / "acme.csv",
        {**good_row, "metric": metric, "indicator": indicator, "unit": "%", "market": market},
    )
    with pytest.raises(DataError) as info:
        load(["acme"], data_dir=data_dir)
    message = next(str(i) for i in info.value.issues if f"row {row}," in str(i))
    assert "column 'market'" in message and pattern in message and "make indicators" in message


def test_the_new_market_for_the_world_outside_china_is_accepted():
    assert "global excluding China" in RUBRIC.markets


def test_format_text_covers_every_metric_and_filters_one():
    text = format_text(RUBRIC)
    for mid in RUBRIC.metrics:
        assert f"({mid})" in text
    one = format_text(RUBRIC, "price_premium")
    assert "(price_premium)" in one and "(share_of_wallet)" not in one
    assert "level 4:" in one  # judgement levels are listed


# --------------------------------------------------------------------------- gap messages


def _metric(card, mid):
    return card.metrics[mid]


def test_gap_says_no_evidence_only_when_nothing_is_on_file():
    card = score_company(RUBRIC, "x", [], [], SOURCES)
    gap = metric_gap(RUBRIC, _metric(card, "customer_retention"), [], [])
    assert (gap.status, gap.text()) == ("no evidence", "no evidence")


def test_gap_names_too_few_points_with_counts():
    rows = [_row(indicator="global_share_annual", period=str(y)) for y in (2023, 2024)]
    card = score_company(RUBRIC, "x", rows, [], SOURCES)
    gap = metric_gap(RUBRIC, _metric(card, "market_share_stability"), rows, [])
    assert gap.status == "not scored"
    assert "too few points" in gap.reason and "2 figures on file" in gap.text()
    assert "n=0" not in gap.text() and "None" not in gap.text()


def test_gap_names_low_confidence_only():
    low = {"f": SOURCES["a"].model_copy(update={"source_id": "f", "confidence": "low"})}
    rows = [_row(metric="net_promoter_score", indicator="nps", unit="score -100..100", value=30, source_id="f")]
    card = score_company(RUBRIC, "x", rows, [], low)
    gap = metric_gap(RUBRIC, _metric(card, "net_promoter_score"), rows, [])
    assert gap.text() == "not scored: low-confidence sources only for Net Promoter Score (1 figure on file)"


def test_gap_names_context_only_figures():
    rows = [_row(metric="customer_retention", indicator="platform_loyalty", value=80)]
    card = score_company(RUBRIC, "x", rows, [], SOURCES)
    gap = metric_gap(RUBRIC, _metric(card, "customer_retention"), rows, [])
    assert gap.status == "not scored" and "only context figures" in gap.reason


# --------------------------------------------------------------------------- like for like


def test_like_for_like_groups_one_survey_and_leaves_sub_brands_out():
    def nps(company, value, publisher_source="a", population="", sub_brand=""):
        r = _row(
            metric="net_promoter_score",
            indicator="nps",
            unit="score -100..100",
            value=value,
            period="2020",
            market="India",
            source_id=publisher_source,
        )
        return r.model_copy(update={"company": company, "population": population, "sub_brand": sub_brand})

    evidence = {
        "p": [nps("p", 50, population="urban users"), nps("p", 70, sub_brand="Sub")],
        "q": [nps("q", 40, population="urban users"), nps("q", 45, publisher_source="b")],
        "r": [nps("r", 30)],
    }
    keys = {("net_promoter_score", "nps")}
    surveys = like_for_like(evidence, SOURCES, keys, ["p", "q", "r"], must_include="p")
    assert len(surveys) == 1
    assert surveys[0].values == {"p": 50, "q": 40}
    assert "urban users" in surveys[0].basis and "Tracker A" in surveys[0].basis
    assert like_for_like(evidence, SOURCES, keys, ["q", "r"]) == []
