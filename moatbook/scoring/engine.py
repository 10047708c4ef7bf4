"""The scoring engine: pure functions from evidence rows and a rubric to scores.

Nothing here reads files or knows a company's name. The same rubric and the same
functions score every brand:

1. each observation of an indicator is mapped to 0-10 points by the indicator's
   anchors (piecewise linear);
2. the observations of one indicator are averaged, weighted by recency, market
   and source confidence (``rubric.combine``); derived indicators compute a
   statistic per tracker first; ordinal indicators read judgement levels;
3. a metric's sub-score is the weighted mean of its scored indicators, with
   missing indicators' weight shared among the present ones (and flagged);
4. the overall score is the weighted mean of the scored metrics, times ten.

Sums use ``math.fsum`` so results do not depend on row order.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from ..data.periods import parse_period
from ..data.schema import AssessmentRow, EvidenceRow, Indicator, Rubric, Source
from ..data.series import years_from_quarters

# --------------------------------------------------------------------------- mapping


def interpolate(anchors: list[tuple[float, float]] | list[list[float]], x: float) -> float:
    """Map ``x`` to points along piecewise-linear ``anchors`` ([value, points] pairs).

    Anchor values may run upwards or downwards; beyond the ends the points stay flat.
    """
    pts = sorted((float(a), float(b)) for a, b in anchors)
    if x <= pts[0][0]:
        return pts[0][1]
    if x >= pts[-1][0]:
        return pts[-1][1]
    for (x0, y0), (x1, y1) in pairwise(pts):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    raise AssertionError("unreachable")  # pragma: no cover


def weighted_mean(pairs: list[tuple[float, float]]) -> float:
    """Mean of ``(value, weight)`` pairs, exact and independent of order."""
    total = math.fsum(w for _, w in pairs)
    return math.fsum(v * w for v, w in pairs) / total


# --------------------------------------------------------------------------- statistics over a series


def series_statistic(kind: str, points: list[tuple[float, float]]) -> float:
    """Statistic of a time series ``[(time, value), ...]`` sorted by time.

    slope: least-squares slope, units per year; cagr: compound growth, % per year;
    volatility: standard deviation of the change per year between successive
    points; drawdown: largest fall from a high to a later low (>= 0).
    """
    pts = sorted(points)
    ts = [t for t, _ in pts]
    vs = [v for _, v in pts]
    if kind == "slope":
        tm, vm = statistics.fmean(ts), statistics.fmean(vs)
        den = math.fsum((t - tm) ** 2 for t in ts)
        return math.fsum((t - tm) * (v - vm) for t, v in pts) / den
    if kind == "cagr":
        (t0, v0), (t1, v1) = pts[0], pts[-1]
        if v0 <= 0 or v1 <= 0:
            raise ValueError("growth needs positive values")
        return ((v1 / v0) ** (1 / (t1 - t0)) - 1) * 100
    if kind == "volatility":
        rates = [(v1 - v0) / (t1 - t0) for (t0, v0), (t1, v1) in pairwise(pts)]
        return statistics.pstdev(rates)
    if kind == "drawdown":
        peak, worst = vs[0], 0.0
        for v in vs:
            peak = max(peak, v)
            worst = max(worst, peak - v)
        return worst
    raise ValueError(f"unknown statistic {kind!r}")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Observation:
    """One figure (or judgement) as the engine used it."""

    value: float  # in the indicator's unit (a level for judgements, a statistic for trackers)
    points: float
    weight: float  # relative weight within the indicator before normalising
    period: str
    market: str
    source_ids: tuple[str, ...]
    label: str  # what the observation is: the measure, the tracker, or the rationale
    low_confidence: bool = False


@dataclass
class IndicatorResult:
    id: str
    label: str
    kind: str
    rubric_weight: float | None
    status: str  # scored | missing | low-confidence only | too few points | context
    points: float | None = None
    low: float | None = None
    high: float | None = None
    weight: float = 0.0  # effective weight within the metric after reweighting
    observations: list[Observation] = field(default_factory=list)
    unit: str | None = None
    note: str = ""
    used: frozenset = frozenset()  # identities of the evidence rows / judgements behind the points

    @property
    def rows_used(self) -> int:
        return len(self.used)

    @property
    def scored(self) -> bool:
        return self.status == "scored"

    @property
    def value(self) -> float | None:
        """A representative value: weighted mean of the observations' values."""
        used = [(o.value, o.weight) for o in self.observations if o.weight > 0]
        return weighted_mean(used) if used else None


