"""The engine: anchors, combination, derived statistics, judgements, reweighting, overall."""

from __future__ import annotations

import math
import random
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moatbook.data import load, load_rubric
from moatbook.data.schema import AssessmentRow, EvidenceRow, Source
from moatbook.scoring import (
    interpolate,
    score_company,
    score_metric,
    series_statistic,
    weighted_mean,
)

RUBRIC = load_rubric()
SOURCES = {
    "hi": Source(
        source_id="hi",
        publisher="Tracker A",
        title="t",
        url="https://example.org/a",
        accessed="2026-11-24",
        confidence="high",
    ),
    "hi2": Source(
        source_id="hi2",
        publisher="Tracker B",
        title="t",
        url="https://example.org/b",
        accessed="2026-11-24",
        confidence="high",
    ),
    "med": Source(
        source_id="med",
        publisher="Reprint",
        title="t",
        url="https://example.org/c",
        accessed="2026-11-24",
        confidence="medium",
    ),
    "low": Source(
        source_id="low",
        publisher="Forum",
        title="t",
        url="https://example.org/d",
        accessed="2026-11-24",
        confidence="low",
    ),
}


def ev(metric, indicator, value, unit, period="2024", market="global", source="hi", measure="a measure"):
    return EvidenceRow(
        company="x",
        metric=metric,
        indicator=indicator,
        value=value,
        unit=unit,
        period=period,
        market=market,
        source_id=source,
        measure=measure,
    )


def judge(metric, indicator, level, sources=("hi",), why="a judgement for the tests"):
    return AssessmentRow(
        company="x", metric=metric, indicator=indicator, level=level, source_ids=list(sources), rationale=why
    )


def indicator(result, iid):
    return next(i for i in result.indicators if i.id == iid)


# --------------------------------------------------------------------------- anchors


def test_interpolate_runs_through_anchors_and_stays_flat_beyond():
    anchors = [[20, 1], [35, 3.5], [50, 6]]
    assert interpolate(anchors, 20) == 1
    assert interpolate(anchors, 50) == 6
    assert interpolate(anchors, 42.5) == pytest.approx(4.75)
    assert interpolate(anchors, 0) == 1 and interpolate(anchors, 99) == 6


def test_interpolate_handles_falling_anchors():
    anchors = [[18, 10], [22, 8], [25, 6]]  # a shorter replacement cycle is better
    assert interpolate(anchors, 20) == pytest.approx(9)
    assert interpolate(anchors, 40) == 6 and interpolate(anchors, 10) == 10


@pytest.mark.parametrize(
    "metric, iid",
    [(m, i) for m, spec in RUBRIC.metrics.items() for i, ind in spec.indicators.items() if ind.scored],
)
def test_every_rubric_mapping_hits_its_anchors_and_stays_in_range(metric, iid):
    anchors = RUBRIC.metrics[metric].indicators[iid].anchors
    for value, points in anchors:
        assert interpolate(anchors, value) == pytest.approx(points)
    for (a, pa), (b, pb) in pairwise(anchors):
        mid = interpolate(anchors, (a + b) / 2)
        assert min(pa, pb) <= mid <= max(pa, pb)
    lo, hi = min(a for a, _ in anchors), max(a for a, _ in anchors)
    for x in (lo - 1000, hi + 1000):
        assert 0 <= interpolate(anchors, x) <= 10


# --------------------------------------------------------------------------- combining observations


def test_recency_market_and_confidence_weights():
    rows = [
        ev("net_promoter_score", "nps", 40, "score -100..100", period="2024"),  # 7 points, weight 1
        ev("net_promoter_score", "nps", 0, "score -100..100", period="2021"),  # 3 points, 3 years older: 0.5
    ]
    m = score_metric(RUBRIC, "net_promoter_score", rows, [], SOURCES)
    nps = indicator(m, "nps")
    assert nps.points == pytest.approx((7 * 1 + 3 * 0.5) / 1.5)
    # a single-market figure counts 0.7 of a global one
    rows = [
        ev("net_promoter_score", "nps", 40, "score -100..100"),
        ev("net_promoter_score", "nps", 0, "score -100..100", market="India"),
    ]
    nps = indicator(score_metric(RUBRIC, "net_promoter_score", rows, [], SOURCES), "nps")
    assert nps.points == pytest.approx((7 + 3 * 0.7) / 1.7)
    # a medium-confidence source counts 0.8
    rows = [
        ev("net_promoter_score", "nps", 40, "score -100..100"),
        ev("net_promoter_score", "nps", 0, "score -100..100", source="med"),
    ]
    nps = indicator(score_metric(RUBRIC, "net_promoter_score", rows, [], SOURCES), "nps")
    assert nps.points == pytest.approx((7 + 3 * 0.8) / 1.8)


