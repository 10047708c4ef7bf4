"""Scores computed once and reused: shared sub-scores within a block, simulations and as-of scores kept by content.

These are what makes a rebuild after one changed row cheap; each reuse must give
exactly what computing afresh gives.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from moatbook import memo
from moatbook.book import context
from moatbook.data import load
from moatbook.data.asof import as_of
from moatbook.data.periods import PeriodError, parse_period
from moatbook.scoring import engine
from moatbook.scoring import uncertainty as un


@pytest.fixture(scope="module")
def ds():
    return load(["xiaomi"])


@pytest.fixture
def clean():
    context.forget()
    yield
    context.forget()
    memo.use_store(None)


def test_shared_scores_give_the_same_scorecards_and_score_each_brand_once(ds, monkeypatch):
    brands = ds.brands()
    alone = {s: engine.score_dataset(ds, s) for s in brands}
    calls = []
    real = engine.score_metric

    def counting(rubric, metric_id, evidence, *args, **kwargs):
        calls.append(id(evidence))
        return real(rubric, metric_id, evidence, *args, **kwargs)

    monkeypatch.setattr(engine, "score_metric", counting)
    with engine.shared_scores():
        shared = {s: engine.score_dataset(ds, s) for s in brands}
    for s in brands:
        assert shared[s].value == alone[s].value
        assert {m: c.value for m, c in shared[s].metrics.items()} == {m: c.value for m, c in alone[s].metrics.items()}
    n = len(ds.rubric.metrics)
    # each brand once as itself, once as everybody's peer: 2 x brands x metrics, not brands x brands x metrics
    assert len(calls) == 2 * len(brands) * n
    # outside the block nothing is shared
    calls.clear()
    engine.score_dataset(ds, brands[0])
    engine.score_dataset(ds, brands[0])
    assert len(calls) == 2 * len(brands) * n


def test_a_dataset_is_told_apart_by_identity_inside_the_block(ds):
    changed = dataclasses.replace(
        ds,
        evidence={
            **ds.evidence,
            "apple": [r.model_copy(update={"value": r.value * 0.5}) for r in ds.evidence["apple"]],
        },
    )
    with engine.shared_scores():
        a = engine.metric_values(ds, "apple")
        b = engine.metric_values(changed, "apple")
    assert a != b


def test_a_simulation_is_kept_on_disk_and_reused_only_for_the_same_model(ds, tmp_path, clean, monkeypatch):
    cards = {s: engine.score_dataset(ds, s) for s in ("xiaomi", "apple")}
    settings = un.Settings.from_rubric(ds.rubric, draws=400)
    plain = un.simulate_all(cards, ds.rubric, settings)
    memo.use_store(tmp_path)
    first = un.simulate_all(cards, ds.rubric, settings)
    assert len(list(tmp_path.glob("simulate-*.pkl"))) == 2
    for s in cards:
        assert np.array_equal(first[s].overall_draws, plain[s].overall_draws)

    def boom(*a, **k):
        raise AssertionError("simulated again")

    monkeypatch.setattr(un, "simulate", boom)
    again = un.simulate_all(cards, ds.rubric, settings)  # loaded from disk, not simulated
    assert np.array_equal(again["xiaomi"].overall_draws, plain["xiaomi"].overall_draws)
    moved = {**cards, "apple": engine.score_dataset(_scaled(ds, "apple", 0.8), "apple")}
    with pytest.raises(AssertionError, match="simulated again"):
        un.simulate_all(moved, ds.rubric, settings)


def _scaled(ds, slug, factor):
    return dataclasses.replace(
        ds,
        evidence={**ds.evidence, slug: [r.model_copy(update={"value": r.value * factor}) for r in ds.evidence[slug]]},
    )


def test_an_as_of_version_follows_what_the_year_can_see(ds, clean):
    rows = ds.evidence["xiaomi"]
    late = max(range(len(rows)), key=lambda i: parse_period(rows[i].period).end)
    year = int(parse_period(rows[late].period).start) - 2
    edited = [r.model_copy(update={"value": r.value * 1.1}) if i == late else r for i, r in enumerate(rows)]
    changed = dataclasses.replace(ds, evidence={**ds.evidence, "xiaomi": edited})
    # a row dated after the year: the year's data, and so its version and scores, are unchanged
    assert context._version(as_of(ds, year)) == context._version(as_of(changed, year))
    # the year that sees the row changes
    last = int(parse_period(rows[late].period).end - 1e-9) + 1
    assert context._version(as_of(ds, last)) != context._version(as_of(changed, last))
    # the data of today is versioned by its files, as before
    assert context._version(ds) == ds.version()


def test_the_period_parser_remembers_but_still_refuses_bad_periods():
    assert parse_period(" 2024Q2 ") is parse_period("2024Q2")
    for bad in ("2024Q5", "", "2025..2024"):
        with pytest.raises(PeriodError):
            parse_period(bad)
        with pytest.raises(PeriodError):  # twice: an error is never remembered as a value
            parse_period(bad)


def test_the_code_version_covers_every_module_a_chapter_runs():
    import subprocess
    import sys

    from moatbook.build.cache import code_files
    from moatbook.paths import ROOT

    # a fresh process that imports what a chapter's code imports: every module of the book layer
    code = (
        "import sys, pkgutil, importlib, moatbook.book as b\n"
        "for m in pkgutil.iter_modules(b.__path__): importlib.import_module('moatbook.book.' + m.name)\n"
        "mods = [m.__file__ for n, m in sys.modules.items() if n.startswith('moatbook') and m.__file__]\n"
        "print('\\n'.join(sorted(mods)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    used = {line for line in out.split() if line}
    covered = {str(p.resolve()) for p in code_files()}
    assert used - covered == set()
