"""The scoring engine: pure functions from evidence rows and a rubric to point scores.

Nothing here reads files or knows a company's name. The same rubric and the same
functions score every brand:

1. the rows of an indicator become independent figures (:mod:`.figures`: reprints
   count once, sub-brands are summed or left out, segments are handled by rule);
2. each figure is mapped to 0-10 points by the indicator's anchors (piecewise
   linear), and the figures of one indicator are averaged, weighted by recency,
   market and source confidence (``rubric.combine``); derived indicators compute a
   statistic per series (one tracker, one market) first; ordinal indicators read
   judgement levels, weighted by their sources' confidence;
3. a metric's sub-score is the weighted mean of its scored indicators, with
   missing indicators' weight shared among the present ones (and flagged);
4. the overall is ten times the weighted mean of the sub-scores (:mod:`.aggregate`),
   with no evidence series carrying more than ``aggregation.series_cap`` of it; a
   metric without scored evidence is filled from the peers' sub-scores and the
   overall is marked provisional; too few scored metrics and the brand is not rated.

Sums use ``math.fsum`` so results do not depend on row order. The uncertainty of
every score is estimated separately, by :mod:`.uncertainty`, from the
observations recorded here.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import pickle
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from .. import memo
from ..data.schema import AssessmentRow, EvidenceRow, Indicator, Rubric, Source
from ..data.series import years_from_quarters
from . import aggregate
from .figures import Figure, consolidate

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
    """One figure, series or judgement as the engine used it (or showed and left out)."""

    value: float  # in the indicator's unit (a level for judgements, a statistic for series)
    points: float
    weight: float  # nominal weight within the indicator before normalising; 0 when left out
    period: str
    market: str
    source_ids: tuple[str, ...]
    label: str  # what the observation is: the measure, the series, or the rationale
    low_confidence: bool = False
    # what the weight is made of, for the uncertainty model (weight = recency * market * confidence)
    age: float = 0.0  # years older than the indicator's newest scored figure
    half_life: float | None = None  # None: no recency weighting (series, judgements)
    market_weight: float = 1.0
    confidence_weight: float = 1.0
    is_global: bool = True
    publisher: str = ""
    note: str = ""  # how the figure was formed (pages merged, sub-brands summed)
    excluded: str = ""  # why it is shown but left out of the score
    n_rows: int = 1  # evidence rows (pages) behind it
    family: str = ""  # judgements: the family of indicators judged on the same facts

    @property
    def counts(self) -> bool:
        return self.weight > 0 and not self.excluded


@dataclass
class IndicatorResult:
    id: str
    label: str
    kind: str
    rubric_weight: float | None
    status: str  # scored | missing | low-confidence only | too few points | sub-brand or segment only | context
    points: float | None = None
    weight: float = 0.0  # effective weight within the metric after reweighting
    observations: list[Observation] = field(default_factory=list)
    unit: str | None = None
    note: str = ""
    used: frozenset = frozenset()  # identities of the independent figures / judgements behind the points
    rows: frozenset = frozenset()  # identities of the evidence rows behind them
    series: tuple = ()  # the evidence series this indicator rests on, for the cap on any series' share
    family: str = ""
    low: float | None = None  # 90% interval of the points, filled by the uncertainty analysis
    high: float | None = None

    @property
    def rows_used(self) -> int:
        return len(self.rows)

    @property
    def figures_used(self) -> int:
        return len(self.used)

    @property
    def scored(self) -> bool:
        return self.status == "scored"

    @property
    def value(self) -> float | None:
        """A representative value: weighted mean of the counted observations' values."""
        used = [(o.value, o.weight) for o in self.observations if o.counts]
        return weighted_mean(used) if used else None


@dataclass
class MetricResult:
    id: str
    title: str
    weight: float
    score: float | None  # rounded to one decimal, as printed
    value: float | None  # unrounded, as aggregated
    n_evidence: int  # independent figures and judgements behind the sub-score
    n_rows: int  # evidence rows and judgements behind them (reprints included)
    coverage: str
    hard_share: float
    present_share: float
    indicators: list[IndicatorResult]
    flags: list[str] = field(default_factory=list)
    status: str = "scored"  # scored | not scored | no evidence
    reason: str = ""  # why not scored
    n_available: int = 0  # rows and judgements on file for this metric, scored or not
    imputed: float | None = None  # the value the overall uses in place of a missing sub-score
    peers: tuple = ()  # (slug, sub-score) of the peers a missing sub-score is drawn from
    # filled by the uncertainty analysis
    low: float | None = None
    high: float | None = None
    median: float | None = None

    @property
    def missing(self) -> list[IndicatorResult]:
        return [i for i in self.indicators if i.kind != "context" and not i.scored]

    @property
    def scored_indicators(self) -> list[IndicatorResult]:
        return [i for i in self.indicators if i.scored]


