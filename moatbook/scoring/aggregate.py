"""How sub-scores combine into an overall, written once for the point score and the Monte Carlo.

Every function takes arrays with a leading axis of draws (``D``; the point score
is the case ``D = 1``), so the nominal overall and every simulated overall come
from the same arithmetic:

* :func:`cap_weights` limits the share of the overall that any one evidence series
  carries (rubric ``aggregation.series_cap``), by taking weight from the metrics
  that lean on an over-used series and giving it to the others in proportion;
* :func:`arithmetic`, :func:`geometric` and :func:`pillars` are the three
  aggregations the book compares; the arithmetic mean is the published one.
"""

from __future__ import annotations

import numpy as np

CAP_ITERATIONS = 50


def cap_weights(weights: np.ndarray, shares: np.ndarray, cap: float) -> np.ndarray:
    """Metric weights (D, M) adjusted so that no series carries more than ``cap`` of the total.

    ``shares`` (M, S) gives, for each metric, the part of its sub-score resting on
    each series (rows sum to 1). A series over the cap has the weight of every
    metric that reads it scaled down until it meets the cap; the weight set free
    goes to the metrics that read no over-used series, in proportion to their
    weights. Repeats until no series is over (a few rounds). Returns weights that
    sum to 1 per draw.
    """
    w = np.array(weights, dtype=float)
    w /= w.sum(axis=1, keepdims=True)
    if cap >= 1 or shares.size == 0:
        return w
    reads = shares > 0  # (M, S)
    rows = np.arange(len(w))
    for _ in range(CAP_ITERATIONS):
        sub = w[rows]
        load = sub @ shares  # (d, S)
        over = load > cap * (1 + 1e-9)
        busy = over.any(axis=1)
        if not busy.any():
            break
        rows, sub, load, over = rows[busy], sub[busy], load[busy], over[busy]
        per_metric = np.ones_like(sub)
        for s in np.flatnonzero(over.any(axis=0)):
            factor = np.where(over[:, s], cap / load[:, s], 1.0)  # (d,)
            per_metric = np.where(reads[:, s][None, :], np.minimum(per_metric, factor[:, None]), per_metric)
        reduced = per_metric < 1
        new = sub * per_metric
        freed = 1.0 - new.sum(axis=1)
        pool = np.where(reduced, 0.0, sub).sum(axis=1)
        scale = np.where(pool > 0, 1 + freed / np.where(pool > 0, pool, 1.0), 1.0)
        sub = np.where(reduced, new, sub * scale[:, None])
        w[rows] = sub / sub.sum(axis=1, keepdims=True)
    return w


def arithmetic(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Ten times the weighted mean of sub-scores (D, M) -> (D,)."""
    return 10 * (values * weights).sum(axis=1) / weights.sum(axis=1)


def geometric(values: np.ndarray, weights: np.ndarray, floor: float) -> np.ndarray:
    """Ten times the weighted geometric mean; sub-scores below ``floor`` count as ``floor``.

    A weak metric pulls a geometric mean down harder than an arithmetic one: strength
    elsewhere compensates less.
    """
    v = np.maximum(values, floor)
    return 10 * np.exp((np.log(v) * weights).sum(axis=1) / weights.sum(axis=1))


def pillars(values: np.ndarray, weights: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Ten times the mean of pillar scores, each pillar the weighted mean of its metrics.

    ``membership`` (P, M) is 1 where metric m belongs to pillar p.
    """
    pw = weights[:, None, :] * membership[None, :, :]  # (D, P, M)
    pillar = (pw * values[:, None, :]).sum(axis=2) / pw.sum(axis=2)
    return 10 * pillar.mean(axis=1)


def band_index(overall: np.ndarray, edges: list[float]) -> np.ndarray:
    """Index of the band holding each overall score; ``edges`` are the bands' lower bounds in order."""
    return np.clip(np.searchsorted(np.asarray(edges), overall, side="right") - 1, 0, len(edges) - 1)
