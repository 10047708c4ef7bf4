"""The build pipeline: validate, plan against the cache, execute what changed, render, publish.

1. If nothing a book is made from changed since it was published (data files,
   chapters, package, configuration, styles, requirements), it is up to date and
   the build stops there.
2. Otherwise the build takes the brand's lock (:mod:`.locks`), validates the data
   (a bad row stops it before anything runs), and computes once what every
   chapter needs (:mod:`moatbook.book.context`).
3. Each chapter's cache key is computed (:mod:`.cache`); cached chapters that are
   intact and agree with the scores are reused, the rest execute on the executor
   (:mod:`.executors`: local worker processes, or Dask).
4. The HTML is rebuilt incrementally and published atomically (:mod:`.html`); a
   failed or interrupted build leaves the last good book untouched.

``build_books`` does this for several brands at once (``make site``): the data is
loaded and each company scored once, all chapters of all books share one pool of
workers, and each book's HTML starts as soon as its chapters are done.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..book.worksheet import worksheet_html
from ..paths import BUILD_DIR, CHAPTERS_DIR, ROOT, check_slug, data_dir
from .cache import FORMAT, ChapterCache, Entry, atomic_write, digest_files, load_timings, save_timings, sha
from .downloads import publish_downloads
from .html import (
    CONFIG,
    STATIC,
    TOC,
    HtmlError,
    Stopped,
    copy_html,
    fill_pages,
    publish,
    recover,
    stopping,
    vega_bundle,
)
from .html import write_book_config as write_book_config  # noqa: F401  (the benchmark's baseline uses it)
from .locks import BookLocks, LockBusy
from .progress import Progress
from .worksheet import pdf_available, publish_worksheet


class BuildError(Exception):
    """A step of the build failed; the message names the chapter (and cell) when there is one."""


@dataclass
class ChapterRun:
    name: str
    seconds: float
    error: str | None = None
    cached: bool = False
    worker: str = ""


@dataclass
class BuildReport:
    company: str
    ok: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    chapters: list[ChapterRun] = field(default_factory=list)
    error: str | None = None
    html: Path | None = None
    up_to_date: bool = False


# --------------------------------------------------------------------------- what a book is made from


def toc_chapters(toc: Path = TOC) -> list[str]:
    """Chapter files (without extension, relative to the book root) in reading order."""
    import yaml

    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    names = [data["root"]]
    for part in data.get("parts", []):
        names += [c["file"] for c in part.get("chapters", [])]
    names += [c["file"] for c in data.get("chapters", [])]
    return names


def source_version() -> str:
    """Short hash of what a book is made from besides data: chapters, package, config, styles."""
    files = [*CHAPTERS_DIR.glob("*.md"), *(ROOT / "moatbook").rglob("*.py"), CONFIG, TOC, *STATIC.glob("*")]
    return digest_files(files)[:10]


def as_of_root(out_root: Path, as_of: int | None) -> Path:
    """Where the books as of a past year go (``_build/asof-<year>/``), beside today's."""
    return Path(out_root) / f"asof-{as_of}" if as_of else Path(out_root)


def inputs_digest(company: str, chapters_dir: Path = CHAPTERS_DIR, as_of: int | None = None) -> str:
    """Everything a published book follows from, as one digest: if it matches, the book is up to date."""
    chapters = [
        ROOT / f"{n}.md" if chapters_dir == CHAPTERS_DIR else chapters_dir / f"{Path(n).name}.md"
        for n in toc_chapters()
    ]
    data = data_dir()
    files = [
        *chapters,
        *(ROOT / "moatbook").rglob("*.py"),
        ROOT / "requirements.txt",
        CONFIG,
        TOC,
        *(f for f in STATIC.rglob("*") if f.is_file()),
        *(f for f in data.rglob("*") if f.is_file()),
    ]
    extra = f"{company} {chapters_dir} {data} {sys.version_info[:3]} {FORMAT} as-of {as_of}"
    return sha(digest_files(files) + extra)[:24]


def up_to_date(company: str, out_root: Path = BUILD_DIR, chapters_dir: Path = CHAPTERS_DIR) -> bool:
    """Whether ``out_root/<company>`` was built from exactly the files there are now."""
    return _published(Path(out_root) / company).get("inputs") == inputs_digest(company, chapters_dir)


def _published(book: Path) -> dict:
    try:
        info = json.loads((book / "build-info.json").read_text())
    except (OSError, ValueError):
        return {}
    return info if (book / "html" / "index.html").exists() and (book / "scores.json").exists() else {}


