"""What counts once: reprints, sub-brands, segments, one series per trend, judgements by confidence, the cap."""

from __future__ import annotations

import numpy as np
import pytest

from moatbook.data import load_rubric
from moatbook.data.schema import AssessmentRow, EvidenceRow, Source
from moatbook.scoring import aggregate
from moatbook.scoring.engine import score_company, score_metric
from moatbook.scoring.figures import consolidate, duplicate_groups

RUBRIC = load_rubric()


def src(sid, publisher, confidence="high"):
    return Source(
        source_id=sid,
        publisher=publisher,
        title="t",
        url=f"https://example.org/{sid}",
        accessed="2026-11-30",
        confidence=confidence,
    )


SOURCES = {
    s.source_id: s
    for s in [
        src("canalys-a", "Canalys"),
        src("canalys-b", "Canalys", "medium"),
        src("canalys-c", "Canalys", "low"),
        src("idc", "IDC"),
        src("counterpoint", "Counterpoint"),
        src("co", "The company"),
        src("co-low", "The company", "low"),
        src("forum", "A forum", "low"),
    ]
}


def ev(indicator, value, unit="%", period="2024", market="global", source="canalys-a", metric=None, **kw):
    metric = metric or next(m for m, spec in RUBRIC.metrics.items() if indicator in spec.indicators)
    return EvidenceRow(
        company="x",
        metric=metric,
        indicator=indicator,
        value=value,
        unit=unit,
        period=period,
        market=market,
        source_id=source,
        measure=kw.pop("measure", "a measure"),
        **kw,
    )


def ind(result, iid):
    return next(i for i in result.indicators if i.id == iid)


KEY_SHARE = RUBRIC.metrics["share_of_wallet"].indicators["key_market_share"]
NPS = RUBRIC.metrics["net_promoter_score"].indicators["nps"]


# --------------------------------------------------------------------------- reprints


def test_one_figure_on_three_pages_counts_once_and_keeps_every_link():
    rows = [
        ev("global_share_annual", 9, period="2022", source=s, measure=f"page {s}")
        for s in ("canalys-a", "canalys-b", "canalys-c")
    ]
    figures = consolidate(
        rows, RUBRIC.metrics["market_share_stability"].indicators["global_share_annual"], True, SOURCES
    )
    assert len(figures) == 1
    f = figures[0]
    assert f.value == 9 and f.n_rows == 3 and set(f.source_ids) == {"canalys-a", "canalys-b", "canalys-c"}
    assert f.confidence == "high"  # the best page reprinting it
    m = score_metric(RUBRIC, "share_of_wallet", rows, [], SOURCES)
    gs = ind(m, "global_share")
    assert gs.figures_used == 1 and gs.rows_used == 3
    assert len([o for o in gs.observations if o.counts]) == 1


def test_reprints_that_round_differently_count_once_at_their_mean():
    rows = [ev("global_share_annual", v, source=s) for v, s in ((14.0, "canalys-a"), (13.8, "canalys-b"))]
    (f,) = consolidate(rows, RUBRIC.metrics["market_share_stability"].indicators["global_share_annual"], True, SOURCES)
    assert f.value == pytest.approx(13.9) and "counted once" in f.note


def test_a_tracker_quoted_on_a_page_of_another_publisher_is_its_own_figure():
    rows = [
        ev("global_share_annual", 14, source="canalys-a"),
        ev("global_share_annual", 13, source="co", tracker="IDC"),
    ]
    figures = consolidate(
        rows, RUBRIC.metrics["market_share_stability"].indicators["global_share_annual"], True, SOURCES
    )
    assert sorted(f.publisher for f in figures) == ["Canalys", "IDC"]


def test_duplicate_groups_name_the_rows_counted_once():
    rows = [ev("nps", 30, "score -100..100", source="canalys-a"), ev("nps", 30, "score -100..100", source="canalys-b")]
    assert [len(g) for g in duplicate_groups(rows, SOURCES)] == [2]


# --------------------------------------------------------------------------- sub-brands and segments


def test_sub_brand_shares_of_one_release_are_summed_into_the_group():
    rows = [
        ev(
            "key_market_share",
            v,
            period="2022Q1",
            market="Middle East and Africa",
            source="counterpoint",
            sub_brand=b,
            measure=f"{b} share",
        )
        for b, v in (("TECNO", 14), ("Infinix", 10), ("itel", 10))
    ]
    figures = consolidate(rows, KEY_SHARE, True, SOURCES)
    scored = [f for f in figures if f.scored]
    assert len(scored) == 1 and scored[0].value == pytest.approx(34)
    assert "Infinix" in scored[0].label and scored[0].n_rows == 3


def test_sub_brand_figures_give_way_to_the_publishers_own_group_figure():
    rows = [
        ev("key_market_share", 14, source="counterpoint", sub_brand="TECNO", measure="TECNO"),
        ev("key_market_share", 10, source="counterpoint", sub_brand="itel", measure="itel"),
        ev("key_market_share", 37, source="counterpoint", measure="group"),
    ]
    figures = consolidate(rows, KEY_SHARE, True, SOURCES)
    assert [f.value for f in figures if f.scored] == [37]
    assert all("whole brand" in f.excluded for f in figures if not f.scored)


def test_a_lone_sub_brand_share_is_shown_not_scored():
    rows = [ev("key_market_share", 14, source="counterpoint", sub_brand="TECNO")]
    (f,) = consolidate(rows, KEY_SHARE, True, SOURCES)
    assert not f.scored and "TECNO" in f.excluded


