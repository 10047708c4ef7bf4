"""The uncertainty model and the sensitivity analysis: properties, estimator checks, claims, speed."""

from __future__ import annotations

import copy
import random
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moatbook.data import load, load_rubric
from moatbook.data.schema import AssessmentRow, EvidenceRow, Source
from moatbook.scoring import sensitivity as sa
from moatbook.scoring import uncertainty as un
from moatbook.scoring.engine import score_company, score_dataset

RUBRIC = load_rubric()
SETTINGS = un.Settings.from_rubric(RUBRIC)
SOURCES = {
    "a": Source(
        source_id="a", publisher="A", title="t", url="https://example.org/a", accessed="2026-11-30", confidence="high"
    ),
    "b": Source(
        source_id="b", publisher="B", title="t", url="https://example.org/b", accessed="2026-11-30", confidence="medium"
    ),
}
PEERS = {f"p{i}": {m: v for m in RUBRIC.metrics} for i, v in enumerate((4.0, 5.5, 6.0, 7.5))}


def nps_rows(values, source="a"):
    return [
        EvidenceRow(
            company="x",
            metric="net_promoter_score",
            indicator="nps",
            value=v,
            unit="score -100..100",
            period=str(2015 + i),
            market="global",
            source_id=source,
            measure=f"survey wave {i}",
        )
        for i, v in enumerate(values)
    ]


def one_metric_interval(values, n=4000):
    """90% interval of the NPS sub-score resting on the given figures alone."""
    card = score_company(RUBRIC, "x", nps_rows(values), [], SOURCES)
    model = un.compile_card(card, RUBRIC)
    res = un.simulate(model, SETTINGS, n=n)
    return res.metrics["net_promoter_score"]


def full_card(seed: int = 0):
    """A synthetic brand with evidence on every metric (random but valid)."""
    rng = random.Random(seed)
    rows, judged = [], []
    for mid, spec in RUBRIC.metrics.items():
        for iid, ind in spec.indicators.items():
            if ind.kind == "level" and ind.unit and not ind.source:
                lo, hi = min(a for a, _ in ind.anchors), max(a for a, _ in ind.anchors)
                unit = RUBRIC.units[ind.unit]
                for k in range(rng.randint(1, 4)):
                    v = rng.uniform(lo, hi)
                    v = max(v, unit.min) if unit.min is not None else v
                    v = min(v, unit.max) if unit.max is not None else v
                    v = float(round(v)) if unit.integer else v
                    rows.append(
                        EvidenceRow(
                            company="x",
                            metric=mid,
                            indicator=iid,
                            value=v,
                            unit=ind.unit,
                            period=str(2018 + k),
                            market=rng.choice(["global", "China"]),
                            source_id=rng.choice(["a", "b"]),
                            measure=f"measure {k}",
                        )
                    )
            if ind.kind == "ordinal":
                judged.append(
                    AssessmentRow(
                        company="x",
                        metric=mid,
                        indicator=iid,
                        level=rng.randint(0, 4),
                        source_ids=["a"],
                        rationale=f"judgement {iid}",
                    )
                )
    for k, v in enumerate(rng.uniform(5, 15) for _ in range(5)):
        rows.append(
            EvidenceRow(
                company="x",
                metric="market_share_stability",
                indicator="global_share_annual",
                value=round(v, 1),
                unit="%",
                period=str(2019 + k),
                market="global",
                source_id="a",
                measure="share",
            )
        )
    return score_company(RUBRIC, "x", rows, judged, SOURCES, peers=PEERS), rows, judged


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(st.floats(-20, 80), st.integers(2, 10))
def test_more_consistent_evidence_never_widens_an_interval(value, n):
    one = one_metric_interval([value])
    many = one_metric_interval([value] * n)
    assert many.high - many.low <= one.high - one.low + 1e-9


def test_thin_evidence_is_wider_than_ten_consistent_rows():
    one, ten = one_metric_interval([30.0]), one_metric_interval([30.0] * 10)
    assert (one.high - one.low) > 2 * (ten.high - ten.low)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_with_every_perturbation_off_the_monte_carlo_returns_the_point_score(seed):
    card, _, _ = full_card(seed)
    model = un.compile_card(card, RUBRIC)
    res = un.simulate(model, SETTINGS.all_off(), n=5)
    assert np.allclose(res.overall_draws, card.value, atol=1e-9)
    for i, (mid, m) in enumerate(card.metrics.items()):
        expected = m.value if m.value is not None else m.imputed
        assert np.allclose(res.metric_draws[:, i], expected, atol=1e-9), mid


def test_with_every_perturbation_off_real_brands_return_their_point_scores():
    ds = load()
    for slug in ds.brands():
        card = score_dataset(ds, slug)
        if card.overall is None:
            continue
        res = un.simulate(un.compile_card(card, ds.rubric), un.Settings.from_rubric(ds.rubric).all_off(), n=3)
        assert np.allclose(res.overall_draws, card.value, atol=1e-9), slug


def test_an_identical_copy_of_a_brand_ties_at_fifty_fifty():
    card, _, _ = full_card(3)
    twin = copy.deepcopy(card)
    twin.company = "twin"
    other, _, _ = full_card(4)
    other.company = "other"
    cmp = un.compare({"x": card, "twin": twin, "other": other}, RUBRIC, SETTINGS)
    assert cmp.above[("x", "twin")] == pytest.approx(0.5)
    assert cmp.above[("twin", "x")] == pytest.approx(0.5)
    assert cmp.claim("x", "twin") == "level"
    assert cmp.rank_probabilities["x"] == pytest.approx(cmp.rank_probabilities["twin"], abs=0.02)


