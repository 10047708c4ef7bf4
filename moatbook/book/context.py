"""What the chapters of one book work from: the validated data and per-build results, computed once.

Every chapter of a book needs the same things: the validated dataset (the brand,
its peers and the benchmarks) and results computed from it (the scorecards of
the brand and its peers; later the uncertainty analysis). A build computes them
once, in the process that plans the build, and hands them to the workers that
execute the chapters (:func:`install`); a chapter run on its own (in Jupyter, or
re-executed by nbval) computes them itself, once per process.

Chapters ask through :func:`dataset`, :func:`scorecard` and :func:`book_result`.

Per-book results are registered with :func:`per_book`; one decorator plugs a
new analysis into every build::

    @per_book("uncertainty", view=lambda result, company, chapter: result.for_chapter(chapter))
    def _uncertainty(ds, company):
        return monte_carlo(ds, company, seed=...)

    # in a chapter class:  context.book_result("uncertainty", self.slug)

The build computes every registered result once per book (cached under
``_build/.cache`` by what it depends on: the book's data files and the package),
and puts a fingerprint of its *value* into the cache key of every chapter, so a
chapter re-executes exactly when what it could show changed. ``view`` (optional)
narrows that to the part a chapter shows; without it every chapter depends on
the whole result. :func:`result` is the underlying memo for any other
computation: ``result(name, key, compute)`` returns ``compute()`` once per
process for each ``key``.

:func:`chapter_inputs` states what each chapter can see, for the build's cache
keys. A metric chapter sees only its own metric (its rows and judgements for
the brand and the peers it shows, their sub-scores on it, the sources it cites);
every other chapter sees the whole book. ``tests/test_context.py`` checks that
declaration against the chapters' actual output.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import memo
from ..data import Dataset, load
from ..data.periods import parse_period
from ..memo import _MEMO, canonical, fingerprint, object_fingerprint, result, use_store  # noqa: F401  (the chapters' and build's API)
from ..scoring import Scorecard, score_dataset


def forget() -> None:
    """Drop every memoised result and installed context (tests, long-lived sessions)."""
    memo.forget()
    _INSTALLED.clear()
    _VERSIONS.clear()


# --------------------------------------------------------------------------- per-book results


@dataclass(frozen=True)
class Registration:
    name: str
    compute: Callable[[Dataset, str], Any]
    view: Callable[[Any, str, str], Any] | None = None


REGISTRY: dict[str, Registration] = {}


def per_book(name: str, view: Callable[[Any, str, str], Any] | None = None):
    """Register ``compute(ds, company)`` as a result every build computes once per book.

    ``view(result, company, chapter)``, if given, returns the part of the result
    a chapter can show (``None`` when it shows none); chapters' cache keys then
    depend on that part only.
    """

    def register(fn: Callable[[Dataset, str], Any]):
        REGISTRY[name] = Registration(name, fn, view)
        return fn

    return register


def peer_brands(ds: Dataset, company: str) -> list[str]:
    """The peers a book compares its brand with: listed peers that are brands with data loaded."""
    return [p for p in ds.company(company).peers if p in ds.companies and ds.company(p).kind == "brand"]


def benchmarks(ds: Dataset) -> list[str]:
    return [s for s, c in ds.companies.items() if c.kind == "benchmark"]


def company_scorecard(ds: Dataset, slug: str) -> Scorecard:
    """A company's point scorecard, computed once per process for the data it is scored on.

    A company's missing metrics are filled from the other brands loaded with it, so
    the key is the whole dataset's version: books loaded with the same companies (the
    seven brands' books all are) share each company's scores.
    """
    return result("scorecard", (slug, _version(ds)), lambda: score_dataset(ds, slug))


def _version(ds: Dataset) -> str:
    key = id(ds)
    if key not in _VERSIONS or _VERSIONS[key][0] is not ds:
        _VERSIONS[key] = (ds, _content_version(ds) if getattr(ds, "as_of", None) is not None else ds.version())
    return _VERSIONS[key][1]


def _content_version(ds: Dataset) -> str:
    """An as-of dataset's version by what it holds, not by the files it was cut from.

    A year's scores then stay cached when a row dated later than that year changes:
    after one row changes, the trend and the check score again only the years that can see it.
    The datasets of the years share their rows, sources and rubric with the book's
    dataset, so each of those is fingerprinted once (:func:`_part`) and a year's
    version is a digest of the parts it holds.
    """
    digest = hashlib.sha256()
    for part in (object_fingerprint(ds.rubric), object_fingerprint(ds.companies), ds.as_of.iso):
        digest.update(part.encode() + b"\0")
    for kind, table in (("evidence", ds.evidence), ("assessments", ds.assessments)):
        for slug in sorted(table):
            digest.update(f"{kind}:{slug}\0".encode())
            for row in table[slug]:
                digest.update(object_fingerprint(row).encode())
    for sid in sorted(ds.sources):
        digest.update(f"{sid}\0{object_fingerprint(ds.sources[sid])}".encode())
    return digest.hexdigest()[:24]


_VERSIONS: dict[int, tuple[Dataset, str]] = {}


def _fresh_card(ds: Dataset, slug: str) -> Scorecard:
    """A copy of the company's point scorecard for an analysis to write its intervals into."""
    import copy

    return copy.deepcopy(company_scorecard(ds, slug))


