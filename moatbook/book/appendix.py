"""The appendix: the indicator catalogue, for readers who want to add or check a figure."""

from __future__ import annotations

from ..data.catalogue import ANY_MARKET, ANY_PERIOD, GENERAL_RULES, KIND_WORDS, catalogue, minimum_options
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
        rows = [
            ["Periods", esc(ANY_PERIOD)],
            ["Markets", esc(ANY_MARKET)],
            ["Every indicator", esc(GENERAL_RULES)],
        ]
        return Html(table(["Unless an indicator says otherwise", ""], rows, cls="mb-compact"), "defaults")

    def metrics(self) -> Html:
        """One block per metric: the least evidence for a sub-score, then each indicator."""
        parts = []
        for mid, metric in self.rubric.metrics.items():
            items = []
            for e in catalogue(self.rubric, mid):
                kind = KIND_WORDS[e.kind]
                if e.read_by and not e.scored:
                    kind = "a series the scored indicators read"
                facts = [esc(kind)]
                if e.weight is not None:
                    facts.append(f"{e.weight:.0%} of the metric")
                if e.rows_go_to:
                    facts.append(f"reads the figures of <code>{esc(e.rows_go_to)}</code>")
                elif e.kind == "ordinal":
                    facts.append("a level from 0 to 4 with its sources and a reason")
                else:
                    units = ", ".join(e.units)
                    if e.conversions:
                        units += f" (converted: {', '.join(e.conversions)})"
                    facts.append(f"units: {esc(units)}")
                    if e.periods != ANY_PERIOD:
                        facts.append(f"periods: {esc(e.periods)}")
                    if e.markets != ANY_MARKET:
                        facts.append(f"markets: {esc(e.markets)}")
                line = f"<b>{esc(e.label)}</b> <code>{esc(e.where)}</code><br>{'; '.join(facts)}."
                if e.scored:
                    line += f'<br><span class="mb-hint">Counts once it has {esc(e.minimum)}.</span>'
                items.append(f"<li>{line}</li>")
            options = "; or ".join(esc(o) for o in minimum_options(self.rubric, mid))
            parts.append(
                f'<details class="mb-details mb-catalogue"><summary>{esc(metric.title)}: '
                f"{len(items)} indicators</summary>"
                + para(f"Least evidence for a sub-score: {options}.", "mb-hint")
                + f'<ul class="mb-list">{"".join(items)}</ul>'
                + "</details>"
            )
        return Html("".join(parts), "indicator catalogue")
