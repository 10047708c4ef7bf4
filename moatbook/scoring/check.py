"""A check against what happened: did the moat score as of a year tell what followed?

Two comparisons, both computed from the data on every build (never typed in):

1. **What followed.** For each brand and each year ``t`` in which it is rated as of
   the end of ``t``, the change of its global smartphone share from ``t`` to
   ``t + h`` (``h`` = 2 and 3 years; share points, from the annual global share
   series on file today, each year the median over the trackers that give it).
   A wide moat should keep or win share, so a positive rank correlation between the
   score and the change is what the claim predicts. The pairs of one brand in
   successive years are not independent, and a handful of brands is a small
   sample: the book prints the number of pairs and of brands beside each
   correlation, and a correlation is reported only from :data:`MIN_PAIRS` pairs.
2. **Published ratings.** Each published list in the evidence that ranks brands
   (indicators marked ``published_rating`` in the rubric: most-admired lists,
   NPS league tables), read as one list per publisher, year and market, against
   the book's overall as of the end of that year computed **without any published
   rating** (:func:`without_ratings`), so the ratings are compared with, never
   part of, the score compared.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..data.asof import as_of
from ..data.periods import parse_period
from .engine import score_dataset, shared_scores

HORIZONS = (2, 3)
MIN_PAIRS = 4  # fewer pairs give no correlation
MIN_LIST = 3  # a published list must rank at least three of the brands
SHARE = ("market_share_stability", "global_share_annual")


def ranks(values: list[float]) -> np.ndarray:
    """Ranks from 1, ties given their mean rank."""
    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="mergesort")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    for x in np.unique(v):
        tie = v == x
        if tie.sum() > 1:
            r[tie] = r[tie].mean()
    return r


def spearman(x: list[float], y: list[float]) -> float | None:
    """Spearman's rank correlation (ties at mean ranks); None with fewer than 3 pairs or no spread."""
    if len(x) != len(y) or len(x) < 3:
        return None
    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def rating_indicators(rubric) -> set[tuple[str, str]]:
    return {
        (mid, iid) for mid, m in rubric.metrics.items() for iid, ind in m.indicators.items() if ind.published_rating
    }


def without_ratings(ds):
    """The dataset with every row of a published-rating indicator left out."""
    keys = rating_indicators(ds.rubric)
    evidence = {s: [r for r in rows if (r.metric, r.indicator) not in keys] for s, rows in ds.evidence.items()}
    return dataclasses.replace(ds, evidence=evidence, evidence_lines={})


def global_shares(ds, slug: str) -> dict[int, float]:
    """A brand's global share by calendar year: per tracker the mean of its pages, then the median of trackers."""
    by_year: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in ds.evidence.get(slug, []):
        if (r.metric, r.indicator) != SHARE or r.market != "global" or r.sub_brand or r.segment:
            continue
        p = parse_period(r.period)
        if not p.is_annual:
            continue
        by_year[p.year][r.publisher(ds.sources)].append(r.value)
    return {
        y: float(statistics.median(statistics.fmean(v) for v in pubs.values())) for y, pubs in sorted(by_year.items())
    }


@dataclass
class Pair:
    slug: str
    year: int
    score: float
    change: float  # share points from year to year + horizon


@dataclass
class Correlation:
    label: str
    rho: float | None
    n: int  # pairs
    brands: int
    pairs: list = field(default_factory=list)


@dataclass
class RatingList:
    """One publisher's list in one market, over the years it is on file."""

    publisher: str
    market: str
    entries: list[tuple[str, int, float, float]]  # (slug, year, published rank, our overall as of that year)
    rho: float | None  # our score against the list's order (positive: the book agrees with the list)
    source_ids: tuple[str, ...] = ()

    @property
    def brands(self) -> int:
        return len({e[0] for e in self.entries})


@dataclass
class Check:
    slugs: list[str]
    scores: dict[str, dict[int, float]]  # slug -> year -> overall as of the end of that year
    shares: dict[str, dict[int, float]]
    outcomes: list[Correlation]
    ratings: list[RatingList]  # every published list on file that ranks any of the brands


