"""The crosswalk chapter: the eleven metrics beside Aaker, Keller, Brand Finance and Morningstar.

The mapping and its reasons live in ``data/crosswalk.yaml`` (loaded and checked by
:mod:`moatbook.data.crosswalk`); this module turns them into the chapter's table,
the reasons behind each row, the frameworks' dimensions no metric covers and the
works the chapter cites.
"""

from __future__ import annotations

from ..data.crosswalk import NONE, Crosswalk, crosswalk_path, load_crosswalk
from .chapter import Book
from .render import Html, bullets, esc, table


def _metric_link(metric_id: str, title: str) -> str:
    return f'<a href="{esc(metric_id)}.html">{esc(title)}</a>'


def _cell(cw: Crosswalk, framework: str, dimension: str) -> str:
    label = esc(cw.label(framework, dimension))
    return f"<i>{label}</i>" if dimension == NONE else label


def crosswalk_table(cw: Crosswalk, rubric) -> str:
    """One row per metric, one column per framework: the dimension the metric belongs to."""
    headers = ["Metric", *(esc(f.short) for f in cw.frameworks.values())]
    rows = [
        [_metric_link(mid, rubric.metrics[mid].title), *(_cell(cw, fid, row[fid].dimension) for fid in cw.frameworks)]
        for mid, row in cw.metrics.items()
    ]
    caption = (
        "Where each of the eleven metrics sits in four frameworks. "
        + "; ".join(f"{esc(f.short)}: {esc(f.name)}" for f in cw.frameworks.values())
        + ". “No counterpart”: the framework has no dimension for what the metric measures."
    )
    return table(headers, rows, cls="mb-compact mb-crosswalk", caption=caption)


def reasons_html(cw: Crosswalk, rubric) -> str:
    """Why each metric sits where it does: one line per framework, folded under the metric's name."""
    parts = []
    for mid, row in cw.metrics.items():
        items = [
            f"<b>{esc(cw.frameworks[fid].short)}, {esc(cw.label(fid, m.dimension))}.</b> {esc(m.reason)}"
            for fid, m in row.items()
        ]
        parts.append(
            f'<details class="mb-details"><summary>{esc(rubric.metrics[mid].title)}</summary>{bullets(items)}</details>'
        )
    return "".join(parts)


def uncovered(cw: Crosswalk) -> dict[str, list[str]]:
    """Each framework's dimensions that no metric maps to (what the eleven metrics do not see)."""
    return {fid: [d for d in f.dimensions if not cw.metrics_of(fid, d)] for fid, f in cw.frameworks.items()}


def coverage_html(cw: Crosswalk, rubric) -> str:
    """For each framework: how many metrics fall in each dimension, and the dimensions none does."""
    items = []
    for fid, f in cw.frameworks.items():
        counts = [
            f"{esc(label)} {len(cw.metrics_of(fid, d))}" for d, label in f.dimensions.items() if cw.metrics_of(fid, d)
        ]
        none = len(cw.metrics_of(fid, NONE))
        missing = [f.dimensions[d] for d in uncovered(cw)[fid]]
        text = f"<b>{esc(f.short)}</b>: " + ", ".join(counts)
        if none:
            text += f"; no counterpart {none}"
        text += ". " + (
            "Not measured by any metric: " + ", ".join(esc(m) for m in missing) + "."
            if missing
            else "Every dimension is measured by at least one metric."
        )
        items.append(text)
    return bullets(items)


def works_html(cw: Crosswalk) -> str:
    items = []
    for f in cw.frameworks.values():
        text = f"<b>{esc(f.name)}</b>. {esc(f.citation)}."
        if f.url:
            text += f' <a href="{esc(f.url)}">{esc(f.url)}</a>'
        items.append(text)
    return bullets(items)


class CrosswalkChapter(Book):
    """The crosswalk: reads the rubric's metrics and the crosswalk file, no scores (see context.chapter_inputs)."""

    chapter = "crosswalk"
    GLUE_SUMMARY = False

    def __init__(self, company: str, build_date: str = "", output_dir: str = "") -> None:
        super().__init__(company, build_date, output_dir)
        self.cw = load_crosswalk(self.rubric, crosswalk_path(self.ds.data_dir))

    def table(self) -> Html:
        return Html(crosswalk_table(self.cw, self.rubric), "crosswalk table")

    def reasons(self) -> Html:
        return Html(reasons_html(self.cw, self.rubric), "reasons")

    def coverage(self) -> Html:
        return Html(coverage_html(self.cw, self.rubric), "coverage")

    def works(self) -> Html:
        return Html(works_html(self.cw), "frameworks cited")
