"""What-if controls: move the weights and the judgements in the page and watch the score follow.

The page does the arithmetic in Vega expressions (Altair parameters bound to sliders
and selects; no hand-written JavaScript), and this module does the same arithmetic
in Python, so a test can set the page's controls, read its numbers and compare them
with the engine's:

* :func:`model` reduces a brand's scorecard to what the controls can move: per
  metric, its scored indicators (a figure-based indicator keeps its points; a
  judgement indicator keeps its judgements' levels and confidence weights), and for a
  metric without scored evidence the value the overall fills in from the peers;
* :func:`compute` applies a reader's settings (metric weights, indicator weights,
  judgement levels, aggregation) and returns the engine's numbers;
* :func:`cap_passes` is :func:`moatbook.scoring.aggregate.cap_weights` written as a
  fixed number of passes, the form the page's dataflow unrolls
  (:func:`cap_transforms`); a unit test checks that :data:`CAP_PASSES` reproduces it;
* :func:`scorecard_figure`, :func:`metric_figure` and :func:`site_figure` build the
  three pages' controls.

What stays fixed: which indicators are scored (a level or a weight does not create
evidence), the points of figure-based indicators, and the peers' values filled in
for a metric without scored evidence.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np

from ..data.schema import Rubric
from ..scoring import Scorecard, aggregate
from ..scoring.engine import interpolate

#: passes of the series cap the page unrolls (tests check they reproduce ``cap_weights`` within 1e-6)
CAP_PASSES = aggregate.CAP_ITERATIONS  # the engine stops after as many; a pass with nothing over is a no-op
AGGREGATIONS = {"arithmetic": "Weighted mean", "geometric": "Geometric mean", "pillars": "Three pillars"}
METRIC_WEIGHT_MAX = 0.4
STEP = 0.01


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Judgement:
    level: int
    weight: float  # confidence weight of its best source
    label: str
    rationale: str = ""  # the judgement's own words (which row of the assessments it is)


@dataclass(frozen=True)
class IndicatorModel:
    id: str
    label: str
    kind: str
    weight: float  # the rubric's weight
    series: str  # the evidence series it rests on (for the cap)
    points: float | None  # fixed points (figures); None for judgements
    anchors: tuple[tuple[float, float], ...] = ()
    judgements: tuple[Judgement, ...] = ()
    levels: tuple[tuple[int, str], ...] = ()  # level -> descriptor, for judgements


@dataclass(frozen=True)
class MetricModel:
    id: str
    title: str
    weight: float
    pillar: str
    value: float | None  # unrounded sub-score at the rubric's settings
    imputed: float | None  # the value filled in when not scored
    indicators: tuple[IndicatorModel, ...]  # scored indicators only
    unscored: tuple[str, ...] = ()  # labels of indicators without usable evidence

    @property
    def scored(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Model:
    slug: str
    name: str
    rated: bool
    metrics: tuple[MetricModel, ...]
    cap: float
    floor: float
    pillars: tuple[str, ...]
    bands: tuple[tuple[str, float, float], ...]

    def metric(self, mid: str) -> MetricModel:
        return next(m for m in self.metrics if m.id == mid)


def _series_key(key: tuple) -> str:
    return "|".join(str(k) for k in key)


def model(card: Scorecard, rubric: Rubric, name: str = "") -> Model:
    """What the controls can move in ``card`` (a point scorecard scored with ``rubric``)."""
    pillar_of = {}
    for pid, p in rubric.aggregation.pillars.items():
        for mid in p.metrics:
            if mid in pillar_of:
                raise ValueError(f"metric '{mid}' is in two pillars ({pillar_of[mid]}, {pid})")
            pillar_of[mid] = pid
    metrics = []
    for mid, m in card.metrics.items():
        spec = rubric.metrics[mid]
        inds = []
        for ind in m.scored_indicators:
            ispec = spec.indicators[ind.id]
            judgements = ()
            if ind.kind == "ordinal":
                counted = [o for o in ind.observations if o.counts]
                judgements = tuple(
                    Judgement(int(o.value), o.weight, f"judgement {k} of {len(counted)}", o.label)
                    for k, o in enumerate(counted, start=1)
                )
            inds.append(
                IndicatorModel(
                    ind.id,
                    ind.label.replace(" (judgement)", ""),
                    ind.kind,
                    float(ind.rubric_weight),
                    _series_key(ind.series),
                    None if ind.kind == "ordinal" else float(ind.points),
                    tuple((float(a), float(b)) for a, b in ispec.anchors or ()),
                    judgements,
                    tuple(sorted((ispec.levels or {}).items())),
                )
            )
        metrics.append(
            MetricModel(
                mid,
                m.title,
                float(spec.weight),
                pillar_of.get(mid, ""),
                m.value,
                m.imputed,
                tuple(inds),
                tuple(i.label for i in m.missing),
            )
        )
    agg = rubric.aggregation
    return Model(
        card.company,
        name or card.company,
        card.overall is not None,
        tuple(metrics),
        float(agg.series_cap),
        float(agg.geometric_floor),
        tuple(agg.pillars),
        tuple((b.name, float(b.min), float(b.max)) for b in rubric.bands),
    )


def defaults(mdl: Model) -> dict:
    """The settings that reproduce the book's own scores."""
    return {
        "metric_weights": {m.id: m.weight for m in mdl.metrics},
        "indicator_weights": {m.id: {i.id: i.weight for i in m.indicators} for m in mdl.metrics},
        "levels": {
            m.id: {i.id: [j.level for j in i.judgements] for i in m.indicators if i.kind == "ordinal"}
            for m in mdl.metrics
        },
        "aggregation": "arithmetic",
    }