# --------------------------------------------------------------------------- one book, many books


def _whatif_rows(ctx, company: str) -> list[dict]:
    """The book's rows the metric chapters' what-if charts compute the overall from (none when not rated)."""
    from ..book import whatif

    card = ctx.get("analysis").card
    mdl = whatif.model(card, ctx.dataset.rubric, ctx.dataset.company(company).name)
    return whatif.book_rows(mdl, keep_ind=True) if mdl.rated else []


def build_book(
    company: str,
    jobs: int = 2,
    out_root: Path = BUILD_DIR,
    log=print,
    chapters_dir: Path = CHAPTERS_DIR,
    executor: str = "local",
    scheduler: str | None = None,
    force: bool = False,
    wait: bool = True,
    as_of: int | None = None,
) -> BuildReport:
    """Build ``_build/<company>/``; return a report (``ok`` False on failure, the old book untouched).

    Chapters execute in worker processes started the way ``multiprocessing`` starts
    them (a fork server): a script that calls this must guard its top level with
    ``if __name__ == "__main__":``, as for any use of ``multiprocessing``.

    ``as_of`` (a year): build the book as of the end of that year into ``out_root/asof-<year>/``.
    """
    return build_books(
        [company],
        jobs=jobs,
        out_root=as_of_root(out_root, as_of),
        as_of=as_of,
        log=log,
        chapters_dir=chapters_dir,
        executor=executor,
        scheduler=scheduler,
        force=force,
        wait=wait,
    )[company]


def build_books(
    companies: list[str],
    jobs: int = 2,
    out_root: Path = BUILD_DIR,
    log=print,
    chapters_dir: Path = CHAPTERS_DIR,
    executor: str = "local",
    scheduler: str | None = None,
    force: bool = False,
    wait: bool = True,
    data=None,
    locked: bool = False,
    as_of: int | None = None,
) -> dict[str, BuildReport]:
    """Build the books of ``companies``, sharing data, scores and workers; a report per company.

    ``data`` (optional) is the already validated dataset of every company;
    ``locked`` says the caller already holds the brands' locks. ``as_of`` (a year)
    scores every book as of the end of that year (``data``, when given, is filtered
    too); ``out_root`` is used as given.
    """
    out_root = Path(out_root)
    reports = {c: BuildReport(c) for c in companies}
    start = time.perf_counter()
    todo: dict[str, str] = {}  # company -> digest of its inputs, taken before anything is read
    for company in companies:
        try:
            check_slug(company)
        except ValueError as exc:
            _fail(reports[company], str(exc), out_root, log)
            continue
        digest = inputs_digest(company, chapters_dir, as_of)
        if not force and _published(out_root / company).get("inputs") == digest:
            _up_to_date(reports[company], out_root, start, log)
        else:
            todo[company] = digest
    if not todo:
        return reports
    # start the workers now: they import the book's modules while the data is validated and planned
    ex = _Executor(executor, scheduler, jobs, out_root)
    try:
        with BookLocks(out_root / ".locks", [] if locked else list(todo), wait=wait, log=log):
            for company in list(todo):
                recover(out_root, company)
                # a build we waited for may have built exactly this
                if not force and _published(out_root / company).get("inputs") == todo[company]:
                    _up_to_date(reports[company], out_root, start, log)
                    del todo[company]
            if todo:
                _build_locked(todo, reports, jobs, out_root, log, chapters_dir, ex, force, data, start, as_of)
    except LockBusy as exc:
        for company in todo:
            _fail(reports[company], str(exc), out_root, log)
    finally:
        ex.close(kill=True)  # finished or interrupted: the workers are idle or must stop now
    return reports


def _up_to_date(report: BuildReport, out_root: Path, start: float, log) -> None:
    book = out_root / report.company
    report.ok = report.up_to_date = True
    report.html = book / "html" / "index.html"
    report.timings["total"] = time.perf_counter() - start
    log(f"[{report.company}] up to date: nothing it is made from changed since {_rel(report.html)} was built")


def _fail(report: BuildReport, message: str, out_root: Path, log) -> None:
    report.ok = False
    report.error = message
    log(f"[{report.company}] BUILD FAILED: {message}")
    if (out_root / report.company / "html").exists():
        log(f"[{report.company}] the previous book in {_rel(out_root / report.company)} is untouched")


def _rel(path) -> str:
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _make_executor(executor: str, scheduler: str | None, jobs: int, out_root: Path):
    from .executors import DaskExecutor, LocalPool

    if scheduler or executor == "dask":
        return DaskExecutor(scheduler, jobs)
    if executor != "local":
        raise BuildError(f"unknown executor '{executor}': use 'local' or 'dask'")
    return LocalPool(jobs, out_root / ".cache" / "workers.log")