def _analysis_view(analysis, company: str, chapter: str):
    """What of a book's analysis a chapter shows: a metric chapter, that metric for the brand and its peers."""
    card = analysis.card
    if chapter in card.metrics:
        return {
            "metric": {slug: c.metrics[chapter] for slug, c in analysis.cards.items()},
            "rated": card.overall is not None,
            "weight": (card.weights or {}).get(chapter),
        }
    if chapter in CHAPTER_READS:  # the methodology and the works cited show no score
        return None
    return analysis


@per_book("analysis", view=_analysis_view)
def _analysis(ds: Dataset, company: str):
    """Scores, intervals, rank probabilities and sensitivity of the brand and its peers (the book's analysis)."""
    from ..scoring.report import analyse

    return analyse(ds, company, score=_fresh_card)


# --------------------------------------------------------------------------- the context of one book


@dataclass
class BookContext:
    """The dataset of one book and its per-book results (computed on first use when not prepared)."""

    company: str
    dataset: Dataset
    version: str  # the book's data version: a digest of the data files it reads
    results: dict[str, Any] = field(default_factory=dict)
    _fingerprints: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _facts: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def fact(self, name: str, compute: Callable[[], Any]) -> Any:
        """A value derived from the dataset, computed once per context (not shipped to workers)."""
        if name not in self._facts:
            self._facts[name] = compute()
        return self._facts[name]

    def get(self, name: str) -> Any:
        if name not in self.results:
            reg = REGISTRY.get(name)
            if reg is None:
                raise KeyError(f"no per-book result named '{name}'; registered: {', '.join(REGISTRY)}")
            self.results[name] = reg.compute(self.dataset, self.company)
        return self.results[name]

    def fingerprint(self, name: str) -> str:
        """Fingerprint of the whole result ``name`` (computed once)."""
        if name not in self._fingerprints:
            self._fingerprints[name] = fingerprint(self.get(name))
        return self._fingerprints[name]

    def __getstate__(self):  # fingerprints are recomputed where needed, never shipped
        state = dict(self.__dict__)
        state["_fingerprints"], state["_facts"] = {}, {}
        return state


_INSTALLED: dict[str, BookContext] = {}


def book_dataset(full: Dataset, company: str) -> Dataset:
    """The part of ``full`` that ``load([company])`` would return: the brand, its peers, the benchmarks."""
    wanted = [company, *[p for p in full.company(company).peers if p in full.companies], *benchmarks(full)]
    wanted = list(dict.fromkeys(wanted))
    missing = [s for s in wanted if s not in full.evidence]
    if missing:
        raise KeyError(f"the loaded data lacks {', '.join(missing)}")
    keep = {f"{s}.csv" for s in wanted}
    files = [f for f in full.files if f.parent.name not in ("evidence", "assessments") or f.name in keep]
    return dataclasses.replace(
        full,
        evidence={s: full.evidence[s] for s in wanted},
        assessments={s: full.assessments.get(s, []) for s in wanted},
        files=files,
    )


def prepare(ds: Dataset, company: str, version: str | None = None, code: str = "") -> BookContext:
    """Everything a book's chapters need, computed now (in the process planning the build).

    ``code`` names the version of the code computing the results (the build passes
    a digest of the package) so results kept on disk are never reused across code
    changes.
    """
    version = version or ds.book_version(company)
    ctx = BookContext(company, ds, version)
    for name, reg in REGISTRY.items():
        ctx.results[name] = result(f"book-{name}", (company, version, code), lambda reg=reg: reg.compute(ds, company))
    return ctx


