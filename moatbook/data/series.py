"""Series of figures over time: how quarterly figures make a year of an annual series.

The rule (``quarters`` on an indicator with ``period: annual`` in the rubric): a
tracker that gives all four quarters of a calendar year for one market, and no
figure of its own for that year, gives the year from its quarters: their mean
(``combine: mean``, for shares) or their sum (``combine: sum``, for counts such as
units shipped). Three quarters never make a year, and a tracker's own annual
figure always wins over its quarters. Sub-brand and segment figures only combine
with quarters of the same sub-brand and segment.

The year made this way is an evidence row of the annual indicator whose measure
says it was computed here, citing the fourth quarter's page and naming every
quarter's page in its note.
"""

from __future__ import annotations

import math
from collections import defaultdict

from .periods import parse_period
from .schema import EvidenceRow, Rubric, Source


def years_from_quarters(
    rubric: Rubric, metric_id: str, indicator_id: str, evidence: list[EvidenceRow], sources: dict[str, Source]
) -> list[EvidenceRow]:
    """Annual rows of ``indicator_id`` made from four quarters of one tracker (none if the rubric sets no rule)."""
    spec = rubric.metrics[metric_id].indicators[indicator_id]
    rule = spec.quarters
    if rule is None:
        return []
    have = {
        (r.period, r.market, r.publisher(sources), r.sub_brand, r.segment)
        for r in evidence
        if (r.metric, r.indicator) == (metric_id, indicator_id)
    }
    quarter_spec = rubric.metrics[metric_id].indicators[rule.source]
    groups: dict[tuple, dict[int, list[EvidenceRow]]] = defaultdict(lambda: defaultdict(list))
    for r in evidence:
        if (r.metric, r.indicator) != (metric_id, rule.source):
            continue
        p = parse_period(r.period)
        if p.granularity != "quarter":
            continue
        q = int(round((p.start - p.year) * 4)) + 1
        groups[(str(p.year), r.market, r.publisher(sources), r.sub_brand, r.segment, r.company)][q].append(r)
    out = []
    for (year, market, tracker, sub_brand, segment, company), by_q in sorted(groups.items()):
        if sorted(by_q) != [1, 2, 3, 4] or (year, market, tracker, sub_brand, segment) in have:
            continue
        # one value per quarter (reprints of one quarter averaged), in the annual indicator's unit
        values = [
            math.fsum(r.value * (quarter_spec.factor(r.unit) or 1.0) for r in by_q[q]) / len(by_q[q])
            for q in (1, 2, 3, 4)
        ]
        value = math.fsum(values) / 4 if rule.combine == "mean" else math.fsum(values)
        pages = list(dict.fromkeys(r.source_id for q in (1, 2, 3, 4) for r in by_q[q]))
        how = "mean" if rule.combine == "mean" else "sum"
        out.append(
            EvidenceRow.model_construct(
                company=company,
                metric=metric_id,
                indicator=indicator_id,
                unit=spec.unit,
                value=round(value, 4),
                period=year,
                market=market,
                source_id=by_q[4][0].source_id,
                measure=f"{how} of the tracker's four quarterly figures for {year} (computed here, not published)",
                note="quarters read on: " + ", ".join(pages),
                tracker=tracker,
                sub_brand=sub_brand,
                segment=segment,
            )
        )
    return out
