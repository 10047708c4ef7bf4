"""How sure the scores are: a seeded, vectorised Monte Carlo over everything the score rests on.

The point scores of :mod:`.engine` are recomputed ``rubric.uncertainty.draws``
times. In each draw:

* **figures**: the figures of each indicator are resampled with replacement
  (so a score resting on one figure cannot lean on any other), and each gets a
  measurement error of ``observation_sd_points`` on the 0-10 scale: one figure
  alone is uncertain by that much, n consistent figures by about that divided by
  the square root of n, so thin evidence always widens the interval;
* **judgements**: each moves one level up or down (even odds) with probability
  ``judgement_shift_probability``; judgements of one family move together;
* **weights**: the metric weights are drawn from a Dirichlet centred on the
  rubric's, with concentration ``weight_concentration``;
* **parameters**: the recency half-life and the weight of single-market figures
  are drawn uniformly within their stated bounds;
* **missing metrics**: a metric without scored evidence is drawn from its peers'
  sub-scores (or uniformly on 0-10 when too few peers are scored).

Everything is compiled from the engine's own observations into arrays, and the
overall is aggregated by the same functions as the point score
(:mod:`.aggregate`), so a draw with every perturbation switched off returns the
point score exactly. The random streams are seeded from the rubric's seed and a
hash of the compiled evidence of each indicator (:func:`brand_streams`): the same
data give the same intervals on every rebuild, whatever the order of the rows; an
identical copy of a brand draws identically (it ties 50/50 in rank
probabilities); and a change in one metric's evidence leaves the other metrics'
draws, and so their intervals, as they were.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from .. import memo
from ..data.schema import Rubric
from . import aggregate
from .engine import Scorecard

LN2 = float(np.log(2))

# Input groups: the unit of perturbation (and of the sensitivity analysis).
SHARED_GROUPS = ("weights", "half_life", "market_weight")


@dataclass
class IndicatorModel:
    """One scored indicator as arrays; ``kind`` is level, derived or ordinal."""

    metric: int
    id: str
    label: str
    kind: str
    weight: float  # rubric weight within the metric (normalised over present indicators at evaluation)
    points: np.ndarray  # nominal points per observation (n,)
    conf: np.ndarray  # confidence weight per observation (n,)
    # level indicators
    age: np.ndarray | None = None
    half_life: float = 1.0
    market: np.ndarray | None = None  # nominal market weight per observation (1 for global)
    is_global: np.ndarray | None = None
    # ordinal indicators
    levels: np.ndarray | None = None
    anchors: tuple[np.ndarray, np.ndarray] | None = None
    level_bounds: tuple[int, int] = (0, 4)
    family: str = ""
    rationales: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return len(self.points)


@dataclass
class BrandModel:
    """Everything the Monte Carlo needs about one brand, compiled from its scorecard."""

    slug: str
    metric_ids: list[str]
    titles: list[str]
    nominal: np.ndarray  # (M,) rubric metric weights
    scored: np.ndarray  # (M,) bool
    indicators: list[IndicatorModel]
    pools: list[np.ndarray | None]  # per metric: the peers' sub-scores a missing metric is drawn from
    imputed: np.ndarray  # (M,) point value used for a missing metric (nan where scored)
    shares: np.ndarray  # (M, S) composition for the series cap
    families: list[str]
    rated: bool
    digest: str = ""
    grades: list[str] = field(default_factory=list)

    @property
    def M(self) -> int:
        return len(self.metric_ids)


@dataclass
class Settings:
    """The uncertainty settings of the rubric, with switches for tests and sensitivity runs."""

    draws: int
    seed: int
    interval: float
    sd: float
    shift_p: float
    concentration: float
    half_life: tuple[float, float]
    half_life_nominal: float
    market_other: tuple[float, float]
    market_other_nominal: float
    cap: float
    min_peers: int
    bands: list[float]
    band_names: list[str]
    # switches: False turns that perturbation off
    resample: bool = True
    vary_weights: bool = True
    vary_parameters: bool = True
    impute_draws: bool = True

    @classmethod
    def from_rubric(cls, rubric: Rubric, **overrides) -> Settings:
        u = rubric.uncertainty
        s = cls(
            draws=u.draws,
            seed=u.seed,
            interval=u.interval,
            sd=u.observation_sd_points,
            shift_p=u.judgement_shift_probability,
            concentration=u.weight_concentration,
            half_life=tuple(u.half_life_years),
            half_life_nominal=rubric.combine.half_life_years,
            market_other=tuple(u.market_weight_other),
            market_other_nominal=rubric.combine.market_weights["other"],
            cap=rubric.aggregation.series_cap,
            min_peers=rubric.aggregation.min_imputation_peers,
            bands=[b.min for b in rubric.bands],
            band_names=[b.name for b in rubric.bands],
        )
        for k, v in overrides.items():
            setattr(s, k, v)
        return s

    def all_off(self) -> Settings:
        """No perturbation at all: the Monte Carlo then returns the point score in every draw."""
        return Settings(
            **{
                **self.__dict__,
                "sd": 0.0,
                "shift_p": 0.0,
                "resample": False,
                "vary_weights": False,
                "vary_parameters": False,
                "impute_draws": False,
            }
        )


# --------------------------------------------------------------------------- compiling a scorecard


def compile_card(card: Scorecard, rubric: Rubric) -> BrandModel:
    """Arrays for the Monte Carlo from a scorecard."""
    from .engine import composition, impute

    indicators: list[IndicatorModel] = []
    scored = np.zeros(len(card.metrics), dtype=bool)
    pools: list[np.ndarray | None] = []
    imputed = np.full(len(card.metrics), np.nan)
    need = rubric.aggregation.min_imputation_peers
    for mi, (mid, m) in enumerate(card.metrics.items()):
        if m.score is not None:
            scored[mi] = True
            pools.append(None)
            for ind in m.scored_indicators:
                indicators.append(_compile_indicator(mi, ind, rubric.metrics[mid].indicators[ind.id]))
            continue
        pool = np.array(sorted(v for _, v in m.peers), dtype=float)
        pools.append(pool if len(pool) >= need else None)
        imputed[mi] = m.imputed if m.imputed is not None else impute(list(pool), need)
    shares, _, _ = composition(card.metrics, rubric)
    model = BrandModel(
        slug=card.company,
        metric_ids=list(card.metrics),
        titles=[m.title for m in card.metrics.values()],
        nominal=np.array([m.weight for m in card.metrics.values()], dtype=float),
        scored=scored,
        indicators=indicators,
        pools=pools,
        imputed=imputed,
        shares=shares,
        families=sorted({i.family for i in indicators if i.family}),
        rated=card.overall is not None,
        grades=[m.coverage for m in card.metrics.values()],
    )
    model.digest = _digest(model)
    return model


def _compile_indicator(mi: int, ind, spec) -> IndicatorModel:
    obs = sorted(
        (o for o in ind.observations if o.counts),
        key=lambda o: (o.period, o.market, o.label, o.value, o.source_ids, o.points),
    )
    pts = np.array([o.points for o in obs], dtype=float)
    conf = np.array([o.confidence_weight for o in obs], dtype=float)
    model = IndicatorModel(mi, ind.id, ind.label, ind.kind, float(ind.rubric_weight), pts, conf)
    if ind.kind == "level":
        model.age = np.array([o.age for o in obs], dtype=float)
        model.half_life = float(obs[0].half_life)
        model.market = np.array([o.market_weight for o in obs], dtype=float)
        model.is_global = np.array([o.is_global for o in obs], dtype=bool)
    elif ind.kind == "ordinal":
        model.levels = np.array([o.value for o in obs], dtype=float)
        xs, ys = zip(*sorted((float(a), float(b)) for a, b in spec.anchors), strict=True)
        model.anchors = (np.array(xs), np.array(ys))
        model.level_bounds = (min(spec.levels), max(spec.levels))
        model.family = ind.family
        model.rationales = tuple(o.label for o in obs)
    else:  # derived: one observation per series, equal weights
        model.conf = np.ones(len(obs))
    return model


def _digest(model: BrandModel) -> str:
    """Hash of what the brand's draws depend on (not its name): identical data, identical draws."""
    h = hashlib.sha256()
    for ind in model.indicators:
        h.update(f"{ind.metric}|{ind.id}|{ind.kind}|{ind.weight}|{ind.half_life}|{ind.family}".encode())
        for arr in (ind.points, ind.conf, ind.age, ind.market, ind.is_global, ind.levels):
            if arr is not None:
                h.update(np.ascontiguousarray(arr, dtype=float).tobytes())
    for pool in model.pools:
        h.update(b"none" if pool is None else np.ascontiguousarray(pool).tobytes())
    h.update(model.scored.tobytes())
    return h.hexdigest()


