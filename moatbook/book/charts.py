"""Charts of the evidence and the scores, each published as a figure a reader can trust.

A chart alone is not enough: every function here returns a :class:`Figure`, an
HTML ``<figure>`` holding a title and a one-line takeaway, the Altair chart sized
to its container (so it is never clipped, from a 360 px phone to a wide screen),
a legend in HTML (it wraps on a phone, and explains every marker), a source line
naming the citations, and the charted data as a table behind a toggle. The chart
carries an accessible name that says what it shows, not "Vega visualization".

Rules every chart keeps (unit tests check them on the Vega-Lite specs):

- time axes get one tick per calendar year, labelled with the year, never repeated;
- a rank axis is reversed (rank 1 at the top), so a fall in rank is drawn as a fall;
- a line joins only figures of one series (one measure, market, tracker, sub-brand,
  segment and period length); every other figure is a point;
- one chart has one unit on its value axis;
- colours keep a 3:1 contrast against the light and the dark page.

Charts render in the book through the Vega bundle the build ships in ``_static/``
(no network needed); the page's stylesheet colours axis text for dark mode.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from .render import esc, fmt_number, fmt_value, plural

# Colours with at least 3:1 contrast on a white page and on the theme's dark page.
PALETTE = ["#3a7bd5", "#c85a00", "#3f9142", "#d14a47", "#9b5fc0", "#8c6d4f", "#c2539b", "#2f9a94", "#a8871a"]
ACCENT = "#3a7bd5"  # bars; the book's company in peer charts
MUTED = "#7a8591"  # the peers
REFERENCE = "#c85a00"  # the original report's scores
SHAPES = {"year": "circle", "half-year": "diamond", "quarter": "square", "month": "triangle-up", "other": "cross"}
FREQUENCY = {"year": "year", "half": "half-year", "quarter": "quarter", "month": "month", "range": "other"}
LABEL_LIMIT = 150  # category labels (indicator and metric names) longer than this are cut with "…"
HEIGHT = 260
# The theme's system font stack: Vega measures labels with it, so what it lays out is what the page draws.
FONT = 'system-ui, BlinkMacSystemFont, "Segoe UI", "Helvetica Neue", Arial, sans-serif'


# --------------------------------------------------------------------------- the figure


@dataclass
class Figure:
    """A chart with everything a reader needs around it. Cells and ``sources_html`` are escaped HTML."""

    chart: alt.TopLevelMixin
    title: str
    takeaway: str
    description: str
    sources_html: str = ""
    note: str = ""  # how to read the chart (plain text)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (swatch HTML, text)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)
    kind: str = "chart"

    @property
    def spec(self) -> dict:
        spec = self.chart.to_dict()
        spec["description"] = self.description
        return spec

    @property
    def chart_id(self) -> str:
        """Stable id from the spec, so a rebuild gives the same page (and nbval compares equal)."""
        return hashlib.sha1(json.dumps(self.spec, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def _embed(self) -> str:
        from altair.utils.html import spec_to_html

        return spec_to_html(
            self.spec,
            "vega-lite",
            alt.VEGA_VERSION,
            alt.VEGAEMBED_VERSION,
            alt.VEGALITE_VERSION,
            output_div=f"altair-viz-{self.chart_id}",
            embed_options={"actions": False, "renderer": "svg"},
            fullhtml=False,
            template="universal",
        )

    def _table(self) -> str:
        from .render import table

        return table(self.headers, self.rows, cls="mb-fig-table", numeric=self.numeric)

    def _repr_html_(self) -> str:
        legend = ""
        if self.legend:
            items = "".join(f'<li><span class="mb-key" aria-hidden="true">{sw}</span>{t}</li>' for sw, t in self.legend)
            legend = f'<ul class="mb-legend" aria-label="Legend">{items}</ul>'
        source = f'<p class="mb-fig-source">{self.sources_html}</p>' if self.sources_html else ""
        note = f'<p class="mb-fig-note">{esc(self.note)}</p>' if self.note else ""
        data = ""
        if self.rows:
            data = (
                '<details class="mb-details mb-fig-data"><summary>The chart as a table '
                f"({plural(len(self.rows), 'row')})</summary>{self._table()}</details>"
            )
        return (
            f'<figure class="mb-figure mb-figure-{esc(self.kind)}">'
            f'<figcaption><span class="mb-fig-title">{esc(self.title)}</span> '
            f'<span class="mb-fig-takeaway">{esc(self.takeaway)}</span></figcaption>'
            f'<div class="mb-chart" role="img" aria-label="{esc(self.description)}">{self._embed()}</div>'
            f'<div class="mb-fig-notes">{legend}{note}{source}</div>{data}</figure>'
        )

    def __repr__(self) -> str:
        lines = [f"{self.title}. {self.takeaway}"]
        if self.headers:
            lines.append(" | ".join(_strip(h) for h in self.headers))
            lines += [" | ".join(_strip(c) for c in row) for row in self.rows]
        return "\n".join(lines)


def _strip(html_text: str) -> str:
    import re
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", str(html_text)))


def swatch(kind: str, colour: str) -> str:
    """A small inline SVG key matching a chart mark: bar, line, point shape, range or tick."""
    shapes = {
        "bar": f'<rect x="1" y="4" width="18" height="10" fill="{colour}"/>',
        "range": f'<line x1="1" y1="9" x2="19" y2="9" stroke="{colour}" stroke-width="2"/>',
        "tick": f'<line x1="10" y1="1" x2="10" y2="17" stroke="{colour}" stroke-width="3"/>',
        "line": f'<line x1="1" y1="9" x2="19" y2="9" stroke="{colour}" stroke-width="2"/>'
        f'<circle cx="10" cy="9" r="3.5" fill="{colour}"/>',
        "circle": f'<circle cx="10" cy="9" r="5" fill="{colour}"/>',
        "square": f'<rect x="5" y="4" width="10" height="10" fill="{colour}"/>',
        "diamond": f'<path d="M10 3 L16 9 L10 15 L4 9 Z" fill="{colour}"/>',
        "triangle-up": f'<path d="M10 3 L16 15 L4 15 Z" fill="{colour}"/>',
        "cross": f'<path d="M8 3h4v4h4v4h-4v4h-4v-4h-4v-4h4z" fill="{colour}"/>',
    }
    cls = "mb-swatch-range" if kind == "range" else ""
    return f'<svg class="{cls}" width="20" height="18" viewBox="0 0 20 18">{shapes[kind]}</svg>'


def _config(chart):
    """Transparent background (the page's colour shows through, light or dark) and no chart border."""
    return (
        chart.configure(background="transparent", font=FONT)
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=11, titleFontSize=11, gridOpacity=0.5)
    )


