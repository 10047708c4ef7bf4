"""Which inputs move the verdict: variance-based indices, a tornado, rankings without each metric, three aggregations.

* :func:`sobol_indices` estimates first-order and total-effect indices of any
  model whose inputs come in independent groups, by the pick-freeze scheme:
  two independent samples A and B, and for each group g the sample A with g's
  inputs taken from B. First order by Saltelli et al. (2010), total effect by
  Jansen (1999). It is checked in the tests against an additive model whose
  indices are known exactly.
* :func:`brand_indices` applies it to a brand's overall, the groups being the
  uncertainty model's own: metric weights, half-life, single-market weight, and
  per metric its figures, its judgements (or the family of judgements resting
  on the same facts) and, for a missing metric, the draw from its peers.
* :func:`tornado` moves one input at a time to the ends of its range and
  records the overall: the inputs that move it most come first.
* :func:`leave_one_out` ranks a set of brands with each metric left out in turn.
* :func:`aggregations` computes the overall as the arithmetic mean (published),
  a geometric mean and a mean of three pillars, with the same draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..data.schema import Rubric
from . import aggregate
from .engine import Scorecard
from .uncertainty import (
    BrandModel,
    Interval,
    Settings,
    _interval,
    _rng,
    brand_streams,
    compile_card,
    draw_brand,
    draw_shared,
    subscores,
)

# --------------------------------------------------------------------------- the estimator


def sobol_indices(
    draw: Callable[[int, np.random.Generator], dict],
    evaluate: Callable[[dict], np.ndarray],
    n: int,
    rng: np.random.Generator,
) -> dict[str, tuple[float, float]]:
    """First-order and total-effect indices ``{group: (S1, ST)}`` by pick-freeze.

    ``draw(n, rng)`` returns independent input groups ``{group: inputs with n rows}``;
    ``evaluate(inputs)`` returns the output for each of the n rows.
    """
    a, b = draw(n, rng), draw(n, rng)
    fa, fb = evaluate(a), evaluate(b)
    both = np.concatenate([fa, fb])
    var, mean = float(np.var(both)), float(np.mean(both))
    out = {}
    for g in a:
        fab = evaluate({**a, g: b[g]})
        if var <= 0:
            out[g] = (0.0, 0.0)
            continue
        # centring f(B) leaves the estimator unbiased and removes most of its noise
        s1 = float(np.mean((fb - mean) * (fab - fa)) / var)
        st = float(0.5 * np.mean((fa - fab) ** 2) / var)
        out[g] = (s1, st)
    return out


# --------------------------------------------------------------------------- a brand's overall


def group_label(group: str, model: BrandModel) -> str:
    """A reader's name for an input group."""
    if group == "weights":
        return "Metric weights"
    if group == "half_life":
        return "How fast old figures lose weight (half-life)"
    if group == "market_weight":
        return "Weight of single-market figures"
    kind, _, key = group.partition(":")
    if kind == "family":
        return f"Judgements on the brand's {key} (several metrics)"
    title = model.titles[model.metric_ids.index(key)]
    return {
        "evidence": f"Figures behind {title.lower()}",
        "judgements": f"Judgements on {title.lower()}",
        "imputation": f"{title} (missing; drawn from the peers)",
    }[kind]


def _split(model: BrandModel, settings: Settings):
    def draw(n, rng):
        shared = draw_shared(settings, model.M, model.nominal, n, rng)
        return {**shared, **draw_brand(model, settings, n, rng)}

    def evaluate(flat):
        shared = {k: flat[k] for k in ("weights", "half_life", "market_weight")}
        values = subscores(model, shared, flat, settings)
        weights = aggregate.cap_weights(shared["weights"], model.shares, settings.cap)
        return aggregate.arithmetic(values, weights)

    return draw, evaluate