def test_a_sub_brand_score_is_never_the_brands_score():
    rows = [ev("nps", 52, "score -100..100", source="counterpoint", sub_brand="itel")]
    m = score_metric(RUBRIC, "net_promoter_score", rows, [], SOURCES)
    assert m.score is None and m.status == "not scored"
    nps = ind(m, "nps")
    assert nps.status == "sub-brand or segment only" and nps.observations[0].excluded


def test_segments_count_for_rates_and_scores_but_not_for_shares():
    segment_nps = [ev("nps", 40, "score -100..100", source="counterpoint", segment="phones under 7,000 rupees")]
    assert score_metric(RUBRIC, "net_promoter_score", segment_nps, [], SOURCES).score is not None
    segment_share = [ev("key_market_share", 20, source="counterpoint", segment="Pro models")]
    m = score_metric(RUBRIC, "share_of_wallet", segment_share, [], SOURCES)
    assert ind(m, "key_market_share").status == "sub-brand or segment only"


# --------------------------------------------------------------------------- one series per statistic


def mau(value, period, market="global", source="co"):
    return ev("monthly_active_users", value, "million users", period=period, market=market, source=source)


def test_growth_reads_one_market_of_one_publisher_and_no_low_confidence_end_point():
    rows = [mau(v, p) for p, v in (("2021-12", 509), ("2022-06", 547), ("2023-12", 641.2), ("2024-09", 685.8))]
    rows += [mau(124, "2021-06", "China"), mau(140.2, "2022-06", "China"), mau(152, "2023-09", "China")]
    rows += [mau(741.7, "2025-09", source="co-low")]
    m = score_metric(RUBRIC, "customer_engagement", rows, [], SOURCES)
    growth = ind(m, "user_growth")
    by_market = {o.market: o.value for o in growth.observations}
    assert set(by_market) == {"global", "China"}  # two series, never averaged point by point
    expected_global = ((685.8 / 509) ** (1 / (2024 + 8.5 / 12 - 2021 - 11.5 / 12)) - 1) * 100
    assert by_market["global"] == pytest.approx(expected_global)
    assert "low-confidence" in growth.note


# --------------------------------------------------------------------------- judgements


def test_judgements_are_weighted_by_their_sources_confidence():
    rows = [
        AssessmentRow(
            company="x",
            metric="brand_advocacy",
            indicator="fan_culture",
            level=4,
            source_ids=["canalys-a"],
            rationale="well sourced judgement",
        ),
        AssessmentRow(
            company="x",
            metric="brand_advocacy",
            indicator="fan_culture",
            level=0,
            source_ids=["forum", "co-low"],
            rationale="judgement resting on weak sources only",
        ),
    ]
    fan = ind(score_metric(RUBRIC, "brand_advocacy", [], rows, SOURCES), "fan_culture")
    w_high, w_low = RUBRIC.combine.confidence_weights["high"], RUBRIC.combine.confidence_weights["low"]
    assert fan.points == pytest.approx(10 * w_high / (w_high + w_low))


# --------------------------------------------------------------------------- the cap and missing metrics


def test_the_cap_takes_weight_from_the_metrics_that_read_an_overused_series():
    nominal = np.full((1, 6), 1 / 6)
    shares = np.zeros((6, 6))
    shares[0, 0] = 1.0
    shares[1, 0] = shares[1, 1] = 0.5  # series 0 carries 1/6 + 1/12 = 25%
    for m in range(2, 6):
        shares[m, m] = 1.0
    w = aggregate.cap_weights(nominal, shares, 0.2)
    load = w @ shares
    assert load.max() <= 0.2 + 1e-9 and w.sum() == pytest.approx(1)
    assert load[0, 0] == pytest.approx(0.2)
    assert w[0, 0] < 1 / 6 and w[0, 1] < 1 / 6 and (w[0, 2:] > 1 / 6).all()
    # no series over the cap: weights unchanged
    assert np.allclose(aggregate.cap_weights(nominal, shares, 0.3), nominal)


def test_a_missing_metric_makes_the_overall_provisional_and_comes_from_the_peers():
    rows = []
    for metric, spec in RUBRIC.metrics.items():
        for iid, indicator in spec.indicators.items():
            if (
                indicator.kind == "level"
                and indicator.unit == "%"
                and not indicator.source
                and metric != "share_of_wallet"
            ):
                rows.append(ev(iid, 50, metric=metric))
                break
    rows.append(ev("nps", 30, "score -100..100"))
    judged = [
        AssessmentRow(
            company="x", metric=m, indicator=i, level=2, source_ids=["canalys-a"], rationale="a test judgement"
        )
        for m, spec in RUBRIC.metrics.items()
        for i, d in spec.indicators.items()
        if d.kind == "ordinal" and m not in ("share_of_wallet", "market_share_stability")
    ]
    peers = {
        "p": {m: 3.0 for m in RUBRIC.metrics},
        "q": {m: 7.0 for m in RUBRIC.metrics},
        "r": {m: 8.0 for m in RUBRIC.metrics},
    }
    card = score_company(RUBRIC, "x", rows, judged, SOURCES, peers=peers)
    missing = {m.id for m in card.metrics.values() if m.score is None}
    assert missing == {"share_of_wallet", "market_share_stability"}
    assert card.status == "provisional"
    for mid in missing:
        assert card.metrics[mid].imputed == pytest.approx(7.0)  # the peers' median
        assert {s for s, _ in card.metrics[mid].peers} == {"p", "q", "r"}