# --------------------------------------------------------------------------- time series


def decimal_year_to_date(t: float) -> pd.Timestamp:
    year = int(t)
    start = pd.Timestamp(year=year, month=1, day=1)
    end = pd.Timestamp(year=year + 1, month=1, day=1)
    return start + (end - start) * (t - year)


def year_ticks(times: list[float]) -> list[str]:
    """1 January of every year the figures span (and the next), as ISO dates: one tick per year."""
    first, last = int(min(times)), int(max(times)) + 1
    step = 1 if last - first <= 12 else 2
    return [f"{y}-01-01" for y in range(first, last + 1, step)]


def series_key(row: dict) -> tuple:
    """What makes two figures one series that a line may join."""
    return (
        row["tracker"],
        row["market"],
        " ".join(str(row.get("measure", "")).lower().split()),
        row.get("sub_brand", ""),
        row.get("segment", ""),
        row["frequency"],
    )


# A line stops where a series skips a period: more than this many years between two figures.
MAX_GAP_YEARS = {"year": 1.51, "half-year": 1.01, "quarter": 1.01, "month": 1.01, "other": 2.01}


def segment_ids(rows: list[dict]) -> list[str]:
    """For each row, the id of the line it sits on: its series, cut where the series skips a period."""
    by_series = defaultdict(list)
    for i, r in enumerate(rows):
        by_series[series_key(r)].append(i)
    ids = [""] * len(rows)
    for key, idx in by_series.items():
        idx.sort(key=lambda i: rows[i]["t"])
        part, prev = 0, None
        for i in idx:
            if prev is not None and rows[i]["t"] - rows[prev]["t"] > MAX_GAP_YEARS[rows[i]["frequency"]]:
                part += 1
            ids[i] = "|".join(map(str, key)) + f"|{part}"
            prev = i
    return ids


