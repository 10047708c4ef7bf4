"""Schemas of the data tables and the rubric, as pydantic models.

Each CSV row is validated by one model, with a *context* that carries what the
row refers to (the rubric, the known sources, the file's company). A failure is
reported per field, so :mod:`moatbook.data` can name file, row and column.
The field descriptions here and the tables in ``data/README.md`` describe the
same columns; a test keeps them in step.
"""

from __future__ import annotations

import math
import re
from itertools import pairwise
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..paths import SLUG_RE
from .periods import PeriodError, parse_period

METRIC_IDS = (
    "customer_retention",
    "net_promoter_score",
    "purchase_frequency",
    "customer_lifetime_value",
    "price_premium",
    "share_of_wallet",
    "customer_engagement",
    "upsell_cross_sell",
    "brand_advocacy",
    "market_share_stability",
    "resilience_to_issues",
)

SCORED_KINDS = ("level", "derived", "ordinal")
WEIGHT_TOLERANCE = 0.001
SOURCE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^(19|20)\d\d(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
FULL_DATE_RE = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def _err(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _ctx(info: ValidationInfo) -> dict:
    return info.context or {}


# --------------------------------------------------------------------------- rubric


class UnitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: float | None = None
    max: float | None = None
    integer: bool = False
    description: str

    def check(self, unit: str, value: float) -> None:
        if self.min is not None and value < self.min or self.max is not None and value > self.max:
            lo = "" if self.min is None else f"{self.min:g}"
            hi = "" if self.max is None else f"{self.max:g}"
            what = {"%": "a share ('%')", "score -100..100": "a net score such as an NPS"}.get(
                unit, f"a value in '{unit}'"
            )
            if self.min is not None and self.max is not None:
                raise _err("out_of_range", f"{what} must lie between {lo} and {hi}, got {value:g}")
            if self.min is not None:
                raise _err("out_of_range", f"{what} must be at least {lo}, got {value:g}")
            raise _err("out_of_range", f"{what} must be at most {hi}, got {value:g}")
        if self.integer and value != int(value):
            raise _err("not_integer", f"a value in '{unit}' must be a whole number, got {value:g}")


class Reasoned(BaseModel):
    """A block of settings where every setting carries a stated reason (``reasons.<setting>``)."""

    model_config = ConfigDict(extra="forbid")
    reasons: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _every_setting_has_a_reason(self):
        settings = [k for k in type(self).model_fields if k != "reasons"]
        missing = [k for k in settings if len(self.reasons.get(k, "").strip()) < 20]
        unknown = [k for k in self.reasons if k not in settings]
        if missing:
            raise _err("reasons", f"every setting needs a stated reason under 'reasons'; missing for {missing}")
        if unknown:
            raise _err("reasons", f"reasons given for unknown settings {unknown}")
        return self


class CombineSpec(Reasoned):
    half_life_years: float = Field(gt=0)
    market_weights: dict[str, float]
    confidence_weights: dict[Literal["high", "medium", "low"], float]

    @field_validator("market_weights")
    @classmethod
    def _markets(cls, v: dict[str, float]) -> dict[str, float]:
        for key in ("global", "other"):
            if key not in v:
                raise _err("missing_key", f"market_weights needs a '{key}' entry")
        if any(w <= 0 for w in v.values()):
            raise _err("bad_weight", "market weights must be positive")
        return v

    @field_validator("confidence_weights")
    @classmethod
    def _confidence(cls, v: dict[str, float]) -> dict[str, float]:
        missing = {"high", "medium", "low"} - set(v)
        if missing:
            raise _err("missing_key", f"confidence_weights lacks {sorted(missing)}")
        if any(w <= 0 for w in v.values()):
            raise _err("bad_weight", "confidence weights must be positive")
        return v


class CoverageGrade(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grade: str
    min_hard_share: float = Field(ge=0, le=1)
    min_present_share: float = Field(ge=0, le=1)
    min_evidence: int = Field(default=0, ge=0)
    meaning: str


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    min: float
    max: float


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    min: float
    max: float
    indication: str


class QuarterRule(BaseModel):
    """How quarterly figures of another indicator make a year of an annual indicator."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from")
    combine: Literal["mean", "sum"]


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    label: str
    kind: Literal["level", "derived", "ordinal", "context"]
    description: str
    unit: str | None = None
    also_units: dict[str, float] = Field(default_factory=dict)
    weight: float | None = Field(default=None, gt=0, le=1)
    anchors: list[tuple[float, float]] | None = None
    source: str | None = Field(default=None, alias="from")
    statistic: Literal["slope", "cagr", "volatility", "drawdown"] | None = None
    window_years: int | None = Field(default=None, ge=2)
    min_points: int | None = Field(default=None, ge=2)
    levels: dict[int, str] | None = None
    period: Literal["annual"] | None = None
    half_life_years: float | None = Field(default=None, gt=0)
    additive: bool = False
    family: str | None = None
    # a published rating of brands (a most-admired list, an NPS league table): the check against what
    # happened compares the book's ranking with it, on scores computed without any such rating
    published_rating: bool = False
    markets: list[str] | None = None  # only these markets (None: any market in the rubric's list)
    exclude_markets: list[str] = Field(default_factory=list)  # any market but these
    quarters: QuarterRule | None = None  # an annual indicator: four quarters of one tracker make a year
    anchors_reason: str | None = None

    @field_validator("anchors")
    @classmethod
    def _anchors(cls, v):
        if v is None:
            return v
        if len(v) < 2:
            raise _err("anchors", "anchors need at least two [value, points] pairs")
        xs = [a[0] for a in v]
        steps = [b - a for a, b in pairwise(xs)]
        if not (all(s > 0 for s in steps) or all(s < 0 for s in steps)):
            raise _err("anchors", "anchor values must be strictly increasing or strictly decreasing")
        if any(not 0 <= p <= 10 for _, p in v):
            raise _err("anchors", "anchor points must lie between 0 and 10")
        return v

    @model_validator(mode="after")
    def _by_kind(self):
        need = {
            "level": ("weight", "anchors"),
            "derived": ("weight", "anchors", "source", "statistic", "window_years", "min_points"),
            "ordinal": ("weight", "anchors", "levels"),
            "context": ("unit",),
        }[self.kind]
        if self.kind != "context":
            need = (*need, "anchors_reason")
        for key in need:
            if getattr(self, key) is None:
                name = "from" if key == "source" else key
                raise _err("missing_key", f"an indicator of kind '{self.kind}' needs '{name}'")
        if self.kind == "level" and self.unit is None and self.source is None:
            raise _err("missing_key", "an indicator of kind 'level' needs 'unit' or 'from'")
        if self.kind == "context" and self.weight is not None:
            raise _err("bad_key", "a context indicator is not scored and takes no 'weight'")
        if self.quarters is not None and self.period != "annual":
            raise _err("quarters", "'quarters' fills the years of an indicator with 'period: annual' only")
        if self.kind == "ordinal":
            levels = sorted(self.levels)
            if levels != list(range(levels[0], levels[-1] + 1)):
                raise _err("levels", "ordinal levels must be consecutive whole numbers")
        return self

    @property
    def scored(self) -> bool:
        return self.kind in SCORED_KINDS

    def factor(self, unit: str) -> float | None:
        """Factor converting ``unit`` to this indicator's unit, or None if not accepted."""
        if unit == self.unit:
            return 1.0
        return self.also_units.get(unit)

    @property
    def accepted_units(self) -> list[str]:
        return ([self.unit] if self.unit else []) + list(self.also_units)

    def takes_market(self, market: str) -> bool:
        """Whether a figure for ``market`` belongs to this indicator."""
        if self.markets is not None and market not in self.markets:
            return False
        return market not in self.exclude_markets


class Metric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    weight: float = Field(gt=0, le=1)
    question: str
    indicators: dict[str, Indicator]

    @model_validator(mode="after")
    def _weights(self):
        total = math.fsum(i.weight for i in self.indicators.values() if i.scored)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise _err("weights", f"the scored indicator weights add up to {total:g}, not 1")
        return self


class Pillar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    metrics: list[str]


class AggregationSpec(Reasoned):
    """How sub-scores make the overall, and when a brand is provisional or not rated."""

    min_scored_metrics: int = Field(ge=1, le=len(METRIC_IDS))
    min_imputation_peers: int = Field(ge=1)
    series_cap: float = Field(gt=0, le=1)
    geometric_floor: float = Field(gt=0, le=10)
    pillars: dict[str, Pillar]

    @field_validator("pillars")
    @classmethod
    def _pillars(cls, v: dict[str, Pillar]) -> dict[str, Pillar]:
        seen = [m for p in v.values() for m in p.metrics]
        if sorted(seen) != sorted(METRIC_IDS):
            raise _err("pillars", "the pillars must hold each of the eleven metrics exactly once")
        return v


class UncertaintySpec(Reasoned):
    """The Monte Carlo: what is drawn, from which distributions, how often."""

    draws: int = Field(ge=100)
    seed: int = Field(ge=0)
    interval: float = Field(gt=0, lt=1)
    observation_sd_points: float = Field(ge=0)
    judgement_shift_probability: float = Field(ge=0, le=1)
    weight_concentration: float = Field(gt=0)
    half_life_years: tuple[float, float]
    market_weight_other: tuple[float, float]
    sensitivity_draws: int = Field(ge=64)

    @field_validator("half_life_years", "market_weight_other")
    @classmethod
    def _bounds(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 < v[0] <= v[1]:
            raise _err("bounds", f"bounds must be positive and in order, got {list(v)}")
        return v


class ClaimsSpec(Reasoned):
    """When the book may say that one brand ranks above another."""

    rank_probability: float = Field(gt=0.5, lt=1)


class ChangelogEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    date: str
    changes: list[str] = Field(min_length=1)


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    changelog: list[ChangelogEntry] = Field(min_length=1)
    units: dict[str, UnitSpec]
    markets: list[str]
    combine: CombineSpec
    coverage_grades: list[CoverageGrade]
    bands: list[Band]
    ratings: list[Rating]
    thin_metric_indicators: int = Field(ge=1)
    aggregation: AggregationSpec
    uncertainty: UncertaintySpec
    claims: ClaimsSpec
    metrics: dict[str, Metric]

    @field_validator("metrics")
    @classmethod
    def _metric_ids(cls, v: dict[str, Metric]) -> dict[str, Metric]:
        unknown = [m for m in v if m not in METRIC_IDS]
        missing = [m for m in METRIC_IDS if m not in v]
        if unknown:
            raise _err("metrics", f"unknown metric id(s) {unknown}; the metrics are {list(METRIC_IDS)}")
        if missing:
            raise _err("metrics", f"missing metric id(s) {missing}")
        total = math.fsum(m.weight for m in v.values())
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise _err("weights", f"the metric weights add up to {total:g}, not 1")
        return v

    @field_validator("bands")
    @classmethod
    def _bands(cls, v: list[Band]) -> list[Band]:
        return _contiguous(v, 100, "bands")

    @field_validator("ratings")
    @classmethod
    def _ratings(cls, v: list[Rating]) -> list[Rating]:
        return _contiguous(v, 10, "ratings")

    @field_validator("coverage_grades")
    @classmethod
    def _grades(cls, v: list[CoverageGrade]) -> list[CoverageGrade]:
        if not v or v[-1].min_hard_share != 0 or v[-1].min_present_share != 0 or v[-1].min_evidence != 0:
            raise _err("grades", "the last coverage grade must have every minimum at 0")
        return v

    @model_validator(mode="after")
    def _references(self):
        for mid, metric in self.metrics.items():
            for iid, ind in metric.indicators.items():
                where = f"metrics.{mid}.indicators.{iid}"
                for unit in ind.accepted_units:
                    if unit not in self.units:
                        raise _err("units", f"{where}: unit '{unit}' is not in the units list")
                if ind.kind == "level" and ind.source:
                    target = self.resolve(ind.source, mid)
                    if target is None or target[1].unit is None:
                        raise _err("from", f"{where}: 'from: {ind.source}' names no indicator with a unit")
                for market in [*(ind.markets or []), *ind.exclude_markets]:
                    if market not in self.markets:
                        raise _err("markets", f"{where}: market '{market}' is not in the markets list")
                if ind.quarters is not None:
                    target = metric.indicators.get(ind.quarters.source)
                    if target is None or target.factor(ind.unit or "") is None:
                        raise _err(
                            "quarters",
                            f"{where}: 'quarters.from: {ind.quarters.source}' names no indicator "
                            f"of {mid} in '{ind.unit}'",
                        )
                if ind.kind == "derived":
                    target = metric.indicators.get(ind.source)
                    if target is None or target.unit is None:
                        raise _err("from", f"{where}: 'from: {ind.source}' names no indicator of {mid} with a unit")
        return self

    @model_validator(mode="after")
    def _version_in_changelog(self):
        if self.changelog[0].version != self.version:
            raise _err(
                "changelog",
                f"the newest changelog entry is '{self.changelog[0].version}', not the "
                f"rubric's version '{self.version}': add an entry for this version first",
            )
        for p in self.aggregation.pillars.values():
            for m in p.metrics:
                if m not in self.metrics:
                    raise _err("pillars", f"unknown metric '{m}' in a pillar")
        return self

    def resolve(self, ref: str, metric_id: str) -> tuple[str, Indicator] | None:
        """Resolve ``metric.indicator`` (or ``indicator`` within ``metric_id``)."""
        mid, _, iid = ref.rpartition(".")
        mid = mid or metric_id
        metric = self.metrics.get(mid)
        if metric is None or iid not in metric.indicators:
            return None
        return mid, metric.indicators[iid]

    def reads(self, metric_id: str, indicator_id: str) -> tuple[str, str] | None:
        """The (metric, indicator) whose evidence rows an indicator reads; None for judgements."""
        spec = self.metrics[metric_id].indicators[indicator_id]
        if spec.kind == "ordinal":
            return None
        if spec.kind == "level" and spec.source:
            mid, _ = self.resolve(spec.source, metric_id)
            return mid, spec.source.rpartition(".")[2]
        if spec.kind == "derived":
            return metric_id, spec.source
        return metric_id, indicator_id

    def band(self, overall: float) -> str:
        return _pick(self.bands, overall).name

    def rating(self, score: float) -> Rating:
        return _pick(self.ratings, score)


def _contiguous(items: list, top: float, what: str) -> list:
    edges = sorted(items, key=lambda b: b.min)
    if not edges or edges[0].min != 0 or edges[-1].max != top:
        raise _err(what, f"{what} must start at 0 and end at {top:g}")
    for a, b in pairwise(edges):
        if a.max != b.min:
            raise _err(what, f"'{a.name}' ends at {a.max:g} but the next starts at {b.min:g}")
    return edges


def _pick(items: list, x: float):
    for b in items:
        if b.min <= x < b.max:
            return b
    return items[-1]


# --------------------------------------------------------------------------- tables


# what `make new-company` writes into a new brand's row, and `make validate` refuses until it is replaced
SUMMARY_PLACEHOLDER = "add a one-line summary in your own words."
HOME_MARKET_PLACEHOLDER = "global"


def _slug(value: str, what: str) -> str:
    if not SLUG_RE.match(value):
        raise _err("slug", f"'{value}' is not a valid {what} (lowercase letters, digits, dashes)")
    return value


class Company(BaseModel):
    """A row of ``companies.csv``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    slug: str = Field(description="short id: lowercase letters, digits and dashes")
    name: str = Field(min_length=1, description="display name")
    kind: Literal["brand", "benchmark"] = Field(description="brand or benchmark")
    peers: list[str] = Field(
        default_factory=list, validate_default=True, description="slugs of compared brands, ';'-separated"
    )
    home_market: str = Field(description="home market, from the rubric's markets")
    summary: str = Field(min_length=10, description="one or two sentences in our words")

    @field_validator("slug")
    @classmethod
    def _v_slug(cls, v: str) -> str:
        return _slug(v, "company slug")

    @field_validator("peers", mode="before")
    @classmethod
    def _v_peers(cls, v, info: ValidationInfo):
        if isinstance(v, str):
            v = [p.strip() for p in v.split(";") if p.strip()]
        known = _ctx(info).get("company_slugs")
        for p in v:
            _slug(p, "peer slug")
            if known is not None and p not in known:
                raise _err("unknown_peer", f"peer '{p}' is not a slug in companies.csv")
        if not v and info.data.get("kind") == "brand":
            brands = _ctx(info).get("brand_slugs") or known or ()
            others = sorted(set(brands) - {info.data.get("slug")})
            hint = f" (the brands on file: {', '.join(others)})" if others else ""
            raise _err(
                "no_peers",
                "a brand needs peers to be compared with: fill in the slugs of the brands it competes with, "
                f"separated by ';'{hint}",
            )
        return v

    @field_validator("home_market")
    @classmethod
    def _v_market(cls, v: str, info: ValidationInfo) -> str:
        markets = _ctx(info).get("markets")
        if info.data.get("kind") == "brand" and v in ("", HOME_MARKET_PLACEHOLDER):
            raise _err(
                "no_home_market",
                f"'{v}' is not a home market: fill in the market where the brand is based or sells most, "
                "from the rubric's markets list (China, India, US, ...)",
            )
        if markets is not None and v not in markets:
            raise _err("unknown_market", f"market '{v}' is not in the rubric's markets list")
        return v

    @field_validator("summary")
    @classmethod
    def _v_summary(cls, v: str) -> str:
        if SUMMARY_PLACEHOLDER.lower().rstrip(".") in v.lower():
            raise _err(
                "placeholder",
                "still holds the placeholder text: write one or two sentences in your own words "
                "introducing the brand to a reader",
            )
        return v


class Source(BaseModel):
    """A row of ``sources.csv``, the source registry: one page."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    source_id: str = Field(description="short unique id")
    publisher: str = Field(min_length=1, description="who produced the figure")
    title: str = Field(min_length=1, description="title of the page or report")
    via: str = Field(default="", description="the outlet read when it reprints the publisher")
    url: str = Field(description="address of the page read")
    published: str = Field(default="", description="YYYY, YYYY-MM or YYYY-MM-DD, or empty")
    accessed: str = Field(description="YYYY-MM-DD")
    confidence: Literal["high", "medium", "low"] = Field(description="high, medium or low")
    seed_citation: int | None = Field(default=None, ge=1, description="number in the seed report's works cited")

    @field_validator("source_id")
    @classmethod
    def _v_id(cls, v: str) -> str:
        if not SOURCE_ID_RE.match(v):
            raise _err("source_id", f"'{v}' is not a valid source id (lowercase letters, digits, dashes)")
        return v

    @field_validator("url")
    @classmethod
    def _v_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", v):
            raise _err("url", f"'{v}' is not an http(s) address")
        return v

    @field_validator("published")
    @classmethod
    def _v_published(cls, v: str) -> str:
        if v and not DATE_RE.match(v):
            raise _err("date", f"'{v}' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        return v

    @field_validator("accessed")
    @classmethod
    def _v_accessed(cls, v: str) -> str:
        if not FULL_DATE_RE.match(v):
            raise _err("date", f"'{v}' is not a date (YYYY-MM-DD)")
        return v

    @field_validator("seed_citation", mode="before")
    @classmethod
    def _v_seed(cls, v):
        return None if v in ("", None) else v


def _check_company(v: str, info: ValidationInfo) -> str:
    expected = _ctx(info).get("company")
    if expected is not None and v != expected:
        raise _err("company", f"'{v}' does not match the file's company '{expected}'")
    return v


def _check_metric(v: str, info: ValidationInfo) -> str:
    rubric: Rubric | None = _ctx(info).get("rubric")
    if rubric is not None and v not in rubric.metrics:
        raise _err("unknown_metric", f"unknown metric '{v}'; the metrics are {', '.join(rubric.metrics)}")
    return v


def _indicator_spec(v: str, info: ValidationInfo) -> Indicator | None:
    rubric: Rubric | None = _ctx(info).get("rubric")
    metric = info.data.get("metric")
    if rubric is None or metric not in rubric.metrics:
        return None
    indicators = rubric.metrics[metric].indicators
    if v not in indicators:
        raise _err(
            "unknown_indicator",
            f"unknown indicator '{v}' for metric '{metric}'; it has {', '.join(indicators)}",
        )
    return indicators[v]


class EvidenceRow(BaseModel):
    """A row of ``evidence/<slug>.csv``: one sourced figure."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    company: str = Field(description="company slug, matching the file name")
    metric: str = Field(description="metric id")
    indicator: str = Field(description="indicator id of that metric")
    unit: str = Field(description="unit from the rubric, accepted by the indicator")
    value: float = Field(description="the figure, a plain number")
    period: str = Field(description="YYYY, YYYYQn, YYYYHn, YYYY-MM or a range A..B")
    market: str = Field(description="market from the rubric's markets list")
    source_id: str = Field(description="source_id in sources.csv")
    measure: str = Field(min_length=3, description="what exactly was measured, in our words")
    note: str = Field(default="", description="a short caveat in our words")
    tracker: str = Field(default="", description="whose figure it is, when not the source's publisher")
    sub_brand: str = Field(default="", description="the sub-brand the figure is limited to; empty: the whole brand")
    segment: str = Field(default="", description="the price band or product line the figure is limited to")
    population: str = Field(
        default="", description="who was surveyed or counted, where the source limits it beyond market and segment"
    )

    def publisher(self, sources: dict) -> str:
        """Whose figure this is: the row's tracker, else its source's publisher."""
        if self.tracker:
            return self.tracker
        src = sources.get(self.source_id)
        return src.publisher if src is not None else self.source_id

    def survey_key(self, sources: dict) -> tuple:
        """Figures with equal keys come from one survey or release about one population: like for like."""
        return (
            self.metric,
            self.indicator,
            self.publisher(sources),
            self.period,
            self.market,
            self.segment,
            self.population,
        )

    @property
    def whole_brand(self) -> bool:
        """True when the figure describes the whole brand (no sub-brand, no segment)."""
        return not self.sub_brand and not self.segment

    _v_company = field_validator("company")(_check_company)
    _v_metric = field_validator("metric")(_check_metric)

    @field_validator("indicator")
    @classmethod
    def _v_indicator(cls, v: str, info: ValidationInfo) -> str:
        spec = _indicator_spec(v, info)
        if spec is not None and spec.kind == "derived":
            raise _err("derived", f"indicator '{v}' is computed from '{spec.source}'; give rows to that indicator")
        if spec is not None and spec.kind == "level" and spec.source:
            raise _err("reads_from", f"indicator '{v}' reads the rows of '{spec.source}'; give rows to that one")
        return v

    @field_validator("unit")
    @classmethod
    def _v_unit(cls, v: str, info: ValidationInfo) -> str:
        rubric: Rubric | None = _ctx(info).get("rubric")
        if rubric is None:
            return v
        if v not in rubric.units:
            raise _err("unknown_unit", f"unknown unit '{v}'; the units are {', '.join(rubric.units)}")
        spec = rubric.resolve(info.data.get("indicator", ""), info.data.get("metric", ""))
        if spec is not None and spec[1].factor(v) is None:
            raise _err(
                "wrong_unit",
                f"indicator '{info.data['indicator']}' takes "
                f"{' or '.join(repr(u) for u in spec[1].accepted_units)}, not '{v}'",
            )
        return v

    @field_validator("value", mode="before")
    @classmethod
    def _v_value_text(cls, v):
        if isinstance(v, str):
            text = v.strip()
            try:
                number = float(text)
            except ValueError:
                raise _err("not_a_number", f"'{v}' is not a number (write it plain, e.g. 13.8)") from None
            return number
        return v

    @field_validator("value")
    @classmethod
    def _v_value(cls, v: float, info: ValidationInfo) -> float:
        if not math.isfinite(v):
            raise _err("not_a_number", f"'{v}' is not a finite number")
        rubric: Rubric | None = _ctx(info).get("rubric")
        unit = info.data.get("unit")
        if rubric is not None and unit in rubric.units:
            rubric.units[unit].check(unit, v)
        return v

    @field_validator("period")
    @classmethod
    def _v_period(cls, v: str, info: ValidationInfo) -> str:
        try:
            period = parse_period(v)
        except PeriodError as exc:
            raise _err("period", str(exc)) from None
        rubric: Rubric | None = _ctx(info).get("rubric")
        if rubric is not None:
            spec = rubric.resolve(info.data.get("indicator", ""), info.data.get("metric", ""))
            if spec is not None and spec[1].period == "annual" and not period.is_annual:
                raise _err("period", f"indicator '{info.data['indicator']}' takes calendar years (YYYY), not '{v}'")
        return v

    @field_validator("market")
    @classmethod
    def _v_market(cls, v: str, info: ValidationInfo) -> str:
        rubric: Rubric | None = _ctx(info).get("rubric")
        if rubric is not None and v not in rubric.markets:
            raise _err("unknown_market", f"unknown market '{v}'; add it to the rubric's markets list first")
        spec = rubric.resolve(info.data.get("indicator", ""), info.data.get("metric", "")) if rubric else None
        if spec is not None and not spec[1].takes_market(v):
            iid = info.data["indicator"]
            if spec[1].markets is not None:
                only = " or ".join(repr(m) for m in spec[1].markets)
                raise _err(
                    "wrong_market",
                    f"indicator '{iid}' takes {only} figures only, not '{v}'; `make indicators` shows where a "
                    "figure for one market goes",
                )
            raise _err(
                "wrong_market",
                f"indicator '{iid}' takes figures for one market, not '{v}'; `make indicators` shows where a "
                f"'{v}' figure goes",
            )
        return v

    @field_validator("source_id")
    @classmethod
    def _v_source(cls, v: str, info: ValidationInfo) -> str:
        sources = _ctx(info).get("sources")
        if sources is not None and v not in sources:
            raise _err(
                "unknown_source",
                f"unknown source id '{v}' (not in the source registry sources.csv: register the page there first)",
            )
        return v

    @property
    def key(self) -> tuple:
        return (self.company, self.indicator, self.period, self.market, self.source_id, self.measure)


class AssessmentRow(BaseModel):
    """A row of ``assessments/<slug>.csv``: one judgement on an ordinal indicator."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    company: str = Field(description="company slug, matching the file name")
    metric: str = Field(description="metric id")
    indicator: str = Field(description="ordinal indicator id of that metric")
    level: int = Field(description="a level defined for the indicator")
    source_ids: list[str] = Field(description="source ids, ';'-separated")
    rationale: str = Field(min_length=10, description="one line in our words")

    _v_company = field_validator("company")(_check_company)
    _v_metric = field_validator("metric")(_check_metric)

    @field_validator("indicator")
    @classmethod
    def _v_indicator(cls, v: str, info: ValidationInfo) -> str:
        spec = _indicator_spec(v, info)
        if spec is not None and spec.kind != "ordinal":
            raise _err("not_ordinal", f"indicator '{v}' is a {spec.kind} indicator; judgements go to ordinal ones")
        return v

    @field_validator("level", mode="before")
    @classmethod
    def _v_level_text(cls, v):
        if isinstance(v, str):
            try:
                return int(v.strip())
            except ValueError:
                raise _err("not_a_level", f"'{v}' is not a whole-number level") from None
        return v

    @field_validator("level")
    @classmethod
    def _v_level(cls, v: int, info: ValidationInfo) -> int:
        rubric: Rubric | None = _ctx(info).get("rubric")
        if rubric is None:
            return v
        spec = rubric.resolve(info.data.get("indicator", ""), info.data.get("metric", ""))
        if spec is not None and spec[1].levels is not None and v not in spec[1].levels:
            levels = sorted(spec[1].levels)
            raise _err("bad_level", f"level {v} is not defined; use {levels[0]} to {levels[-1]}")
        return v

    @field_validator("source_ids", mode="before")
    @classmethod
    def _v_sources(cls, v, info: ValidationInfo):
        if isinstance(v, str):
            v = [s.strip() for s in v.split(";") if s.strip()]
        if not v:
            raise _err("no_source", "a judgement must cite at least one source id")
        sources = _ctx(info).get("sources")
        for s in v:
            if sources is not None and s not in sources:
                raise _err(
                    "unknown_source",
                    f"unknown source id '{s}' (not in the source registry sources.csv: register the page there first)",
                )
        return v


class ReferenceScore(BaseModel):
    """A row of ``reference_scores.csv``: a score published elsewhere, for comparison only."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    company: str = Field(description="company slug")
    metric: str = Field(description="metric id, or 'overall'")
    score: float = Field(description="0-10 for a metric, 0-100 for 'overall'")
    rating: str = Field(default="", description="the rating word the publication gave")
    reference: str = Field(min_length=3, description="where the score was published")

    @field_validator("company")
    @classmethod
    def _v_company(cls, v: str, info: ValidationInfo) -> str:
        known = _ctx(info).get("company_slugs")
        if known is not None and v not in known:
            raise _err("unknown_company", f"company '{v}' is not in companies.csv")
        return v

    @field_validator("metric")
    @classmethod
    def _v_metric(cls, v: str, info: ValidationInfo) -> str:
        return v if v == "overall" else _check_metric(v, info)

    @model_validator(mode="after")
    def _range(self):
        top = 100 if self.metric == "overall" else 10
        if not 0 <= self.score <= top:
            raise _err("out_of_range", f"score must lie between 0 and {top}, got {self.score:g}")
        return self


class GapNote(BaseModel):
    """A row of ``gaps.csv``: why a metric of a brand has no (or only thin) evidence."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    company: str = Field(description="company slug")
    metric: str = Field(description="metric id")
    note: str = Field(min_length=20, description="what was looked for and why nothing on file counts, in our words")
    checked: str = Field(description="YYYY-MM-DD: when the evidence was last looked for")

    @field_validator("company")
    @classmethod
    def _v_company(cls, v: str, info: ValidationInfo) -> str:
        known = _ctx(info).get("company_slugs")
        if known is not None and v not in known:
            raise _err("unknown_company", f"company '{v}' is not in companies.csv")
        return v

    _v_metric = field_validator("metric")(_check_metric)

    @field_validator("checked")
    @classmethod
    def _v_checked(cls, v: str) -> str:
        if not FULL_DATE_RE.match(v):
            raise _err("date", f"'{v}' is not a date (YYYY-MM-DD)")
        return v


TABLE_MODELS = {
    "companies": Company,
    "sources": Source,
    "evidence": EvidenceRow,
    "assessments": AssessmentRow,
    "reference_scores": ReferenceScore,
    "gaps": GapNote,
}
