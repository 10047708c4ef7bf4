"""Planning one book: each chapter's cache key, the cached chapters that can be reused, the tasks left.

A cached chapter is reused only if it is intact (see :mod:`moatbook.build.cache`)
and agrees with the scores computed for this build: the score files it wrote and
the scores it glued into its pages must match. Anything else is executed again.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from ..book import context
from ..book.render import fmt_score
from ..paths import ROOT
from .cache import ChapterCache, Entry, atomic_write, chapter_key, sha
from .execute import ChapterTask


def chapter_sources(chapters_dir: Path) -> list[tuple[str, Path]]:
    """(toc name, source file) for every chapter the table of contents lists."""
    from .pipeline import BuildError, toc_chapters

    out = []
    for name in toc_chapters():
        path = ROOT / f"{name}.md" if chapters_dir == ROOT / "chapters" else chapters_dir / f"{Path(name).name}.md"
        out.append((name, path))
    missing = [str(p) for _, p in out if not p.exists()]
    if missing:
        raise BuildError(f"chapter file(s) listed in _toc.yml are missing: {', '.join(missing)}")
    return out


def display_path(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass
class ChapterJob:
    name: str  # file stem
    toc: str  # toc entry, e.g. chapters/price_premium
    source: Path
    key: str
    text: str  # the chapter's source
    parameters: dict
    entry: Entry | None = None  # the executed chapter, once cached or executed
    error: str | None = None
    seconds: float = 0.0
    cached: bool = False
    worker: str = ""


@dataclass
class BookPlan:
    company: str
    ctx: context.BookContext
    jobs: list[ChapterJob] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    context_digest: str = ""
    context_path: Path | None = None
    inputs: str = ""  # digest of everything the book follows from, taken when the build started

    @property
    def todo(self) -> list[ChapterJob]:
        return [j for j in self.jobs if j.entry is None and j.error is None]

    @property
    def failed(self) -> list[ChapterJob]:
        return [j for j in self.jobs if j.error]


def plan_book(
    ctx: context.BookContext, sources: list[tuple[str, Path]], cache: ChapterCache, code: str, force: bool = False
) -> BookPlan:
    plan = BookPlan(ctx.company, ctx)
    params = {"company": ctx.company, "output_dir": ".."}
    for toc_name, path in sources:
        name = Path(toc_name).name
        data = path.read_bytes()
        inputs = context.fingerprint(context.chapter_inputs(ctx, name))
        key = chapter_key(data, params, inputs, code)
        job = ChapterJob(name, toc_name, path, key, data.decode("utf-8"), params)
        entry = None if force else cache.get(key)
        if entry is not None:
            problem = disagreement(entry, ctx, name)
            if problem:
                plan.rejected.append(f"{name}: {problem}")
                entry = None
        if entry is not None:
            job.entry, job.cached, job.seconds, job.worker = entry, True, entry.seconds, entry.worker
        plan.jobs.append(job)
    plan.rejected += cache.rejected
    cache.rejected = []
    return plan


def disagreement(entry: Entry, ctx: context.BookContext, chapter: str) -> str | None:
    """Why a cached chapter disagrees with this build's scores (score files or glued scores), or None."""
    card = ctx.get("analysis").card
    expected = card.to_json()
    for rel, text in entry.files.items():
        try:
            written = json.loads(text)
        except ValueError:
            return f"its file {rel} is not JSON"
        if rel == "scores.json":
            if written.get("overall") != expected["overall"] or {
                m: v.get("score") for m, v in written.get("metrics", {}).items()
            } != {m: v["score"] for m, v in expected["metrics"].items()}:
                return "its scores.json differs from the scores computed now"
        elif rel.startswith("scores/") and rel.endswith(".json"):
            metric = rel[len("scores/") : -len(".json")]
            if metric not in expected["metrics"] or written.get("score") != expected["metrics"][metric]["score"]:
                return f"its sub-score file for {metric} differs from the score computed now"
    glued = _glued(entry.notebook)
    want = {"overall": fmt_score(card.overall) if card.overall is not None else "not rated"}
    if chapter in card.metrics:
        m = card.metrics[chapter]
        want = {"score": fmt_score(m.score) if m.score is not None else "not scored"}
    for name, value in want.items():
        if name in glued and glued[name] != value:
            return f"it shows {name} {glued[name]}, the scores computed now give {value}"
    return None


def _glued(nb: dict) -> dict[str, str]:
    """Values a notebook glued into its prose (myst-nb ``glue``), as plain text."""
    out = {}
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                text = o.get("data", {}).get("application/papermill.record/text/plain")
                if text is not None:
                    out[name] = "".join(text) if isinstance(text, list) else text
    return out


def write_context(plan: BookPlan, directory: Path, code: str) -> bytes:
    """Save the book's context where local workers read it (content-addressed); return its bytes."""
    blob = pickle.dumps(plan.ctx, protocol=pickle.HIGHEST_PROTOCOL)
    # named by what it is computed from (the book's data files and the code), so equal builds share it
    plan.context_digest = sha(f"{plan.company} {plan.ctx.version} {code}")[:24]
    plan.context_path = directory / f"{plan.company}-{plan.context_digest}.pkl"
    if not plan.context_path.exists():
        atomic_write(plan.context_path, blob)
    return blob


def tasks_for(plan: BookPlan, code: str) -> list[ChapterTask]:
    return [
        ChapterTask(
            id=f"{plan.company}/{job.name}",
            company=plan.company,
            chapter=job.name,
            source=display_path(job.source),
            text=job.text,
            parameters=job.parameters,
            key=job.key,
            context=plan.context_digest,
            context_path=str(plan.context_path) if plan.context_path else None,
            code=code,
        )
        for job in plan.todo
    ]
