"""Altair charts of the uncertainty and sensitivity analysis (the robustness chapter).

Like :mod:`.charts`, each function takes plain rows and returns an ``alt.Chart``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .charts import ACCENT, HIGHLIGHT, MUTED, WIDTH


def overall_distribution(rows: list[dict], point: float, bands: list[dict], title: str) -> alt.Chart:
    """Histogram of the overall over the Monte Carlo draws, with the band edges and the point score.

    ``rows``: dicts with ``start``, ``end`` (bin edges, 0-100) and ``share`` (of draws);
    ``bands``: dicts with ``name``, ``min``.
    """
    df = pd.DataFrame(rows)
    bars = (
        alt.Chart(df, title=alt.Title(title, subtitle="share of the draws per half point; red line: the point score"))
        .mark_bar(color=ACCENT, opacity=0.8)
        .encode(
            x=alt.X("start:Q", title="overall score (0-100)", bin="binned", scale=alt.Scale(zero=False)),
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
            alt.Chart(edges)
            .mark_rule(color="#555", strokeDash=[4, 3])
            .encode(x="min:Q", tooltip=[alt.Tooltip("name:N", title="Band starts")])
        )
        layers.append(
            alt.Chart(edges)
            .mark_text(align="left", dx=3, dy=-4, color="#555", fontSize=11)
            .encode(x="min:Q", y=alt.value(8), text="name:N")
        )
    layers.append(
        alt.Chart(pd.DataFrame([{"point": point}])).mark_rule(color=HIGHLIGHT, strokeWidth=2).encode(x="point:Q")
    )
    return alt.layer(*layers).properties(width=WIDTH, height=200)


def tornado(rows: list[dict], point: float, title: str) -> alt.Chart:
    """Each input moved alone to the ends of its range: the overall at each end.

    ``rows``: dicts with ``input``, ``low`` and ``high`` (the overall at the two ends),
    ``low_setting`` and ``high_setting`` (what the input was set to).
    """
    df = pd.DataFrame(rows)
    df["from"] = df[["low", "high"]].min(axis=1)
    df["to"] = df[["low", "high"]].max(axis=1)
    order = list(df["input"])
    base = alt.Chart(df, title=alt.Title(title, subtitle="bar: the overall with one input at each end of its range"))
    bars = base.mark_bar(color=ACCENT, opacity=0.8, height=14).encode(
        y=alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
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
    rule = alt.Chart(pd.DataFrame([{"point": point}])).mark_rule(color=HIGHLIGHT, strokeWidth=2).encode(x="point:Q")
    return alt.layer(bars, rule).properties(width=WIDTH - 200, height=24 * len(df))


def indices(rows: list[dict], title: str) -> alt.Chart:
    """Variance-based sensitivity indices: total effect (bar) and first order (tick) per input group.

    ``rows``: dicts with ``input``, ``total``, ``first``.
    """
    df = pd.DataFrame(rows)
    df["first_shown"] = df["first"].clip(lower=0)
    order = list(df["input"])
    base = alt.Chart(
        df, title=alt.Title(title, subtitle="bar: total effect; tick: first-order effect (share of variance)")
    )
    y = alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    bars = base.mark_bar(color=ACCENT, opacity=0.8, height=14).encode(
        y=y,
        x=alt.X(
            "total:Q",
            title="share of the overall's variance",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, max(0.05, float(df["total"].max()) * 1.1)]),
        ),
        tooltip=[
            alt.Tooltip("input:N", title="Input"),
            alt.Tooltip("total:Q", title="Total effect", format=".0%"),
            alt.Tooltip("first:Q", title="First-order effect", format=".0%"),
        ],
    )
    ticks = base.mark_tick(color=HIGHLIGHT, thickness=3, size=16).encode(y=y, x="first_shown:Q")
    return alt.layer(bars, ticks).properties(width=WIDTH - 200, height=24 * len(df))


def rank_probabilities(rows: list[dict], title: str) -> alt.Chart:
    """Chance of each rank for each brand, as a grid.

    ``rows``: dicts with ``brand``, ``rank`` (1 is best), ``probability``, ``highlight`` (bool).
    """
    df = pd.DataFrame(rows)
    df["label"] = [f"{p:.0%}" if p >= 0.005 else "" for p in df["probability"]]
    brands = list(dict.fromkeys(df["brand"]))
    base = alt.Chart(
        df, title=alt.Title(title, subtitle="share of the uncertainty model's draws in which the brand takes each rank")
    )
    y = alt.Y("brand:N", sort=brands, title=None)
    x = alt.X("rank:O", title="rank (1 is the strongest moat)")
    cells = base.mark_rect().encode(
        x=x,
        y=y,
        color=alt.Color(
            "probability:Q",
            title="Chance",
            scale=alt.Scale(domain=[0, 1], scheme="blues"),
            legend=alt.Legend(format="%"),
        ),
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
    return alt.layer(cells, text).properties(width=min(WIDTH, 60 * df["rank"].max()), height=28 * len(brands))


def band_probabilities(rows: list[dict], title: str) -> alt.Chart:
    """Chance that the overall falls in each band. ``rows``: dicts with ``band`` and ``probability``."""
    df = pd.DataFrame(rows)
    order = list(df["band"])
    return (
        alt.Chart(df, title=alt.Title(title, subtitle="share of the uncertainty model's draws in each band"))
        .mark_bar(color=MUTED)
        .encode(
            y=alt.Y("band:N", sort=order, title=None),
            x=alt.X("probability:Q", title="chance", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.condition(alt.datum.probability >= 0.5, alt.value(ACCENT), alt.value(MUTED)),
            tooltip=[alt.Tooltip("band:N", title="Band"), alt.Tooltip("probability:Q", title="Chance", format=".1%")],
        )
        .properties(width=WIDTH - 160, height=26 * len(df))
    )