def _rank_word(n: int) -> str:
    return f"#{n}"


def ordinal(n: int) -> str:
    """The ordinal of n: 1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")  # codespell:ignore
    return f"{n}{suffix}"


def timeline_takeaway(rows: list[dict], unit: str) -> str:
    """One sentence on the longest series: where it started, where it ended, up or down."""
    groups = defaultdict(list)
    for r in rows:
        groups[series_key(r)].append(r)
    lines = [g for g in groups.values() if len({x["t"] for x in g}) >= 2]
    if not lines:
        trackers = sorted({r["tracker"] for r in rows})
        return (
            f"{len(rows)} figures from {len(trackers)} source{'s' if len(trackers) != 1 else ''}; "
            "no source repeats the same measure over time, so no line joins them."
        )
    best = max(lines, key=lambda g: (len(g), max(x["t"] for x in g) - min(x["t"] for x in g), g[0]["tracker"]))
    best = sorted(best, key=lambda x: x["t"])
    a, b = best[0], best[-1]
    who = a["tracker"]
    if unit == "rank":
        ra, rb = int(a["value"]), int(b["value"])
        if rb == ra:
            move = f"held at {_rank_word(ra)}"
        elif rb < ra:
            move = f"rose {ra - rb} place{'s' if ra - rb != 1 else ''}, from {_rank_word(ra)} to {_rank_word(rb)}"
        else:
            move = f"fell {rb - ra} place{'s' if rb - ra != 1 else ''}, from {_rank_word(ra)} to {_rank_word(rb)}"
        return f"In {who}'s list it {move} between {a['period']} and {b['period']}."
    va, vb = a["value"], b["value"]
    verb = "rose" if vb > va else "fell" if vb < va else "held"
    span = f"from {fmt_value(va, unit)} ({a['period']}) to {fmt_value(vb, unit)} ({b['period']})"
    if verb == "held":
        return f"{who}'s figure held at {fmt_value(va, unit)} from {a['period']} to {b['period']}."
    return f"{who}'s figure {verb} {span}."


def timeline(rows: list[dict], title: str, unit: str, sources_html: str = "", note: str = "") -> Figure:
    """Figures over time: every figure a point, a line only within one series.

    ``rows``: dicts with ``t`` (decimal year), ``value``, ``tracker``, ``measure``,
    ``frequency`` (year, half-year, quarter, month, other), ``period``, ``market``
    and optionally ``sub_brand`` and ``segment``. Colour is the tracker, the point's
    shape the length of the period it covers.
    """
    df = pd.DataFrame(rows)
    df["date"] = df["t"].map(decimal_year_to_date)
    df["series"] = [segment_ids(rows)[i] for i in range(len(rows))]
    df = df.sort_values(["series", "date", "value"]).reset_index(drop=True)
    trackers = sorted(df["tracker"].unique())
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(trackers)}
    freqs = [f for f in SHAPES if f in set(df["frequency"])]
    rank = unit == "rank"
    ticks = year_ticks(list(df["t"]))
    x = alt.X(
        "date:T",
        title=None,
        scale=alt.Scale(domain=[ticks[0], ticks[-1]]),
        axis=alt.Axis(values=ticks, format="%Y", labelOverlap=True, grid=True),
    )
    y_title = "rank (1 = top of the list)" if rank else unit
    y = alt.Y(
        "value:Q",
        title=y_title,
        scale=alt.Scale(zero=False, reverse=rank, nice=not rank),
        axis=alt.Axis(format="d", tickMinStep=1) if rank else alt.Axis(),
    )
    colour = alt.Color("tracker:N", legend=None, scale=alt.Scale(domain=trackers, range=[colours[t] for t in trackers]))
    tooltip = [
        alt.Tooltip("tracker:N", title="Source"),
        alt.Tooltip("measure:N", title="What was measured"),
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("market:N", title="Market"),
        alt.Tooltip("value:Q", title=unit),
    ]
    base = alt.Chart(df)
    multi = df.groupby("series")["date"].nunique()
    joined = df[df["series"].isin(multi[multi >= 2].index)]
    points = base.mark_point(filled=True, size=60, opacity=0.95).encode(
        x=x,
        y=y,
        color=colour,
        shape=alt.Shape("frequency:N", legend=None, scale=alt.Scale(domain=freqs, range=[SHAPES[f] for f in freqs])),
        tooltip=tooltip,
    )
    layers = []
    if len(joined):
        layers.append(alt.Chart(joined).mark_line(strokeWidth=1.6).encode(x=x, y=y, color=colour, detail="series:N"))
    layers.append(points)
    chart = _config(alt.layer(*layers).properties(width="container", height=HEIGHT))

    legend = [(swatch("line", colours[t]), esc(t)) for t in trackers]
    legend += [
        (swatch(SHAPES[f], MUTED), esc(f"figure for one {f}" if f != "other" else "figure for another span"))
        for f in freqs
    ]
    takeaway = timeline_takeaway(rows, unit)
    explain = (
        "Each point is one figure; a line joins figures of the same measure from the same source, and stops "
        "where that source skips a period."
    )
    if rank:
        explain += " Rank 1 is at the top, so a line going down is a fall in the ranking."
    if note:
        explain += " " + note
    headers = ["Period", "Value", "Source", "Market", "What was measured"]
    body = [
        [esc(r["period"]), esc(fmt_value(r["value"], unit)), esc(r["tracker"]), esc(r["market"]), esc(r["measure"])]
        for r in sorted(rows, key=lambda r: (r["t"], r["tracker"]))
    ]
    return Figure(
        chart,
        title,
        takeaway,
        f"Line chart over time: {title}. {takeaway}",
        sources_html=sources_html,
        note=explain,
        legend=legend,
        headers=headers,
        rows=body,
        numeric={1},
        kind="timeline",
    )


# --------------------------------------------------------------------------- peers


def peer_takeaway(rows: list[dict], unit: str) -> str:
    """Where the book's company stands among the companies that have a scored value."""
    rank = unit == "rank"
    ordered = sorted(rows, key=lambda r: (r["value"] if rank else -r["value"], r["company"]))
    me = next((i for i, r in enumerate(ordered) if r.get("highlight")), None)
    top = ordered[0]
    if me is None:
        return f"Highest: {top['company']} at {fmt_value(top['value'], unit)}."
    mine = ordered[me]
    if me == 0:
        nxt = ordered[1] if len(ordered) > 1 else None
        tail = f", ahead of {nxt['company']} at {fmt_value(nxt['value'], unit)}" if nxt else ""
        return f"{mine['company']} is 1st of {len(ordered)} at {fmt_value(mine['value'], unit)}{tail}."
    return (
        f"{mine['company']} is {ordinal(me + 1)} of {len(ordered)} at {fmt_value(mine['value'], unit)}; "
        f"{top['company']} leads at {fmt_value(top['value'], unit)}."
    )