def _merged(mdl: Model, settings: dict | None) -> dict:
    base = defaults(mdl)
    for key in ("metric_weights",):
        base[key].update((settings or {}).get(key, {}))
    for key in ("indicator_weights", "levels"):
        for mid, values in (settings or {}).get(key, {}).items():
            base[key].setdefault(mid, {}).update(values)
    base["aggregation"] = (settings or {}).get("aggregation", base["aggregation"])
    return base


# --------------------------------------------------------------------------- the arithmetic


def indicator_points(ind: IndicatorModel, levels: list[int] | None = None) -> float:
    """An indicator's points; a judgement indicator's from the (possibly changed) levels."""
    if ind.kind != "ordinal":
        return ind.points
    levels = [j.level for j in ind.judgements] if levels is None else levels
    pairs = [(interpolate(ind.anchors, lv), j.weight) for lv, j in zip(levels, ind.judgements, strict=True)]
    return math.fsum(p * w for p, w in pairs) / math.fsum(w for _, w in pairs)


def subscore(m: MetricModel, weights: dict[str, float], levels: dict[str, list[int]]) -> tuple[float, dict[str, float]]:
    """A metric's sub-score and each series' share of it, for the given indicator weights and levels."""
    total = math.fsum(weights[i.id] for i in m.indicators)
    if total <= 0:
        raise ValueError(f"{m.title}: the indicator weights add up to zero")
    value = math.fsum(weights[i.id] / total * indicator_points(i, levels.get(i.id)) for i in m.indicators)
    shares: dict[str, float] = {}
    for i in m.indicators:
        shares[i.series] = shares.get(i.series, 0.0) + weights[i.id] / total
    return value, shares


def band(mdl: Model, overall: float) -> str:
    for name, lo, hi in mdl.bands:
        if lo <= overall < hi:
            return name
    return mdl.bands[-1][0]


