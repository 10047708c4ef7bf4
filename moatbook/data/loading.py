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
from .registry import url_key
from .schema import AssessmentRow, Company, EvidenceRow, GapNote, ReferenceScore, Rubric, Source

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
    # spreadsheet row of each evidence row and judgement, parallel to the lists above (for messages)
    evidence_lines: dict[str, list[int]] = field(default_factory=dict)
    assessment_lines: dict[str, list[int]] = field(default_factory=dict)
    source_lines: dict[str, int] = field(default_factory=dict)
    references: dict[str, dict[str, ReferenceScore]] = field(default_factory=dict)
    gap_notes: dict[str, dict[str, GapNote]] = field(default_factory=dict)  # slug -> metric -> why it is thin
    files: list[Path] = field(default_factory=list)
    data_dir: Path = field(default_factory=current_data_dir)
    as_of: object = None  # an :class:`~moatbook.data.asof.AsOf` when the data is as of a past date

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
        if self.as_of is not None:
            digest.update(f"as of {self.as_of.iso}".encode())
        return digest.hexdigest()[:10]

    def book_version(self, slug: str) -> str:
        """Data version of the book for ``slug``: its files, its peers' and the benchmarks'."""
        benchmarks = [s for s, c in self.companies.items() if c.kind == "benchmark"]
        return self.version([slug, *self.companies[slug].peers, *benchmarks])


REGISTRY = "sources.csv"


def _alias_message(sid: str, aliases: dict[str, tuple[str, str]]) -> str:
    old, where = aliases[sid]
    return f"source '{sid}' registers a page that is already registered as '{old}' ({where}): cite '{old}' here"