@dataclass
class MetricResult:
    id: str
    title: str
    weight: float
    score: float | None
    low: float | None
    high: float | None
    n_evidence: int
    coverage: str
    hard_share: float
    present_share: float
    indicators: list[IndicatorResult]
    flags: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[IndicatorResult]:
        return [i for i in self.indicators if i.kind != "context" and not i.scored]


@dataclass
class Scorecard:
    company: str
    overall: float | None
    low: float | None
    high: float | None
    band: str | None
    metrics: dict[str, MetricResult]

    @property
    def n_scored(self) -> int:
        return sum(1 for m in self.metrics.values() if m.score is not None)

    def to_json(self) -> dict:
        return {
            "company": self.company,
            "overall": self.overall,
            "band": self.band,
            "metrics": {
                mid: {
                    "score": m.score,
                    "low": m.low,
                    "high": m.high,
                    "n_evidence": m.n_evidence,
                    "coverage": m.coverage,
                }
                for mid, m in self.metrics.items()
            },
        }


# --------------------------------------------------------------------------- indicators


def _is_low(source_ids, sources: dict[str, Source]) -> bool:
    return all(sources[s].confidence == "low" for s in source_ids if s in sources)


def _confidence_weight(source_ids, sources, rubric: Rubric) -> float:
    weights = rubric.combine.confidence_weights
    return max(weights[sources[s].confidence] if s in sources else weights["low"] for s in source_ids)


def _market_weight(market: str, rubric: Rubric) -> float:
    mw = rubric.combine.market_weights
    return mw.get(market, mw["other"])


def score_level(
    iid: str, spec: Indicator, rows: list[EvidenceRow], rubric: Rubric, sources: dict[str, Source], units: Indicator
) -> IndicatorResult:
    """Score a level indicator; ``units`` is the indicator whose units the rows carry
    (``spec`` itself, or the one it reads rows ``from``)."""
    res = IndicatorResult(iid, spec.label, spec.kind, spec.weight, "missing", unit=units.unit)
    if not rows:
        return res
    obs_raw = [(r, r.value * (units.factor(r.unit) or 1.0), parse_period(r.period).mid) for r in rows]
    newest = max(t for _, _, t in obs_raw)
    half_life = spec.half_life_years or rubric.combine.half_life_years
    obs = []
    for r, value, t in obs_raw:
        recency = 0.5 ** ((newest - t) / half_life)
        w = recency * _market_weight(r.market, rubric) * _confidence_weight([r.source_id], sources, rubric)
        obs.append(
            Observation(
                value=value,
                points=interpolate(spec.anchors, value),
                weight=w,
                period=r.period,
                market=r.market,
                source_ids=(r.source_id,),
                label=r.measure,
                low_confidence=_is_low([r.source_id], sources),
            )
        )
    res.used = frozenset(("row", r.key) for r in rows)
    return _finish(res, obs, newest_time=newest, times=[t for _, _, t in obs_raw], rubric=rubric)


def _finish(
    res: IndicatorResult, obs: list[Observation], newest_time: float | None, times: list[float] | None, rubric: Rubric
) -> IndicatorResult:
    """Combine observations: low-confidence-only -> not scored; else weighted mean and range."""
    res.observations = sorted(obs, key=lambda o: (o.period, o.market, o.label, o.value))
    if all(o.low_confidence for o in obs):
        res.used = frozenset()
        res.status = "low-confidence only"
        res.note = "rests only on low-confidence sources, so it is shown but not scored"
        res.observations = [
            Observation(o.value, o.points, 0.0, o.period, o.market, o.source_ids, o.label, True) for o in obs
        ]
        return res
    # Low-confidence observations that sit beside others keep their (reduced) weight.
    res.points = weighted_mean([(o.points, o.weight) for o in obs])
    if times is not None and newest_time is not None:
        window = rubric.combine.range_window_years
        recent = [o for o, t in zip(obs, times, strict=True) if newest_time - t <= window and not o.low_confidence]
    else:
        recent = [o for o in obs if not o.low_confidence]
    recent = recent or obs
    res.low = min(min(o.points for o in recent), res.points)
    res.high = max(max(o.points for o in recent), res.points)
    res.status = "scored"
    return res


