"""What to say about a metric that is not scored: one status and one reason, with counts.

Every place that reports a metric (the build summary, ``make scores``, the
chapters, the site) uses :func:`metric_gap`, so a metric is always described the
same way:

- ``scored``: it has a sub-score;
- ``not scored: <reason>``: rows or judgements are on file but none counts, e.g.
  "too few points" (a trend needs several years), "low-confidence sources only",
  "sub-brand or segment figures only", or "no figure for a scored indicator"
  (only context figures);
- ``no evidence``: nothing at all on file for the metric.

Counts are of the rows and judgements on file for the metric, scored or not, so a
metric with rows is never reported as having none.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data.schema import AssessmentRow, EvidenceRow, Rubric
from .engine import MetricResult, Scorecard

REASONS = {
    "too few points": "too few points",
    "low-confidence only": "low-confidence sources only",
    "sub-brand or segment only": "sub-brand or segment figures only",
}


@dataclass(frozen=True)
class Gap:
    status: str  # scored | not scored | no evidence
    reason: str  # empty when scored
    rows: int  # evidence rows on file for the metric (its own indicators and the series it reads)
    judgements: int  # judgements on file for the metric
    context_rows: int  # of the rows, those of context indicators only
    note: str = ""  # a curator's note on why the evidence is missing or thin (data/gaps.csv)

    @property
    def counts(self) -> str:
        parts = []
        if self.rows:
            parts.append(f"{self.rows} figure{'s' if self.rows != 1 else ''}")
        if self.judgements:
            parts.append(f"{self.judgements} judgement{'s' if self.judgements != 1 else ''}")
        return " and ".join(parts) + " on file" if parts else "nothing on file"

    def text(self) -> str:
        """One line: 'scored (...)', 'not scored: <reason> (...)' or 'no evidence'."""
        if self.status == "no evidence":
            return "no evidence"
        if self.status == "scored":
            return f"scored ({self.counts})"
        return f"not scored: {self.reason} ({self.counts})"

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "reason": self.reason,
            "rows": self.rows,
            "judgements": self.judgements,
            "summary": self.text(),
            "note": self.note,
        }


def _rows_on_file(rubric: Rubric, metric_id: str, evidence: list[EvidenceRow]) -> tuple[int, int]:
    """Rows of the metric's indicators and of the series they read: (all, context only)."""
    spec = rubric.metrics[metric_id]
    scored_keys, all_keys = set(), set()
    for iid, ind in spec.indicators.items():
        key = rubric.reads(metric_id, iid)
        if key is None:
            continue
        all_keys.add(key)
        if ind.scored:
            scored_keys.add(key)
    rows = [r for r in evidence if (r.metric, r.indicator) in all_keys]
    context = [r for r in rows if (r.metric, r.indicator) not in scored_keys]
    return len(rows), len(context)


def metric_gap(
    rubric: Rubric, m: MetricResult, evidence: list[EvidenceRow], assessments: list[AssessmentRow], note: str = ""
) -> Gap:
    """The status of metric ``m`` with its reason and the counts on file (and a curator's note, if any)."""
    n_rows, n_context = _rows_on_file(rubric, m.id, evidence)
    n_judgements = sum(1 for a in assessments if a.metric == m.id)
    if m.score is not None:
        return Gap("scored", "", n_rows, n_judgements, n_context, note)
    if n_rows == 0 and n_judgements == 0:
        return Gap("no evidence", "", 0, 0, 0, note)
    by_reason: dict[str, list[str]] = {}
    too_few: dict[str, str] = {}
    for ind in m.indicators:
        if ind.kind == "context" or ind.scored or ind.status == "missing":
            continue
        why = REASONS.get(ind.status, ind.status)
        by_reason.setdefault(why, []).append(ind.label)
        if ind.note and ind.status == "too few points":
            too_few.setdefault(why, ind.note)
    reasons = []
    for why, labels in by_reason.items():
        names = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        reasons.append(f"{why} for {names}" + (f" ({too_few[why]})" if why in too_few else ""))
    if not reasons:
        reasons.append("no figure or judgement for a scored indicator, only context figures")
    return Gap("not scored", "; ".join(dict.fromkeys(reasons)), n_rows, n_judgements, n_context, note)


def card_gaps(rubric: Rubric, card: Scorecard, evidence, assessments, notes: dict | None = None) -> dict[str, Gap]:
    """Each metric's :class:`Gap`; ``notes`` maps a metric to its row of ``gaps.csv``."""
    notes = notes or {}
    return {
        mid: metric_gap(rubric, m, evidence, assessments, notes[mid].note if mid in notes else "")
        for mid, m in card.metrics.items()
    }


def scores_json(rubric: Rubric, card: Scorecard, evidence, assessments, notes: dict | None = None) -> dict:
    """``card.to_json()`` with each metric's status, reason, counts on file and curator's note."""
    data = card.to_json()
    for mid, gap in card_gaps(rubric, card, evidence, assessments, notes).items():
        data["metrics"][mid].update(gap.to_json())
    return data