def _citations(data_dir: Path) -> dict[str, set[str]]:
    """Which companies cite each source id (read loosely: only to tell a new registry row from an old one)."""
    cited: dict[str, set[str]] = {}
    for kind, column in (("evidence", "source_id"), ("assessments", "source_ids")):
        for path in sorted((data_dir / kind).glob("*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for row in csv.DictReader(fh):
                    for sid in (row.get(column) or "").split(";"):
                        if sid.strip():
                            cited.setdefault(sid.strip(), set()).add(path.stem)
    return cited


def load_registry(
    data_dir: Path, issues: list[Issue], files: list[Path], lines: dict[str, int] | None = None
) -> tuple[dict[str, Source], dict]:
    """Read ``sources.csv``: one row per page, ``source_id`` and address each unique.

    Returns the sources by id and the *aliases*: ids of rows that register a page a
    second time, mapped to the id to cite instead (and where it is). The problem is
    reported on the row that looks newer, the one fewer companies cite (the later
    one when that does not tell them apart), so the message lands on what was just added.
    """
    path = data_dir / REGISTRY
    file = _rel(path)
    old_dir = data_dir / "sources"
    if old_dir.is_dir() and any(old_dir.glob("*.csv")):
        names = ", ".join(p.name for p in sorted(old_dir.glob("*.csv")))
        issues.append(
            Issue(
                _rel(old_dir),
                None,
                None,
                f"sources are kept in one registry, {file}; move the rows of {names} there "
                "(a page already registered keeps its id) and delete the folder",
            )
        )
    files.append(path)
    rows = read_csv(path, Source, issues, {})
    cited = _citations(data_dir) if rows else {}
    sources: dict[str, Source] = {}
    aliases: dict[str, tuple[str, str]] = {}
    by_id: dict[str, int] = {}
    by_url: dict[str, tuple[int, Source]] = {}
    for line, s in rows:
        if s.source_id in by_id:
            first = by_id[s.source_id]
            issues.append(
                Issue(
                    file,
                    line,
                    "source_id",
                    f"source id '{s.source_id}' is already registered at row {first} "
                    f"({sources[s.source_id].publisher}, {sources[s.source_id].url}); if this is the same page, "
                    "delete this row, otherwise give this page another id",
                )
            )
            continue
        key = url_key(s.url)
        if key in by_url:
            first_line, first = by_url[key]
            new_line, new, old_line, old = line, s, first_line, first
            if len(cited.get(first.source_id, ())) < len(cited.get(s.source_id, ())):
                new_line, new, old_line, old = first_line, first, line, s
            issues.append(
                Issue(
                    file,
                    new_line,
                    "url",
                    f"this page is already registered as '{old.source_id}' (row {old_line}): delete this row and "
                    f"cite '{old.source_id}' instead of '{new.source_id}'; a page that quotes several trackers "
                    "is registered once, and each evidence row names its figure's tracker in the column 'tracker'",
                )
            )
            aliases[new.source_id] = (old.source_id, f"{file} row {old_line}")
            if new is first:
                by_url[key] = (line, s)
        else:
            by_url[key] = (line, s)
        by_id[s.source_id] = line
        sources[s.source_id] = s
    if lines is not None:
        lines.update(by_id)
    return sources, aliases


def known_companies(data_dir: Path | None = None) -> list[str]:
    """Slugs in companies.csv (read loosely, for messages before full validation)."""
    path = (data_dir or current_data_dir()) / "companies.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [r["slug"].strip() for r in csv.DictReader(fh) if r.get("slug")]


def _brand_slugs(data_dir: Path) -> set[str]:
    """Slugs of kind 'brand' in companies.csv (read loosely, for hints in messages)."""
    path = data_dir / "companies.csv"
    if not path.exists():
        return set()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {
            r["slug"].strip() for r in csv.DictReader(fh) if r.get("slug") and (r.get("kind") or "").strip() == "brand"
        }


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
        {"markets": set(rubric.markets), "company_slugs": set(slugs_in_file), "brand_slugs": _brand_slugs(data_dir)},
    )
    companies: dict[str, Company] = {}
    company_file = _rel(data_dir / "companies.csv")
    for line, c in company_rows:
        if c.slug in companies:
            issues.append(Issue(company_file, line, "slug", f"company '{c.slug}' appears twice"))
        companies[c.slug] = c

    source_lines: dict[str, int] = {}
    sources, aliases = load_registry(data_dir, issues, files, source_lines)

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

    ds = Dataset(rubric, companies, sources, files=files, data_dir=data_dir, source_lines=source_lines)
    gaps_path = data_dir / "gaps.csv"
    if gaps_path.exists():
        files.append(gaps_path)
        seen_gaps: dict[tuple[str, str], int] = {}
        for line, g in read_csv(gaps_path, GapNote, issues, {"rubric": rubric, "company_slugs": set(companies)}):
            if (g.company, g.metric) in seen_gaps:
                issues.append(
                    Issue(_rel(gaps_path), line, "metric", f"duplicates row {seen_gaps[(g.company, g.metric)]}")
                )
            seen_gaps.setdefault((g.company, g.metric), line)
            ds.gap_notes.setdefault(g.company, {})[g.metric] = g
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
        for line, r in rows:
            if r.source_id in aliases:
                issues.append(Issue(_rel(ev_path), line, "source_id", _alias_message(r.source_id, aliases)))
        ds.evidence[slug] = [r for _, r in rows]
        ds.evidence_lines[slug] = [line for line, _ in rows]
        if ev_path.exists():
            files.append(ev_path)
        as_path = data_dir / "assessments" / f"{slug}.csv"
        if companies[slug].kind == "brand" or as_path.exists():
            arows = read_csv(as_path, AssessmentRow, issues, ctx)
            for line, a in arows:
                for sid in a.source_ids:
                    if sid in aliases:
                        issues.append(Issue(_rel(as_path), line, "source_ids", _alias_message(sid, aliases)))
            ds.assessments[slug] = [r for _, r in arows]
            ds.assessment_lines[slug] = [line for line, _ in arows]
            if as_path.exists():
                files.append(as_path)
        else:
            ds.assessments[slug] = []
    if issues:
        raise DataError(issues)
    return ds