def _rng(seed: int, *parts: str) -> np.random.Generator:
    words = [int.from_bytes(hashlib.sha256(p.encode()).digest()[:8], "little") for p in parts]
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))


# --------------------------------------------------------------------------- drawing the inputs


def draw_shared(settings: Settings, metric_count: int, nominal: np.ndarray, n: int, rng) -> dict:
    """Inputs shared by every brand of a comparison: metric weights, half-life, market weight."""
    if settings.vary_weights:
        weights = rng.dirichlet(settings.concentration * nominal / nominal.sum(), size=n)
    else:
        weights = np.tile(nominal / nominal.sum(), (n, 1))
    if settings.vary_parameters:
        half_life = rng.uniform(*settings.half_life, size=n)
        market = rng.uniform(*settings.market_other, size=n)
    else:
        half_life = np.full(n, settings.half_life_nominal)
        market = np.full(n, settings.market_other_nominal)
    return {"weights": weights, "half_life": half_life, "market_weight": market}


def _indicator_digest(model: BrandModel, ind: IndicatorModel) -> str:
    """Hash of what one indicator's draws depend on: its metric, its rubric settings and its evidence."""
    h = hashlib.sha256(
        f"{model.metric_ids[ind.metric]}|{ind.id}|{ind.kind}|{ind.weight}|{ind.half_life}|{ind.family}".encode()
    )
    for arr in (ind.points, ind.conf, ind.age, ind.market, ind.is_global, ind.levels):
        if arr is not None:
            h.update(np.ascontiguousarray(arr, dtype=float).tobytes())
    return h.hexdigest()


