"""What each book offers for download, and the evidence CSV of a chapter.

The pages link to these files and ``moatbook.build.downloads`` writes them into the
published ``html/downloads/`` folder, both through the names defined here, so a
link and its file cannot drift apart:

- ``downloads/notebooks/<chapter>.ipynb``: the chapter as executed for this book;
- ``downloads/<slug>-scores.json``: every score of the brand (the shape of ``scores.json``);
- ``downloads/<slug>-evidence.csv``: every figure and judgement on the brand;
- ``downloads/<slug>-<metric>-evidence.csv``: the figures and judgements one metric chapter shows;
- ``downloads/<slug>-worksheet.pdf`` (and ``.html``): the "grade it yourself" worksheet for the lesson.
"""

from __future__ import annotations

import csv
import io

DIR = "downloads"

CSV_COLUMNS = [
    "company",
    "metric",
    "indicator",
    "indicator_label",
    "kind",
    "value",
    "unit",
    "period",
    "market",
    "measure_or_reason",
    "note",
    "tracker",
    "sub_brand",
    "segment",
    "source_ids",
    "publishers",
    "urls",
]


def notebook_path(chapter: str) -> str:
    return f"{DIR}/notebooks/{chapter}.ipynb"


def scores_path(slug: str) -> str:
    return f"{DIR}/{slug}-scores.json"


def evidence_path(slug: str, metric: str | None = None) -> str:
    return f"{DIR}/{slug}-{metric}-evidence.csv" if metric else f"{DIR}/{slug}-evidence.csv"


def worksheet_path(slug: str, suffix: str = "pdf") -> str:
    return f"{DIR}/{slug}-worksheet.{suffix}"


def shown_keys(rubric, metric_id: str) -> dict[tuple[str, str], int]:
    """(metric, indicator) pairs whose evidence rows a metric chapter shows, with their rubric order."""
    order = {}
    for i, iid in enumerate(rubric.metrics[metric_id].indicators):
        key = rubric.reads(metric_id, iid)
        if key is not None and key not in order:
            order[key] = i
    return order


def evidence_csv(ds, slug: str, metric: str | None = None) -> str:
    """The figures and judgements on ``slug`` (one metric's, or all), one row each, with their sources."""
    rubric = ds.rubric
    keys = shown_keys(rubric, metric) if metric else None
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()

    def sources(ids):
        found = [ds.sources[s] for s in ids if s in ds.sources]
        return "; ".join(ids), "; ".join(s.publisher for s in found), "; ".join(s.url for s in found)

    for r in ds.evidence.get(slug, []):
        if keys is not None and (r.metric, r.indicator) not in keys:
            continue
        ids, pubs, urls = sources([r.source_id])
        writer.writerow(
            dict(
                company=slug,
                metric=r.metric,
                indicator=r.indicator,
                indicator_label=rubric.metrics[r.metric].indicators[r.indicator].label,
                kind="figure",
                value=f"{r.value:g}",
                unit=r.unit,
                period=r.period,
                market=r.market,
                measure_or_reason=r.measure,
                note=r.note,
                tracker=r.tracker,
                sub_brand=r.sub_brand,
                segment=r.segment,
                source_ids=ids,
                publishers=pubs,
                urls=urls,
            )
        )
    for a in ds.assessments.get(slug, []):
        if metric is not None and a.metric != metric:
            continue
        ids, pubs, urls = sources(a.source_ids)
        writer.writerow(
            dict(
                company=slug,
                metric=a.metric,
                indicator=a.indicator,
                indicator_label=rubric.metrics[a.metric].indicators[a.indicator].label,
                kind="judgement",
                value=str(a.level),
                unit="level 0-4",
                measure_or_reason=a.rationale,
                source_ids=ids,
                publishers=pubs,
                urls=urls,
            )
        )
    return out.getvalue()