def score_derived(
    iid: str, spec: Indicator, rows: list[EvidenceRow], rubric: Rubric, sources: dict[str, Source]
) -> IndicatorResult:
    res = IndicatorResult(iid, spec.label, spec.kind, spec.weight, "missing")
    if not rows:
        return res
    by_tracker: dict[str, dict[float, list[tuple[float, str, bool]]]] = defaultdict(lambda: defaultdict(list))
    all_times = []
    for r in rows:
        tracker = r.publisher(sources)
        t = parse_period(r.period).mid
        all_times.append(t)
        by_tracker[tracker][t].append((r.value, r.source_id, _is_low([r.source_id], sources), r.key))
    newest = max(all_times)
    start = newest - spec.window_years + 0.5  # the latest `window_years` calendar years

    def series(points_by_time):
        """Points within the window (one per year, reprints averaged), their source ids, row identities
        and whether every one of them comes from a low-confidence source."""
        pts, ids, keys, low = [], [], set(), True
        for t, vals in sorted(points_by_time.items()):
            if t < start:
                continue
            pts.append((t, statistics.fmean(v[0] for v in vals)))
            ids += [v[1] for v in vals]
            keys.update(("row", v[3]) for v in vals)
            low = low and all(v[2] for v in vals)
        return pts, ids, keys, low

    def observe(pts, ids, low, label) -> Observation:
        stat = series_statistic(spec.statistic, pts)
        return Observation(
            stat,
            interpolate(spec.anchors, stat),
            1.0,
            f"{int(pts[0][0])}..{int(pts[-1][0])}",
            "global",
            tuple(dict.fromkeys(ids)),
            f"{label} ({len(pts)} points)",
            low,
        )

    obs, used = [], set()
    for tracker, pbt in sorted(by_tracker.items()):
        pts, ids, keys, low = series(pbt)
        if len(pts) < spec.min_points:
            continue
        used |= keys
        try:
            obs.append(observe(pts, ids, low, tracker))
        except ValueError:
            continue
    if not obs:
        # No tracker has enough points of its own: pool trackers by averaging each year.
        pooled: dict[float, list] = defaultdict(list)
        for pbt in by_tracker.values():
            for t, vals in pbt.items():
                pooled[t].extend(vals)
        pts, ids, used, low = series(pooled)
        if len(pts) < spec.min_points:
            res.status = "too few points"
            res.note = f"needs {spec.min_points} years within the latest {spec.window_years}, has {len(pts)}"
            return res
        try:
            obs.append(observe(pts, ids, low, "all trackers pooled"))
        except ValueError as exc:
            res.status = "too few points"
            res.note = str(exc)
            return res
        res.note = "no single tracker has enough years, so trackers were pooled year by year"
    res.used = frozenset(used)
    return _finish(res, obs, None, None, rubric)


def score_ordinal(
    iid: str, spec: Indicator, rows: list[AssessmentRow], rubric: Rubric, sources: dict[str, Source]
) -> IndicatorResult:
    res = IndicatorResult(iid, spec.label, spec.kind, spec.weight, "missing")
    if not rows:
        return res
    obs = [
        Observation(
            float(r.level),
            interpolate(spec.anchors, r.level),
            1.0,
            "",
            "",
            tuple(r.source_ids),
            r.rationale,
            _is_low(r.source_ids, sources),
        )
        for r in rows
    ]
    res.used = frozenset(("judgement", r.metric, r.indicator, r.level, r.rationale) for r in rows)
    res = _finish(res, obs, None, None, rubric)
    if res.scored:
        levels = sorted(spec.levels)
        margin = rubric.judgement_margin_levels
        used = [o for o in obs if not o.low_confidence] or obs
        lo_level = max(levels[0], min(o.value for o in used) - margin)
        hi_level = min(levels[-1], max(o.value for o in used) + margin)
        res.low = min(interpolate(spec.anchors, lo_level), res.points)
        res.high = max(interpolate(spec.anchors, hi_level), res.points)
    return res


# --------------------------------------------------------------------------- metrics and overall


def rows_for(
    rubric: Rubric, metric_id: str, indicator_id: str, evidence: list[EvidenceRow], sources: dict | None = None
) -> list[EvidenceRow]:
    """Evidence rows an indicator reads (its own, those named by ``from``, or its series).

    With ``sources``, an annual series also gets the years that four quarters of one
    tracker make (``quarters`` in the rubric; see :mod:`moatbook.data.series`).
    """
    key = rubric.reads(metric_id, indicator_id)
    rows = [r for r in evidence if (r.metric, r.indicator) == key]
    if key is not None and sources is not None:
        rows += years_from_quarters(rubric, *key, evidence, sources)
    return rows