def compute(mdl: Model, settings: dict | None = None) -> dict:
    """The engine's numbers for ``settings`` (any part left out keeps the book's value).

    Returns ``overall`` (unrounded, None when the brand is not rated), ``score`` (as
    printed, one decimal), ``band``, ``subscores`` (metric -> value used),
    ``weights`` (metric -> weight after the series cap) and ``shares`` (metric ->
    share of the weighted mean).
    """
    s = _merged(mdl, settings)
    values, rows = {}, []
    for m in mdl.metrics:
        if m.scored:
            values[m.id], shares = subscore(m, s["indicator_weights"][m.id], s["levels"].get(m.id, {}))
        else:
            values[m.id], shares = m.imputed, {f"imputed|{m.id}": 1.0}
        rows.append(shares)
    out = {"subscores": values, "overall": None, "score": None, "band": None, "weights": {}, "shares": {}}
    if not mdl.rated:
        return out
    keys = list(dict.fromkeys(k for r in rows for k in r))
    shares = np.array([[r.get(k, 0.0) for k in keys] for r in rows])
    nominal = np.array([[s["metric_weights"][m.id] for m in mdl.metrics]], dtype=float)
    if nominal.sum() <= 0:
        raise ValueError("the metric weights add up to zero")
    w = aggregate.cap_weights(nominal, shares, mdl.cap)
    v = np.array([[values[m.id] for m in mdl.metrics]])
    kind = s["aggregation"]
    if kind == "arithmetic":
        overall = aggregate.arithmetic(v, w)
    elif kind == "geometric":
        overall = aggregate.geometric(v, w, mdl.floor)
    elif kind == "pillars":
        members = np.array([[1.0 if m.pillar == p else 0.0 for m in mdl.metrics] for p in mdl.pillars])
        overall = aggregate.pillars(v, w, members)
    else:
        raise ValueError(f"unknown aggregation '{kind}'; one of {', '.join(AGGREGATIONS)}")
    overall = float(overall[0])
    weighted = w[0] * v[0]
    out.update(
        overall=overall,
        score=round(overall, 1),
        band=band(mdl, round(overall, 1)),
        weights={m.id: float(x) for m, x in zip(mdl.metrics, w[0], strict=True)},
        shares={m.id: float(x / weighted.sum()) for m, x in zip(mdl.metrics, weighted, strict=True)},
    )
    return out


def cap_passes(weights: np.ndarray, shares: np.ndarray, cap: float, passes: int = CAP_PASSES) -> np.ndarray:
    """:func:`aggregate.cap_weights` as ``passes`` unconditional passes (the page's form).

    A pass with no series over the cap changes nothing, so running every pass is the
    same as stopping early.
    """
    w = np.array(weights, dtype=float)
    w = w / w.sum(axis=1, keepdims=True)
    reads = shares > 0
    for _ in range(passes):
        load = w @ shares
        over = load > cap * (1 + 1e-9)
        factor = np.where(over, cap / np.where(load > 0, load, 1.0), 1.0)  # (D, S)
        per_metric = np.where(reads[None, :, :], factor[:, None, :], 1.0).min(axis=2)  # (D, M)
        reduced = per_metric < 1
        new = w * per_metric
        freed = 1.0 - new.sum(axis=1)
        pool = np.where(reduced, 0.0, w).sum(axis=1)
        scale = np.where(pool > 0, 1 + freed / np.where(pool > 0, pool, 1.0), 1.0)
        sub = np.where(reduced, new, w * scale[:, None])
        w = sub / sub.sum(axis=1, keepdims=True)
    return w


# --------------------------------------------------------------------------- the page's dataflow


def _num(x: float) -> str:
    return repr(float(x))


def _calc(expr: str, name: str) -> dict:
    return {"calculate": expr, "as": name}


def _join(ops: list[tuple[str, str, str]], by: list[str]) -> dict:
    return {"joinaggregate": [{"op": op, "field": f, "as": a} for op, f, a in ops], "groupby": by}