class _Executor:
    """The build's executor, started early (local workers warm up while the data is validated) or on demand."""

    def __init__(self, executor: str, scheduler: str | None, jobs: int, out_root: Path) -> None:
        self.args = (executor, scheduler, jobs, out_root)
        self.pool = None
        if executor == "local" and not scheduler:
            self.pool = _make_executor(*self.args).start()

    def get(self):
        if self.pool is None:
            self.pool = _make_executor(*self.args).start()
        return self.pool

    def close(self, kill: bool) -> None:
        if self.pool is not None:
            self.pool.close(kill=kill)
            self.pool = None


def _build_locked(todo, reports, jobs, out_root, log, chapters_dir, ex, force, data, start, as_of=None):
    from ..book import context
    from ..data import DataError, load
    from .cache import code_version
    from .plan import chapter_sources, plan_book

    cache_root = out_root / ".cache"
    companies = list(todo)
    progress = Progress(log)
    early: dict = {}  # company -> its HTML build being set up
    with progress:
        try:
            t0 = time.perf_counter()
            progress.log(f"[{', '.join(companies)}] validating data")
            try:
                full = data if data is not None else load(companies if len(companies) == 1 else None)
            except DataError as exc:
                raise BuildError(str(exc)) from None
            if as_of and getattr(full, "as_of", None) is None:
                from ..data.asof import as_of as data_as_of

                full = data_as_of(full, as_of)
                progress.log(f"[{', '.join(companies)}] as of {full.as_of.label}: evidence published by then only")
            for company in companies:
                if company not in full.companies or full.company(company).kind != "brand":
                    kind = "a benchmark" if company in full.companies else "unknown"
                    raise BuildError(f"'{company}' is {kind}, not a brand; it has no book")
            validate = time.perf_counter() - t0
            progress.log(f"[{', '.join(companies)}] data OK ({validate:.1f} s)")
            if len(companies) == 1:  # one book: set its HTML build up in the background from now on
                company = companies[0]
                setup = ThreadPoolExecutor(max_workers=1, thread_name_prefix="html-setup")
                early[company] = setup.submit(_early_html, company, full.company(company).name, out_root)
                setup.shutdown(wait=False)

            # plan: each book's context (every company scored once), the chapters' keys, the cached chapters
            t0 = time.perf_counter()
            context.use_store(cache_root / "results")
            code = code_version()
            sources = chapter_sources(chapters_dir)
            cache = ChapterCache(cache_root / "chapters")
            plans = {}
            for company in companies:
                ds = full if len(companies) == 1 and data is None else context.book_dataset(full, company)
                ctx = context.prepare(ds, company, code=code)
                plans[company] = plan_book(ctx, sources, cache, code, force=force)
                plans[company].inputs = todo[company]
                for why in plans[company].rejected:
                    progress.log(f"[{company}] ignored a cached chapter: {why}")
            plan_time = time.perf_counter() - t0
            for company in companies:
                reports[company].timings.update(validate=validate, plan=plan_time)

            _execute_and_publish(plans, reports, ex, jobs, out_root, progress, code, start, early)
        except BuildError as exc:
            for company in companies:
                if not reports[company].ok and reports[company].error is None:
                    _fail(reports[company], str(exc), out_root, progress.log)
        finally:
            context.use_store(None)
            for fut in early.values():  # set up but never used (planning failed, or interrupted)
                with contextlib.suppress(BaseException):
                    fut.result().cancel(keep=True)


