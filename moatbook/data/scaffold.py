"""`make new-company`: the data files a user fills in for a new brand, and the checklist to fill them.

The checklist's rules come from the indicator catalogue (:mod:`moatbook.data.catalogue`),
which reads the rubric, so they say what the validator and the engine will accept.
The new row of ``companies.csv`` holds placeholders that ``make validate`` refuses,
each with a message saying what to fill in.
"""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

from ..paths import check_slug, data_dir
from .catalogue import minimum_options
from .loading import REGISTRY, known_companies, load_rubric
from .schema import HOME_MARKET_PLACEHOLDER, SUMMARY_PLACEHOLDER, AssessmentRow, EvidenceRow

CHECKLIST = """\
New brand '{slug}' ({name}) created. Files to fill in:
  {companies}   its new row: peers, home_market and summary hold placeholders that
      `make validate` refuses until you replace them
  {sources}   the source registry, one row per page read (publisher, title, url,
      published, accessed, confidence). Search it first: a page already registered
      keeps its id, e.g. grep -i 'canalys.com/newsroom' {sources}
  {evidence}   one row per figure (metric, indicator, value, unit, period, market,
      source_id, measure; tracker, sub_brand, segment, population where they apply)
  {assessments}   judgements on the ordinal indicators (level, source_ids, rationale)

Where a figure goes: `make indicators` (or `make indicators METRIC=<id>`) lists every
indicator with its units, periods, markets and what it needs before it counts.

What gives each metric a sub-score (any one item; low-confidence sources alone never count):
{minimums}

Checklist:
  [ ] every figure has a registered source, a period, a market and a unit, and a
      measure in your own words
  [ ] judgements cite sources and give a one-line reason that meets the level's wording
  [ ] make validate                  (errors name the file, row and column)
  [ ] make scores COMPANY={slug}      (each metric: scored, not scored and why, or no evidence)
  [ ] make audit                     (likely duplicates, listing pages, low-confidence series)
  [ ] make book COMPANY={slug}       (builds even when half filled; each chapter names its gaps)
"""

# the CSV column order people expect (the model validates 'unit' before 'value')
EVIDENCE_COLUMNS = ["company", "metric", "indicator", "value", "unit", "period", "market", "source_id", "measure"]


def _header(path: Path, fields: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(fields)


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)


def checklist(slug: str, name: str, root: Path) -> str:
    rubric = load_rubric(root / "rubric.yaml")
    lines = []
    for mid in rubric.metrics:
        text = f"[ ] {mid}: " + "; or ".join(minimum_options(rubric, mid))
        lines += textwrap.wrap(text, 96, initial_indent="  ", subsequent_indent="        ")
    return CHECKLIST.format(
        slug=slug,
        name=name,
        companies=_rel(root / "companies.csv", root),
        sources=_rel(root / REGISTRY, root),
        evidence=_rel(root / "evidence" / f"{slug}.csv", root),
        assessments=_rel(root / "assessments" / f"{slug}.csv", root),
        minimums="\n".join(lines),
    )


def new_company(slug: str, name: str, root: Path | None = None) -> list[Path]:
    """Create empty (header-only) data files for ``slug`` and add it to companies.csv."""
    check_slug(slug)
    root = root or data_dir()
    if slug in known_companies(root):
        raise SystemExit(f"error: company '{slug}' already exists in {root / 'companies.csv'}")
    if not name.strip():
        raise SystemExit("error: NAME must not be empty")
    files = {
        "evidence": root / "evidence" / f"{slug}.csv",
        "assessments": root / "assessments" / f"{slug}.csv",
    }
    for path in files.values():
        if path.exists():
            raise SystemExit(f"error: {path} already exists")
    optional = [c for c in EvidenceRow.model_fields if c not in EVIDENCE_COLUMNS]
    _header(files["evidence"], EVIDENCE_COLUMNS + optional)
    _header(files["assessments"], list(AssessmentRow.model_fields))
    companies = root / "companies.csv"
    with companies.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            [slug, name.strip(), "brand", "", HOME_MARKET_PLACEHOLDER, f"{name.strip()}: {SUMMARY_PLACEHOLDER}"]
        )
    print(checklist(slug, name.strip(), root))
    return [companies, *files.values()]