def cap_transforms(cap: float, passes: int = CAP_PASSES, by: tuple[str, ...] = ("brand",)) -> list[dict]:
    """Vega-Lite transforms computing each row's metric weight after the series cap, as :func:`cap_passes`.

    Rows are (metric, series) pieces of a brand: ``w0`` is the metric's weight as the
    reader set it, ``share`` the part of the metric resting on ``series`` (a metric's
    shares add up to 1, so a sum over rows of ``x * share`` is a sum over metrics).
    The result is in ``w_<passes>``.
    """
    g = list(by)
    limit = _num(cap * (1 + 1e-9))
    t = [
        _calc("datum.w0 * datum.share", "_x"),
        _join([("sum", "_x", "_t")], g),
        _calc("datum._t > 0 ? datum.w0 / datum._t : NaN", "w_0"),
    ]
    for k in range(passes):
        w = f"datum.w_{k}"
        t += [
            _calc(f"{w} * datum.share", f"_a{k}"),
            _join([("sum", f"_a{k}", f"_l{k}")], [*g, "series"]),
            _calc(f"datum.share > 0 && datum._l{k} > {limit} ? {_num(cap)} / datum._l{k} : 1", f"_f{k}"),
            _join([("min", f"_f{k}", f"_p{k}")], [*g, "metric"]),
            _calc(f"{w} * datum._p{k}", f"_n{k}"),
            _calc(f"datum._n{k} * datum.share", f"_ns{k}"),
            _calc(f"(datum._p{k} < 1 ? 0 : {w}) * datum.share", f"_po{k}"),
            _join([("sum", f"_ns{k}", f"_N{k}"), ("sum", f"_po{k}", f"_P{k}")], g),
            _calc(
                f"datum._p{k} < 1 ? datum._n{k} : {w} * (datum._P{k} > 0 ? 1 + (1 - datum._N{k}) / datum._P{k} : 1)",
                f"_s{k}",
            ),
            _calc(f"datum._s{k} * datum.share", f"_ss{k}"),
            _join([("sum", f"_ss{k}", f"_S{k}")], g),
            _calc(f"datum._s{k} / datum._S{k}", f"w_{k + 1}"),
        ]
    return t


def _band_expr(mdl: Model, x: str) -> str:
    expr = json.dumps(mdl.bands[-1][0])
    for name, lo, hi in reversed(mdl.bands):
        expr = f"({x} >= {_num(lo)} && {x} < {_num(hi)}) ? {json.dumps(name)} : {expr}"
    return expr


def result_transforms(mdl: Model, passes: int = CAP_PASSES, by: tuple[str, ...] = ("brand",)) -> list[dict]:
    """After :func:`cap_transforms`: the overall under the chosen aggregation, its band, each metric's share.

    Adds ``overall`` (unrounded), ``score`` (one decimal), ``band``, ``W`` (the metric's
    weight after the cap) and ``mshare`` (its share of the weighted mean) to every row.
    """
    g = list(by)
    W = f"datum.w_{passes}"
    n_pillars = len(mdl.pillars)
    return [
        _calc(W, "W"),
        _calc("datum.W * datum.share", "_ws"),
        _calc("datum.W * datum.value * datum.share", "_wv"),
        _calc(f"datum.W * log(max(datum.value, {_num(mdl.floor)})) * datum.share", "_wl"),
        _join([("sum", "_ws", "_WS"), ("sum", "_wv", "_WV"), ("sum", "_wl", "_WL")], g),
        _join([("sum", "_ws", "_PW"), ("sum", "_wv", "_PV")], [*g, "pillar"]),
        _calc("datum.pillar ? datum._PV / datum._PW * datum.share / datum.pn : 0", "_pc"),
        _join([("sum", "_pc", "_PS")], g),
        _calc(
            "agg == 'geometric' ? 10 * exp(datum._WL / datum._WS) : "
            f"agg == 'pillars' ? 10 * datum._PS / {n_pillars} : 10 * datum._WV / datum._WS",
            "overall",
        ),
        _calc("round(datum.overall * 10) / 10", "score"),
        _calc(_band_expr(mdl, "datum.score"), "band"),
        _calc("datum.W * datum.value / datum._WV", "mshare"),
    ]


def book_rows(mdl: Model, keep_ind: bool = False) -> list[dict]:
    """The rows the page's dataflow starts from: one per (metric, indicator) piece of the overall.

    ``keep_ind`` (a metric chapter): the rows carry their indicator's id so the
    page can recompute their shares and value from its controls.
    """
    size = {p: sum(1 for m in mdl.metrics if m.pillar == p) for p in mdl.pillars}
    rows = []
    for m in mdl.metrics:
        base = {"brand": mdl.slug, "metric": m.id, "title": m.title, "pillar": m.pillar, "pn": size.get(m.pillar, 1)}
        base["nominal"] = m.weight
        if m.scored:
            total = math.fsum(i.weight for i in m.indicators)
            pieces = [(i.series, i.weight / total, i.id) for i in m.indicators]
            value = m.value
        else:
            pieces, value = [(f"imputed|{m.id}", 1.0, "")], m.imputed
        for k, (series, share, iid) in enumerate(pieces):
            rows.append({**base, "series": series, "share": share, "value": value, "first": k == 0, "ind": iid})
    if not keep_ind:
        for r in rows:
            del r["ind"]
    return rows


