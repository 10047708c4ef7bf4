"""What chapters work from (moatbook.book.context) and what each chapter can see (its cache key's inputs)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from moatbook.book import context
from moatbook.data import load
from moatbook.data.schema import METRIC_IDS
from moatbook.paths import ROOT


@pytest.fixture
def fresh_context():
    context.forget()
    yield
    context.forget()


def perturb_outside(ds, company: str, metric: str):
    """A copy of ``ds`` with everything a chapter of ``metric`` must not depend on changed."""
    reads = context.metric_reads(ds, metric)
    shown = {company, *context.peer_brands(ds, company)}
    benchmarks = set(context.benchmarks(ds))
    evidence = {}
    for slug, rows in ds.evidence.items():
        evidence[slug] = [
            r
            if slug in shown | benchmarks and (r.metric, r.indicator) in reads
            else r.model_copy(update={"value": r.value * 1.37 + 1, "note": "changed", "measure": "changed"})
            for r in rows
        ]
    assessments = {
        slug: [a if a.metric == metric and slug in shown else a.model_copy(update={"rationale": "changed"}) for a in js]
        for slug, js in ds.assessments.items()
    }
    cited = {
        r.source_id for s in shown | benchmarks for r in ds.evidence.get(s, []) if (r.metric, r.indicator) in reads
    }
    cited |= {sid for s in shown for a in ds.assessments.get(s, []) if a.metric == metric for sid in a.source_ids}
    sources = {
        sid: s if sid in cited else s.model_copy(update={"via": "changed", "url": "https://example.org/changed"})
        for sid, s in ds.sources.items()
    }
    import dataclasses

    return dataclasses.replace(ds, evidence=evidence, assessments=assessments, sources=sources)


def test_fingerprints_are_the_same_in_any_process():
    code = (
        "from moatbook.book import context; from moatbook.data import load;"
        "ds = load(['xiaomi']); print(context.fingerprint(context._analysis(ds, 'xiaomi')))"
    )
    prints = set()
    for seed in ("1", "2"):  # string hashing, hence set order, differs between these processes
        env = {**os.environ, "PYTHONHASHSEED": seed}
        prints.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout)
    assert len(prints) == 1 and len(prints.pop().strip()) == 24


def test_fingerprint_refuses_what_it_cannot_see_into():
    with pytest.raises(TypeError, match="cannot fingerprint"):
        context.fingerprint({"x": object()})
    assert context.fingerprint({1: {2, 3}}) == context.fingerprint({1: {3, 2}})


def test_a_book_dataset_cut_from_all_the_data_equals_loading_the_book(fresh_context):
    full, own = load(), load(["vivo"])
    cut = context.book_dataset(full, "vivo")
    assert list(cut.evidence) == list(own.evidence)
    assert cut.evidence == own.evidence and cut.assessments == own.assessments
    assert cut.book_version("vivo") == own.book_version("vivo")


def test_metric_chapters_see_their_metric_and_other_chapters_the_whole_book(fresh_context):
    ds = load(["xiaomi"])
    ctx = context.prepare(ds, "xiaomi")
    changed = context.prepare(perturb_outside(ds, "xiaomi", "price_premium"), "xiaomi", version="other data")
    assert context.chapter_inputs(ctx, "price_premium") == context.chapter_inputs(changed, "price_premium")
    for chapter in ("customer_retention", "scorecard", "intro", "robustness"):
        assert context.fingerprint(context.chapter_inputs(ctx, chapter)) != context.fingerprint(
            context.chapter_inputs(changed, chapter)
        ), chapter

    # a price-premium row of a peer is in view
    import dataclasses

    peer = context.peer_brands(ds, "xiaomi")[0]
    rows = [
        r.model_copy(update={"value": r.value + 1}) if r.metric == "price_premium" else r for r in ds.evidence[peer]
    ]
    moved = context.prepare(dataclasses.replace(ds, evidence={**ds.evidence, peer: rows}), "xiaomi")
    assert context.fingerprint(context.chapter_inputs(ctx, "price_premium")) != context.fingerprint(
        context.chapter_inputs(moved, "price_premium")
    )


def test_an_installed_context_is_used_without_loading_anything(fresh_context, monkeypatch):
    ds = load(["xiaomi"])
    context.install(context.prepare(ds, "xiaomi"))
    monkeypatch.setattr(context, "load", lambda *a, **k: pytest.fail("the chapter loaded the data again"))
    assert context.dataset("xiaomi") is ds
    assert context.scorecard("xiaomi", "apple").company == "apple"


def test_results_are_computed_once_per_key(fresh_context):
    calls = []

    def compute():
        calls.append(1)
        return {"value": 1}

    assert context.result("probe", ("a", 1), compute) == {"value": 1}
    assert context.result("probe", ("a", 1), compute) == {"value": 1}
    context.result("probe", ("a", 2), compute)
    assert len(calls) == 2


def test_registered_results_reach_every_chapter_key(fresh_context):
    ds = load(["xiaomi"])
    try:

        @context.per_book("probe")
        def _probe(ds, company):
            return {"n": len(ds.evidence[company])}

        ctx = context.prepare(ds, "xiaomi")
        before = context.chapter_inputs(ctx, "price_premium")["results"]["probe"]
        ctx.results["probe"] = {"n": -1}
        ctx._fingerprints.clear()
        assert context.chapter_inputs(ctx, "price_premium")["results"]["probe"] != before
    finally:
        context.REGISTRY.pop("probe", None)


# --------------------------------------------------------------------------- the declaration against the chapters


def _sanitised_outputs(nb: dict) -> list:
    text = json.dumps([c.get("outputs", []) for c in nb["cells"] if c["cell_type"] == "code"], sort_keys=True)
    return json.loads(re.sub(r"altair-viz-[0-9a-f]{32}", "altair-viz-ID", text))


def perturb_values(ds, sources_too: bool):
    """Every figure's value, note and wording and every judgement's level reason changed; sources kept or not."""
    import dataclasses

    changed = {"note": "changed", "measure": "changed"}
    evidence = {
        slug: [r.model_copy(update={"value": r.value * 1.37 + 1, **changed}) for r in rows]
        for slug, rows in ds.evidence.items()
    }
    assessments = {
        slug: [a.model_copy(update={"rationale": "changed reason"}) for a in js] for slug, js in ds.assessments.items()
    }
    sources = ds.sources
    if sources_too:
        sources = {sid: s.model_copy(update={"title": "changed", "publisher": "Changed"}) for sid, s in sources.items()}
    return dataclasses.replace(ds, evidence=evidence, assessments=assessments, sources=sources)


NARROW_CHAPTERS = [*METRIC_IDS, "methodology", "works_cited", "crosswalk"]


def test_every_narrow_chapter_is_checked():
    assert set(context.CHAPTER_READS) <= set(NARROW_CHAPTERS)


@pytest.fixture(scope="module")
def original():
    """The Xiaomi book's data and its results, computed once for the module (held by the context object)."""
    context.forget()
    ds = load(["xiaomi"])
    return ds, context.prepare(ds, "xiaomi", version="original")


