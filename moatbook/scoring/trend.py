"""The moat over time: the scores as of the end of every year, and a trend verdict by a published rule.

For every year of a brand's record the data is cut as of 31 December of that year
(:func:`moatbook.data.asof.as_of`) and the brand is scored on what was on the
record then, with its intervals from the uncertainty model (fewer draws per year
than the book's own scores: :data:`DRAWS`).

**The trend rule** (:func:`verdict`), stated in the methodology chapter:

* take the rated years among the last :data:`WINDOW` years of the record (at
  least :data:`MIN_YEARS` of them, or there is no verdict);
* fit a least-squares line through the overall scores of those years, once for
  the point scores and once for every draw of the uncertainty model;
* if the 90% interval of the drawn slopes lies above zero the moat is
  **widening**, below zero **narrowing**, otherwise **stable** (the change cannot
  be told apart from the uncertainty of the scores).

A year is **thin** (:func:`is_thin`) when its overall is provisional (a metric is
filled from the peers) or when more than half of its scored metrics have coverage
grade C or D; a verdict resting on a thin year says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..data.asof import as_of
from ..data.periods import parse_period
from . import uncertainty as un
from .engine import Scorecard, score_dataset, shared_scores

WINDOW = 5  # the verdict reads the last five years of the record
MIN_YEARS = 3  # a line through fewer rated years is no verdict
DRAWS = 2000  # draws of the uncertainty model per year (the book's own scores use the rubric's number)
THIN_GRADES = ("C", "D")

VERDICTS = ("widening", "stable", "narrowing", "no verdict")


@dataclass
class YearScore:
    """A brand's scores as of 31 December of ``year``."""

    year: int
    overall: float | None
    low: float | None
    high: float | None
    status: str  # rated | provisional | not rated
    band: str | None
    n_scored: int
    n_metrics: int
    grades: dict[str, int]  # coverage grade -> metrics scored at it
    metrics: dict[str, tuple[float | None, float | None, float | None]]  # metric -> (score, low, high)
    n_rows: int  # evidence rows and judgements on the brand by then
    thin: bool

    @property
    def rated(self) -> bool:
        return self.overall is not None


@dataclass
class Verdict:
    verdict: str  # widening | stable | narrowing | no verdict
    years: list[int]  # the rated years the line goes through
    slope: float | None = None  # points of the overall per year, from the point scores
    low: float | None = None  # 90% interval of the slope over the draws
    high: float | None = None
    thin_years: list[int] = field(default_factory=list)
    reason: str = ""

    @property
    def thin(self) -> bool:
        return bool(self.thin_years)


@dataclass
class Trend:
    slug: str
    years: list[YearScore]  # from the first year with any scored metric to the last year of the record
    verdict: Verdict
    draws: int
    min_scored: int

    @property
    def rated(self) -> list[YearScore]:
        return [y for y in self.years if y.rated]

    @property
    def first_rated(self) -> int | None:
        return self.rated[0].year if self.rated else None


def is_thin(card: Scorecard) -> bool:
    """A year rests on thin evidence: its overall is provisional, or most scored metrics are graded C or D."""
    if card.overall is None:
        return True
    scored = [m for m in card.metrics.values() if m.score is not None]
    weak = sum(1 for m in scored if m.coverage in THIN_GRADES)
    return card.status == "provisional" or weak * 2 > len(scored)


def slopes(years: list[int], values: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``values`` over ``years``: (k,) -> a number, (n, k) -> one slope per row."""
    x = np.asarray(years, dtype=float)
    xc = x - x.mean()
    return (np.asarray(values, dtype=float) @ xc) / float(xc @ xc)


def verdict(
    years: list[int],
    points: list[float],
    draws: np.ndarray,
    thin: list[bool] | None = None,
    window: int = WINDOW,
    min_years: int = MIN_YEARS,
    level: float = 0.9,
) -> Verdict:
    """The trend rule on rated years: ``points`` (k,) the point overalls, ``draws`` (n, k) their draws.

    ``years`` are the rated years in order; only those within the last ``window``
    years (counted back from the last one) enter the line.
    """
    thin = thin or [False] * len(years)
    if not years:
        return Verdict("no verdict", [], reason="no year of the record has enough evidence for an overall score")
    last = years[-1]
    keep = [i for i, y in enumerate(years) if y > last - window]
    used = [years[i] for i in keep]
    thin_years = [years[i] for i in keep if thin[i]]
    if len(keep) < min_years:
        return Verdict(
            "no verdict",
            used,
            thin_years=thin_years,
            reason=f"{len(keep)} of the last {window} years have an overall; the rule needs {min_years}",
        )
    d = np.asarray(draws, dtype=float)[:, keep]
    s = slopes(used, d)
    lo, hi = np.quantile(s, [(1 - level) / 2, 1 - (1 - level) / 2])
    point = float(slopes(used, np.asarray(points, dtype=float)[keep]))
    if lo > 0:
        word = "widening"
    elif hi < 0:
        word = "narrowing"
    else:
        word = "stable"
    return Verdict(word, used, point, float(lo), float(hi), thin_years)


def year_range(ds, slug: str) -> tuple[int, int] | None:
    """First and last year of a brand's record: its first figure, and the as-of year (or its newest figure)."""
    periods = [parse_period(r.period) for r in ds.evidence.get(slug, [])]
    if not periods:
        return None
    first = min(int(p.start) for p in periods)
    asof = getattr(ds, "as_of", None)
    last = asof.year if asof is not None else max(int(p.end - 1e-9) for p in periods)
    return first, max(first, last)


@shared_scores()
def trend(ds, slug: str, draws: int = DRAWS, score: Callable[[object, str], Scorecard] = score_dataset) -> Trend:
    """The brand's scores as of the end of every year of its record, and the trend verdict.

    ``score(ds, slug)`` gives a fresh point scorecard (a build passes one that shares
    scores across books); the intervals are written into it.
    """
    rubric = ds.rubric
    settings = un.Settings.from_rubric(rubric, draws=draws)
    out: list[YearScore] = []
    rated_draws: list[np.ndarray] = []
    span = year_range(ds, slug)
    if span is not None:
        for year in range(span[0], span[1] + 1):
            dsy = as_of(ds, year)
            card = score(dsy, slug)
            if card.n_scored == 0 and not out:
                continue  # the record starts with the first scored metric
            if card.overall is not None:
                results = un.simulate_all({slug: card}, rubric, settings)
                un.apply(card, results[slug])
                rated_draws.append(np.asarray(results[slug].overall_draws, dtype=float))
            grades: dict[str, int] = {}
            for m in card.metrics.values():
                if m.score is not None:
                    grades[m.coverage] = grades.get(m.coverage, 0) + 1
            out.append(
                YearScore(
                    year=year,
                    overall=card.overall,
                    low=card.low,
                    high=card.high,
                    status=card.status,
                    band=card.band,
                    n_scored=card.n_scored,
                    n_metrics=len(card.metrics),
                    grades=dict(sorted(grades.items())),
                    metrics={mid: (m.score, m.low, m.high) for mid, m in card.metrics.items()},
                    n_rows=len(dsy.evidence.get(slug, [])) + len(dsy.assessments.get(slug, [])),
                    thin=is_thin(card),
                )
            )
    rated = [y for y in out if y.rated]
    matrix = np.column_stack(rated_draws) if rated_draws else np.zeros((draws, 0))
    v = verdict([y.year for y in rated], [y.overall for y in rated], matrix, [y.thin for y in rated])
    return Trend(slug, out, v, draws, rubric.aggregation.min_scored_metrics)
