"""The indicator catalogue: where each kind of figure goes, read from the rubric.

One entry per indicator: its kind, the units, periods and markets its rows may
carry, what it needs before it counts, and its weight. ``make indicators`` prints
it, an appendix of every book shows it, and the new-brand checklist and the
chapters' exercises take their rules from :func:`metric_minimum`, so none of them
can promise what the validator or the engine would refuse.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from .schema import Indicator, Rubric

KIND_WORDS = {
    "level": "figures",
    "derived": "computed from a series",
    "ordinal": "judgement",
    "context": "context: shown, never scored",
}
ANY_MARKET = "any market in the rubric's list (global counts fully, one market at a reduced weight)"
ANY_PERIOD = "any: a year, half, quarter, month or range (YYYY, YYYYHn, YYYYQn, YYYY-MM, A..B)"


@dataclass(frozen=True)
class Entry:
    """What the catalogue says about one indicator."""

    metric: str
    metric_title: str
    indicator: str
    label: str
    kind: str
    description: str
    weight: float | None  # share of the metric's sub-score in the rubric; None for context
    rows_go_to: str | None  # 'metric/indicator' whose rows this one reads; None: its own rows
    units: tuple[str, ...]  # units a row may carry (the first is the indicator's own)
    conversions: tuple[str, ...]  # how other units convert, e.g. "years x 12"
    periods: str
    markets: str
    minimum: str  # what it needs before it counts
    additive: bool
    levels: tuple[tuple[int, str], ...] = ()
    read_by: tuple[str, ...] = ()  # 'metric/indicator' of the scored indicators that read this one's rows

    @property
    def where(self) -> str:
        """The metric and indicator columns of an evidence row, as typed in the files."""
        return f"{self.metric}/{self.indicator}"

    @property
    def scored(self) -> bool:
        return self.kind != "context"


def _markets(spec: Indicator) -> str:
    if spec.markets is not None:
        return " or ".join(spec.markets) + " only"
    if spec.exclude_markets:
        return "one market or region (not " + ", ".join(spec.exclude_markets) + ")"
    return ANY_MARKET


def _periods(metric_id: str, spec: Indicator) -> str:
    if spec.period == "annual":
        text = "calendar years only (YYYY)"
        if spec.quarters is not None:
            how = "their mean" if spec.quarters.combine == "mean" else "their sum"
            text += (
                f"; quarterly figures go to {metric_id}/{spec.quarters.source}, and four quarters of one "
                f"tracker in one year, with no annual figure of its own, make that year ({how})"
            )
        return text
    return ANY_PERIOD


def _minimum(rubric: Rubric, metric_id: str, spec: Indicator, unit_spec: Indicator) -> str:
    """What an indicator needs before it counts (beyond the general rule on low-confidence sources)."""
    if spec.kind == "context":
        return "never counts: shown in tables and charts"
    if spec.kind == "ordinal":
        return "one judgement"
    if spec.kind == "derived":
        return (
            f"{spec.min_points} calendar years of {metric_id}/{spec.source} from one publisher in one market "
            f"within the latest {spec.window_years}, for the whole brand"
        )
    if unit_spec.additive:
        return (
            "one figure for the whole brand, or figures of two or more sub-brands from one release (summed); "
            "a figure limited to a price segment does not count"
        )
    return "one figure for the whole brand (a price segment's figure counts; a sub-brand's own does not)"


def entry(rubric: Rubric, metric_id: str, indicator_id: str) -> Entry:
    metric = rubric.metrics[metric_id]
    spec = metric.indicators[indicator_id]
    reads = rubric.reads(metric_id, indicator_id)
    rows_go_to = None
    if reads is not None and reads != (metric_id, indicator_id):
        rows_go_to = f"{reads[0]}/{reads[1]}"
    unit_spec = spec
    if spec.kind == "level" and spec.source:
        unit_spec = rubric.resolve(spec.source, metric_id)[1]
    elif spec.kind == "derived":
        unit_spec = metric.indicators[spec.source]
    units: tuple[str, ...] = ()
    conversions: tuple[str, ...] = ()
    if spec.kind != "ordinal":
        units = tuple(unit_spec.accepted_units)
        conversions = tuple(f"{u} x {f:g}" for u, f in unit_spec.also_units.items())
    if spec.kind == "ordinal":
        periods, markets = "none (a judgement on the brand's record)", "none"
    else:
        periods = _periods((reads or (metric_id, indicator_id))[0], unit_spec)
        markets = _markets(unit_spec)
    return Entry(
        metric=metric_id,
        metric_title=metric.title,
        indicator=indicator_id,
        label=spec.label,
        kind=spec.kind,
        description=" ".join(spec.description.split()),
        weight=spec.weight,
        rows_go_to=rows_go_to,
        units=units,
        conversions=conversions,
        periods=periods,
        markets=markets,
        minimum=_minimum(rubric, metric_id, spec, unit_spec),
        additive=unit_spec.additive,
        levels=tuple(sorted((spec.levels or {}).items())),
        read_by=tuple(
            f"{mid}/{iid}"
            for mid, m in rubric.metrics.items()
            for iid, other in m.indicators.items()
            if other.scored
            and (mid, iid) != (metric_id, indicator_id)
            and rubric.reads(mid, iid) == (metric_id, indicator_id)
        ),
    )


def catalogue(rubric: Rubric, metric_id: str | None = None) -> list[Entry]:
    """Every indicator of the rubric (or of one metric), in rubric order."""
    return [
        entry(rubric, mid, iid)
        for mid, metric in rubric.metrics.items()
        if metric_id in (None, mid)
        for iid in metric.indicators
    ]


def minimum_options(rubric: Rubric, metric_id: str) -> list[str]:
    """The least evidence that gives a metric a sub-score: each item alone is enough."""
    options: list[str] = []
    series: dict[str, list[Indicator]] = {}
    metric = rubric.metrics[metric_id]
    for e in catalogue(rubric, metric_id):
        if not e.scored:
            continue
        if e.kind == "ordinal":
            options.append(f"one judgement on {e.indicator}")
        elif e.kind == "derived":
            series.setdefault(e.rows_go_to, []).append(metric.indicators[e.indicator])
        else:
            where = e.rows_go_to or e.where
            option = f"one figure of {where} in {' or '.join(repr(u) for u in e.units)}"
            if option not in options:
                options.append(option)
    for where, specs in series.items():
        n = min(s.min_points for s in specs)
        windows = sorted({s.window_years for s in specs})
        options.append(
            f"{n} calendar years of {where} from one publisher in one market within the latest "
            + " or ".join(str(w) for w in windows)
            + " years"
        )
    return options


def metric_minimum(rubric: Rubric, metric_id: str) -> str:
    """The least evidence that gives a metric a sub-score, in one sentence."""
    return (
        f"{rubric.metrics[metric_id].title} gets a sub-score from any one of: "
        + "; ".join(minimum_options(rubric, metric_id))
        + "."
    )


def _wrap(text: str, indent: str, width: int = 100) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ")


GENERAL_RULES = (
    "Reprints of one figure count once. A figure or judgement resting only on low-confidence sources is shown "
    "but never counts."
)
LEGEND = (
    "Where each figure goes: the metric/indicator to write in an evidence row (ordinal ones take a judgement\n"
    "in the assessments file instead). Unless an entry says otherwise it takes any period (a year, half,\n"
    "quarter, month or range: YYYY, YYYYHn, YYYYQn, YYYY-MM, A..B) and any market in the rubric's list\n"
    "(global figures count fully, one market's at a reduced weight). " + GENERAL_RULES
)


def format_text(rubric: Rubric, metric_id: str | None = None) -> str:
    """The catalogue as plain text for a terminal (``make indicators``)."""
    lines: list[str] = [LEGEND]
    current = None
    for e in catalogue(rubric, metric_id):
        if e.metric != current:
            current = e.metric
            m = rubric.metrics[e.metric]
            lines += ["", f"== {m.title} ({e.metric}): {m.weight:.1%} of the overall", *_wrap(m.question, "   ")]
            lines += _wrap("Minimum for a sub-score: " + metric_minimum(rubric, e.metric), "   ")
        weight = f", {e.weight:.0%} of the metric" if e.weight is not None else ""
        kind = (
            "a series: scored through the indicators that read it" if e.read_by and not e.scored else KIND_WORDS[e.kind]
        )
        lines.append(f"  {e.where}  {e.label} [{kind}{weight}]")
        if e.rows_go_to:
            lines += _wrap(f"rows: none of its own; it reads {e.rows_go_to}", "      ")
        else:
            if e.units:
                conv = f" (converted: {', '.join(e.conversions)})" if e.conversions else ""
                lines += _wrap(f"units: {', '.join(repr(u) for u in e.units)}{conv}", "      ")
            if e.kind != "ordinal" and e.periods != ANY_PERIOD:
                lines += _wrap(f"periods: {e.periods}", "      ")
            if e.kind != "ordinal" and e.markets != ANY_MARKET:
                lines += _wrap(f"markets: {e.markets}", "      ")
            if e.read_by:
                lines += _wrap(f"scored through: {', '.join(e.read_by)}", "      ")
            if e.additive:
                lines += _wrap("sub-brands: figures of several sub-brands from one release add up", "      ")
        if e.scored:
            lines += _wrap(f"counts once it has: {e.minimum}", "      ")
        for level, text in e.levels:
            lines += _wrap(f"level {level}: {text}", "      ")
    return "\n".join(lines) + "\n"