@pytest.mark.parametrize("chapter", NARROW_CHAPTERS)
def test_chapters_show_nothing_outside_what_they_declare(original, fresh_context, tmp_path, chapter):
    """Run a chapter that reads less than the whole book on the data and on data changed outside
    its declared inputs (context.chapter_inputs): the page must come out the same."""
    from moatbook.build.execute import NotebookRunner, parameterize, read_source

    ds, book = original
    if chapter in ds.rubric.metrics:
        changed = perturb_outside(ds, "xiaomi", chapter)
    else:
        changed = perturb_values(ds, sources_too=chapter != "works_cited")
    runner = NotebookRunner()
    (tmp_path / "notebooks").mkdir()
    source = parameterize(read_source(ROOT / "chapters" / f"{chapter}.md"), {"company": "xiaomi"})
    pages = []
    for data in (ds, changed):
        # the changed data has the same files, so nothing computed for one may serve the other
        context.forget()
        ctx = book if data is ds else context.prepare(data, "xiaomi", version=str(id(data)))
        context.install(ctx)
        out = runner.run(json.loads(json.dumps(source)), str(tmp_path / "notebooks"))
        assert out.error is None, (chapter, out.error)
        pages.append((context.chapter_inputs(ctx, chapter), _sanitised_outputs(out.notebook)))
    (inputs_a, page_a), (inputs_b, page_b) = pages
    assert inputs_a == inputs_b, chapter
    assert page_a == page_b, f"{chapter} shows something its declared inputs do not cover"