@dataclass
class Scorecard:
    company: str
    overall: float | None  # rounded to one decimal; None when not rated
    value: float | None  # unrounded
    band: str | None
    status: str  # rated | provisional | not rated
    metrics: dict[str, MetricResult]
    weights: dict[str, float] = field(default_factory=dict)  # metric weights the overall used
    series_shares: dict[tuple, float] = field(default_factory=dict)  # share of the overall each series carries
    series_labels: dict[tuple, str] = field(default_factory=dict)
    min_scored: int = 0
    # filled by the uncertainty analysis
    low: float | None = None
    high: float | None = None
    median: float | None = None
    band_probabilities: dict[str, float] = field(default_factory=dict)
    rank_probabilities: dict[str, float] = field(default_factory=dict)

    @property
    def n_scored(self) -> int:
        return sum(1 for m in self.metrics.values() if m.score is not None)

    @property
    def imputed(self) -> list[MetricResult]:
        return [m for m in self.metrics.values() if m.imputed is not None]

    def to_json(self) -> dict:
        return {
            "company": self.company,
            "overall": self.overall,
            "low": self.low,
            "high": self.high,
            "median": self.median,
            "band": self.band,
            "status": self.status,
            "band_probabilities": self.band_probabilities,
            "rank_probabilities": self.rank_probabilities,
            "metrics": {
                mid: {
                    "score": m.score,
                    "low": m.low,
                    "high": m.high,
                    "median": m.median,
                    "n_evidence": m.n_evidence,
                    "coverage": m.coverage,
                    "status": m.status,
                    "weight": round(self.weights.get(mid, 0.0), 4),
                    "imputed": None if m.imputed is None else round(m.imputed, 2),
                }
                for mid, m in self.metrics.items()
            },
        }


# --------------------------------------------------------------------------- indicators


def _confidence_weight(confidence: str, rubric: Rubric) -> float:
    return rubric.combine.confidence_weights[confidence]


def _best_confidence(source_ids, sources: dict[str, Source]) -> str:
    rank = {"low": 0, "medium": 1, "high": 2}
    return max((sources[s].confidence if s in sources else "low" for s in source_ids), key=rank.__getitem__)


def _market_weight(market: str, rubric: Rubric) -> float:
    mw = rubric.combine.market_weights
    return mw.get(market, mw["other"])


def _figure_id(key: tuple, f: Figure) -> tuple:
    return ("figure", *key, f.period, f.market, f.publisher, f.sub_brand, f.segment)


def _shown(f: Figure, points: float) -> Observation:
    """A figure that is shown but left out (its reason in ``excluded``)."""
    return Observation(
        f.value,
        points,
        0.0,
        f.period,
        f.market,
        f.source_ids,
        f.label,
        f.confidence == "low",
        publisher=f.publisher,
        note=f.note,
        excluded=f.excluded,
        n_rows=f.n_rows,
    )


def score_level(
    iid: str,
    spec: Indicator,
    rows: list[EvidenceRow],
    rubric: Rubric,
    sources: dict[str, Source],
    units: Indicator,
    key: tuple = (),
    as_of: float | None = None,
) -> IndicatorResult:
    """Score a level indicator; ``units`` is the indicator whose rows it reads (itself, or the one named ``from``).

    A figure's age is measured from ``as_of`` (decimal years) when given, else from the
    indicator's newest figure. Within one indicator only the differences of the ages
    matter, so both give the same points; the ages are what the book shows.
    """
    res = IndicatorResult(iid, spec.label, spec.kind, spec.weight, "missing", unit=units.unit, series=("rows", *key))
    if not rows:
        return res
    figures = consolidate(rows, units, units.additive, sources)
    counted = [f for f in figures if f.scored]
    shown = [_shown(f, interpolate(spec.anchors, f.value)) for f in figures if not f.scored]
    if not counted:
        res.observations = shown
        res.status = "sub-brand or segment only"
        res.note = "; ".join(sorted({f.excluded for f in figures}))
        return res
    half_life = spec.half_life_years or rubric.combine.half_life_years
    newest = as_of if as_of is not None else max(f.time for f in counted)
    obs = []
    for f in counted:
        age = newest - f.time
        mw = _market_weight(f.market, rubric)
        cw = _confidence_weight(f.confidence, rubric)
        obs.append(
            Observation(
                value=f.value,
                points=interpolate(spec.anchors, f.value),
                weight=0.5 ** (age / half_life) * mw * cw,
                period=f.period,
                market=f.market,
                source_ids=f.source_ids,
                label=f.label,
                low_confidence=f.confidence == "low",
                age=age,
                half_life=half_life,
                market_weight=mw,
                confidence_weight=cw,
                is_global=f.market == "global",
                publisher=f.publisher,
                note=f.note,
                n_rows=f.n_rows,
            )
        )
    res.used = frozenset(_figure_id(key, f) for f in counted)
    res.rows = frozenset(k for f in counted for k in f.row_keys)
    return _finish(res, obs, shown)