def install(ctx: BookContext) -> None:
    """Hand a prepared context to the chapters that will run in this process."""
    _INSTALLED[ctx.company] = ctx


def current(company: str) -> BookContext:
    """The installed context of ``company``'s book, or one computed now (a chapter run on its own)."""
    ctx = _INSTALLED.get(company)
    if ctx is None:
        ds = load([company])
        year = os.environ.get("MOATBOOK_ASOF", "").strip()
        if year:  # a chapter run on its own for an as-of book
            from ..data.asof import as_of

            ds = as_of(ds, int(year))
        ctx = BookContext(company, ds, ds.book_version(company))
        _INSTALLED[company] = ctx
    return ctx


def dataset(company: str) -> Dataset:
    """The validated data of ``company``'s book: the brand, its peers and the benchmarks."""
    return current(company).dataset


def book_result(name: str, company: str) -> Any:
    """The per-book result registered as ``name`` for ``company``'s book."""
    return current(company).get(name)


def scorecard(company: str, slug: str) -> Scorecard:
    """The scorecard of ``slug`` (the brand or one of its peers) in ``company``'s book, intervals included."""
    cards = book_result("analysis", company).cards
    if slug in cards:
        return cards[slug]
    return company_scorecard(dataset(company), slug)


# --------------------------------------------------------------------------- what a chapter can see


def metric_reads(ds: Dataset, metric: str) -> set[tuple[str, str]]:
    """(metric, indicator) pairs whose evidence rows a metric's chapter shows or scores.

    An indicator's own rows, or those it reads (``from``, a derived series), and the
    quarterly rows that make years of an annual series (``quarters``).
    """
    rubric = ds.rubric
    out = set()
    for iid in rubric.metrics[metric].indicators:
        key = rubric.reads(metric, iid)
        if key is None:
            continue
        out.add(key)
        quarters = rubric.metrics[key[0]].indicators[key[1]].quarters
        if quarters is not None:
            out.add((key[0], quarters.source))
    return out


def cited_sources(ds: Dataset, company: str) -> list[str]:
    """Source ids cited anywhere in a book, in works-cited order (publisher, date, title)."""
    ids = set()
    for slug in [company, *peer_brands(ds, company), *benchmarks(ds)]:
        ids |= {r.source_id for r in ds.evidence.get(slug, [])}
        for a in ds.assessments.get(slug, []):
            ids |= set(a.source_ids)

    def order(sid: str):
        s = ds.sources[sid]
        return (s.publisher.lower(), s.published, s.title.lower(), sid)

    return sorted(ids, key=order)


def latest_period(ds: Dataset) -> float | None:
    """Middle of the newest period of any figure in the book's data."""
    mids = [parse_period(r.period).mid for rows in ds.evidence.values() for r in rows]
    return max(mids) if mids else None


def _company_names(ctx: BookContext) -> dict[str, str]:
    return {"company": ctx.dataset.company(ctx.company).name}


def _rules_inputs(ctx: BookContext) -> dict:
    """The methodology: the rubric (and the company's name, in the box at the top)."""
    return {"kind": "rules", **_company_names(ctx), "rubric": fingerprint(ctx.dataset.rubric)}


def _sources_inputs(ctx: BookContext) -> dict:
    """The works cited: every source the book cites, in order, with the metrics that cite it."""
    ds, company = ctx.dataset, ctx.company
    uses: dict[str, set[str]] = {}
    for slug in [company, *peer_brands(ds, company), *benchmarks(ds)]:
        for r in ds.evidence.get(slug, []):
            uses.setdefault(r.source_id, set()).add(r.metric)
        for a in ds.assessments.get(slug, []):
            for sid in a.source_ids:
                uses.setdefault(sid, set()).add(a.metric)
    cited = [(sid, ds.sources[sid], sorted(uses.get(sid, ()))) for sid in cited_sources(ds, company)]
    return {
        "kind": "sources",
        **_company_names(ctx),
        "rubric": fingerprint(ds.rubric),
        "sources": cited,
        "references": ds.references,  # the original report's entry
    }