def _execute_and_publish(plans, reports, ex: _Executor, jobs, out_root, progress, code, start, early: dict):
    from . import html
    from .plan import tasks_for, write_context

    cache_root = out_root / ".cache"
    cache = ChapterCache(cache_root / "chapters")
    timings = load_timings(cache_root)
    tasks, blobs = [], {}
    for company, plan in plans.items():
        todo = plan.todo
        progress.book(company, len(plan.jobs), len(plan.jobs) - len(todo))
        if todo:
            blobs[plan.context_digest or company] = write_context(plan, cache_root / "context", code)
            tasks += tasks_for(plan, code)
    # longest chapters first, so no worker is left with a long one at the end
    tasks.sort(key=lambda t: -timings.get(t.chapter, 1.0))
    jobs_by_id = {f"{c}/{j.name}": j for c, p in plans.items() for j in p.jobs}
    remaining = {c: len(p.todo) for c, p in plans.items()}
    began: dict[str, float] = {}
    finishing = []
    html_pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(plans))), thread_name_prefix="html")

    def finish(company: str) -> None:
        finishing.append(
            html_pool.submit(
                _finish, plans[company], reports[company], out_root, progress, start, early.pop(company, None)
            )
        )

    def on_start(task, where: str) -> None:
        began.setdefault(task.company, time.perf_counter())
        progress.started(task.company, task.chapter, where)

    done = False
    try:
        for company, n in remaining.items():
            if n == 0:
                finish(company)
        if tasks:
            pool = ex.get()
            if hasattr(pool, "add_context"):
                for plan in plans.values():
                    if plan.context_path is not None:
                        pool.add_context(plan.context_digest, plan.context_path.read_bytes())
            for res in pool.run(tasks, on_start=on_start):
                job = jobs_by_id[res.id]
                job.seconds, job.worker = res.seconds, res.worker
                timings[res.chapter] = round(res.seconds, 3)
                if res.error:
                    job.error = res.error
                else:
                    job.entry = Entry(
                        res.key, res.chapter, res.company, res.notebook, res.files, res.seconds, res.worker
                    )
                    cache.put(job.entry)
                progress.finished(res.company, res.chapter, res.seconds, res.error)
                remaining[res.company] -= 1
                if remaining[res.company] == 0:
                    reports[res.company].timings["execute"] = time.perf_counter() - began.get(res.company, start)
                    finish(res.company)
        for fut in finishing:
            fut.result()
        done = True
    finally:
        if not done:
            html.stop_all()
        html_pool.shutdown(wait=True, cancel_futures=True)
        save_timings(cache_root, timings)


def _early_html(company: str, name: str, out_root: Path):
    """Start setting up a book's HTML build (Sphinx) now, with everything but the notebooks in place."""
    from .html import SphinxRun, prepare_work, source_files

    work = out_root / ".work" / company
    prepare_work(work, source_files({}, name, vega_bundle(out_root / ".cache")), keep="chapters/")
    return SphinxRun(work).start()