def _config(chart):
    from .charts import _config as config

    return config(chart)


def _param_name(prefix: str, ident: str) -> str:
    return prefix + re.sub(r"\W", "_", ident)


def _pick_expr(field: str, mapping: dict[str, str], default: str) -> str:
    expr = default
    for key, value in reversed(mapping.items()):
        expr = f"{field} == {json.dumps(key)} ? {value} : ({expr})"
    return expr


def _interp_expr(anchors: tuple[tuple[float, float], ...], x: str) -> str:
    pts = sorted(anchors)
    expr = _num(pts[-1][1])
    for (x0, y0), (x1, y1) in reversed(list(zip(pts, pts[1:], strict=False))):
        expr = f"({x} <= {_num(x1)} ? {_num(y0)} + {_num(y1 - y0)} * ({x} - {_num(x0)}) / {_num(x1 - x0)} : {expr})"
    return f"({x} <= {_num(pts[0][0])} ? {_num(pts[0][1])} : {expr})"


# --------------------------------------------------------------------------- the controls

#: the marker a metric chapter's overall reads until the build fills in the book's rows (``fill_rows``)
FILL_MARKER = {"mbfill": "whatif"}
_FILL_RE = re.compile(r'\[\s*\{\s*"mbfill"\s*:\s*"whatif"\s*\}\s*\]')
OVERALL_ROW = "Overall (0–100)"
SUBSCORE_ROW = "Sub-score (0–10)"
BAND_ROW = "Band"
HEADLINE = "isFinite(datum.overall) ? format(datum.overall, '.1f') + ' of 100' : 'none at these settings'"
BAND_TEXT = "isFinite(datum.overall) ? datum.band : '–'"
BAND_EXACT = "'Band ' + datum.band"


OVERALL_EXACT = "'Overall score ' + format(datum.overall, '.3f') + ' of 100'"


def fill_rows(html_text: str, rows: list[dict]) -> str:
    """Put the book's rows into the metric chapters' what-if charts (done when the book is published)."""
    text = json.dumps(rows, separators=(",", ":")).replace("<", "\\u003c").replace("&", "\\u0026")
    return _FILL_RE.sub(lambda _: text, html_text)


def _slider(name: str, value: float, hi: float, label: str) -> alt.Parameter:  # noqa: F821
    import altair as alt

    return alt.param(name=name, value=round(value, 4), bind=alt.binding_range(min=0, max=hi, step=STEP, name=label))


def _agg_select() -> alt.Parameter:  # noqa: F821
    import altair as alt

    return alt.param(
        name="agg",
        value="arithmetic",
        bind=alt.binding_select(options=list(AGGREGATIONS), labels=list(AGGREGATIONS.values()), name="Aggregation "),
    )


def metric_weight_params(mdl: Model) -> list:
    return [_slider(_param_name("w_", m.id), m.weight, METRIC_WEIGHT_MAX, f"{m.title} ") for m in mdl.metrics]


def _y(order: list[str]):
    import altair as alt

    # row names take less room on a phone, so the bars and the numbers beside them keep theirs
    limit = alt.ExprRef("containerSize()[0] < 480 ? 100 : 150")
    return alt.Y("row:N", sort=order, title=None, axis=alt.Axis(labelLimit=limit, domain=False, ticks=False))


def _text_layer(row: str, text_expr: str, filter_expr: str, describe: str):
    """A row of the chart holding one live number; ``describe`` is its exact value for screen readers (and tests)."""
    import altair as alt

    return (
        alt.Chart()
        .transform_filter(filter_expr)
        .transform_calculate(row=json.dumps(row), label=text_expr, exact=describe)
        .mark_text(align="left", fontSize=14, fontWeight="bold")
        .encode(y=_y([]), x=alt.value(2), text="label:N", description="exact:N")
    )


