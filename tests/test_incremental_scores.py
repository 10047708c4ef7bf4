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


def test_scoring_every_brand_scores_each_brands_metrics_once(ds, monkeypatch, clean):
    brands = ds.brands()
    calls = []
    real = engine._score_metrics

    def counting(d, slug):
        calls.append(slug)
        return real(d, slug)

    monkeypatch.setattr(engine, "_score_metrics", counting)
    with engine.shared_scores():
        shared = {s: engine.score_dataset(ds, s) for s in brands}
    # each brand once, though each is scored as itself and as every other brand's peer
    assert sorted(calls) == sorted(brands)
    calls.clear()
    again = {s: engine.score_dataset(ds, s) for s in brands}  # kept by content: not scored again
    assert calls == []
    for s in brands:
        assert shared[s] == again[s]


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


def test_a_brands_metrics_kept_by_content_are_what_scoring_afresh_gives(ds, tmp_path, clean):
    memo.use_store(tmp_path)
    for year in (None, 2020):
        d = ds if year is None else as_of(ds, year)
        for slug in d.brands():
            kept = engine.score_dataset(d, slug)
            fresh = engine.score_company(
                d.rubric,
                slug,
                d.evidence.get(slug, []),
                d.assessments.get(slug, []),
                d.sources,
                peers=engine.peer_scores(d, slug),
                as_of=engine.as_of_time(d),
            )
            assert kept == fresh, (slug, year)
    # each call hands out its own copy: completing one scorecard never changes the kept metrics
    a = engine.brand_metrics(ds, "xiaomi")
    next(iter(a.values())).imputed = 99.0
    assert next(iter(engine.brand_metrics(ds, "xiaomi").values())).imputed != 99.0
    assert list(tmp_path.glob("brand-metrics-*.pkl"))


def test_a_brands_metrics_are_scored_again_when_its_rows_or_their_sources_change(ds, clean):
    before = engine._brand_key(ds, "xiaomi")
    assert engine._brand_key(_scaled(ds, "apple", 0.9), "xiaomi") == before  # another brand's rows
    assert engine._brand_key(_scaled(ds, "xiaomi", 0.9), "xiaomi") != before
    sid = ds.evidence["xiaomi"][0].source_id
    moved = dataclasses.replace(
        ds, sources={**ds.sources, sid: ds.sources[sid].model_copy(update={"confidence": "low"})}
    )
    assert engine._brand_key(moved, "xiaomi") != before
    assert engine._brand_key(as_of(ds, 2020), "xiaomi") != before