def _crosswalk_inputs(ctx: BookContext) -> dict:
    """The crosswalk: the rubric's metrics and the crosswalk file (``data/crosswalk.yaml``), no scores."""
    from ..data.crosswalk import crosswalk_path, load_crosswalk

    ds = ctx.dataset
    mapping = load_crosswalk(ds.rubric, crosswalk_path(ds.data_dir))
    return {"kind": "crosswalk", **_company_names(ctx), "rubric": fingerprint(ds.rubric), "crosswalk": mapping}


#: chapters (by file name) that read less than the whole book, and what they read
CHAPTER_READS: dict[str, Callable[[BookContext], dict]] = {
    "methodology": _rules_inputs,
    "works_cited": _sources_inputs,
    "crosswalk": _crosswalk_inputs,
}


def chapter_inputs(ctx: BookContext, chapter: str) -> dict:
    """Everything chapter ``chapter`` (a file stem such as ``price_premium``) can show, as plain data.

    Its fingerprint goes into the chapter's cache key. A metric chapter (named
    after a rubric metric) sees its own metric only; the methodology sees the
    rubric, the works cited the sources, the crosswalk its mapping file (:data:`CHAPTER_READS`); any other chapter
    sees the whole book: every data file it reads and every per-book result.
    """
    from .. import project

    ds, company = ctx.dataset, ctx.company
    # what the project says about itself (cite box, repository links) shows on any page
    about = {
        "citation": project.citation(),
        "repository": project.repository_url(),
        "launch": project.launch_links(chapter),  # the about box's Binder and Colab links
    }
    asof = getattr(ds, "as_of", None)
    about["as_of"] = asof.iso if asof is not None else None  # every page states the date it is as of
    results = {}
    for name in sorted(REGISTRY):
        reg = REGISTRY[name]
        value = ctx.get(name)
        part = reg.view(value, company, chapter) if reg.view else value
        results[name] = ctx.fingerprint(name) if part is value else fingerprint(part)
    if chapter in CHAPTER_READS:
        return {**CHAPTER_READS[chapter](ctx), "results": results, "project": about}
    if chapter not in ds.rubric.metrics:
        return {"kind": "book", "company": company, "data": ctx.version, "results": results, "project": about}

    shown = [company, *peer_brands(ds, company)]
    reads = metric_reads(ds, chapter)
    # the benchmarks' rows of the metric too: an exercise compares the brand with the market's figure
    rows = {s: [r for r in ds.evidence.get(s, []) if (r.metric, r.indicator) in reads] for s in shown}
    rows.update({b: [r for r in ds.evidence.get(b, []) if (r.metric, r.indicator) in reads] for b in benchmarks(ds)})
    judgements = {s: [a for a in ds.assessments.get(s, []) if a.metric == chapter] for s in shown}
    cited = {r.source_id for rs in rows.values() for r in rs} | {
        sid for js in judgements.values() for a in js for sid in a.source_ids
    }
    numbers = ctx.fact("citations", lambda: {sid: n for n, sid in enumerate(cited_sources(ds, company), start=1)})
    return {
        "kind": "metric",
        "metric": chapter,
        "rubric": fingerprint(ds.rubric),
        "companies": {s: ds.company(s) for s in shown},
        "rows": rows,
        "judgements": judgements,
        "sources": {sid: ds.sources[sid] for sid in sorted(cited)},
        "citations": {sid: numbers.get(sid) for sid in sorted(cited)},
        "latest_period": ctx.fact("latest_period", lambda: latest_period(ds)),
        "reference": ds.references.get(company, {}).get(chapter),
        "gap_notes": {s: ds.gap_notes.get(s, {}).get(chapter) for s in shown},
        "results": results,
        "project": about,
    }


# --------------------------------------------------------------------------- the moat over time


def _over_time_view(result, company: str, chapter: str):
    """The trend and the check show in the book-wide chapters, never in a metric chapter or the rules."""
    from ..data.schema import METRIC_IDS

    if chapter in CHAPTER_READS or chapter in METRIC_IDS:
        return None
    return result


@per_book("trend", view=_over_time_view)
def _trend(ds: Dataset, company: str):
    """The brand's scores as of the end of every year of its record, with intervals, and the trend verdict."""
    from ..scoring.trend import trend

    return trend(ds, company, score=_fresh_card)


@per_book("check", view=_over_time_view)
def _check(ds: Dataset, company: str):
    """The brand's and its peers' scores as of each year against what followed, and against published ratings."""
    from ..scoring.check import check

    return check(ds, [company, *peer_brands(ds, company)], score=company_scorecard)