def test_low_confidence_alone_is_not_scored_but_shown():
    rows = [ev("net_promoter_score", "nps", 40, "score -100..100", source="low")]
    m = score_metric(RUBRIC, "net_promoter_score", rows, [], SOURCES)
    nps = indicator(m, "nps")
    assert nps.status == "low-confidence only" and nps.points is None
    assert m.score is None and m.coverage == "none"


def test_low_confidence_beside_others_counts_at_reduced_weight():
    rows = [
        ev("net_promoter_score", "nps", 40, "score -100..100"),
        ev("net_promoter_score", "nps", 0, "score -100..100", source="low"),
    ]
    nps = indicator(score_metric(RUBRIC, "net_promoter_score", rows, [], SOURCES), "nps")
    assert nps.points == pytest.approx((7 + 3 * 0.4) / 1.4)


def test_units_are_converted():
    rows = [ev("customer_engagement", "active_devices", 2.0, "billion devices")]
    dev = indicator(score_metric(RUBRIC, "customer_engagement", rows, [], SOURCES), "active_devices")
    assert dev.value == pytest.approx(2000) and dev.points == pytest.approx(10)


# --------------------------------------------------------------------------- derived


def test_series_statistics():
    pts = [(2019.5, 10.0), (2020.5, 12.0), (2021.5, 11.0), (2022.5, 14.0)]
    assert series_statistic("slope", pts) == pytest.approx(1.1)
    assert series_statistic("drawdown", pts) == pytest.approx(1.0)
    assert series_statistic("volatility", pts) == pytest.approx(
        math.sqrt(((2 - 4 / 3) ** 2 + (-1 - 4 / 3) ** 2 + (3 - 4 / 3) ** 2) / 3)
    )
    assert series_statistic("cagr", [(2020.0, 100.0), (2022.0, 121.0)]) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        series_statistic("cagr", [(2020.0, 0.0), (2022.0, 121.0)])


def share(value, year, source="hi"):
    return ev("market_share_stability", "global_share_annual", value, "%", period=str(year), source=source)


def test_derived_indicators_are_computed_per_tracker_and_averaged():
    rows = [share(v, y) for y, v in [(2019, 10), (2020, 11), (2021, 12), (2022, 13), (2023, 14)]]
    rows += [share(v, y, "hi2") for y, v in [(2019, 10), (2021, 10), (2023, 10)]]
    m = score_metric(RUBRIC, "market_share_stability", rows, [], SOURCES)
    trend = indicator(m, "share_trend")
    slopes = sorted(o.value for o in trend.observations)
    assert slopes == pytest.approx([0.0, 1.0])
    assert trend.points == pytest.approx(
        (
            interpolate(RUBRIC.metrics["market_share_stability"].indicators["share_trend"].anchors, 0)
            + interpolate(RUBRIC.metrics["market_share_stability"].indicators["share_trend"].anchors, 1)
        )
        / 2
    )
    assert m.n_evidence == 8


def test_derived_indicator_never_splices_trackers_into_one_series():
    rows = [share(10, 2019), share(11, 2021, "hi2"), share(12, 2023, "med")]
    trend = indicator(score_metric(RUBRIC, "market_share_stability", rows, [], SOURCES), "share_trend")
    assert trend.status == "too few points" and "one tracker in one market" in trend.note


def test_derived_indicator_with_too_few_points_is_missing():
    rows = [share(10, 2022), share(11, 2023)]
    m = score_metric(RUBRIC, "market_share_stability", rows, [], SOURCES)
    assert indicator(m, "share_trend").status == "too few points"
    assert m.score is None


def test_share_of_wallet_reads_the_annual_share_rows():
    rows = [share(15, 2024)]
    m = score_metric(RUBRIC, "share_of_wallet", rows, [], SOURCES)
    assert indicator(m, "global_share").points == pytest.approx(8)


# --------------------------------------------------------------------------- judgements and metrics


def test_judgements_map_levels_and_carry_a_margin():
    m = score_metric(RUBRIC, "brand_advocacy", [], [judge("brand_advocacy", "fan_culture", 3)], SOURCES)
    fan = indicator(m, "fan_culture")
    assert fan.points == pytest.approx(7.5)
    assert m.coverage == "D" and m.hard_share == 0


def test_several_judgements_average():
    rows = [
        judge("resilience_to_issues", "crisis_recovery", 1, why="first crisis of the two"),
        judge("resilience_to_issues", "crisis_recovery", 3, why="second crisis of the two"),
    ]
    rec = indicator(score_metric(RUBRIC, "resilience_to_issues", [], rows, SOURCES), "crisis_recovery")
    assert rec.points == pytest.approx(5)


