"""The crosswalk (``data/crosswalk.yaml``): where each metric sits in four better-known frameworks.

Each metric names, for each framework, one of the framework's dimensions (or
``none``: the framework has no counterpart) with a one-line reason. Loading checks
that every rubric metric and every framework is covered, that each dimension is
one the framework has, and that the Brand Finance column agrees with the rubric's
pillars; a problem raises :class:`DataError` naming the file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..paths import DATA_DIR
from .loading import DataError, Issue, _rel
from .schema import Rubric

FILE = "crosswalk.yaml"
NONE = "none"


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    short: str
    citation: str
    url: str
    dimensions: dict[str, str]  # id -> label


@dataclass(frozen=True)
class Mapping:
    dimension: str  # a dimension id of the framework, or "none"
    reason: str


@dataclass(frozen=True)
class Crosswalk:
    frameworks: dict[str, Framework]
    metrics: dict[str, dict[str, Mapping]]  # metric -> framework -> mapping

    def label(self, framework: str, dimension: str) -> str:
        return "no counterpart" if dimension == NONE else self.frameworks[framework].dimensions[dimension]

    def metrics_of(self, framework: str, dimension: str) -> list[str]:
        return [m for m, row in self.metrics.items() if row[framework].dimension == dimension]


def crosswalk_path(data_dir: Path | None = None) -> Path:
    """The crosswalk of ``data_dir`` when it has one, else the project's (fictional test data keep the rubric's)."""
    if data_dir is not None and (Path(data_dir) / FILE).exists():
        return Path(data_dir) / FILE
    return DATA_DIR / FILE


def _line(text: str, key: str, after: int = 0) -> int | None:
    lines = text.splitlines()
    for i in range(after, len(lines)):
        if lines[i].strip().startswith(f"{key}:"):
            return i + 1
    return None


def load_crosswalk(rubric: Rubric, path: Path | None = None) -> Crosswalk:
    """The crosswalk at ``path`` (default: the project's), checked against ``rubric``."""
    path = path or crosswalk_path()
    file = _rel(path)
    if not path.exists():
        raise DataError([Issue(file, None, None, "file is missing")])
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DataError([Issue(file, None, None, f"not valid YAML: {exc}")]) from None
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("frameworks"), dict)
        or not isinstance(raw.get("metrics"), dict)
    ):
        raise DataError([Issue(file, None, None, "must have a 'frameworks' and a 'metrics' mapping")])
    issues: list[Issue] = []
    frameworks = {}
    for fid, f in raw["frameworks"].items():
        where = _line(text, fid)
        if not isinstance(f, dict) or not isinstance(f.get("dimensions"), dict) or not f.get("name"):
            issues.append(Issue(file, where, f"frameworks.{fid}", "needs a name and a dimensions mapping", "line"))
            continue
        frameworks[fid] = Framework(
            fid,
            str(f["name"]),
            str(f.get("short") or f["name"]),
            " ".join(str(f.get("citation") or "").split()),
            str(f.get("url") or ""),
            {str(k): str(v) for k, v in f["dimensions"].items()},
        )
    metrics: dict[str, dict[str, Mapping]] = {}
    start = _line(text, "metrics") or 0
    for mid in rubric.metrics:
        if mid not in raw["metrics"]:
            issues.append(Issue(file, start or None, f"metrics.{mid}", "the rubric's metric is missing", "line"))
    for mid, row in raw["metrics"].items():
        where = _line(text, mid, start)
        if mid not in rubric.metrics:
            issues.append(Issue(file, where, f"metrics.{mid}", "is not a metric of the rubric", "line"))
            continue
        row = row if isinstance(row, dict) else {}
        metrics[mid] = {}
        for fid, framework in frameworks.items():
            entry = row.get(fid)
            field = f"metrics.{mid}.{fid}"
            if not (
                isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) and x.strip() for x in entry)
            ):
                issues.append(Issue(file, where, field, "needs [dimension, one-line reason]", "line"))
                continue
            dim, reason = entry[0].strip(), " ".join(entry[1].split())
            if dim != NONE and dim not in framework.dimensions:
                known = ", ".join([*framework.dimensions, NONE])
                issues.append(Issue(file, where, field, f"'{dim}' is not one of {known}", "line"))
                continue
            metrics[mid][fid] = Mapping(dim, reason)
        for fid in row:
            if fid not in frameworks:
                issues.append(Issue(file, where, f"metrics.{mid}.{fid}", "is not a framework listed above", "line"))
    pillars = rubric.aggregation.pillars or {}
    if "brand_finance" in frameworks:
        for pid, pillar in pillars.items():
            for mid in pillar.metrics:
                got = metrics.get(mid, {}).get("brand_finance")
                if got is not None and got.dimension != pid:
                    issues.append(
                        Issue(
                            file,
                            _line(text, mid, start),
                            f"metrics.{mid}.brand_finance",
                            f"says '{got.dimension}' but the rubric's pillars put it in '{pid}'",
                            "line",
                        )
                    )
    if issues:
        raise DataError(issues)
    order = [m for m in rubric.metrics if m in metrics]
    return Crosswalk(frameworks, {m: metrics[m] for m in order})