def _share_layers(order: list[str], value: str, label: str, title: str, domain=None):
    """Bars of ``value`` per row with a number beside each, and room for the number."""
    import altair as alt

    from .charts import ACCENT

    if domain:  # room on the right for the number beside the longest bar
        scale = alt.Scale(domain=[domain[0], domain[1] * 1.45])
        axis = alt.Axis(values=list(range(domain[0], domain[1] + 1, 2)), format="d")
    else:
        scale, axis = alt.Scale(zero=True), alt.Axis(format=".0%", tickCount=5)
    x = alt.X(f"{value}:Q", title=title, scale=scale, axis=axis)
    bars = alt.Chart().mark_bar(color=ACCENT, height={"band": 0.6}).encode(y=_y(order), x=x)
    text = alt.Chart().mark_text(align="left", dx=4, fontSize=12).encode(y=_y(order), x=x, text=f"{label}:N")
    return bars, text


def scorecard_chart(mdl: Model):
    """Weight sliders, an aggregation select, and the overall, its band and each metric's share, live."""
    import altair as alt

    params = [*metric_weight_params(mdl), _agg_select()]
    first = mdl.metrics[0].id
    pick = {m.id: _param_name("w_", m.id) for m in mdl.metrics}
    transforms = [
        _calc(_pick_expr("datum.metric", pick, "0"), "w0"),
        *cap_transforms(mdl.cap),
        *result_transforms(mdl),
        _calc("datum.title", "row"),
        _calc("format(datum.mshare, '.1%')", "share_text"),
        _calc("datum.mshare * 1.35", "room"),
    ]
    order = [OVERALL_ROW, BAND_ROW, *(m.title for m in mdl.metrics)]
    bars, text = _share_layers(order, "mshare", "share_text", "share of the weighted mean")
    room = alt.Chart().mark_point(opacity=0).encode(y=_y(order), x=alt.X("room:Q"))
    metrics_only = "datum.first"
    layers = [
        _text_layer(OVERALL_ROW, HEADLINE, f"datum.first && datum.metric == {json.dumps(first)}", OVERALL_EXACT),
        _text_layer(BAND_ROW, BAND_TEXT, f"datum.first && datum.metric == {json.dumps(first)}", BAND_EXACT),
        bars.transform_filter(metrics_only),
        text.transform_filter(metrics_only),
        room.transform_filter(metrics_only),
    ]
    chart = alt.LayerChart(data=alt.Data(values=book_rows(mdl)), transform=transforms, layer=layers).add_params(*params)
    return _config(chart.properties(width="container", height=26 * len(order)))


def _judgement_params(ind: IndicatorModel) -> list:
    import altair as alt

    out = []
    for k, j in enumerate(ind.judgements, start=1):
        label = ind.label if len(ind.judgements) == 1 else f"{ind.label}, {j.label}"
        levels = [lv for lv, _ in ind.levels] or [0, 1, 2, 3, 4]
        descr = dict(ind.levels)
        out.append(
            alt.param(
                name=_param_name("lv_", f"{ind.id}_{k}"),
                value=j.level,
                bind=alt.binding_select(
                    options=levels,
                    labels=[f"{lv}: {descr[lv]}" if lv in descr else str(lv) for lv in levels],
                    name=f"{label}: level ",
                ),
            )
        )
    return out


def _points_expr(ind: IndicatorModel) -> str:
    if ind.kind != "ordinal":
        return _num(ind.points)
    total = math.fsum(j.weight for j in ind.judgements)
    terms = [
        f"{_num(j.weight)} * {_interp_expr(ind.anchors, 'toNumber(' + _param_name('lv_', f'{ind.id}_{k}') + ')')}"
        for k, j in enumerate(ind.judgements, start=1)
    ]
    return f"(({' + '.join(terms)}) / {_num(total)})"


