"""Comparing brands like for like: figures from one survey or release about one population.

Two brands' figures are comparable when they come from the same publisher (the
row's tracker, else its source's publisher), for the same period, market, price
segment and surveyed population: one survey or one tracker release that measured
both. Figures of a sub-brand stand for another population and are left out.
:func:`like_for_like` finds such surveys; the chapters compare brands on them
where they exist and say so where they do not.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .periods import parse_period
from .schema import EvidenceRow, Source


@dataclass(frozen=True)
class Survey:
    """One survey or release that gives a figure for several brands."""

    metric: str
    indicator: str
    publisher: str
    period: str
    market: str
    segment: str
    population: str
    unit: str
    values: dict[str, float]  # brand slug -> its figure (reprints of one figure averaged)
    source_ids: dict[str, tuple[str, ...]]

    @property
    def basis(self) -> str:
        """The survey in words: publisher, period, market and, where set, segment and population."""
        bits = [self.publisher, self.period, self.market]
        if self.segment:
            bits.append(self.segment)
        if self.population:
            bits.append(self.population)
        return ", ".join(bits)


def like_for_like(
    evidence: dict[str, list[EvidenceRow]],
    sources: dict[str, Source],
    keys: set[tuple[str, str]],
    slugs: list[str],
    must_include: str | None = None,
) -> list[Survey]:
    """Surveys giving a whole-brand figure for two or more of ``slugs``, on the indicators ``keys``.

    Only surveys that include ``must_include`` (when given) are returned; the ones
    covering most brands and the newest come first.
    """
    groups: dict[tuple, dict[str, list[EvidenceRow]]] = {}
    for slug in slugs:
        for r in evidence.get(slug, []):
            if (r.metric, r.indicator) not in keys or r.sub_brand:
                continue
            groups.setdefault((*r.survey_key(sources), r.unit), {}).setdefault(slug, []).append(r)
    out = []
    for key, by_slug in groups.items():
        if len(by_slug) < 2 or (must_include and must_include not in by_slug):
            continue
        metric, indicator, publisher, period, market, segment, population, unit = key
        out.append(
            Survey(
                metric,
                indicator,
                publisher,
                period,
                market,
                segment,
                population,
                unit,
                {s: statistics.fmean(r.value for r in rows) for s, rows in by_slug.items()},
                {s: tuple(dict.fromkeys(r.source_id for r in rows)) for s, rows in by_slug.items()},
            )
        )
    out.sort(key=lambda s: (-len(s.values), -parse_period(s.period).mid, s.indicator, s.publisher, s.market))
    return out
