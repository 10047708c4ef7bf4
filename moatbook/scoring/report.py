"""Everything a book states about its brand and its peers, computed once from a loaded dataset.

:func:`analyse` scores the brand and its peers, runs the uncertainty model for
each of them (sharing the weight and parameter draws, so their rank
probabilities compare like with like), and runs the sensitivity analyses for the
brand. The result is a plain, picklable object: the build computes it once and
every chapter reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import sensitivity as sa
from . import uncertainty as un
from .engine import Scorecard, score_dataset, shared_scores


@dataclass
class Analysis:
    slug: str
    cards: dict[str, Scorecard]  # the brand and its peers, intervals filled in
    comparison: un.Comparison
    indices: list[tuple[str, str, float, float]] = field(default_factory=list)  # (group, label, S1, ST)
    tornado: list[sa.Swing] = field(default_factory=list)
    leave_one_out: dict[str, dict[str, float]] = field(default_factory=dict)
    aggregations: dict[str, tuple[float, un.Interval]] = field(default_factory=dict)
    peer_aggregations: dict[str, dict[str, float]] = field(default_factory=dict)
    histogram: list[tuple[float, float, float]] = field(default_factory=list)  # (from, to, share of draws)

    @property
    def card(self) -> Scorecard:
        return self.cards[self.slug]

    @property
    def peer_set(self) -> list[str]:
        return list(self.cards)


def peer_set(ds, slug: str) -> list[str]:
    """The brand and the peers its book compares it with (brands only, in companies.csv order)."""
    peers = [p for p in ds.companies[slug].peers if p in ds.companies and ds.companies[p].kind == "brand"]
    return [slug, *[p for p in peers if p in ds.evidence]]


def score_set(
    ds, slugs: list[str], score=score_dataset
) -> tuple[dict[str, Scorecard], un.Comparison, dict[str, un.BrandUncertainty]]:
    """Point scores, intervals and rank probabilities for a set of brands (and the raw draws).

    ``score(ds, slug)`` gives a brand's point scorecard, a new object each time (the
    intervals are written into it); a build passes copies of scores computed once.
    """
    rubric = ds.rubric
    settings = un.Settings.from_rubric(rubric)
    cards = {s: score(ds, s) for s in slugs}
    results = un.simulate_all(cards, rubric, settings)
    comparison = un.compare(cards, rubric, settings, results)
    for s, card in cards.items():
        un.apply(card, results[s])
        if s in comparison.rank_probabilities:
            card.rank_probabilities = {str(r + 1): round(p, 3) for r, p in enumerate(comparison.rank_probabilities[s])}
    return cards, comparison, results


@shared_scores()
def analyse(ds, slug: str, sensitivity: bool = True, score=score_dataset) -> Analysis:
    """The brand's book: its scorecard and its peers', their comparison and, for the brand, the sensitivity."""
    rubric = ds.rubric
    cards, comparison, results = score_set(ds, peer_set(ds, slug), score)
    result = Analysis(slug, cards, comparison)
    card = cards[slug]
    draws = results[slug].overall_draws
    if draws is not None:
        lo, hi = np.floor(draws.min() * 2) / 2, np.ceil(draws.max() * 2) / 2 + 0.5
        counts, edges = np.histogram(draws, bins=np.arange(lo, hi + 1e-9, 0.5))
        result.histogram = [
            (float(a), float(b), float(c) / len(draws)) for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
        ]
    if sensitivity and card.overall is not None:
        settings = un.Settings.from_rubric(rubric)
        model = un.compile_card(card, rubric)
        result.indices = sa.brand_indices(model, settings, rubric.uncertainty.sensitivity_draws)
        result.tornado = sa.tornado(model, settings, rubric)
        result.aggregations = sa.aggregations(card, rubric)
    result.leave_one_out = sa.leave_one_out(cards, rubric)
    result.peer_aggregations = sa.point_aggregations(cards, rubric)
    return result