def _weight_expr(m: MetricModel, ind: IndicatorModel) -> str:
    return _param_name("iw_", ind.id) if len(m.indicators) > 1 else "1"


def metric_chart(mdl: Model, metric_id: str):
    """A metric's controls: a level select per judgement, a weight slider per indicator; the sub-score
    and the overall recomputed live. The rest of the book's rows are filled in when it is published."""
    import altair as alt

    m = mdl.metric(metric_id)
    params = [alt.param(name="agg", value="arithmetic")]  # the published overall
    for ind in m.indicators:
        params += _judgement_params(ind)
    if len(m.indicators) > 1:
        params += [_slider(_param_name("iw_", i.id), i.weight, 1.0, f"{i.label}: weight ") for i in m.indicators]
    weights = {i.id: _weight_expr(m, i) for i in m.indicators}
    total = " + ".join(weights.values())
    points = {i.id: _points_expr(i) for i in m.indicators}
    sub = f"(({' + '.join(f'{weights[i.id]} * {points[i.id]}' for i in m.indicators)}) / ({total}))"
    labels = {i.id: i.label for i in m.indicators}
    order = [OVERALL_ROW, BAND_ROW, SUBSCORE_ROW, *labels.values()]
    ind_rows = [{"ind": i.id, "row": i.label, "first": k == 0} for k, i in enumerate(m.indicators)]
    ind_transforms = [
        _calc(_pick_expr("datum.ind", points, "NaN"), "pts"),
        _calc(f"({_pick_expr('datum.ind', weights, '0')}) / ({total})", "part"),
        _calc("format(datum.pts, '.1f') + ' × ' + format(datum.part, '.0%')", "pts_text"),
        _calc(sub, "sub"),
    ]
    bars, text = _share_layers(order, "pts", "pts_text", "points (0-10)", domain=[0, 10])
    ind_data = alt.Data(values=ind_rows)
    sub_text = "isFinite(datum.sub) ? format(datum.sub, '.1f') + ' of 10' : 'give an indicator some weight'"
    sub_exact = "'Sub-score ' + format(datum.sub, '.3f') + ' of 10'"
    book = [
        _calc("datum.nominal", "w0"),
        _calc(
            f"datum.metric == {json.dumps(metric_id)} ? ({_pick_expr('datum.ind', weights, '0')}) / ({total}) "
            ": datum.share",
            "share",
        ),
        _calc(f"datum.metric == {json.dumps(metric_id)} ? {sub} : datum.value", "value"),
        *cap_transforms(mdl.cap),
        *result_transforms(mdl),
    ]
    overall = _text_layer(
        OVERALL_ROW,
        HEADLINE.replace("'none at these settings'", "'shown in the published book'"),
        "datum.first && datum.metric == datum.m0",
        OVERALL_EXACT,
    )
    band_layer = _text_layer(BAND_ROW, BAND_TEXT, "datum.first && datum.metric == datum.m0", BAND_EXACT)
    for layer in (overall, band_layer):
        layer.data = alt.Data(values=[FILL_MARKER])
        layer.transform = [*book, _calc(json.dumps(mdl.metrics[0].id), "m0"), *layer.transform]
    layers = [
        overall,
        band_layer,
        _text_layer(SUBSCORE_ROW, sub_text, "datum.first", sub_exact),
        bars,
        text,
    ]
    for layer in layers[2:]:
        layer.data = ind_data
        layer.transform = [*ind_transforms, *(layer.transform if layer.transform is not alt.Undefined else [])]
    chart = alt.LayerChart(layer=layers, params=[p.param for p in params])
    return _config(chart.properties(width="container", height=26 * len(order)))


