"""Charts of the uncertainty and sensitivity analysis (the robustness chapter).

Like :mod:`.charts`, each function takes plain rows and returns a :class:`~.charts.Figure`:
the chart sized to its container, with a caption and its takeaway, an HTML legend, a
source line, an accessible name and the data as a table.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .charts import ACCENT, LABEL_LIMIT, MUTED, REFERENCE, Figure, _config, swatch
from .render import esc

SOURCE = "Computed in this book by the uncertainty model, from the evidence and rubric behind every score."


def overall_distribution(rows: list[dict], point: float, bands: list[dict], title: str) -> Figure:
    """Histogram of the overall over the Monte Carlo draws, with the band edges and the point score.

    ``rows``: dicts with ``start``, ``end`` (bin edges, 0-100) and ``share`` (of draws);
    ``bands``: dicts with ``name``, ``min``.
    """
    df = pd.DataFrame(rows)
    x_title = "overall score (0-100)"
    bars = (
        alt.Chart(df)
        .mark_bar(color=ACCENT, opacity=0.8)
        .encode(
            x=alt.X("start:Q", title=x_title, bin="binned", scale=alt.Scale(zero=False)),
            x2="end:Q",
            y=alt.Y("share:Q", title="share of draws", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("start:Q", title="From", format=".1f"),
                alt.Tooltip("end:Q", title="To", format=".1f"),
                alt.Tooltip("share:Q", title="Share of draws", format=".1%"),
            ],
        )
    )
    lo, hi = float(df["start"].min()), float(df["end"].max())
    edges = pd.DataFrame([b for b in bands if lo < b["min"] < hi])
    layers = [bars]
    if len(edges):
        layers.append(
            alt.Chart(edges, name="mbnote")
            .mark_rule(color=MUTED, strokeDash=[4, 3])
            .encode(x="min:Q", tooltip=[alt.Tooltip("name:N", title="Band starts")])
        )
        layers.append(
            alt.Chart(edges, name="mbnotetext")
            .mark_text(align="left", dx=3, dy=-4, fontSize=11)
            .encode(x="min:Q", y=alt.value(8), text="name:N")
        )
    layers.append(
        alt.Chart(pd.DataFrame([{"point": point}])).mark_rule(color=REFERENCE, strokeWidth=2).encode(x="point:Q")
    )
    chart = _config(alt.layer(*layers).properties(width="container", height=200))
    mode = df.loc[df["share"].idxmax()]
    inside = [b["name"] for b in bands if lo < b["min"] < hi]
    takeaway = (
        f"The draws spread from {lo:.1f} to {hi:.1f}, most often near {(mode['start'] + mode['end']) / 2:.1f}; "
        f"the point score is {point:.1f}."
    )
    if inside:
        takeaway += f" The spread crosses into the band{'s' if len(inside) > 1 else ''} {', '.join(inside)}."
    legend = [
        (swatch("bar", ACCENT), "share of the draws in each half point"),
        (swatch("tick", REFERENCE), "the point score"),
    ]
    if len(edges):
        legend.append((swatch("range", MUTED), "where a band starts (dashed)"))
    body = [[f"{r['start']:.1f}–{r['end']:.1f}", f"{r['share']:.1%}"] for r in rows if r["share"] > 0]
    return Figure(
        chart,
        title,
        takeaway,
        f"Histogram: {title}. {takeaway}",
        sources_html=esc(SOURCE),
        legend=legend,
        headers=["Overall score", "Share of draws"],
        rows=body,
        numeric={1},
        kind="robustness",
    )


def tornado(rows: list[dict], point: float, title: str) -> Figure:
    """Each input moved alone to the ends of its range: the overall at each end.

    ``rows``: dicts with ``input``, ``low`` and ``high`` (the overall at the two ends),
    ``low_setting`` and ``high_setting`` (what the input was set to).
    """
    df = pd.DataFrame(rows)
    df["from"] = df[["low", "high"]].min(axis=1)
    df["to"] = df[["low", "high"]].max(axis=1)
    order = list(df["input"])
    bars = (
        alt.Chart(df)
        .mark_bar(color=ACCENT, opacity=0.8, height=14)
        .encode(
            y=alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
            x=alt.X("from:Q", title="overall score (0-100)", scale=alt.Scale(zero=False)),
            x2="to:Q",
            tooltip=[
                alt.Tooltip("input:N", title="Input"),
                alt.Tooltip("low_setting:N", title="Low setting"),
                alt.Tooltip("low:Q", title="Overall at low", format=".1f"),
                alt.Tooltip("high_setting:N", title="High setting"),
                alt.Tooltip("high:Q", title="Overall at high", format=".1f"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame([{"point": point}])).mark_rule(color=REFERENCE, strokeWidth=2).encode(x="point:Q")
    chart = _config(alt.layer(bars, rule).properties(width="container", height=24 * len(df)))
    top = df.assign(width=df["to"] - df["from"]).sort_values("width", ascending=False).iloc[0]
    takeaway = (
        f"{top['input']} moves the overall most, from {top['from']:.1f} to {top['to']:.1f}; "
        f"the point score is {point:.1f}."
    )
    legend = [
        (swatch("bar", ACCENT), "the overall with this one input at each end of its range"),
        (swatch("tick", REFERENCE), "the point score"),
    ]
    body = [
        [esc(r["input"]), esc(r["low_setting"]), f"{r['low']:.1f}", esc(r["high_setting"]), f"{r['high']:.1f}"]
        for r in rows
    ]
    return Figure(
        chart,
        title,
        takeaway,
        f"Tornado chart: {title}. {takeaway}",
        sources_html=esc(SOURCE),
        legend=legend,
        headers=["Input", "Low setting", "Overall", "High setting", "Overall"],
        rows=body,
        numeric={2, 4},
        kind="robustness",
    )


def indices(rows: list[dict], title: str) -> Figure:
    """Variance-based sensitivity indices: total effect (bar) and first order (tick) per input group.

    ``rows``: dicts with ``input``, ``total``, ``first``.
    """
    df = pd.DataFrame(rows)
    df["first_shown"] = df["first"].clip(lower=0)
    order = list(df["input"])
    base = alt.Chart(df)
    y = alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    x_scale = alt.Scale(domain=[0, max(0.05, float(df["total"].max()) * 1.1)])
    tooltip = [
        alt.Tooltip("input:N", title="Input"),
        alt.Tooltip("total:Q", title="Total effect", format=".0%"),
        alt.Tooltip("first:Q", title="First-order effect", format=".0%"),
    ]
    bars = base.mark_bar(color=ACCENT, opacity=0.8, height=14).encode(
        y=y,
        x=alt.X(
            "total:Q",
            title=["share of the", "overall's variance"],  # two lines: it fits over a phone's narrow plot
            axis=alt.Axis(format="%"),
            scale=x_scale,
        ),
        tooltip=tooltip,
    )
    ticks = base.mark_tick(color=REFERENCE, thickness=3, size=16).encode(
        y=y, x=alt.X("first_shown:Q", scale=x_scale, axis=alt.Axis(format="%")), tooltip=tooltip
    )
    chart = _config(alt.layer(bars, ticks).properties(width="container", height=24 * len(df)))
    top = df.sort_values("total", ascending=False).iloc[0]
    takeaway = (
        f"{top['input']} accounts for the largest share of the uncertainty: {top['total']:.0%} with interactions."
    )
    legend = [
        (swatch("bar", ACCENT), "total effect: the input's share of the variance with its interactions"),
        (swatch("tick", REFERENCE), "first-order effect: its share alone"),
    ]
    body = [[esc(r["input"]), f"{max(0.0, r['first']):.0%}", f"{r['total']:.0%}"] for r in rows]
    return Figure(
        chart,
        title,
        takeaway,
        f"Bar chart of variance shares: {title}. {takeaway}",
        sources_html=esc(SOURCE),
        legend=legend,
        headers=["Input", "First-order effect", "Total effect"],
        rows=body,
        numeric={1, 2},
        kind="robustness",
    )


def rank_probabilities(rows: list[dict], title: str) -> Figure:
    """Chance of each rank for each brand, as a grid.

    ``rows``: dicts with ``brand``, ``rank`` (1 is best), ``probability``, ``highlight`` (bool).
    """
    df = pd.DataFrame(rows)
    df["label"] = [f"{p:.0%}" if p >= 0.005 else "" for p in df["probability"]]
    brands = list(dict.fromkeys(df["brand"]))
    base = alt.Chart(df)
    y = alt.Y("brand:N", sort=brands, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    x = alt.X("rank:O", title="rank (1 is the strongest moat)", axis=alt.Axis(labelAngle=0))
    cells = base.mark_rect().encode(
        x=x,
        y=y,
        color=alt.Color("probability:Q", legend=None, scale=alt.Scale(domain=[0, 1], scheme="blues")),
        tooltip=[
            alt.Tooltip("brand:N", title="Brand"),
            alt.Tooltip("rank:O", title="Rank"),
            alt.Tooltip("probability:Q", title="Chance", format=".0%"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        x=x,
        y=y,
        text=alt.Text("label:N"),
        color=alt.condition(alt.datum.probability > 0.5, alt.value("white"), alt.value("#1d2a33")),
    )
    chart = _config(alt.layer(cells, text).properties(width="container", height=28 * len(brands)))
    likely = []
    for brand in brands:
        mine = df[df["brand"] == brand].sort_values("probability", ascending=False).iloc[0]
        likely.append(f"{brand} {int(mine['rank'])} ({mine['probability']:.0%})")
    takeaway = "Most likely rank: " + "; ".join(likely) + "."
    legend = [
        (swatch("square", "#c6dbef"), "unlikely"),
        (swatch("square", "#08519c"), "likely; each cell prints the chance of that rank"),
    ]
    ranks = sorted(df["rank"].unique())
    body = []
    for brand in brands:
        sub = df[df["brand"] == brand].set_index("rank")["probability"]
        body.append([esc(brand)] + [f"{sub.get(r, 0):.0%}" for r in ranks])
    return Figure(
        chart,
        title,
        takeaway,
        f"Grid of rank chances: {title}. {takeaway}",
        sources_html=esc(SOURCE),
        legend=legend,
        headers=["Brand"] + [f"Rank {r}" for r in ranks],
        rows=body,
        numeric=set(range(1, len(ranks) + 1)),
        kind="robustness",
    )


def band_probabilities(rows: list[dict], title: str) -> Figure:
    """Chance that the overall falls in each band. ``rows``: dicts with ``band`` and ``probability``."""
    df = pd.DataFrame(rows)
    order = list(df["band"])
    chart = _config(
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("band:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
            x=alt.X("probability:Q", title="chance", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.condition(alt.datum.probability >= 0.5, alt.value(ACCENT), alt.value(MUTED)),
            tooltip=[alt.Tooltip("band:N", title="Band"), alt.Tooltip("probability:Q", title="Chance", format=".1%")],
        )
        .properties(width="container", height=26 * len(df))
    )
    top = df.sort_values("probability", ascending=False).iloc[0]
    takeaway = f"Most likely band: {top['band']}, in {top['probability']:.0%} of the draws."
    legend = [(swatch("bar", ACCENT), "a band with a chance of 50% or more"), (swatch("bar", MUTED), "other bands")]
    body = [[esc(r["band"]), f"{r['probability']:.1%}"] for r in rows]
    return Figure(
        chart,
        title,
        takeaway,
        f"Bar chart of band chances: {title}. {takeaway}",
        sources_html=esc(SOURCE),
        legend=legend,
        headers=["Band", "Chance"],
        rows=body,
        numeric={1},
        kind="robustness",
    )
