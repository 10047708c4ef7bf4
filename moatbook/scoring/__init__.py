"""The scoring layer: pure functions from a loaded dataset to scores, intervals and sensitivities."""

from .engine import (
    IndicatorResult,
    MetricResult,
    Observation,
    Scorecard,
    interpolate,
    score_company,
    score_dataset,
    score_metric,
    series_statistic,
    weighted_mean,
)

__all__ = [
    "IndicatorResult",
    "MetricResult",
    "Observation",
    "Scorecard",
    "interpolate",
    "score_company",
    "score_dataset",
    "score_metric",
    "series_statistic",
    "weighted_mean",
]