def _finish(res: IndicatorResult, obs: list[Observation], shown: list[Observation] = ()) -> IndicatorResult:
    """Combine counted observations: low-confidence only -> not scored; else their weighted mean."""
    order = lambda o: (o.period, o.market, o.label, o.value)  # noqa: E731
    if all(o.low_confidence for o in obs):
        res.used = frozenset()
        res.rows = frozenset()
        res.status = "low-confidence only"
        res.note = "rests only on low-confidence sources, so it is shown but not scored"
        res.observations = sorted(
            [Observation(**{**o.__dict__, "weight": 0.0, "excluded": "low-confidence source only"}) for o in obs]
            + list(shown),
            key=order,
        )
        return res
    # Low-confidence observations that sit beside others keep their (reduced) weight.
    res.points = weighted_mean([(o.points, o.weight) for o in obs])
    res.status = "scored"
    res.observations = sorted(obs + list(shown), key=order)
    return res


def score_derived(
    iid: str,
    spec: Indicator,
    rows: list[EvidenceRow],
    rubric: Rubric,
    sources: dict[str, Source],
    units: Indicator,
    key: tuple = (),
) -> IndicatorResult:
    """A statistic per series (one tracker, one market, the whole brand, no low-confidence figure)."""
    res = IndicatorResult(iid, spec.label, spec.kind, spec.weight, "missing", series=("rows", *key))
    if not rows:
        return res
    figures = consolidate(rows, units, units.additive, sources)
    eligible = [f for f in figures if f.scored and f.confidence != "low"]
    left_out = len([f for f in figures if f.scored and f.confidence == "low"])
    if not eligible:
        res.status = "low-confidence only" if left_out else "sub-brand or segment only"
        res.note = "no figure of the whole brand from a source above low confidence"
        return res
    newest = max(f.time for f in eligible)
    start = newest - spec.window_years + 0.5  # the latest `window_years` calendar years
    series: dict[tuple[str, str], list[Figure]] = defaultdict(list)
    for f in eligible:
        if f.time >= start:
            series[(f.publisher, f.market)].append(f)
    obs, used, rows_used = [], set(), set()
    longest = 0
    for (publisher, market), figs in sorted(series.items()):
        figs = sorted(figs, key=lambda f: f.time)
        longest = max(longest, len(figs))
        if len(figs) < spec.min_points:
            continue
        pts = [(f.time, f.value) for f in figs]
        try:
            stat = series_statistic(spec.statistic, pts)
        except ValueError:
            continue
        ids = tuple(dict.fromkeys(s for f in figs for s in f.source_ids))
        obs.append(
            Observation(
                stat,
                interpolate(spec.anchors, stat),
                1.0,
                f"{figs[0].period}..{figs[-1].period}",
                market,
                ids,
                f"{publisher}, {market} ({len(figs)} points)",
                publisher=publisher,
                is_global=market == "global",
                n_rows=sum(f.n_rows for f in figs),
            )
        )
        used |= {_figure_id(key, f) for f in figs}
        rows_used |= {k for f in figs for k in f.row_keys}
    notes = []
    if left_out:
        notes.append(
            f"{left_out} low-confidence {'figure' if left_out == 1 else 'figures'} left out: "
            "a trend reads only one publisher's own series"
        )
    if not obs:
        res.status = "too few points"
        res.note = "; ".join(
            [
                f"needs {spec.min_points} figures of one tracker in one market within the latest "
                f"{spec.window_years} years; the longest such series has {longest}",
                *notes,
            ]
        )
        return res
    res.used = frozenset(used)
    res.rows = frozenset(rows_used)
    res.note = "; ".join(notes)
    return _finish(res, obs)