def test_row_order_does_not_change_the_intervals():
    card, rows, judged = full_card(5)
    first = un.simulate(un.compile_card(card, RUBRIC), SETTINGS, n=2000)
    shuffled_rows, shuffled_judged = list(rows), list(judged)
    random.Random(9).shuffle(shuffled_rows)
    random.Random(9).shuffle(shuffled_judged)
    again = score_company(RUBRIC, "x", shuffled_rows, shuffled_judged, SOURCES, peers=PEERS)
    second = un.simulate(un.compile_card(again, RUBRIC), SETTINGS, n=2000)
    assert first.overall == second.overall
    assert first.metrics == second.metrics


def test_the_same_data_give_the_same_intervals_every_time():
    card, _, _ = full_card(6)
    a = un.simulate(un.compile_card(card, RUBRIC), SETTINGS, n=1000)
    b = un.simulate(un.compile_card(card, RUBRIC), SETTINGS, n=1000)
    assert a.overall == b.overall and a.band_probabilities == b.band_probabilities


def test_band_probabilities_add_up_and_intervals_hold_the_point():
    card, _, _ = full_card(7)
    res = un.simulate(un.compile_card(card, RUBRIC), SETTINGS)
    assert sum(res.band_probabilities.values()) == pytest.approx(1)
    assert res.overall.low <= res.overall.median <= res.overall.high
    un.apply(card, res)
    assert card.low <= card.overall <= card.high


# --------------------------------------------------------------------------- claims


def test_a_claim_needs_the_rank_probability_and_survives_without_grade_d():
    cmp = un.Comparison(
        ["a", "b"],
        {"a": [0.8, 0.2], "b": [0.2, 0.8]},
        {("a", "b"): 0.8, ("b", "a"): 0.2},
        {("a", "b"): 0.6, ("b", "a"): 0.4},
        {"a": 70.0, "b": 65.0},
        {},
        0.75,
    )
    assert cmp.claim("a", "b") == "above" and cmp.claim("b", "a") == "below"
    cmp.above_without_d[("a", "b")] = 0.45  # the lead rests on grade-D sub-scores
    assert cmp.claim("a", "b") == "level"
    cmp.above_without_d[("a", "b")] = 0.6
    cmp.above[("a", "b")] = 0.7  # not sure enough
    assert cmp.claim("a", "b") == "level"


# --------------------------------------------------------------------------- sensitivity


def test_sobol_estimator_recovers_the_indices_of_an_additive_model():
    a = np.array([1.0, 2.0, 3.0, 0.5])
    truth = a**2 / np.sum(a**2)

    def draw(n, rng):
        return {f"x{i}": rng.uniform(0, 1, n) for i in range(4)}

    def evaluate(x):
        return 70 + sum(a[i] * x[f"x{i}"] for i in range(4))

    res = sa.sobol_indices(draw, evaluate, RUBRIC.uncertainty.sensitivity_draws, np.random.default_rng(20261130))
    for i in range(4):
        s1, st_ = res[f"x{i}"]
        assert s1 == pytest.approx(truth[i], abs=0.05)
        assert st_ == pytest.approx(truth[i], abs=0.05)


def test_sobol_estimator_sees_an_interaction():
    def draw(n, rng):
        return {"x": rng.uniform(-1, 1, n), "y": rng.uniform(-1, 1, n)}

    res = sa.sobol_indices(draw, lambda v: v["x"] * v["y"], 4096, np.random.default_rng(1))
    # a pure interaction: no first-order effect, all of it in the total effects
    assert abs(res["x"][0]) < 0.1 and res["x"][1] == pytest.approx(1, abs=0.1)


def test_tornado_and_leave_one_out_on_a_brand():
    card, _, _ = full_card(8)
    model = un.compile_card(card, RUBRIC)
    swings = sa.tornado(model, SETTINGS, RUBRIC)
    assert swings and all(s.width >= 0 for s in swings)
    assert [s.width for s in swings] == sorted((s.width for s in swings), reverse=True)
    other, _, _ = full_card(9)
    other.company = "y"
    loo = sa.leave_one_out({"x": card, "y": other}, RUBRIC)
    assert set(loo) == {"none", *RUBRIC.metrics}
    assert loo["none"]["x"] == pytest.approx(card.value)


def test_the_three_aggregations_agree_when_every_sub_score_is_equal():
    values = np.full((1, 11), 6.0)
    w = np.full((1, 11), 1 / 11)
    members = np.array([[1.0] * 4 + [0.0] * 7, [0.0] * 4 + [1.0] * 4 + [0.0] * 3, [0.0] * 8 + [1.0] * 3])
    from moatbook.scoring import aggregate

    assert aggregate.arithmetic(values, w)[0] == pytest.approx(60)
    assert aggregate.geometric(values, w, 0.5)[0] == pytest.approx(60)
    assert aggregate.pillars(values, w, members)[0] == pytest.approx(60)


# --------------------------------------------------------------------------- speed


def test_ten_thousand_draws_for_one_brand_take_under_a_second():
    ds = load(["xiaomi"])
    model = un.compile_card(score_dataset(ds, "xiaomi"), ds.rubric)
    settings = un.Settings.from_rubric(ds.rubric)
    assert settings.draws == 10_000
    times = []
    for _ in range(3):
        t = time.perf_counter()
        un.simulate(model, settings)
        times.append(time.perf_counter() - t)
    assert min(times) <= 1.0, times
