"""From evidence rows to independent figures: the rules that decide what counts once.

Rows are what curators record (one per page read); figures are what the engine
weighs. Three rules turn one into the other, each documented in ``data/README.md``
and the methodology chapter:

1. **Reprints count once.** All rows of one indicator with the same period,
   market, publisher of the figure (the row's ``tracker``, else its source's
   publisher), sub-brand and segment are one figure: their values (in the
   indicator's unit) are averaged and every source link is kept.
2. **Sub-brands.** For an indicator marked ``additive`` (shares, units, devices,
   users), the figures of two or more sub-brands from one release (same period,
   market and publisher) are summed into the brand's figure, unless that
   publisher gives a figure for the whole brand, which is then used instead; a
   lone sub-brand's figure is shown, not scored. For any other
   indicator a sub-brand's figure describes another population: it is shown but
   never scored.
3. **Segments.** A figure limited to a price band or product line is a part of
   an additive total and is not scored for an additive indicator; for a rate or
   a score it describes the brand's customers in that segment and is scored.

Figures keep the identities of the rows behind them, so the book can show which
rows were merged, summed or left out, and why.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

from ..data.periods import parse_period
from ..data.schema import EvidenceRow, Indicator, Source


@dataclass(frozen=True)
class Figure:
    """One independent figure of an indicator, in the indicator's unit."""

    value: float
    period: str
    market: str
    publisher: str
    source_ids: tuple[str, ...]
    row_keys: frozenset
    label: str
    confidence: str  # the figure's confidence: the best page for a reprint, the weakest part for a sum
    sub_brand: str = ""
    segment: str = ""
    note: str = ""  # how the figure was formed (pages merged, sub-brands summed)
    excluded: str = ""  # why the figure is shown but not scored; empty when it is scored

    @property
    def time(self) -> float:
        return parse_period(self.period).mid

    @property
    def n_rows(self) -> int:
        return len(self.row_keys)

    @property
    def scored(self) -> bool:
        return not self.excluded


_RANK = {"low": 0, "medium": 1, "high": 2}


def _confidence(source_ids, sources: dict[str, Source], best: bool = True) -> str:
    levels = [sources[s].confidence if s in sources else "low" for s in source_ids]
    pick = max if best else min
    return pick(levels, key=_RANK.__getitem__)


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _merge(rows: list[EvidenceRow], units: Indicator, sources: dict[str, Source]) -> Figure:
    """Reprints of one figure: one value (the mean), every link kept."""
    rows = sorted(rows, key=lambda r: (r.source_id, r.measure, r.value))
    values = [r.value * (units.factor(r.unit) or 1.0) for r in rows]
    ids = tuple(dict.fromkeys(r.source_id for r in rows))
    first = rows[0]
    note = ""
    if len(rows) > 1:
        distinct = sorted(set(values))
        if len(distinct) == 1:
            note = f"the same figure on {len(ids)} pages, counted once"
        else:
            note = f"{len(rows)} pages give {', '.join(_fmt(v) for v in distinct)}: counted once, at their mean"
    return Figure(
        value=statistics.fmean(values),
        period=first.period,
        market=first.market,
        publisher=first.publisher(sources),
        source_ids=ids,
        row_keys=frozenset(r.key for r in rows),
        label=first.measure,
        confidence=_confidence(ids, sources, best=True),
        sub_brand=first.sub_brand,
        segment=first.segment,
        note=note,
    )


def consolidate(rows: list[EvidenceRow], units: Indicator, additive: bool, sources: dict[str, Source]) -> list[Figure]:
    """Apply the three rules to the rows of one indicator; return every figure, scored or not.

    ``units`` is the indicator whose units the rows carry; ``additive`` says whether
    its figures add up across sub-brands.
    """
    groups: dict[tuple, list[EvidenceRow]] = defaultdict(list)
    for r in rows:
        groups[(r.period, r.market, r.publisher(sources), r.sub_brand, r.segment)].append(r)
    merged = [_merge(g, units, sources) for _, g in sorted(groups.items())]

    whole = [f for f in merged if not f.sub_brand and not f.segment]
    out = list(whole)
    releases_with_whole = {(f.period, f.market, f.publisher) for f in whole}
    by_release: dict[tuple, list[Figure]] = defaultdict(list)
    for f in merged:
        if f in whole:
            continue
        if f.segment:
            if additive:
                out.append(_exclude(f, f"limited to {f.segment}: a part of the brand's total understates the whole"))
            elif f.sub_brand:
                out.append(_exclude(f, f"describes the {f.sub_brand} sub-brand only"))
            else:
                out.append(f)
            continue
        # a sub-brand's figure for the whole of its range
        if not additive:
            out.append(_exclude(f, f"describes the {f.sub_brand} sub-brand only; only the whole brand's figures count"))
        elif (f.period, f.market, f.publisher) in releases_with_whole:
            out.append(_exclude(f, "the same publisher gives the whole brand's figure, which is used instead"))
        else:
            by_release[(f.period, f.market, f.publisher)].append(f)
    for (period, market, publisher), parts in sorted(by_release.items()):
        parts = sorted(parts, key=lambda f: f.sub_brand.lower())
        if len(parts) == 1:
            out.append(
                _exclude(
                    parts[0], f"only {parts[0].sub_brand} is given for this release; the brand's total is not known"
                )
            )
            continue
        ids = tuple(dict.fromkeys(s for p in parts for s in p.source_ids))
        names = ", ".join(p.sub_brand for p in parts)
        out.append(
            Figure(
                value=sum(p.value for p in parts),
                period=period,
                market=market,
                publisher=publisher,
                source_ids=ids,
                row_keys=frozenset().union(*(p.row_keys for p in parts)),
                label=f"sum of the sub-brands' figures ({names})",
                confidence=min((p.confidence for p in parts), key=_RANK.__getitem__),
                note=f"{' + '.join(_fmt(p.value) for p in parts)}: the sub-brands this release gives, summed "
                "(a lower bound if another sub-brand also sold there)",
            )
        )
    return sorted(out, key=lambda f: (f.period, f.market, f.publisher, f.sub_brand, f.segment, f.label))


def _exclude(f: Figure, reason: str) -> Figure:
    return Figure(**{**f.__dict__, "excluded": reason})


def duplicate_groups(rows: list[EvidenceRow], sources: dict[str, Source]) -> list[list[EvidenceRow]]:
    """Groups of rows that rule 1 counts as one figure (two or more rows each), for the validator's warnings."""
    groups: dict[tuple, list[EvidenceRow]] = defaultdict(list)
    for r in rows:
        groups[
            (r.company, r.metric, r.indicator, r.period, r.market, r.publisher(sources), r.sub_brand, r.segment)
        ].append(r)
    return [g for _, g in sorted(groups.items()) if len(g) > 1]