def yearly_scores(ds, slugs: list[str], score: Callable = score_dataset) -> dict[str, dict[int, float]]:
    """Each brand's overall as of the end of every year from the first year of the data to the last."""
    years = sorted(
        {int(parse_period(r.period).start) for s in slugs for r in ds.evidence.get(s, [])}
        | {int(parse_period(r.period).end - 1e-9) for s in slugs for r in ds.evidence.get(s, [])}
    )
    if not years:
        return {s: {} for s in slugs}
    last = ds.as_of.year if getattr(ds, "as_of", None) is not None else years[-1]
    out: dict[str, dict[int, float]] = {s: {} for s in slugs}
    for year in range(years[0], last + 1):
        dsy = as_of(ds, year)
        for s in slugs:
            card = score(dsy, s)
            if card.overall is not None:
                out[s][year] = card.value
    return out


def outcome_pairs(scores: dict[str, dict[int, float]], shares: dict[str, dict[int, float]], horizon: int) -> list[Pair]:
    pairs = []
    for slug, by_year in scores.items():
        sh = shares.get(slug, {})
        for year, value in sorted(by_year.items()):
            if year in sh and year + horizon in sh:
                pairs.append(Pair(slug, year, value, sh[year + horizon] - sh[year]))
    return pairs


def correlate(label: str, pairs: list[Pair]) -> Correlation:
    rho = spearman([p.score for p in pairs], [p.change for p in pairs]) if len(pairs) >= MIN_PAIRS else None
    return Correlation(label, rho, len(pairs), len({p.slug for p in pairs}), pairs)


def rating_lists(ds, slugs: list[str], score: Callable = score_dataset) -> list[RatingList]:
    """Every published list ranking any of ``slugs``, against the book's scores without ratings.

    A list is one publisher's ranking in one market, read over the years it is on
    file: each entry is a brand's rank in one year beside the book's overall as of
    the end of that year. A correlation needs :data:`MIN_LIST` entries of two brands or more.
    """
    keys = rating_indicators(ds.rubric)
    lists: dict[tuple[str, str], dict[tuple[str, int], list]] = defaultdict(lambda: defaultdict(list))
    for s in slugs:
        for r in ds.evidence.get(s, []):
            if (r.metric, r.indicator) in keys and not r.sub_brand and not r.segment:
                year = int(parse_period(r.period).end - 1e-9)
                lists[(r.publisher(ds.sources), r.market)][(s, year)].append(r)
    bare = without_ratings(ds)
    cut: dict[int, object] = {}
    out = []
    for (publisher, market), by_entry in sorted(lists.items()):
        entries = []
        for (s, year), rows in sorted(by_entry.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            if year not in cut:
                cut[year] = as_of(bare, year)
            card = score(cut[year], s)
            if card.overall is None:
                continue
            entries.append((s, year, statistics.fmean(r.value for r in rows), card.value))
        if not entries:
            continue
        rho = None
        if len(entries) >= MIN_LIST and len({e[0] for e in entries}) >= 2:
            rho = spearman([-e[2] for e in entries], [e[3] for e in entries])
        ids = tuple(sorted({r.source_id for rows in by_entry.values() for r in rows}))
        out.append(RatingList(publisher, market, entries, rho, ids))
    return out


@shared_scores()
def check(ds, slugs: list[str], score: Callable = score_dataset) -> Check:
    """Both comparisons for the brands ``slugs`` (a book: the brand and its peers; the site: every brand)."""
    scores = yearly_scores(ds, slugs, score)
    shares = {s: global_shares(ds, s) for s in slugs}
    outcomes = [
        correlate(f"change of global share over the next {h} years", outcome_pairs(scores, shares, h)) for h in HORIZONS
    ]
    return Check(list(slugs), scores, shares, outcomes, rating_lists(ds, slugs, score))