def score_ordinal(
    iid: str, spec: Indicator, rows: list[AssessmentRow], rubric: Rubric, sources: dict[str, Source]
) -> IndicatorResult:
    """Judgements, each weighted by the confidence of its best source, like figures."""
    family = spec.family or ""
    series = ("family", family) if family else ("judgement", iid)
    res = IndicatorResult(iid, spec.label, spec.kind, spec.weight, "missing", series=series, family=family)
    if not rows:
        return res
    obs = []
    for r in rows:
        conf = _best_confidence(r.source_ids, sources)
        cw = _confidence_weight(conf, rubric)
        obs.append(
            Observation(
                float(r.level),
                interpolate(spec.anchors, r.level),
                cw,
                "",
                "",
                tuple(r.source_ids),
                r.rationale,
                conf == "low",
                confidence_weight=cw,
                family=family,
            )
        )
    ids = frozenset(("judgement", r.metric, r.indicator, r.level, r.rationale) for r in rows)
    res.used = ids
    res.rows = ids
    return _finish(res, obs)


# --------------------------------------------------------------------------- metrics


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


def score_indicator(
    rubric: Rubric,
    metric_id: str,
    iid: str,
    evidence: list[EvidenceRow],
    assessments: list[AssessmentRow],
    sources: dict[str, Source],
    as_of: float | None = None,
) -> IndicatorResult:
    spec = rubric.metrics[metric_id].indicators[iid]
    if spec.kind == "ordinal":
        rows = [a for a in assessments if a.metric == metric_id and a.indicator == iid]
        return score_ordinal(iid, spec, rows, rubric, sources)
    key = rubric.reads(metric_id, iid)
    rows = rows_for(rubric, metric_id, iid, evidence, sources)
    units = rubric.resolve(f"{key[0]}.{key[1]}", metric_id)[1]
    if spec.kind == "derived":
        return score_derived(iid, spec, rows, rubric, sources, units, key)
    if spec.kind == "level":
        return score_level(iid, spec, rows, rubric, sources, units, key, as_of)
    return IndicatorResult(
        iid, spec.label, "context", None, "context", unit=spec.unit, rows=frozenset(r.key for r in rows)
    )


def score_metric(
    rubric: Rubric,
    metric_id: str,
    evidence: list[EvidenceRow],
    assessments: list[AssessmentRow],
    sources: dict[str, Source],
    as_of: float | None = None,
) -> MetricResult:
    metric = rubric.metrics[metric_id]
    results = [
        score_indicator(rubric, metric_id, iid, evidence, assessments, sources, as_of) for iid in metric.indicators
    ]
    scored = [r for r in results if r.scored]
    available = len({k for r in results if r.kind != "context" for k in _available(r)})
    if not scored:
        unscored = [r for r in results if r.kind != "context" and r.status != "missing"]
        if unscored:
            reason = "; ".join(f"{r.label.lower()}: {r.status}" for r in unscored)
            status = "not scored"
        else:
            reason, status = "no figure or judgement on file for any scored indicator", "no evidence"
        return MetricResult(
            metric_id,
            metric.title,
            metric.weight,
            None,
            None,
            0,
            0,
            "none",
            0.0,
            0.0,
            results,
            [f"not scored: {reason}"],
            status=status,
            reason=reason,
            n_available=available,
        )
    present = math.fsum(r.rubric_weight for r in scored)
    for r in scored:
        r.weight = r.rubric_weight / present
    value = math.fsum(r.weight * r.points for r in scored)
    hard = math.fsum(r.weight for r in scored if r.kind != "ordinal")
    n_evidence = len(frozenset().union(*(r.used for r in scored)))
    n_rows = len(frozenset().union(*(r.rows for r in scored)))
    flags = []
    missing = [r for r in results if r.kind != "context" and not r.scored]
    if missing:
        flags.append(
            "reweighted: no usable evidence for " + ", ".join(f"{r.label.lower()} ({r.status})" for r in missing)
        )
    if len(scored) < rubric.thin_metric_indicators:
        flags.append(f"thin: rests on {len(scored)} scored indicator(s)")
    return MetricResult(
        metric_id,
        metric.title,
        metric.weight,
        round(value, 1),
        value,
        n_evidence,
        n_rows,
        grade(rubric, hard, present, n_evidence),
        hard,
        present,
        results,
        flags,
        n_available=available,
    )