def _finish(plan, report: BuildReport, out_root: Path, progress: Progress, start: float, early=None) -> None:
    """Check a book's executed chapters, build its HTML, publish it; fill in ``report``.

    ``early``: the book's HTML build, already set up while its chapters executed.
    """
    from .html import SphinxRun, digest_tree, notebook_bytes, prepare_work, source_files, sync_tree

    company = plan.company
    stage = None
    log = progress.log
    if early is not None:
        try:
            early = early.result()
        except Exception:  # setting up early failed: the HTML is built the ordinary way below
            early = None
    try:
        report.timings.setdefault("execute", 0.0)
        report.chapters = [ChapterRun(j.name, j.seconds, j.error, j.cached, j.worker) for j in plan.jobs]
        if plan.failed:
            raise BuildError("\n".join(j.error for j in plan.failed))
        files: dict[str, str] = {}
        for job in plan.jobs:
            files.update(job.entry.files)
        _check_scores(files)

        t0 = time.perf_counter()
        ds = plan.ctx.dataset
        notebooks = {job.name: notebook_bytes(job.entry.notebook) for job in plan.jobs}
        src = source_files(notebooks, ds.company(company).name, vega_bundle(out_root / ".cache"))
        fills = {"data_version": plan.ctx.version}
        whatif_rows = _whatif_rows(plan.ctx, company)
        # the worksheet's page and whether this machine can print it: a browser installed since publishes its PDF
        sheet = {"page": worksheet_html(ds.rubric, ds.company(company).name), "pdf": pdf_available()}
        html_inputs = digest_tree(src, json.dumps({**fills, "whatif": whatif_rows, "worksheet": sheet}, sort_keys=True))
        book = out_root / company
        published = _published(book)
        info = {
            "company": company,
            "data_version": plan.ctx.version,
            "source_version": source_version(),
            "inputs": plan.inputs,
            "html_inputs": html_inputs,
            "build_date": dt.date.today().isoformat(),
            "timings": report.timings,
            "chapters": {
                j.name: {"seconds": round(j.seconds, 2), "cached": j.cached, "worker": j.worker} for j in plan.jobs
            },
        }
        if published.get("html_inputs") == html_inputs:
            # every page is as published: record what it was checked against, publish nothing
            info["build_date"] = published.get("build_date", info["build_date"])
            report.timings["html"] = time.perf_counter() - t0
            report.timings["total"] = time.perf_counter() - start
            atomic_write(book / "build-info.json", (json.dumps(info, indent=2) + "\n").encode())
            progress.status(company, "up to date")
            log(f"[{company}] every page is up to date ({sum(j.cached for j in plan.jobs)} chapters cached)")
        else:
            progress.status(company, "building HTML")
            work = out_root / ".work" / company
            if early is not None:
                changed, sphinx = sync_tree(work / "src", src), early
                early = None
            else:
                changed, sphinx = prepare_work(work, src), SphinxRun(work)
            log(f"[{company}] building HTML ({len(changed)} source file(s) changed)")
            html_dir = sphinx.finish()
            report.timings["html"] = time.perf_counter() - t0

            progress.status(company, "publishing")
            stage = out_root / f".stage-{company}-{time.time_ns()}"
            stage.mkdir(parents=True)
            copy_html(html_dir, stage / "html")
            fill_pages(
                stage / "html",
                {**fills, "build_date": info["build_date"], "build_year": info["build_date"][:4]},
                whatif_rows,
            )
            (stage / "notebooks").mkdir()
            for name, data in notebooks.items():
                (stage / "notebooks" / f"{name}.ipynb").write_bytes(data)
            for rel, text in files.items():
                (stage / rel).parent.mkdir(parents=True, exist_ok=True)
                (stage / rel).write_text(text, encoding="utf-8")
            publish_downloads(stage, ds, company)
            publish_worksheet(stage / "html", ds, company, log, cache=out_root / ".cache" / "worksheets")
            (stage / "execute.log").write_text(
                "".join(
                    f"{j.name}: {'cached' if j.cached else 'executed'} in {j.seconds:.2f} s"
                    + (f" on {j.worker}" if j.worker else "")
                    + "\n"
                    for j in plan.jobs
                )
            )
            report.timings["total"] = time.perf_counter() - start
            (stage / "build-info.json").write_text(json.dumps(info, indent=2) + "\n")
            if stopping():
                raise Stopped
            publish(stage, book)
            stage = None
        report.ok = True
        report.html = book / "html" / "index.html"
        _log_scores(book / "scores.json", company, log)
        cached = sum(j.cached for j in plan.jobs)
        t = report.timings
        log(
            f"[{company}] done in {t['total']:.1f} s (validate {t.get('validate', 0):.1f} s, "
            f"execute {t.get('execute', 0):.1f} s, html {t.get('html', 0):.1f} s; "
            f"{cached} of {len(plan.jobs)} chapters from the cache): {_rel(report.html)}"
        )
        progress.status(company, "done")
    except (BuildError, HtmlError) as exc:
        _fail(report, str(exc), out_root, log)
        progress.status(company, "FAILED")
    except Stopped:
        report.error = "interrupted"
    finally:
        if early is not None:  # set up but not needed (nothing to rebuild, or the chapters failed)
            early.cancel(keep=True)
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


def _check_scores(files: dict[str, str]) -> None:
    if "scores.json" not in files:
        raise BuildError("the scorecard chapter did not write scores.json")
    scores = json.loads(files["scores.json"])
    for rel, text in sorted(files.items()):
        if rel.startswith("scores/") and rel.endswith(".json"):
            metric = Path(rel).stem
            if json.loads(text) != scores["metrics"].get(metric):
                raise BuildError(f"chapter {metric} wrote a sub-score that differs from scores.json")


def _log_scores(path: Path, company: str, log) -> None:
    """The overall, and each metric that is not scored with its reason, so a half-filled brand sees its gaps."""
    scores = json.loads(path.read_text())
    metrics = scores["metrics"]
    if scores["overall"] is None:
        overall = "not rated"
    else:
        overall = (
            f"{scores['overall']:.1f} / 100 (90% interval {scores['low']:.1f}-{scores['high']:.1f}, "
            f"{scores['band']}{', provisional' if scores.get('status') == 'provisional' else ''})"
        )
    scored = [m for m, v in metrics.items() if v["score"] is not None]
    log(f"[{company}] overall {overall}; {len(scored)} of {len(metrics)} metrics scored")
    for mid, v in metrics.items():
        if v["score"] is not None:
            continue
        log(f"[{company}] {mid}: {v.get('summary') or 'no evidence'}")
    thin = [m for m in scored if metrics[m]["coverage"] in ("C", "D")]
    if thin:
        log(f"[{company}] scored on thin evidence (coverage C or D): {', '.join(thin)}")


__all__ = ["BuildError", "BuildReport", "ChapterRun", "build_book", "build_books", "toc_chapters"]