def brand_streams(settings: Settings, stream: str = "brand"):
    """Random streams for :func:`draw_brand`, one per part of the brand, each seeded by that part's own inputs.

    A change in one metric's evidence then leaves the draws of every other metric as
    they were, so their intervals do not move by Monte Carlo noise alone, and a book's
    chapter on an untouched metric stays the same.
    """
    return lambda *part: _rng(settings.seed, stream, *part)


def draw_brand(model: BrandModel, settings: Settings, n: int, rng) -> dict:
    """Inputs of one brand: per metric, its figures' resampling and errors, its judgements' shifts, its imputation.

    ``rng`` is one generator for everything (as the sensitivity samplers use), or
    :func:`brand_streams`, which gives each indicator, judgement family and imputed
    metric a stream of its own.
    """
    own = None if isinstance(rng, np.random.Generator) else rng
    inputs: dict[str, dict] = {}
    digests = [_indicator_digest(model, ind) for ind in model.indicators] if own else []
    for k, ind in enumerate(model.indicators):
        if own:
            rng = own("indicator", digests[k])
        group = (
            f"judgements:{model.metric_ids[ind.metric]}"
            if ind.kind == "ordinal"
            else f"evidence:{model.metric_ids[ind.metric]}"
        )
        if ind.family:
            group = f"family:{ind.family}"
        g = inputs.setdefault(group, {})
        if settings.resample:
            idx = rng.integers(0, ind.n, size=(n, ind.n))
        else:
            idx = np.broadcast_to(np.arange(ind.n), (n, ind.n))
        entry = {"idx": idx}
        if ind.kind == "ordinal":
            entry["shift"] = _shifts(rng, settings, n, ind.n)
        else:
            entry["z"] = rng.standard_normal((n, ind.n)) if settings.sd > 0 else np.zeros((n, ind.n))
        g[k] = entry
    for f in model.families:
        if own:
            members = [d for d, ind in zip(digests, model.indicators, strict=True) if ind.family == f]
            rng = own("family", f, *members)
        inputs.setdefault(f"family:{f}", {})["shift"] = _shifts(rng, settings, n, 1)[:, 0]
    for mi, mid in enumerate(model.metric_ids):
        if model.scored[mi]:
            continue
        pool = model.pools[mi]
        if own:
            rng = own("imputation", mid, "none" if pool is None else np.ascontiguousarray(pool).tobytes().hex())
        if not settings.impute_draws:
            u = np.full(n, np.nan)
        elif pool is not None:
            u = rng.integers(0, len(pool), size=n).astype(float)
        else:
            u = rng.uniform(0, 10, size=n)
        inputs[f"imputation:{mid}"] = {"u": u}
    return inputs