def brand_indices(model: BrandModel, settings: Settings, n: int | None = None) -> list[tuple[str, str, float, float]]:
    """``(group, label, first-order, total)`` for the brand's overall, largest total effect first."""
    draw, evaluate = _split(model, settings)
    res = sobol_indices(draw, evaluate, n or settings.draws // 10, _rng(settings.seed, "sobol", model.digest))
    rows = [(g, group_label(g, model), s1, st) for g, (s1, st) in res.items()]
    return sorted(rows, key=lambda r: (-r[3], r[0]))


# --------------------------------------------------------------------------- one at a time


@dataclass
class Swing:
    label: str
    low_setting: str
    high_setting: str
    low: float  # the overall at the low setting
    high: float  # at the high setting

    @property
    def width(self) -> float:
        return abs(self.high - self.low)


def _nominal(model: BrandModel, settings: Settings):
    off = settings.all_off()
    shared = draw_shared(off, model.M, model.nominal, 1, _rng(0, "nominal"))
    inputs = draw_brand(model, off, 1, _rng(0, "nominal"))
    return off, shared, inputs


def _overall_from(model: BrandModel, values: np.ndarray, weights: np.ndarray, settings: Settings) -> float:
    w = aggregate.cap_weights(weights, model.shares, settings.cap)
    return float(aggregate.arithmetic(values, w)[0])


def tornado(model: BrandModel, settings: Settings, rubric: Rubric, top: int = 12) -> list[Swing]:
    """Each input moved alone to the ends of its range; the widest swings first."""
    off, shared, inputs = _nominal(model, settings)
    values = subscores(model, shared, inputs, off)  # (1, M)
    base_w = shared["weights"]
    swings: list[Swing] = []

    # metric weights: 5th and 95th percentile of the Dirichlet marginal, others rescaled
    dir_draws = _rng(settings.seed, "tornado-weights").dirichlet(
        settings.concentration * model.nominal / model.nominal.sum(), size=20000
    )
    for mi, title in enumerate(model.titles):
        lo_q, hi_q = np.percentile(dir_draws[:, mi], [5, 95])
        ends = []
        for q in (lo_q, hi_q):
            w = base_w.copy()
            rest = 1 - w[0, mi]
            w[0] = w[0] * (1 - q) / rest
            w[0, mi] = q
            ends.append(_overall_from(model, values, w, settings))
        swings.append(Swing(f"Weight of {title.lower()}", f"{lo_q:.1%}", f"{hi_q:.1%}", *ends))

    # parameters
    for key, label, bounds in (
        ("half_life", "How fast old figures lose weight (half-life)", settings.half_life),
        ("market_weight", "Weight of single-market figures", settings.market_other),
    ):
        ends = []
        for b in bounds:
            sh = {**shared, key: np.array([b])}
            v = subscores(model, sh, inputs, off)
            ends.append(_overall_from(model, v, base_w, settings))
        unit = " years" if key == "half_life" else ""
        swings.append(Swing(label, f"{bounds[0]:g}{unit}", f"{bounds[1]:g}{unit}", *ends))

    # each judgement one level down and up
    for ind in model.indicators:
        if ind.kind != "ordinal":
            continue
        lo_b, hi_b = ind.level_bounds
        for r in range(ind.n):
            ends = []
            for step in (-1, 1):
                levels = ind.levels.copy()
                levels[r] = min(hi_b, max(lo_b, levels[r] + step))
                original = ind.levels
                ind.levels = levels
                try:
                    v = subscores(model, shared, inputs, off)
                finally:
                    ind.levels = original
                ends.append(_overall_from(model, v, base_w, settings))
            lvl = int(ind.levels[r])
            what = ind.label.replace(" (judgement)", "")
            swings.append(
                Swing(
                    f"Judgement: {what} (level {lvl})",
                    f"level {max(lo_b, lvl - 1)}",
                    f"level {min(hi_b, lvl + 1)}",
                    *ends,
                )
            )

    # each metric's figures (their own spread, nothing else varied) and each missing metric's draw
    figures_only = Settings(**{**off.__dict__, "sd": settings.sd, "resample": True})
    n = 4000
    f_shared = draw_shared(figures_only, model.M, model.nominal, n, _rng(settings.seed, "tornado-shared"))
    f_inputs = draw_brand(model, figures_only, n, _rng(settings.seed, "tornado-figures", model.digest))
    spread = subscores(model, f_shared, f_inputs, figures_only)
    for mi, title in enumerate(model.titles):
        if model.scored[mi]:
            has_figures = any(i.metric == mi and i.kind != "ordinal" for i in model.indicators)
            if not has_figures:
                continue
            lo_v, hi_v = np.percentile(spread[:, mi], [5, 95])
            label = f"Figures behind {title.lower()}"
        else:
            pool = model.pools[mi]
            lo_v, hi_v = (float(pool.min()), float(pool.max())) if pool is not None else (0.0, 10.0)
            label = f"{title} (missing; drawn from the peers)"
        ends = []
        for v_m in (lo_v, hi_v):
            v = values.copy()
            v[0, mi] = v_m
            ends.append(_overall_from(model, v, base_w, settings))
        swings.append(Swing(label, f"sub-score {lo_v:.1f}", f"sub-score {hi_v:.1f}", *ends))
    swings.sort(key=lambda s: (-s.width, s.label))
    return swings[:top]


# --------------------------------------------------------------------------- rankings and aggregations


def _point_parts(card: Scorecard, rubric: Rubric):
    model = compile_card(card, rubric)
    settings = Settings.from_rubric(rubric)
    off, shared, inputs = _nominal(model, settings)
    return model, settings, subscores(model, shared, inputs, off), shared["weights"]


def leave_one_out(cards: dict[str, Scorecard], rubric: Rubric) -> dict[str, dict[str, float]]:
    """Overall of each rated brand with each metric left out in turn: ``{metric or 'none': {slug: overall}}``."""
    out: dict[str, dict[str, float]] = {"none": {}}
    for slug, card in cards.items():
        if card.overall is None:
            continue
        model, settings, values, weights = _point_parts(card, rubric)
        out["none"][slug] = _overall_from(model, values, weights, settings)
        for mi, mid in enumerate(model.metric_ids):
            w = weights.copy()
            w[0, mi] = 0.0
            out.setdefault(mid, {})[slug] = _overall_from(model, values, w, settings)
    return out


def ranks(overalls: dict[str, float]) -> dict[str, int]:
    order = sorted(overalls, key=lambda s: (-overalls[s], s))
    return {s: i + 1 for i, s in enumerate(order)}


AGGREGATIONS = ("arithmetic", "geometric", "pillars")


def _aggregate_all(model: BrandModel, values: np.ndarray, weights: np.ndarray, rubric: Rubric, settings: Settings):
    w = aggregate.cap_weights(weights, model.shares, settings.cap)
    members = np.array(
        [[1.0 if mid in p.metrics else 0.0 for mid in model.metric_ids] for p in rubric.aggregation.pillars.values()]
    )
    return {
        "arithmetic": aggregate.arithmetic(values, w),
        "geometric": aggregate.geometric(values, w, rubric.aggregation.geometric_floor),
        "pillars": aggregate.pillars(values, w, members),
    }


def aggregations(card: Scorecard, rubric: Rubric, n: int | None = None) -> dict[str, tuple[float, Interval]]:
    """The overall under each aggregation: ``{name: (point, 90% interval)}``."""
    model, settings, values, weights = _point_parts(card, rubric)
    point = {k: float(v[0]) for k, v in _aggregate_all(model, values, weights, rubric, settings).items()}
    n = n or settings.draws
    shared = draw_shared(settings, model.M, model.nominal, n, _rng(settings.seed, "shared"))
    inputs = draw_brand(model, settings, n, brand_streams(settings))
    draws = _aggregate_all(model, subscores(model, shared, inputs, settings), shared["weights"], rubric, settings)
    return {k: (point[k], _interval(draws[k], settings.interval)) for k in AGGREGATIONS}


def point_aggregations(cards: dict[str, Scorecard], rubric: Rubric) -> dict[str, dict[str, float]]:
    """Point overall of each rated brand under each aggregation: ``{aggregation: {slug: overall}}``."""
    out: dict[str, dict[str, float]] = {k: {} for k in AGGREGATIONS}
    for slug, card in cards.items():
        if card.overall is None:
            continue
        model, settings, values, weights = _point_parts(card, rubric)
        for k, v in _aggregate_all(model, values, weights, rubric, settings).items():
            out[k][slug] = float(v[0])
    return out
