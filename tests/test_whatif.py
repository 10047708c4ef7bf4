"""The what-if controls' arithmetic: the Python form the page is checked against, and the engine it must match."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from moatbook.book import whatif
from moatbook.data import load
from moatbook.scoring import aggregate, engine, score_company
from moatbook.scoring.engine import peer_scores

BRANDS = ["xiaomi", "apple", "samsung", "huawei", "vivo", "oppo", "transsion"]


@pytest.fixture(scope="module")
def ds():
    return load(["xiaomi"])


@pytest.fixture(scope="module")
def cards(ds):
    return {s: engine.score_dataset(ds, s) for s in BRANDS}


def test_the_unrolled_cap_passes_reproduce_the_engine_for_random_weights(ds, cards):
    rng = np.random.default_rng(9)
    worst = few = 0.0
    for card in cards.values():
        shares, _, _ = engine.composition(card.metrics, ds.rubric)
        for k in range(150):
            w = rng.random((1, len(card.metrics)))
            if k % 3 == 0:
                w = w**4  # lopsided weights make the cap bind hard and converge slowly
            if k % 3 == 1:
                w = np.round(w * whatif.METRIC_WEIGHT_MAX, 2) + 0.001  # what the sliders can set
            expected = aggregate.cap_weights(w, shares, ds.rubric.aggregation.series_cap)
            got = whatif.cap_passes(w, shares, ds.rubric.aggregation.series_cap)
            worst = max(worst, float(np.abs(expected - got).max()))
            few = max(few, float(np.abs(expected - whatif.cap_passes(w, shares, 0.15, 5)).max()))
    assert worst < 1e-6, worst
    assert few > 1e-3  # five passes would not do: lopsided weights need many


def test_the_book_settings_give_the_book_scores(ds, cards):
    for slug, card in cards.items():
        mdl = whatif.model(card, ds.rubric, slug)
        r = whatif.compute(mdl)
        if card.overall is None:
            assert r["overall"] is None
            continue
        assert r["overall"] == pytest.approx(card.value, abs=1e-9), slug
        assert r["score"] == card.overall and r["band"] == card.band
        for mid, m in card.metrics.items():
            assert r["subscores"][mid] == pytest.approx(m.value if m.score is not None else m.imputed, abs=1e-12)
            assert r["weights"][mid] == pytest.approx(card.weights[mid], abs=1e-12)
        assert sum(r["shares"].values()) == pytest.approx(1.0)


def _random_settings(mdl, rng: random.Random) -> dict:
    return {
        "metric_weights": {
            m.id: rng.choice([0.0, 0.01, 0.05, 0.1, 0.2, 0.4, rng.random()]) + 0.001 for m in mdl.metrics
        },
        "indicator_weights": {m.id: {i.id: round(rng.uniform(0.01, 1), 2) for i in m.indicators} for m in mdl.metrics},
        "levels": {
            m.id: {i.id: [rng.randint(0, 4) for _ in i.judgements] for i in m.indicators if i.kind == "ordinal"}
            for m in mdl.metrics
        },
        "aggregation": rng.choice(list(whatif.AGGREGATIONS)),
    }


def _engine_with(ds, slug: str, mdl, settings: dict, peers):
    """score_company on a rubric and assessments changed as the settings say."""
    rubric = ds.rubric.model_copy(deep=True)
    for mid, w in settings["metric_weights"].items():
        rubric.metrics[mid].weight = w
    for mid, ws in settings["indicator_weights"].items():
        for iid, w in ws.items():
            rubric.metrics[mid].indicators[iid].weight = w
    levels = {}
    for m in mdl.metrics:
        for ind in m.indicators:
            for j, lv in zip(ind.judgements, settings["levels"].get(m.id, {}).get(ind.id, []), strict=True):
                levels[(m.id, ind.id, j.rationale)] = lv
    assessments = [
        a.model_copy(update={"level": levels.get((a.metric, a.indicator, a.rationale), a.level)})
        for a in ds.assessments[slug]
    ]
    return score_company(rubric, slug, ds.evidence[slug], assessments, ds.sources, peers), rubric


@pytest.mark.parametrize("slug", ["xiaomi", "apple", "transsion", "oppo"])
def test_random_settings_give_what_the_engine_gives_on_a_changed_rubric(ds, cards, slug):
    card = cards[slug]
    mdl = whatif.model(card, ds.rubric, slug)
    peers = peer_scores(ds, slug)
    rng = random.Random(slug)
    for _ in range(6):
        settings = _random_settings(mdl, rng)
        got = whatif.compute(mdl, settings)
        new, rubric = _engine_with(ds, slug, mdl, settings, peers)
        for mid, m in new.metrics.items():
            expected = m.value if m.score is not None else m.imputed
            assert got["subscores"][mid] == pytest.approx(expected, abs=1e-9), (slug, mid)
        if new.overall is None:
            assert got["overall"] is None
            continue
        assert got["weights"] == pytest.approx(new.weights, abs=1e-9)
        values = np.array([[got["subscores"][mid] for mid in new.metrics]])
        w = np.array([[new.weights[mid] for mid in new.metrics]])
        members = np.array(
            [[1.0 if mid in p.metrics else 0.0 for mid in new.metrics] for p in rubric.aggregation.pillars.values()]
        )
        expected = {
            "arithmetic": new.value,
            "geometric": float(aggregate.geometric(values, w, rubric.aggregation.geometric_floor)[0]),
            "pillars": float(aggregate.pillars(values, w, members)[0]),
        }[settings["aggregation"]]
        assert got["overall"] == pytest.approx(expected, abs=1e-9)
        assert got["band"] == rubric.band(round(expected, 1))


def test_a_metric_without_scored_evidence_keeps_the_peers_value(ds, cards):
    found = False
    for slug, card in cards.items():
        mdl = whatif.model(card, ds.rubric, slug)
        for m in mdl.metrics:
            if not m.scored:
                found = True
                assert m.indicators == () and m.imputed == card.metrics[m.id].imputed
                assert whatif.compute(mdl)["subscores"][m.id] == m.imputed
    if not found:
        pytest.skip("every brand is scored on every metric")


def test_the_page_unrolls_as_many_passes_and_reads_the_settings_it_offers(ds, cards):
    mdl = whatif.model(cards["xiaomi"], ds.rubric, "Xiaomi")
    spec = whatif.scorecard_chart(mdl).to_dict()
    text = json.dumps(spec)
    assert f'"w_{whatif.CAP_PASSES}"' in text and f'"w_{whatif.CAP_PASSES + 1}"' not in text
    assert whatif.CAP_PASSES == aggregate.CAP_ITERATIONS
    names = {p["name"]: p for p in spec["params"]}
    assert {f"w_{m.id}" for m in mdl.metrics} | {"agg"} == set(names)
    assert all(p["bind"]["name"].strip() for p in names.values())  # every control has a label
    assert names["agg"]["bind"]["options"] == list(whatif.AGGREGATIONS)
    for m in mdl.metrics:
        assert names[f"w_{m.id}"]["value"] == pytest.approx(m.weight, abs=1e-4)


def test_a_metric_chapter_offers_a_select_per_judgement_and_a_slider_per_indicator(ds, cards):
    mdl = whatif.model(cards["xiaomi"], ds.rubric, "Xiaomi")
    m = mdl.metric("customer_lifetime_value")
    spec = whatif.metric_chart(mdl, m.id).to_dict()
    bound = {p["name"]: p["bind"] for p in spec["params"] if "bind" in p}
    judgements = [j for i in m.indicators for j in i.judgements]
    assert sum(b["input"] == "select" for b in bound.values()) == len(judgements) > 0
    assert sum(b["input"] == "range" for b in bound.values()) == len(m.indicators)
    select = next(b for b in bound.values() if b["input"] == "select")
    assert select["options"] == [0, 1, 2, 3, 4] and all(": " in label for label in select["labels"])
    # the book's rows reach the chart only when it is published
    html = '<script>var spec = {"values": [{"mbfill": "whatif"}]};</script>'
    rows = whatif.book_rows(mdl, keep_ind=True)
    filled = whatif.fill_rows(html, rows)
    assert (
        "mbfill" not in filled
        and json.loads(filled[len('<script>var spec = {"values": ') : -len("};</script>")]) == rows
    )
    assert math.isclose(sum(r["share"] for r in rows if r["metric"] == m.id), 1.0)