def _available(r: IndicatorResult) -> frozenset:
    """Row or judgement identities on file for an indicator, whether or not they count."""
    if r.rows:
        return r.rows
    return frozenset((o.period, o.market, o.label, o.source_ids) for o in r.observations)


# --------------------------------------------------------------------------- the overall


def composition(card_metrics: dict[str, MetricResult], rubric: Rubric) -> tuple[np.ndarray, list[tuple], dict]:
    """For each metric, the share of its sub-score resting on each evidence series.

    Returns the (M, S) matrix, the series keys and a label per series. A metric filled
    from its peers rests on a series of its own.
    """
    keys: list[tuple] = []
    labels: dict[tuple, str] = {}
    entries = []
    for mi, (mid, m) in enumerate(card_metrics.items()):
        if m.score is None:
            key = ("imputed", mid)
            entries.append((mi, key, 1.0))
            labels[key] = f"{m.title}: filled from the peers"
            continue
        for ind in m.scored_indicators:
            key = ind.series
            entries.append((mi, key, ind.weight))
            if key not in labels:
                labels[key] = _series_label(key, rubric)
    for _, key, _ in entries:
        if key not in keys:
            keys.append(key)
    shares = np.zeros((len(card_metrics), len(keys)))
    for mi, key, w in entries:
        shares[mi, keys.index(key)] += w
    return shares, keys, labels


def _series_label(key: tuple, rubric: Rubric) -> str:
    if key[0] == "rows":
        _, mid, iid = key
        return f"{rubric.metrics[mid].indicators[iid].label} (figures)"
    if key[0] == "family":
        return f"Judgements on the brand's {key[1]}"
    return "Judgement: " + next(
        ind.label for m in rubric.metrics.values() for i, ind in m.indicators.items() if i == key[1]
    )


def impute(pool: list[float], min_peers: int) -> float:
    """Point value for a missing sub-score: the peers' median, or the middle of the scale."""
    return float(statistics.median(pool)) if len(pool) >= min_peers else 5.0


def score_company(
    rubric: Rubric,
    company: str,
    evidence: list[EvidenceRow],
    assessments: list[AssessmentRow],
    sources: dict[str, Source],
    peers: dict[str, dict[str, float]] | None = None,
    as_of: float | None = None,
    metrics: dict[str, MetricResult] | None = None,
) -> Scorecard:
    """Score one company. ``peers`` maps peer slug -> {metric: sub-score} for filling missing metrics.

    ``as_of`` (decimal years): the date recency is measured from (see :func:`score_level`).
    ``metrics``: the company's metrics already scored from exactly these rows (:func:`brand_metrics`); they are
    completed in place.
    """
    if metrics is None:
        metrics = {mid: score_metric(rubric, mid, evidence, assessments, sources, as_of) for mid in rubric.metrics}
    agg = rubric.aggregation
    card = Scorecard(company, None, None, None, "not rated", metrics, min_scored=agg.min_scored_metrics)
    n_scored = card.n_scored
    if n_scored < agg.min_scored_metrics:
        return card
    for mid, m in metrics.items():
        m.peers = tuple(sorted((s, v[mid]) for s, v in (peers or {}).items() if v.get(mid) is not None))
        if m.score is None:
            m.imputed = impute([v for _, v in m.peers], agg.min_imputation_peers)
    values = np.array([[m.value if m.score is not None else m.imputed for m in metrics.values()]])
    nominal = np.array([[m.weight for m in metrics.values()]])
    shares, keys, labels = composition(metrics, rubric)
    weights = aggregate.cap_weights(nominal, shares, agg.series_cap)
    value = float(aggregate.arithmetic(values, weights)[0])
    card.value = value
    card.overall = round(value, 1)
    card.band = rubric.band(card.overall)
    card.status = "provisional" if n_scored < len(metrics) else "rated"
    card.weights = dict(zip(metrics, weights[0].tolist(), strict=True))
    load = (weights @ shares)[0]
    card.series_shares = dict(zip(keys, load.tolist(), strict=True))
    card.series_labels = labels
    return card


