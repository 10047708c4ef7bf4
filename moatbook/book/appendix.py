"""The appendix: the indicator catalogue, for readers who want to add or check a figure."""

from __future__ import annotations

from ..data.catalogue import ANY_MARKET, ANY_PERIOD, KIND_WORDS, catalogue, metric_minimum
from .chapter import Book, _glue
from .render import Html, esc, para, table


class CatalogueChapter(Book):
    """Every indicator of the rubric: where its figures go, what it accepts, what it needs."""

    def __init__(self, company: str, build_date: str = "", output_dir: str = "") -> None:
        super().__init__(company, build_date, output_dir)
        entries = catalogue(self.rubric)
        _glue("n_indicators", len(entries))
        _glue("n_scored_indicators", sum(1 for e in entries if e.scored))

    def defaults(self) -> Html:
        rows = [["Periods", esc(ANY_PERIOD)], ["Markets", esc(ANY_MARKET)]]
        return Html(table(["Unless an indicator says otherwise", ""], rows, cls="mb-compact"), "defaults")

    def metrics(self) -> Html:
        parts = []
        for mid, metric in self.rubric.metrics.items():
            rows = []
            for e in catalogue(self.rubric, mid):
                kind = KIND_WORDS[e.kind]
                if e.read_by and not e.scored:
                    kind = "series read by scored indicators"
                where = f"<code>{esc(e.where)}</code>"
                if e.rows_go_to:
                    units = f"reads the figures of <code>{esc(e.rows_go_to)}</code>"
                elif e.kind == "ordinal":
                    units = "a level from 0 to 4, with sources and a reason"
                else:
                    units = esc(", ".join(e.units))
                    if e.conversions:
                        units += f' <span class="mb-hint">(converted: {esc(", ".join(e.conversions))})</span>'
                limits = []
                if e.kind not in ("ordinal", "derived"):
                    if e.periods != ANY_PERIOD:
                        limits.append(esc(e.periods))
                    if e.markets != ANY_MARKET:
                        limits.append(esc(e.markets))
                rows.append(
                    [
                        f"{esc(e.label)}<br>{where}",
                        esc(kind),
                        units,
                        "; ".join(limits) or "any",
                        esc(e.minimum),
                        f"{e.weight:.0%}" if e.weight is not None else "–",
                    ]
                )
            parts.append(
                f'<details class="mb-details mb-catalogue"><summary>{esc(metric.title)}: '
                f"{len(rows)} indicators</summary>"
                + para(esc(metric_minimum(self.rubric, mid)), "mb-hint")
                + table(
                    ["Indicator", "Kind", "Units", "Periods and markets", "Counts once it has", "Weight"],
                    rows,
                    cls="mb-catalogue-table",
                    numeric={5},
                )
                + "</details>"
            )
        return Html("".join(parts), "indicator catalogue")