def grade(rubric: Rubric, hard_share: float, present_share: float, n_evidence: int) -> str:
    for g in rubric.coverage_grades:
        if (
            hard_share + 1e-9 >= g.min_hard_share
            and present_share + 1e-9 >= g.min_present_share
            and n_evidence >= g.min_evidence
        ):
            return g.grade
    return rubric.coverage_grades[-1].grade


def score_metric(
    rubric: Rubric,
    metric_id: str,
    evidence: list[EvidenceRow],
    assessments: list[AssessmentRow],
    sources: dict[str, Source],
) -> MetricResult:
    metric = rubric.metrics[metric_id]
    results: list[IndicatorResult] = []
    for iid, spec in metric.indicators.items():
        if spec.kind == "ordinal":
            rows = [a for a in assessments if a.metric == metric_id and a.indicator == iid]
            results.append(score_ordinal(iid, spec, rows, rubric, sources))
        elif spec.kind == "derived":
            results.append(
                score_derived(iid, spec, rows_for(rubric, metric_id, iid, evidence, sources), rubric, sources)
            )
        elif spec.kind == "level":
            units = rubric.resolve(spec.source, metric_id)[1] if spec.source else spec
            results.append(
                score_level(iid, spec, rows_for(rubric, metric_id, iid, evidence, sources), rubric, sources, units)
            )
        else:
            rows = rows_for(rubric, metric_id, iid, evidence, sources)
            res = IndicatorResult(
                iid,
                spec.label,
                "context",
                None,
                "context",
                unit=spec.unit,
                used=frozenset(("row", r.key) for r in rows),
            )
            results.append(res)

    scored = [r for r in results if r.scored]
    present = math.fsum(r.rubric_weight for r in scored)
    flags = []
    n_evidence = len(frozenset().union(*(r.used for r in scored))) if scored else 0
    if not scored:
        return MetricResult(
            metric_id,
            metric.title,
            metric.weight,
            None,
            None,
            None,
            0,
            "none",
            0.0,
            0.0,
            results,
            ["no scored evidence: this metric is missing"],
        )
    for r in scored:
        r.weight = r.rubric_weight / present
    score = math.fsum(r.weight * r.points for r in scored)
    low = math.fsum(r.weight * r.low for r in scored)
    high = math.fsum(r.weight * r.high for r in scored)
    hard = math.fsum(r.weight for r in scored if r.kind != "ordinal")
    missing = [r for r in results if r.kind != "context" and not r.scored]
    if missing:
        flags.append(
            "reweighted: no usable evidence for " + ", ".join(f"{r.label.lower()} ({r.status})" for r in missing)
        )
    if len(scored) < rubric.thin_metric_indicators:
        flags.append(f"thin: rests on {len(scored)} scored indicator(s)")
    score_r = round(score, 1)
    return MetricResult(
        metric_id,
        metric.title,
        metric.weight,
        score_r,
        min(round(low, 1), score_r),
        max(round(high, 1), score_r),
        n_evidence,
        grade(rubric, hard, present, n_evidence),
        hard,
        present,
        results,
        flags,
    )


def score_company(
    rubric: Rubric,
    company: str,
    evidence: list[EvidenceRow],
    assessments: list[AssessmentRow],
    sources: dict[str, Source],
) -> Scorecard:
    metrics = {mid: score_metric(rubric, mid, evidence, assessments, sources) for mid in rubric.metrics}
    scored = [m for m in metrics.values() if m.score is not None]
    if not scored:
        return Scorecard(company, None, None, None, None, metrics)
    total = math.fsum(m.weight for m in scored)
    overall = round(10 * math.fsum(m.weight * m.score for m in scored) / total, 1)
    low = round(10 * math.fsum(m.weight * m.low for m in scored) / total, 1)
    high = round(10 * math.fsum(m.weight * m.high for m in scored) / total, 1)
    return Scorecard(company, overall, min(low, overall), max(high, overall), rubric.band(overall), metrics)


def score_dataset(ds, company: str) -> Scorecard:
    """Score one company of a loaded :class:`moatbook.data.Dataset`."""
    return score_company(ds.rubric, company, ds.evidence.get(company, []), ds.assessments.get(company, []), ds.sources)