def _shifts(rng, settings: Settings, n: int, k: int) -> np.ndarray:
    if settings.shift_p <= 0:
        return np.zeros((n, k))
    move = rng.random((n, k)) < settings.shift_p
    sign = np.where(rng.random((n, k)) < 0.5, -1.0, 1.0)
    return np.where(move, sign, 0.0)


# --------------------------------------------------------------------------- evaluating


def subscores(
    model: BrandModel, shared: dict, inputs: dict, settings: Settings, collect: dict | None = None
) -> np.ndarray:
    """Sub-scores (n, M) for drawn inputs; missing metrics drawn from their pools.

    ``collect``, when given, receives each indicator's points per draw, keyed by (metric id, indicator id).
    """
    n = len(shared["half_life"])
    num = np.zeros((n, model.M))
    den = np.zeros((n, model.M))
    hl_scale = shared["half_life"] / settings.half_life_nominal  # (n,)
    mw_scale = shared["market_weight"] / settings.market_other_nominal
    for k, ind in enumerate(model.indicators):
        entry, family_shift = _entry(model, inputs, k, ind)
        idx = entry["idx"]
        if ind.kind == "ordinal":
            shift = entry["shift"] if family_shift is None else family_shift[:, None]
            lo, hi = ind.level_bounds
            level = np.clip(ind.levels[idx] + shift, lo, hi)
            pts = np.interp(level, *ind.anchors)
            w = ind.conf[idx]
        else:
            pts = ind.points[idx]
            if settings.sd > 0:
                pts = np.clip(pts + settings.sd * entry["z"], 0.0, 10.0)
            if ind.kind == "level":
                age = ind.age[idx]
                market = np.where(ind.is_global[idx], 1.0, ind.market[idx] * mw_scale[:, None])
                w = np.exp(-LN2 * age / (ind.half_life * hl_scale[:, None])) * market * ind.conf[idx]
            else:
                w = np.ones_like(pts)
        p = (pts * w).sum(axis=1) / w.sum(axis=1)
        if collect is not None:
            collect[(model.metric_ids[ind.metric], ind.id)] = p
        num[:, ind.metric] += ind.weight * p
        den[:, ind.metric] += ind.weight
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    for mi, mid in enumerate(model.metric_ids):
        if model.scored[mi]:
            continue
        u = inputs[f"imputation:{mid}"]["u"]
        pool = model.pools[mi]
        if np.isnan(u).all():
            out[:, mi] = model.imputed[mi]
        elif pool is not None:
            out[:, mi] = pool[u.astype(int)]
        else:
            out[:, mi] = u
    return out


