"""Altair charts of the evidence and the scores.

Each function takes plain rows (lists of dicts) and returns an ``alt.Chart``; the
chapters display it. Charts render in the book through the Vega bundle the
build ships in ``_static/`` (no network needed).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

HIGHLIGHT = "#c0392b"
MUTED = "#9aa5b1"
ACCENT = "#2c6e91"
WIDTH = 560


def decimal_year_to_date(t: float) -> pd.Timestamp:
    year = int(t)
    start = pd.Timestamp(year=year, month=1, day=1)
    end = pd.Timestamp(year=year + 1, month=1, day=1)
    return start + (end - start) * (t - year)


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def timeline(rows: list[dict], title: str, unit: str) -> alt.Chart:
    """Figures over time, one line per source publisher (tracker).

    ``rows``: dicts with ``t`` (decimal year), ``value``, ``tracker``, ``period``,
    ``market``, ``source``. Where trackers report the same period, the gap
    between their lines is their disagreement.
    """
    df = _frame(rows)
    df["date"] = df["t"].map(decimal_year_to_date)
    df = df.sort_values(["tracker", "date", "value"]).reset_index(drop=True)
    base = alt.Chart(df, title=alt.Title(title, subtitle="one line per source; where lines part, sources disagree"))
    enc = dict(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%Y")),
        y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False)),
        color=alt.Color("tracker:N", title="Source", legend=alt.Legend(orient="bottom", columns=3)),
        tooltip=[
            alt.Tooltip("tracker:N", title="Source"),
            alt.Tooltip("period:N", title="Period"),
            alt.Tooltip("market:N", title="Market"),
            alt.Tooltip("value:Q", title=unit),
        ],
    )
    lines = base.mark_line(strokeWidth=1.5).encode(**{k: enc[k] for k in ("x", "y", "color")})
    points = base.mark_point(filled=True, size=50).encode(**enc)
    return (lines + points).properties(width=WIDTH, height=260)


def peer_bars(
    rows: list[dict], title: str, unit: str, subtitle: str = "latest figure per company; periods and markets may differ"
) -> alt.Chart:
    """One figure per company (the latest, or one survey's), the book's company highlighted.

    ``rows``: dicts with ``company``, ``value``, ``period``, ``market``, ``highlight`` (bool).
    """
    df = _frame(rows).sort_values(["value", "company"], ascending=[False, True]).reset_index(drop=True)
    order = list(df["company"])
    return (
        alt.Chart(df, title=alt.Title(title, subtitle=subtitle))
        .mark_bar()
        .encode(
            y=alt.Y("company:N", sort=order, title=None),
            x=alt.X("value:Q", title=unit),
            color=alt.condition(alt.datum.highlight, alt.value(HIGHLIGHT), alt.value(MUTED)),
            tooltip=[
                alt.Tooltip("company:N", title="Company"),
                alt.Tooltip("value:Q", title=unit),
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("market:N", title="Market"),
            ],
        )
        .properties(width=WIDTH, height=max(90, 28 * len(df)))
    )


def _bars_with_ranges(
    df: pd.DataFrame,
    category: str,
    value: str,
    order: list[str],
    title: str,
    subtitle: str,
    x_title: str,
    tooltip: list,
) -> list:
    """Horizontal bars of ``value`` on a 0-10 scale with a low-high rule per bar."""
    base = alt.Chart(df, title=alt.Title(title, subtitle=subtitle))
    y = alt.Y(f"{category}:N", sort=order, title=None)
    bars = base.mark_bar(color=ACCENT, opacity=0.8).encode(
        y=y,
        x=alt.X(f"{value}:Q", title=x_title, scale=alt.Scale(domain=[0, 10])),
        tooltip=tooltip,
    )
    ranges = base.mark_rule(color="#222", strokeWidth=2).encode(y=y, x="low:Q", x2="high:Q")
    return [bars, ranges]


def points_chart(rows: list[dict], title: str) -> alt.Chart:
    """Each indicator's points (0-10) with its low-high range and its weight.

    ``rows``: dicts with ``indicator``, ``points``, ``low``, ``high``, ``weight`` (0-1, effective).
    """
    df = _frame(rows)
    layers = _bars_with_ranges(
        df,
        "indicator",
        "points",
        list(df["indicator"]),
        title,
        "bar: points; line: 90% interval; hover for the weight",
        "points (0-10)",
        [
            alt.Tooltip("indicator:N", title="Indicator"),
            alt.Tooltip("points:Q", title="Points", format=".1f"),
            alt.Tooltip("low:Q", title="90% interval from", format=".1f"),
            alt.Tooltip("high:Q", title="90% interval to", format=".1f"),
            alt.Tooltip("weight:Q", title="Weight", format=".0%"),
        ],
    )
    return alt.layer(*layers).properties(width=WIDTH, height=max(80, 32 * len(df)))


def scores_chart(rows: list[dict], title: str) -> alt.Chart:
    """Sub-scores of the eleven metrics with their ranges, and a reference score where one exists.

    ``rows``: dicts with ``metric``, ``score`` (None if missing), ``low``, ``high``,
    ``coverage``, and optionally ``reference``.
    """
    df = _frame(rows)
    order = list(df["metric"])
    layers = _bars_with_ranges(
        df[df["score"].notna()],
        "metric",
        "score",
        order,
        title,
        "bar: sub-score; line: 90% interval",
        "sub-score (0-10)",
        [
            alt.Tooltip("metric:N", title="Metric"),
            alt.Tooltip("score:Q", title="Sub-score", format=".1f"),
            alt.Tooltip("low:Q", title="90% interval from", format=".1f"),
            alt.Tooltip("high:Q", title="90% interval to", format=".1f"),
            alt.Tooltip("coverage:N", title="Coverage"),
        ],
    )
    if "reference" in df and df["reference"].notna().any():
        ref = (
            alt.Chart(df[df["reference"].notna()])
            .mark_tick(color=HIGHLIGHT, thickness=3, size=22)
            .encode(
                y=alt.Y("metric:N", sort=order, title=None),
                x="reference:Q",
                tooltip=[alt.Tooltip("reference:Q", title="Original report")],
            )
        )
        layers.append(ref)
    return alt.layer(*layers).properties(width=WIDTH, height=32 * len(df))