def site_chart(models: list[Model]):
    """The brands ranked by their overall, re-ranked live as the reader moves the metric weights."""
    import altair as alt

    from .charts import ACCENT

    rated = [m for m in models if m.rated]
    mdl = rated[0]
    params = [*metric_weight_params(mdl), _agg_select()]
    pick = {m.id: _param_name("w_", m.id) for m in mdl.metrics}
    rows = [{**r, "name": m.name} for m in rated for r in book_rows(m)]
    first = mdl.metrics[0].id
    transforms = [
        _calc(_pick_expr("datum.metric", pick, "0"), "w0"),
        *cap_transforms(mdl.cap),
        *result_transforms(mdl),
        {"filter": f"datum.first && datum.metric == {json.dumps(first)}"},
        {
            "window": [{"op": "row_number", "as": "rank"}],
            "sort": [{"field": "overall", "order": "descending"}, {"field": "name", "order": "ascending"}],
        },
        _calc("datum.rank + '. ' + datum.name", "row"),
        _calc("format(datum.overall, '.1f')", "label"),
        _calc(
            "datum.name + ': overall score ' + format(datum.overall, '.3f') + ', ' + datum.band "
            "+ ', rank ' + datum.rank",
            "exact",
        ),
    ]
    y = alt.Y(
        "name:N", sort=alt.EncodingSortField("rank", order="ascending"), title=None, axis=alt.Axis(labelLimit=150)
    )
    x = alt.X("overall:Q", title="overall score", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(tickCount=5))
    bars = alt.Chart().mark_bar(color=ACCENT, height={"band": 0.6}).encode(y=y, x=x, description="exact:N")
    text = (
        alt.Chart()
        .mark_text(align="right", dx=-4, fontSize=12, fontWeight="bold", color="#ffffff")
        .encode(y=y, x=x, text="label:N")
    )
    chart = alt.LayerChart(
        data=alt.Data(values=rows), transform=transforms, layer=[bars, text], params=[p.param for p in params]
    )
    return _config(chart.properties(width="container", height=30 * len(rated)))


# --------------------------------------------------------------------------- the figures


def figure(
    chart,
    title: str,
    takeaway: str,
    description: str,
    note: str = "",
    controls: dict | None = None,
    legend: list[tuple[str, str]] | None = None,
    headers: list[str] | None = None,
    rows: list[list[str]] | None = None,
):
    """The controls as a figure of the book: a group (not an image: its inputs must stay reachable) with a
    title, a takeaway, how to use it, a legend, a source line, the book's settings as a table, and a button
    putting every control back to the book's setting."""
    from .charts import Figure
    from .render import esc, plural

    class WhatIf(Figure):
        def _repr_html_(self) -> str:
            reset = ""
            if controls:
                reset = (
                    '<button type="button" class="mb-whatif-reset" '
                    f"data-mb-defaults='{esc(json.dumps(controls))}'>Reset to the book's settings</button>"
                )
            items = "".join(f'<li><span class="mb-key" aria-hidden="true">{sw}</span>{t}</li>' for sw, t in self.legend)
            data = ""
            if self.rows:
                data = (
                    '<details class="mb-details mb-fig-data"><summary>The book\'s settings as a table '
                    f"({plural(len(self.rows), 'row')})</summary>{self._table()}</details>"
                )
            return (
                f'<figure class="mb-figure mb-figure-whatif">'
                f'<figcaption><span class="mb-fig-title">{esc(self.title)}</span> '
                f'<span class="mb-fig-takeaway">{esc(self.takeaway)}</span></figcaption>'
                f'<div class="mb-chart mb-whatif" role="group" aria-label="{esc(self.description)}">'
                f"{self._embed()}</div>{reset}"
                f'<div class="mb-fig-notes"><ul class="mb-legend" aria-label="Legend">{items}</ul>'
                f'<p class="mb-fig-note">{esc(self.note)}</p><p class="mb-fig-source">{self.sources_html}</p></div>'
                f"{data}</figure>"
            )

    return WhatIf(
        chart,
        title,
        takeaway,
        description,
        sources_html="Computed in your browser by the rubric's rules from this book's scores; nothing is sent "
        "anywhere and nothing is saved.",
        note=note,
        legend=legend or [],
        headers=headers or [],
        rows=rows or [],
        numeric=set(range(1, len(headers or []))),
        kind="whatif",
    )


def controls_of(chart) -> dict:
    """Each bound control's name and the value the book uses (what the reset button restores)."""
    return {p["name"]: p["value"] for p in chart.to_dict(validate=False).get("params", []) if "bind" in p}