def _entry(model: BrandModel, inputs: dict, k: int, ind: IndicatorModel):
    mid = model.metric_ids[ind.metric]
    if ind.family:
        group = inputs[f"family:{ind.family}"]
        return group[k], group["shift"]
    group = inputs[f"judgements:{mid}" if ind.kind == "ordinal" else f"evidence:{mid}"]
    return group[k], None


def overall(model: BrandModel, shared: dict, inputs: dict, settings: Settings, collect: dict | None = None):
    """Overall scores (n,) and the sub-scores (n, M) they come from."""
    values = subscores(model, shared, inputs, settings, collect)
    weights = aggregate.cap_weights(shared["weights"], model.shares, settings.cap)
    return aggregate.arithmetic(values, weights), values


# --------------------------------------------------------------------------- results


@dataclass
class Interval:
    median: float
    low: float
    high: float

    def rounded(self, digits: int = 1) -> Interval:
        return Interval(round(self.median, digits), round(self.low, digits), round(self.high, digits))


@dataclass
class BrandUncertainty:
    slug: str
    overall: Interval | None
    metrics: dict[str, Interval]
    band_probabilities: dict[str, float]
    draws: int
    indicators: dict[tuple[str, str], Interval] = field(default_factory=dict)
    overall_draws: np.ndarray | None = None  # kept for rank probabilities and charts
    metric_draws: np.ndarray | None = None


def _interval(x: np.ndarray, level: float) -> Interval:
    tail = (1 - level) / 2 * 100
    lo, med, hi = np.percentile(x, [tail, 50, 100 - tail])
    return Interval(float(med), float(lo), float(hi))


def simulate(
    model: BrandModel,
    settings: Settings,
    shared: dict | None = None,
    n: int | None = None,
) -> BrandUncertainty:
    """Monte Carlo for one brand; ``shared`` lets several brands share their weight and parameter draws."""
    n = n or settings.draws
    if shared is None:
        shared = draw_shared(settings, model.M, model.nominal, n, _rng(settings.seed, "shared"))
    inputs = draw_brand(model, settings, n, brand_streams(settings))
    per_indicator: dict = {}
    total, values = overall(model, shared, inputs, settings, per_indicator)
    metrics = {mid: _interval(values[:, i], settings.interval) for i, mid in enumerate(model.metric_ids)}
    indicators = {k: _interval(v, settings.interval) for k, v in per_indicator.items()}
    if not model.rated:
        return BrandUncertainty(model.slug, None, metrics, {}, n, indicators, None, values)
    idx = aggregate.band_index(total, settings.bands)
    bands = {name: float(np.mean(idx == i)) for i, name in enumerate(settings.band_names)}
    return BrandUncertainty(
        model.slug, _interval(total, settings.interval), metrics, bands, n, indicators, total, values
    )


def apply(card: Scorecard, result: BrandUncertainty) -> Scorecard:
    """Write the intervals into the scorecard (rounded to one decimal, as printed)."""
    for mid, m in card.metrics.items():
        iv = result.metrics[mid].rounded()
        if m.score is not None or m.imputed is not None:
            m.low, m.high, m.median = iv.low, iv.high, iv.median
        for ind in m.scored_indicators:
            ivi = result.indicators.get((mid, ind.id))
            if ivi is not None:
                ind.low, ind.high = round(ivi.low, 2), round(ivi.high, 2)
    if result.overall is not None:
        iv = result.overall.rounded()
        card.low, card.high, card.median = iv.low, iv.high, iv.median
        card.band_probabilities = {k: round(v, 3) for k, v in result.band_probabilities.items()}
    return card


# --------------------------------------------------------------------------- comparing brands


