"""`make new-company`: the data files a user fills in for a new brand."""

from __future__ import annotations

import csv
from pathlib import Path

from ..paths import check_slug, data_dir
from .loading import known_companies
from .schema import AssessmentRow

CHECKLIST = """\
New brand '{slug}' ({name}) created. Files to fill in:
  {companies}   one new row: set peers (slugs separated by ';'), home_market, summary
  {sources}   the source registry: one row per page you read (publisher, title, url, accessed,
      confidence); search it first, a page already registered keeps its id
  {evidence}   one row per figure (metric, indicator, value, unit, period, market, source_id, measure)
  {assessments}   judgements on ordinal indicators (level 0-4, source_ids, rationale)

Checklist:
  [ ] every figure has a source row with a working URL, and a period, market and unit
  [ ] indicators and units come from data/rubric.yaml (kind 'context' is shown but not scored)
  [ ] at least one figure for the global share series (market_share_stability/global_share_annual)
  [ ] judgements cite sources and give a one-line reason in your own words
  [ ] make validate          (errors name the file, row and column)
  [ ] make book COMPANY={slug}   (builds even when half filled; each chapter names its gaps)
"""


def _header(path: Path, fields: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(fields)


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
    # the CSV column order people expect (the model validates 'unit' before 'value')
    _header(
        files["evidence"],
        ["company", "metric", "indicator", "value", "unit", "period", "market", "source_id", "measure", "note"],
    )
    _header(files["assessments"], list(AssessmentRow.model_fields))
    companies = root / "companies.csv"
    registry = root / "sources.csv"
    with companies.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            [slug, name.strip(), "brand", "", "global", f"{name.strip()}: add a one-line summary in your own words."]
        )
    rel = {k: str(p.relative_to(root.parent)) if p.is_relative_to(root.parent) else str(p) for k, p in files.items()}
    print(
        CHECKLIST.format(
            slug=slug,
            name=name.strip(),
            companies=str(companies.relative_to(root.parent))
            if companies.is_relative_to(root.parent)
            else str(companies),
            sources=str(registry.relative_to(root.parent)) if registry.is_relative_to(root.parent) else str(registry),
            **rel,
        )
    )
    return [companies, *files.values()]