def test_missing_indicators_are_reweighted_and_flagged_not_zeroed():
    spec = RUBRIC.metrics["price_premium"].indicators
    w_asp, w_hold = spec["asp_usd"].weight, spec["price_holding"].weight
    rows = [ev("price_premium", "asp_usd", 350, "USD")]  # 6 points
    m = score_metric(RUBRIC, "price_premium", rows, [judge("price_premium", "price_holding", 2)], SOURCES)
    # asp 6 points and the judgement's 5 points share the whole weight in proportion
    assert m.score == pytest.approx(round((6 * w_asp + 5 * w_hold) / (w_asp + w_hold), 1))
    assert any("reweighted" in f for f in m.flags)
    assert {i.id for i in m.missing} == {"asp_change", "premium_mix"}
    assert m.present_share == pytest.approx(w_asp + w_hold)
    assert m.hard_share == pytest.approx(w_asp / (w_asp + w_hold))


def _rubric(**aggregation):
    r = RUBRIC.model_copy(deep=True)
    for k, v in aggregation.items():
        setattr(r.aggregation, k, v)
    return r


def test_overall_is_weighted_mean_times_ten_and_banded():
    rows = [
        ev("net_promoter_score", "nps", 40, "score -100..100"),
        ev("net_promoter_score", "satisfaction_index", 83, "score 0..100"),
        ev("customer_retention", "repurchase_rate", 50, "%"),
        ev("customer_retention", "loyalty_intent", 60, "%"),
    ]
    peers = {"p1": {m: 4.0 for m in RUBRIC.metrics}, "p2": {m: 6.0 for m in RUBRIC.metrics}}
    card = score_company(_rubric(min_scored_metrics=2), "x", rows, [], SOURCES, peers=peers)
    assert card.metrics["net_promoter_score"].score == pytest.approx(7.4)
    assert card.metrics["customer_retention"].score == pytest.approx(6.0)
    # the nine missing metrics are filled at the peers' median, 5.0, and the overall says so
    assert all(m.imputed == pytest.approx(5.0) for m in card.metrics.values() if m.score is None)
    expected = 10 * (card.metrics["net_promoter_score"].value + 6.0 + 9 * 5.0) / 11
    assert card.value == pytest.approx(expected)
    assert card.overall == pytest.approx(round(expected, 1))
    assert card.band == "narrow" and card.status == "provisional"
    assert card.n_scored == 2
    json_ = card.to_json()
    assert {"company", "overall", "low", "high", "band", "status", "band_probabilities", "rank_probabilities"} <= set(
        json_
    )
    assert {"score", "low", "high", "n_evidence", "coverage", "status"} <= set(json_["metrics"]["customer_retention"])
    assert json_["metrics"]["price_premium"]["score"] is None
    assert json_["metrics"]["price_premium"]["status"] == "no evidence"
    assert json_["metrics"]["price_premium"]["imputed"] == 5.0


def test_too_few_scored_metrics_is_not_rated():
    rows = [ev("net_promoter_score", "nps", 40, "score -100..100")]
    card = score_company(RUBRIC, "x", rows, [], SOURCES)
    assert card.overall is None and card.band is None and card.status == "not rated"
    assert card.metrics["net_promoter_score"].score is not None


def test_no_evidence_gives_no_overall():
    card = score_company(RUBRIC, "x", [], [], SOURCES)
    assert card.overall is None and card.band is None


def test_weighted_mean_is_exact_and_order_free():
    pairs = [(0.1, 1.0)] * 10 + [(1e16, 1e-16)]
    assert weighted_mean(pairs) == weighted_mean(list(reversed(pairs)))


# --------------------------------------------------------------------------- properties


LEVEL_INDICATORS = [
    (m, i, ind)
    for m, spec in RUBRIC.metrics.items()
    for i, ind in spec.indicators.items()
    if ind.kind == "level" and ind.unit and not ind.source
]


def _value_for(ind, draw_fraction):
    lo = min(a for a, _ in ind.anchors)
    hi = max(a for a, _ in ind.anchors)
    spec = RUBRIC.units[ind.unit]
    value = lo - (hi - lo) * 0.2 + draw_fraction * (hi - lo) * 1.4
    if spec.min is not None:
        value = max(value, spec.min)
    if spec.max is not None:
        value = min(value, spec.max)
    if spec.integer:
        value = max(round(value), spec.min or 0)
    return value


observation = st.tuples(
    st.sampled_from(range(len(LEVEL_INDICATORS))),
    st.floats(0, 1),
    st.sampled_from(["2016", "2019", "2021Q2", "2023", "2024-06"]),
    st.sampled_from(["global", "China", "India"]),
    st.sampled_from(["hi", "hi2", "med", "low"]),
)
judgement = st.tuples(
    st.sampled_from(
        [(m, i) for m, spec in RUBRIC.metrics.items() for i, ind in spec.indicators.items() if ind.kind == "ordinal"]
    ),
    st.integers(0, 4),
)