@dataclass
class Comparison:
    """Rank probabilities over a set of brands, from one shared set of weight and parameter draws."""

    slugs: list[str]
    rank_probabilities: dict[str, list[float]]  # slug -> P(rank 1), P(rank 2), ...
    above: dict[tuple[str, str], float]  # P(a above b), ties counted half
    above_without_d: dict[tuple[str, str], float]  # the same with grade-D sub-scores drawn from the peers
    point: dict[str, float]
    intervals: dict[str, Interval]
    threshold: float

    def claim(self, a: str, b: str) -> str:
        """'above', 'below' or 'level' for brand a against brand b."""
        if self.above[(a, b)] >= self.threshold and self.above_without_d[(a, b)] > 0.5:
            return "above"
        if self.above[(b, a)] >= self.threshold and self.above_without_d[(b, a)] > 0.5:
            return "below"
        return "level"

    def expected_rank(self, slug: str) -> float:
        return float(sum((i + 1) * p for i, p in enumerate(self.rank_probabilities[slug])))


def simulate_all(cards: dict[str, Scorecard], rubric: Rubric, settings: Settings) -> dict[str, BrandUncertainty]:
    """The Monte Carlo for several brands with one shared set of weight and parameter draws."""
    models = {s: compile_card(c, rubric) for s, c in cards.items()}
    first = next(iter(models.values()), None)
    if first is None:
        return {}
    shared = draw_shared(settings, first.M, first.nominal, settings.draws, _rng(settings.seed, "shared"))
    # a brand's result depends only on its model and the settings (the shared draws follow from both), so a
    # build keeps it by those: after one row changes, only the brands whose scores moved are simulated again
    return {
        s: memo.result("simulate", (m, settings), lambda m=m: simulate(m, settings, shared), memory=False)
        for s, m in models.items()
    }


def compare(
    cards: dict[str, Scorecard],
    rubric: Rubric,
    settings: Settings | None = None,
    results: dict[str, BrandUncertainty] | None = None,
) -> Comparison:
    """Rank probabilities for the rated brands among ``cards`` (slug -> scorecard)."""
    settings = settings or Settings.from_rubric(rubric)
    rated = sorted(s for s, c in cards.items() if c.overall is not None)
    if not rated:
        return Comparison([], {}, {}, {}, {}, {}, rubric.claims.rank_probability)
    results = results or simulate_all({s: cards[s] for s in rated}, rubric, settings)
    totals = {s: results[s] for s in rated}
    totals_no_d = simulate_all({s: _without(cards[s], "D") for s in rated}, rubric, settings)
    matrix = np.array([totals[s].overall_draws for s in rated])  # (B, n)
    # rank 1 is the highest overall; ties share the better rank's probability evenly by random order
    order = np.argsort(-matrix + _tiebreak(matrix, settings), axis=0)
    ranks = np.argsort(order, axis=0)  # the inverse permutation: each brand's rank in each draw
    probs = {s: [float(np.mean(ranks[i] == r)) for r in range(len(rated))] for i, s in enumerate(rated)}
    above, above_no_d = {}, {}
    for i, a in enumerate(rated):
        for j, b in enumerate(rated):
            if a == b:
                continue
            above[(a, b)] = _p_above(matrix[i], matrix[j])
            above_no_d[(a, b)] = _p_above(totals_no_d[a].overall_draws, totals_no_d[b].overall_draws)
    return Comparison(
        rated,
        probs,
        above,
        above_no_d,
        {s: cards[s].value for s in rated},
        {s: totals[s].overall for s in rated},
        rubric.claims.rank_probability,
    )


def _without(card: Scorecard, grade: str) -> Scorecard:
    """A copy of the scorecard whose sub-scores of ``grade`` are treated as missing (drawn from the peers)."""
    from copy import copy

    out = copy(card)
    out.metrics = {}
    for mid, m in card.metrics.items():
        if m.score is not None and m.coverage == grade:
            m = copy(m)
            m.score = None
            m.value = None
            m.imputed = None
        out.metrics[mid] = m
    return out


def _p_above(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a > b) + 0.5 * np.mean(a == b))


def _tiebreak(matrix: np.ndarray, settings: Settings) -> np.ndarray:
    """A tiny random jitter, seeded, so that exact ties split the ranks evenly."""
    rng = _rng(settings.seed, "ties")
    return rng.uniform(-1e-9, 1e-9, size=matrix.shape)