def peer_scores(ds, slug: str) -> dict[str, dict[str, float]]:
    """Sub-scores of the peers a brand's missing metrics are filled from.

    The brand's own peers (as listed in companies.csv) when at least
    ``aggregation.min_imputation_peers`` of them are scored on a metric, otherwise
    every other brand loaded.
    """
    own = [p for p in ds.companies[slug].peers if p in ds.evidence and ds.companies[p].kind == "brand"]
    others = [s for s in ds.brands() if s != slug and s in ds.evidence]
    out = {s: metric_values(ds, s) for s in dict.fromkeys(own + others)}
    # per metric, keep the own peers when enough of them are scored
    need = ds.rubric.aggregation.min_imputation_peers
    chosen: dict[str, dict[str, float]] = defaultdict(dict)
    for mid in ds.rubric.metrics:
        pool = [s for s in own if mid in out.get(s, {})]
        if len(pool) < need:
            pool = [s for s in others if mid in out.get(s, {})]
        for s in pool:
            chosen[s][mid] = out[s][mid]
    return dict(chosen)


_SHARED: dict[tuple[int, str], tuple[object, dict[str, float]]] | None = None


@contextlib.contextmanager
def shared_scores() -> Iterator[None]:
    """Within the block, each brand's sub-scores in a dataset are computed once, however many companies are scored.

    Scoring one company fills its missing metrics from every other brand's
    sub-scores, so scoring all the brands of a dataset one after another would
    score each brand again for each of them. Use it around code that scores many
    companies of datasets it does not change (a dataset is recognised by
    identity). Blocks nest; the memo is dropped when the outermost one ends.
    """
    global _SHARED
    if _SHARED is not None:
        yield
        return
    _SHARED = {}
    try:
        yield
    finally:
        _SHARED = None


def metric_values(ds, slug: str) -> dict[str, float]:
    """A brand's sub-scores (metrics with no scored evidence left out), shared within :func:`shared_scores`."""
    key = (id(ds), slug)
    if _SHARED is not None and key in _SHARED and _SHARED[key][0] is ds:
        return _SHARED[key][1]
    values = {mid: m.value for mid, m in brand_metrics(ds, slug).items() if m.value is not None}
    if _SHARED is not None:
        _SHARED[key] = (ds, values)
    return values


def brand_metrics(ds, slug: str) -> dict[str, MetricResult]:
    """Every metric of one brand scored on its own rows (before any filling from peers); a fresh copy each call.

    A brand's metrics follow from its rows and judgements, the sources they cite,
    the rubric and the as-of date alone, so they are kept by those (on disk in a
    build): a year's or a peer's metrics are scored once however many books,
    years or rebuilds show them, and again only when one of those changes.
    """
    blob = memo.result("brand-metrics", _brand_key(ds, slug), lambda: pickle.dumps(_score_metrics(ds, slug)))
    return pickle.loads(blob)


def _score_metrics(ds, slug: str) -> dict[str, MetricResult]:
    evidence, assessments = ds.evidence.get(slug, []), ds.assessments.get(slug, [])
    return {
        mid: score_metric(ds.rubric, mid, evidence, assessments, ds.sources, as_of_time(ds))
        for mid in ds.rubric.metrics
    }


def _brand_key(ds, slug: str) -> str:
    evidence, assessments = ds.evidence.get(slug, []), ds.assessments.get(slug, [])
    cited = sorted({r.source_id for r in evidence} | {sid for a in assessments for sid in a.source_ids})
    digest = hashlib.sha256(f"{memo.object_fingerprint(ds.rubric)}\0{as_of_time(ds)!r}\0".encode())
    for row in evidence:
        digest.update(memo.object_fingerprint(row).encode())
    digest.update(b"\0")
    for row in assessments:
        digest.update(memo.object_fingerprint(row).encode())
    for sid in cited:
        source = ds.sources.get(sid)
        digest.update(f"\0{sid}:{memo.object_fingerprint(source) if source is not None else '-'}".encode())
    return digest.hexdigest()


def score_dataset(ds, company: str) -> Scorecard:
    """Score one company of a loaded :class:`moatbook.data.Dataset`, its missing metrics filled from its peers."""
    return score_company(
        ds.rubric,
        company,
        ds.evidence.get(company, []),
        ds.assessments.get(company, []),
        ds.sources,
        peers=peer_scores(ds, company),
        as_of=as_of_time(ds),
        metrics=brand_metrics(ds, company),
    )


def as_of_time(ds) -> float | None:
    """The date a dataset is as of, in decimal years (None: today's data, ages from the newest figures)."""
    asof = getattr(ds, "as_of", None)
    return None if asof is None else asof.time