def _rows(obs):
    rows = []
    for n, (k, frac, period, market, source) in enumerate(obs):
        metric, iid, ind = LEVEL_INDICATORS[k]
        rows.append(ev(metric, iid, _value_for(ind, frac), ind.unit, period, market, source, measure=f"measure {n}"))
    return rows


def _judgements(js):
    return [judge(m, i, level, why=f"judgement number {n}") for n, ((m, i), level) in enumerate(js)]


@settings(max_examples=150, deadline=None)
@given(st.lists(observation, max_size=25), st.lists(judgement, max_size=8))
def test_scores_stay_in_range(obs, js):
    card = score_company(RUBRIC, "x", _rows(obs), _judgements(js), SOURCES)
    for m in card.metrics.values():
        if m.score is not None:
            assert 0 <= m.score <= 10
            assert m.coverage in {g.grade for g in RUBRIC.coverage_grades}
    if card.overall is not None:
        assert 0 <= card.overall <= 100


@settings(max_examples=150, deadline=None)
@given(st.lists(observation, min_size=1, max_size=25), st.lists(judgement, max_size=8), st.randoms())
def test_scores_do_not_depend_on_row_order(obs, js, rnd):
    rows, judgements = _rows(obs), _judgements(js)
    first = score_company(RUBRIC, "x", rows, judgements, SOURCES).to_json()
    rnd.shuffle(rows)
    rnd.shuffle(judgements)
    assert score_company(RUBRIC, "x", rows, judgements, SOURCES).to_json() == first


def _better(ind, value):
    """A value at least as good as ``value`` under the indicator's anchors."""
    xs = [a for a, _ in ind.anchors]
    rising = ind.anchors[-1][1] >= ind.anchors[0][1] if xs[-1] > xs[0] else ind.anchors[0][1] >= ind.anchors[-1][1]
    step = (max(xs) - min(xs)) * 0.25
    better = value + step if rising else value - step
    spec = RUBRIC.units[ind.unit]
    if spec.min is not None:
        better = max(better, spec.min)
    if spec.max is not None:
        better = min(better, spec.max)
    if spec.integer:
        better = round(better)
    return better


@settings(max_examples=150, deadline=None)
@given(st.lists(observation, min_size=1, max_size=20), st.lists(judgement, max_size=6), st.data())
def test_better_evidence_never_lowers_a_score(obs, js, data):
    rows, judgements = _rows(obs), _judgements(js)
    before = score_company(RUBRIC, "x", rows, judgements, SOURCES)
    k = data.draw(st.integers(0, len(rows) - 1))
    metric, iid, ind = next((m, i, d) for m, i, d in LEVEL_INDICATORS if (m, i) == (rows[k].metric, rows[k].indicator))
    improved = list(rows)
    improved[k] = rows[k].model_copy(update={"value": _better(ind, rows[k].value)})
    if judgements:
        j = data.draw(st.integers(0, len(judgements) - 1))
        judgements = list(judgements)
        raised = judgements[j].model_copy(update={"level": min(4, judgements[j].level + 1)})
        after_j = score_company(RUBRIC, "x", rows, judgements[:j] + [raised] + judgements[j + 1 :], SOURCES)
        for mid, m in before.metrics.items():
            if m.score is not None:
                assert after_j.metrics[mid].score >= m.score
    after = score_company(RUBRIC, "x", improved, judgements, SOURCES)
    for mid, m in before.metrics.items():
        if m.score is not None:
            assert after.metrics[mid].score >= m.score - 1e-9
    if before.overall is not None:
        assert after.overall >= before.overall


def test_fixture_company_scores_match_the_engine_by_hand(data_dir):
    ds = load(["acme"], data_dir=data_dir)
    from moatbook.scoring import score_dataset

    card = score_dataset(ds, "acme")
    # customer retention: one high-confidence 55 % (China, 2023) and one medium 60 % (global, 2021);
    # the low-confidence intention row never carries loyalty_intent alone.
    rep = indicator(card.metrics["customer_retention"], "repurchase_rate")
    anchors = RUBRIC.metrics["customer_retention"].indicators["repurchase_rate"].anchors
    w1, w2 = 0.7 * 1.0, 1.0 * 0.8 * 0.5 ** ((2023.5 - 2021.5) / 3)
    assert rep.points == pytest.approx((interpolate(anchors, 55) * w1 + interpolate(anchors, 60) * w2) / (w1 + w2))
    assert indicator(card.metrics["customer_retention"], "loyalty_intent").status == "low-confidence only"
    random.seed(0)
