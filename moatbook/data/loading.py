"""Load and validate the data tables, reporting every problem by file, row and column.

``load()`` is the single entry point: it reads the rubric, the companies and the
sources, then the evidence and assessments of the companies asked for, and
raises :class:`DataError` listing every problem found before anything runs.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from ..paths import ROOT, check_slug
from ..paths import data_dir as current_data_dir
from .schema import AssessmentRow, Company, EvidenceRow, ReferenceScore, Rubric, Source

MAX_REPORTED = 50
# libyaml's loader when PyYAML has it (the wheels do): the same safe subset, several times faster
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Issue:
    file: str
    row: int | None  # spreadsheet row (the header is row 1), or a line in YAML
    column: str | None
    message: str
    row_word: str = "row"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", {self.row_word} {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class DataError(Exception):
    """One or more problems in the data files; ``issues`` lists each with its place."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        shown = [str(i) for i in issues[:MAX_REPORTED]]
        more = len(issues) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more")
        super().__init__(f"{len(issues)} problem(s) in the data:\n  " + "\n  ".join(shown))


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _pydantic_issues(exc: ValidationError, file: str, row: int | None, line_of=None) -> list[Issue]:
    issues = []
    for e in exc.errors(include_url=False):
        loc = [str(p) for p in e["loc"]]
        column = ".".join(loc) if loc else None
        message = e["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if e["type"] == "missing":
            message = "is required but missing"
        elif e["type"] == "extra_forbidden":
            message = "is not a known field"
        at_row = line_of(e["loc"]) if line_of else row
        issues.append(Issue(file, at_row, column, message))
    return issues


# --------------------------------------------------------------------------- rubric


def _yaml_line_finder(text: str):
    """Return a function mapping a pydantic location to the YAML line that holds it."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lambda loc: None

    def find(loc) -> int | None:
        node, line = root, None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if str(key.value) == str(part):
                        line, node = key.start_mark.line + 1, value
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    return find


def load_rubric(path: Path | None = None) -> Rubric:
    path = path or current_data_dir() / "rubric.yaml"
    file = _rel(path)
    if not path.exists():
        raise DataError([Issue(file, None, None, "file is missing")])
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise DataError([Issue(file, None, None, "file is empty")])
    try:
        raw = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise DataError([Issue(file, line, None, f"not valid YAML: {exc}", row_word="line")]) from None
    if not isinstance(raw, dict):
        raise DataError([Issue(file, None, None, "must be a mapping of keys (version, units, metrics, ...)")])
    try:
        return Rubric.model_validate(raw)
    except ValidationError as exc:
        finder = _yaml_line_finder(text)
        issues = [
            Issue(i.file, i.row, i.column, i.message, row_word="line")
            for i in _pydantic_issues(exc, file, None, line_of=finder)
        ]
        raise DataError(issues) from None


# --------------------------------------------------------------------------- csv tables


def read_csv(path: Path, model: type[BaseModel], issues: list[Issue], context: dict) -> list:
    """Validate every row of ``path`` with ``model``; append problems to ``issues``."""
    file = _rel(path)
    if not path.exists():
        issues.append(Issue(file, None, None, "file is missing"))
        return []
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        issues.append(Issue(file, None, None, "file is empty (it needs at least the header row)"))
        return []
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader)]
    fields = model.model_fields
    required = [n for n, f in fields.items() if f.is_required()]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in fields]
    if missing or unknown:
        if missing:
            issues.append(Issue(file, 1, None, f"header lacks column(s) {', '.join(missing)}"))
        if unknown:
            issues.append(Issue(file, 1, None, f"header has unknown column(s) {', '.join(unknown)}"))
        return []
    rows = []
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            issues.append(
                Issue(file, line_no, None, f"has {len(cells)} cells but the header has {len(header)} columns")
            )
            continue
        raw = {
            h: c for h, c in zip(header, cells, strict=True) if not (c.strip() == "" and not fields[h].is_required())
        }
        try:
            rows.append((line_no, model.model_validate(raw, context=context)))
        except ValidationError as exc:
            issues.extend(_pydantic_issues(exc, file, line_no))
    return rows


@dataclass
class Dataset:
    rubric: Rubric
    companies: dict[str, Company]
    sources: dict[str, Source]
    evidence: dict[str, list[EvidenceRow]] = field(default_factory=dict)
    assessments: dict[str, list[AssessmentRow]] = field(default_factory=dict)
    references: dict[str, dict[str, ReferenceScore]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    data_dir: Path = field(default_factory=current_data_dir)

    def company(self, slug: str) -> Company:
        return self.companies[slug]

    def brands(self) -> list[str]:
        return [s for s, c in self.companies.items() if c.kind == "brand"]

    def version(self, slugs: list[str] | None = None) -> str:
        """Short hash of the data files a book for ``slugs`` reads (all loaded files by default)."""
        wanted = self.files
        if slugs is not None:
            keep = {f"{s}.csv" for s in slugs}
            wanted = [f for f in self.files if f.parent.name not in ("evidence", "assessments") or f.name in keep]
        digest = hashlib.sha256()
        for f in sorted(wanted):
            digest.update(f.relative_to(self.data_dir).as_posix().encode())
            digest.update(f.read_bytes())
        return digest.hexdigest()[:10]

    def book_version(self, slug: str) -> str:
        """Data version of the book for ``slug``: its files, its peers' and the benchmarks'."""
        benchmarks = [s for s, c in self.companies.items() if c.kind == "benchmark"]
        return self.version([slug, *self.companies[slug].peers, *benchmarks])


def known_companies(data_dir: Path | None = None) -> list[str]:
    """Slugs in companies.csv (read loosely, for messages before full validation)."""
    path = (data_dir or current_data_dir()) / "companies.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [r["slug"].strip() for r in csv.DictReader(fh) if r.get("slug")]


def load(slugs: list[str] | None = None, data_dir: Path | None = None, with_peers: bool = True) -> Dataset:
    """Validate and load the data for ``slugs`` (and their peers and benchmarks), or for all companies."""
    data_dir = data_dir or current_data_dir()
    issues: list[Issue] = []
    rubric = load_rubric(data_dir / "rubric.yaml")
    files = [data_dir / "rubric.yaml", data_dir / "companies.csv"]

    slugs_in_file = known_companies(data_dir)
    company_rows = read_csv(
        data_dir / "companies.csv",
        Company,
        issues,
        {"markets": set(rubric.markets), "company_slugs": set(slugs_in_file)},
    )
    companies: dict[str, Company] = {}
    company_file = _rel(data_dir / "companies.csv")
    for line, c in company_rows:
        if c.slug in companies:
            issues.append(Issue(company_file, line, "slug", f"company '{c.slug}' appears twice"))
        companies[c.slug] = c

    sources: dict[str, Source] = {}
    source_lines: dict[str, str] = {}
    source_files = sorted((data_dir / "sources").glob("*.csv"))
    if not source_files:
        issues.append(Issue(_rel(data_dir / "sources"), None, None, "no source files (sources/*.csv)"))
    for path in source_files:
        files.append(path)
        for line, s in read_csv(path, Source, issues, {}):
            if s.source_id in sources:
                issues.append(
                    Issue(
                        _rel(path),
                        line,
                        "source_id",
                        f"source id '{s.source_id}' is already used at {source_lines[s.source_id]}",
                    )
                )
                continue
            sources[s.source_id] = s
            source_lines[s.source_id] = f"{_rel(path)} row {line}"

    if slugs is None:
        wanted = list(companies)
    else:
        wanted = []
        for slug in slugs:
            check_slug(slug)
            if slug not in companies:
                known = ", ".join(companies) or "none"
                issues.append(Issue(company_file, None, "slug", f"unknown company '{slug}'; known: {known}"))
                continue
            wanted.append(slug)
            if with_peers:
                wanted += [p for p in companies[slug].peers if p in companies]
        wanted += [s for s, c in companies.items() if c.kind == "benchmark"]
        wanted = list(dict.fromkeys(wanted))

    ds = Dataset(rubric, companies, sources, files=files, data_dir=data_dir)
    ref_path = data_dir / "reference_scores.csv"
    if ref_path.exists():
        files.append(ref_path)
        ctx = {"rubric": rubric, "company_slugs": set(companies)}
        for _, ref in read_csv(ref_path, ReferenceScore, issues, ctx):
            ds.references.setdefault(ref.company, {})[ref.metric] = ref
    for slug in wanted:
        ctx = {"rubric": rubric, "sources": sources, "company": slug}
        ev_path = data_dir / "evidence" / f"{slug}.csv"
        rows = read_csv(ev_path, EvidenceRow, issues, ctx)
        seen: dict[tuple, int] = {}
        for line, r in rows:
            if r.key in seen:
                issues.append(
                    Issue(
                        _rel(ev_path),
                        line,
                        "measure",
                        f"duplicates row {seen[r.key]} (same indicator, period, market, source and measure)",
                    )
                )
            seen.setdefault(r.key, line)
        ds.evidence[slug] = [r for _, r in rows]
        if ev_path.exists():
            files.append(ev_path)
        as_path = data_dir / "assessments" / f"{slug}.csv"
        if companies[slug].kind == "brand" or as_path.exists():
            arows = read_csv(as_path, AssessmentRow, issues, ctx)
            ds.assessments[slug] = [r for _, r in arows]
            if as_path.exists():
                files.append(as_path)
        else:
            ds.assessments[slug] = []
    if issues:
        raise DataError(issues)
    return ds
