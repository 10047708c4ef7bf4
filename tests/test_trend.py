"""The moat over time: the trend rule on synthetic series, and the check against what happened."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moatbook.data import load
from moatbook.scoring import check as ck
from moatbook.scoring import trend as tr

DS = load()


def synthetic(slope: float, noise: float, years=range(2018, 2026), n: int = 2000, seed: int = 1):
    """Point overalls on a line with ``slope`` a year, and draws scattered around them by ``noise``."""
    rng = np.random.default_rng(seed)
    ys = list(years)
    points = [60 + slope * (y - ys[0]) for y in ys]
    draws = np.array(points)[None, :] + rng.normal(0, noise, size=(n, len(ys)))
    return ys, points, draws


@pytest.mark.parametrize(
    "slope,noise,expected",
    [
        (2.0, 1.0, "widening"),
        (-2.0, 1.0, "narrowing"),
        (0.0, 1.0, "stable"),
        (0.5, 6.0, "stable"),  # a real but small rise inside wide intervals is not a verdict
        (1.0, 0.2, "widening"),
    ],
)
def test_the_rule_finds_known_slopes(slope, noise, expected):
    years, points, draws = synthetic(slope, noise)
    v = tr.verdict(years, points, draws)
    assert v.verdict == expected
    assert v.years == years[-tr.WINDOW :]
    assert v.slope == pytest.approx(slope, abs=1e-9)
    assert v.low < v.slope < v.high


@settings(max_examples=30, deadline=None)
@given(st.floats(-5, 5), st.floats(0.1, 3))
def test_the_slope_interval_covers_the_true_slope_and_the_verdict_follows_it(slope, noise):
    years, points, draws = synthetic(slope, noise)
    v = tr.verdict(years, points, draws)
    assert v.low <= slope <= v.high
    assert (v.verdict == "widening") == (v.low > 0)
    assert (v.verdict == "narrowing") == (v.high < 0)


def test_fewer_rated_years_than_the_rule_needs_give_no_verdict():
    years, points, draws = synthetic(3.0, 0.1, years=[2024, 2025])
    v = tr.verdict(years, points, draws)
    assert v.verdict == "no verdict" and "needs 3" in v.reason
    # rated years older than the window do not count towards it
    years, points, draws = synthetic(3.0, 0.1, years=[2010, 2011, 2012, 2024, 2025])
    assert tr.verdict(years, points, draws).verdict == "no verdict"
    assert tr.verdict([], [], np.zeros((10, 0))).verdict == "no verdict"


def test_thin_years_in_the_window_are_named():
    years, points, draws = synthetic(2.0, 0.5)
    thin = [y < 2022 for y in years]
    v = tr.verdict(years, points, draws, thin)
    assert v.thin_years == [2021]


def test_a_long_and_a_short_record():
    long, short = tr.trend(DS, "apple", draws=500), tr.trend(DS, "transsion", draws=500)
    assert len(long.rated) >= 5 and long.verdict.verdict in tr.VERDICTS[:3]
    assert all(y.low <= y.overall <= y.high for y in long.rated)
    assert all(y.n_scored >= long.min_scored for y in long.rated)
    assert all(y.n_scored < long.min_scored for y in long.years if not y.rated)
    assert short.verdict.verdict == "no verdict"
    assert [y.year for y in long.years] == list(range(long.years[0].year, long.years[-1].year + 1))


# --------------------------------------------------------------------------- the check


def test_spearman_matches_known_values():
    assert ck.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert ck.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert ck.spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)
    assert ck.spearman([1, 2], [1, 2]) is None
    assert ck.spearman([1, 1, 1], [1, 2, 3]) is None
    assert list(ck.ranks([3, 1, 3])) == [2.5, 1.0, 2.5]


def _with(ds, slug, pick, update):
    evidence = {s: list(v) for s, v in ds.evidence.items()}
    evidence[slug] = [r.model_copy(update=update) if pick(r) else r for r in evidence[slug]]
    return dataclasses.replace(ds, evidence=evidence, evidence_lines={})


def test_published_ratings_never_enter_the_score_they_are_checked_against():
    keys = ck.rating_indicators(DS.rubric)
    assert ("brand_advocacy", "admired_brand_rank") in keys
    brands = DS.brands()
    before = ck.rating_lists(DS, brands)
    moved = DS
    for slug in brands:
        moved = _with(moved, slug, lambda r: (r.metric, r.indicator) in keys, {"value": 1.0})
    after = ck.rating_lists(moved, brands)
    assert [[e[3] for e in lst.entries] for lst in before] == [[e[3] for e in lst.entries] for lst in after]
    assert [[e[2] for e in lst.entries] for lst in before] != [[e[2] for e in lst.entries] for lst in after]


def test_the_check_is_computed_from_the_data():
    """Change one share figure and the correlation moves: nothing in the check is typed in."""
    brands = DS.brands()
    base = ck.check(DS, brands)
    first = base.outcomes[0]
    assert first.n >= ck.MIN_PAIRS and first.rho is not None
    pairs = {(p.slug, p.year): p for p in first.pairs}
    # recompute one pair by hand from the share series
    p = first.pairs[0]
    shares = ck.global_shares(DS, p.slug)
    assert p.change == pytest.approx(shares[p.year + ck.HORIZONS[0]] - shares[p.year])
    assert p.score == pytest.approx(base.scores[p.slug][p.year])
    # a brand's later share moved far up changes the correlation
    slug, year = max(pairs, key=lambda k: pairs[k].score)
    low = min(pairs.values(), key=lambda q: q.score)
    moved = _with(
        DS,
        low.slug,
        lambda r: (r.metric, r.indicator) == ck.SHARE and r.market == "global" and r.period == str(low.year + 2),
        {"value": 60.0},
    )
    assert ck.check(moved, brands).outcomes[0].rho != pytest.approx(first.rho)


def test_the_site_check_counts_the_brands_its_pairs_come_from():
    from moatbook.book.over_time import site_check
    from moatbook.data import load
    from moatbook.scoring import check as ck

    ds = load(["xiaomi"])
    pairs = [ck.Pair("xiaomi", 2020, 70.0, 1.0), ck.Pair("apple", 2020, 72.0, 0.5), ck.Pair("xiaomi", 2021, 71.0, 0.2)]
    outcome = ck.Correlation("change of global share over the next 2 years", None, 3, 2, pairs)
    chk = ck.Check(["xiaomi", "apple", "samsung"], {}, {}, [outcome], [])
    text = " ".join(site_check(ds, chk).split())
    assert "rest on 3 pairs from 2 brands" in text