def peer_bars(
    rows: list[dict], title: str, unit: str, sources_html: str = "", missing: list[str] | None = None
) -> Figure:
    """Each company's value of one indicator as the score uses it, the book's company highlighted.

    ``rows``: dicts with ``company``, ``value`` (the indicator's weighted mean, as
    scored), ``n`` (figures behind it), ``highlight`` (bool). ``missing`` names the
    companies with no scored value, which get no bar. A rank is drawn as a dot on a
    reversed axis, since a longer bar would read as better.
    """
    rank = unit == "rank"
    df = pd.DataFrame(rows).sort_values(["value", "company"], ascending=[rank, True]).reset_index(drop=True)
    order = list(df["company"])
    y = alt.Y("company:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    colour = alt.condition(alt.datum.highlight, alt.value(ACCENT), alt.value(MUTED))
    tooltip = [
        alt.Tooltip("company:N", title="Company"),
        alt.Tooltip("value:Q", title=unit, format=".3~r"),
        alt.Tooltip("n:Q", title="Figures behind it"),
    ]
    if rank:
        x = alt.X("value:Q", title="rank (1 = top; further left is better)", scale=alt.Scale(zero=False, nice=False))
        mark = alt.Chart(df).mark_point(filled=True, size=120).encode(y=y, x=x, color=colour, tooltip=tooltip)
    else:
        zero = df["value"].min() >= 0
        x = alt.X("value:Q", title=unit, scale=alt.Scale(zero=True) if zero else alt.Scale())
        mark = alt.Chart(df).mark_bar().encode(y=y, x=x, color=colour, tooltip=tooltip)
    chart = _config(mark.properties(width="container", height=max(90, 30 * len(df))))
    kind = "dot" if rank else "bar"
    me = df[df["highlight"]]["company"].tolist()
    legend = [(swatch("circle" if rank else "bar", ACCENT), esc(me[0] if me else "this book's company"))]
    legend.append((swatch("circle" if rank else "bar", MUTED), "its peers"))
    takeaway = peer_takeaway(rows, unit)
    explain = (
        "Each value is the one the sub-score uses: the weighted mean of that company's figures "
        "(newer, global and better-sourced figures count more)."
    )
    if missing:
        explain += f" No scored value for {', '.join(missing)}, so no {kind} is drawn."
    headers = ["Company", "Value as scored", "Figures behind it"]
    body = [
        [
            ("<b>" + esc(r["company"]) + "</b>") if r["highlight"] else esc(r["company"]),
            esc(fmt_value(r["value"], unit)),
            str(r["n"]),
        ]
        for r in df.to_dict("records")
    ]
    body += [[esc(m), "not scored", "0"] for m in (missing or [])]
    return Figure(
        chart,
        title,
        takeaway,
        f"{'Dot' if rank else 'Bar'} chart comparing companies: {title}. {takeaway}",
        sources_html=sources_html,
        note=explain,
        legend=legend,
        headers=headers,
        rows=body,
        numeric={1, 2},
        kind="peers",
    )


# --------------------------------------------------------------------------- points and scores


def _bars_with_ranges(df: pd.DataFrame, category: str, value: str, order: list[str], x_title: str, tooltip: list):
    """Horizontal bars of ``value`` on a 0-10 scale (a tick at every point) with a low-high rule per bar."""
    y = alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    bars = (
        alt.Chart(df).mark_bar(color=ACCENT, opacity=0.55).encode(y=y, x=zero_to_ten(value, x_title), tooltip=tooltip)
    )
    ranges = (
        alt.Chart(df, name="mbrange")
        .mark_rule(strokeWidth=2.5, color=MUTED)
        .encode(y=y, x=zero_to_ten("low", x_title), x2="high:Q", tooltip=tooltip)
    )
    return [bars, ranges]


def zero_to_ten(field: str, title: str) -> alt.X:
    """The 0-10 axis of points and sub-scores, with a tick at every point; every layer uses the same one,
    so Vega keeps the ticks instead of thinning them on a narrow screen."""
    return alt.X(
        f"{field}:Q",
        title=title,
        scale=alt.Scale(domain=[0, 10], nice=False, clamp=True),
        axis=alt.Axis(values=list(range(11)), format="d", labelOverlap=False, labelFontSize=10),
    )


def _extremes(df: pd.DataFrame, name: str, value: str) -> tuple[dict, dict]:
    ordered = df.sort_values([value, name], ascending=[False, True]).to_dict("records")
    return ordered[0], ordered[-1]


def points_chart(rows: list[dict], title: str, sources_html: str = "") -> Figure:
    """Each scored indicator's points (0-10) with its low-high range, and its weight in the table.

    ``rows``: dicts with ``indicator``, ``points``, ``low``, ``high``, ``weight`` (0-1, effective).
    """
    df = pd.DataFrame(rows)
    tooltip = [
        alt.Tooltip("indicator:N", title="Indicator"),
        alt.Tooltip("points:Q", title="Points", format=".1f"),
        alt.Tooltip("low:Q", title="90% interval from", format=".1f"),
        alt.Tooltip("high:Q", title="90% interval to", format=".1f"),
        alt.Tooltip("weight:Q", title="Weight", format=".0%"),
    ]
    layers = _bars_with_ranges(df, "indicator", "points", list(df["indicator"]), "points (0-10)", tooltip)
    chart = _config(alt.layer(*layers).properties(width="container", height=max(80, 34 * len(df))))
    hi, lo = _extremes(df, "indicator", "points")
    if len(df) == 1:
        takeaway = f"One indicator is scored: {hi['indicator']}, at {hi['points']:.1f} points."
    else:
        takeaway = (
            f"Most points: {hi['indicator']} ({hi['points']:.1f}); fewest: {lo['indicator']} ({lo['points']:.1f})."
        )
    legend = [
        (swatch("bar", ACCENT), "points of the indicator, 0-10"),
        (swatch("range", MUTED), "its 90% interval"),
    ]
    body = [
        [esc(r["indicator"]), f"{r['points']:.1f}", f"{r['low']:.1f}–{r['high']:.1f}", f"{r['weight']:.0%}"]
        for r in rows
    ]
    return Figure(
        chart,
        title,
        takeaway,
        f"Bar chart of points per indicator: {title}. {takeaway}",
        sources_html=sources_html,
        legend=legend,
        headers=["Indicator", "Points (0-10)", "90% interval", "Weight in the sub-score"],
        rows=body,
        numeric={1, 2, 3},
        kind="points",
    )


def scores_chart(rows: list[dict], title: str, reference_html: str = "") -> Figure:
    """Sub-scores of the eleven metrics with their ranges, and a reference score where one exists.

    ``rows``: dicts with ``metric``, ``score`` (None if missing), ``low``, ``high``,
    ``coverage``, and optionally ``reference``. ``reference_html`` names (and links)
    the publication the reference scores come from.
    """
    from .render import reference_link

    df = pd.DataFrame(rows)
    order = list(df["metric"])
    scored = df[df["score"].notna()]
    tooltip = [
        alt.Tooltip("metric:N", title="Metric"),
        alt.Tooltip("score:Q", title="Sub-score", format=".1f"),
        alt.Tooltip("low:Q", title="90% interval from", format=".1f"),
        alt.Tooltip("high:Q", title="90% interval to", format=".1f"),
        alt.Tooltip("coverage:N", title="Coverage grade"),
    ]
    layers = _bars_with_ranges(scored, "metric", "score", order, "sub-score (0-10)", tooltip)
    has_ref = "reference" in df and df["reference"].notna().any()
    reference_html = reference_html or reference_link()
    if has_ref:
        layers.append(
            alt.Chart(df[df["reference"].notna()])
            .mark_tick(color=REFERENCE, thickness=3, size=22)
            .encode(
                y=alt.Y("metric:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
                x=zero_to_ten("reference", "sub-score (0-10)"),
                tooltip=[alt.Tooltip("metric:N", title="Metric"), alt.Tooltip("reference:Q", title="Original report")],
            )
        )
    chart = _config(alt.layer(*layers).properties(width="container", height=34 * len(df)))
    n = len(scored)
    if n:
        hi, lo = _extremes(scored, "metric", "score")
        takeaway = f"Highest: {hi['metric']} ({hi['score']:.1f}); lowest: {lo['metric']} ({lo['score']:.1f})."
        if n < len(df):
            takeaway += f" {len(df) - n} of {len(df)} metrics have no scored evidence and no bar."
    else:
        takeaway = "No metric has scored evidence yet."
    legend = [
        (swatch("bar", ACCENT), "sub-score, 0-10"),
        (swatch("range", MUTED), "its 90% interval"),
    ]
    if has_ref:
        legend.append((swatch("tick", REFERENCE), f"the score {reference_html} gave"))
        both = df[df["reference"].notna() & df["score"].notna()]
        close = int(((both["score"] - both["reference"]).abs() <= 1).sum())
        takeaway += f" The original report's score lies within a point of ours on {close} of {len(both)} metrics."
    body = []
    for r in rows:
        score = "not scored" if r["score"] is None else f"{r['score']:.1f}"
        rng = "–" if r["score"] is None else f"{r['low']:.1f}–{r['high']:.1f}"
        cells = [esc(r["metric"]), score, rng, esc(r.get("coverage") or "none")]
        if has_ref:
            cells.append("–" if r.get("reference") is None else fmt_number(r["reference"]))
        body.append(cells)
    headers = ["Metric", "Sub-score (0-10)", "90% interval", "Coverage grade"] + (
        ["Original report"] if has_ref else []
    )
    return Figure(
        chart,
        title,
        takeaway,
        f"Bar chart of the sub-scores: {title}. {takeaway}",
        sources_html="Sub-scores computed in this book from the evidence in its chapters"
        + (f"; red-orange ticks: {reference_html}." if has_ref else "."),
        legend=legend,
        headers=headers,
        rows=body,
        numeric={1, 2, 4},
        kind="scores",
    )


# --------------------------------------------------------------------------- the moat over time


def trend_chart(rows: list[dict], title: str, takeaway: str) -> Figure:
    """The overall as of the end of each year with its 90% interval; thin years drawn hollow.

    ``rows``: dicts with ``year``, ``overall``, ``low``, ``high``, ``thin`` (bool) and ``status``.
    """
    df = pd.DataFrame(rows)
    df["evidence"] = ["thin" if t else "broad" for t in df["thin"]]
    years = [str(y) for y in df["year"]]
    df["year"] = years
    x = alt.X("year:O", title=None, sort=years, axis=alt.Axis(labelAngle=0, labelOverlap=True))
    y_scale = alt.Scale(domain=[max(0.0, float(df["low"].min()) - 5), min(100.0, float(df["high"].max()) + 5)])
    tooltip = [
        alt.Tooltip("year:O", title="As of the end of"),
        alt.Tooltip("overall:Q", title="Overall", format=".1f"),
        alt.Tooltip("low:Q", title="90% interval from", format=".1f"),
        alt.Tooltip("high:Q", title="90% interval to", format=".1f"),
        alt.Tooltip("evidence:N", title="Evidence"),
    ]
    base = alt.Chart(df)
    ranges = base.mark_rule(color=MUTED, strokeWidth=2).encode(
        x=x, y=alt.Y("low:Q", title="overall (0-100)", scale=y_scale), y2="high:Q", tooltip=tooltip
    )
    line = base.mark_line(color=ACCENT, strokeWidth=1.6).encode(x=x, y=alt.Y("overall:Q", scale=y_scale))
    points = base.mark_point(size=70, color=ACCENT, strokeWidth=2, opacity=1).encode(
        x=x,
        y=alt.Y("overall:Q", scale=y_scale),
        fill=alt.Fill(
            "evidence:N", legend=None, scale=alt.Scale(domain=["broad", "thin"], range=[ACCENT, "transparent"])
        ),
        tooltip=tooltip,
    )
    chart = _config(alt.layer(ranges, line, points).properties(width="container", height=HEIGHT))
    legend = [
        (swatch("circle", ACCENT), "overall as of the end of the year"),
        (
            '<svg width="20" height="18" viewBox="0 0 20 18"><circle cx="10" cy="9" r="5" fill="none" '
            f'stroke="{ACCENT}" stroke-width="2"/></svg>',
            "a year resting on thin evidence",
        ),
        (swatch("range", MUTED), "its 90% interval"),
    ]
    body = [
        [
            esc(r["year"]),
            f"{r['overall']:.1f}",
            f"{r['low']:.1f}–{r['high']:.1f}",
            esc(r["status"]),
            "thin" if r["thin"] else "",
        ]
        for r in rows
    ]
    return Figure(
        chart,
        title,
        takeaway,
        f"Line chart over the years: {title}. {takeaway}",
        sources_html="Scores computed in this book from the evidence on file at the end of each year.",
        note="Each point is the overall the book gives with only what had been published by the end of that year.",
        legend=legend,
        headers=["As of the end of", "Overall", "90% interval", "Status", "Evidence"],
        rows=body,
        numeric={1, 2},
        kind="trend",
    )
