"""The build pipeline: validate, execute, render, publish.

1. validate the company's data (and its peers'): a bad row stops the build
   before any chapter runs;
2. execute every chapter with papermill's Python API, parameter ``company``,
   in a pool of worker processes;
3. build the HTML with jupyter-book, execution off, warnings as errors;
4. publish atomically: everything is built in a staging folder that replaces
   ``_build/<company>/`` only when every step succeeded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..book.results import prepare as prepare_analysis
from ..data import DataError, load
from ..paths import BUILD_DIR, CHAPTERS_DIR, ROOT, check_slug
from ..project import repository_url
from .downloads import publish_downloads

CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"
STATIC = ROOT / "_static"


class BuildError(Exception):
    """A step of the build failed; the message names the chapter (and cell) when there is one."""


@dataclass
class ChapterRun:
    name: str
    seconds: float
    error: str | None = None


@dataclass
class BuildReport:
    company: str
    ok: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    chapters: list[ChapterRun] = field(default_factory=list)
    error: str | None = None
    html: Path | None = None


# --------------------------------------------------------------------------- chapters


def toc_chapters(toc: Path = TOC) -> list[str]:
    """Chapter files (without extension, relative to the book root) in reading order."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    names = [data["root"]]
    for part in data.get("parts", []):
        names += [c["file"] for c in part.get("chapters", [])]
    names += [c["file"] for c in data.get("chapters", [])]
    return names


def read_chapter(path: Path):
    import jupytext

    return jupytext.read(path)


def _failed_cell(nb) -> int | None:
    """1-based number, among the chapter's own code cells, of the cell that raised."""
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        n += 1
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return n
    return None


def _hide_injected(nb) -> None:
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")


WARM_UP = "import moatbook.book.chapter, moatbook.book.frontback"


class _WarmKernels:
    """One kernel booting ahead in each worker process.

    While a chapter runs, the kernel for the worker's next chapter starts and
    imports the book's modules (silently: no execution count, no output), so the
    next chapter finds a ready kernel. Each kernel runs exactly one chapter and
    talks over its own IPC sockets, so parallel kernels never race for TCP ports.
    """

    def __init__(self, sockets_root: Path, cwd: str) -> None:
        self.root = sockets_root
        self.cwd = cwd
        self.next = None

    def _start(self):
        from jupyter_client import KernelManager

        folder = Path(tempfile.mkdtemp(prefix="k-", dir=self.root))
        km = KernelManager(kernel_name="python3", transport="ipc", connection_file=str(folder / "kernel.json"))
        km.start_kernel(cwd=self.cwd)
        client = km.client()
        client.start_channels()
        client.execute(WARM_UP, silent=True, store_history=False)
        return km, client, folder

    def take(self):
        """A started kernel manager for the chapter about to run; boots the next one."""
        current = self.next or self._start()
        self.next = self._start()
        km, client, folder = current
        client.stop_channels()
        return km, folder


_WORKER: dict = {}


def _worker_init(log_path: str, sockets_root: str, cwd: str) -> None:
    """Quiet stderr (kernels' warnings go to the build log) and prepare this worker's warm kernel."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    _WORKER["kernels"] = _WarmKernels(Path(sockets_root), cwd)


def execute_chapter(src: str, out: str, parameters: dict, cwd: str) -> ChapterRun:
    """Run one chapter with papermill (in a worker process); never raises."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    name = Path(src).stem
    print(f"  - {name}: started", flush=True)
    start = time.perf_counter()
    error = None
    folder = None
    try:
        nb = read_chapter(Path(src))
        pool = _WORKER.get("kernels")
        if pool is not None:
            km, folder = pool.take()
        else:
            from jupyter_client import KernelManager

            folder = Path(tempfile.mkdtemp(prefix="mbk-"))
            km = KernelManager(kernel_name="python3", transport="ipc", connection_file=str(folder / "kernel.json"))
        result = papermill.execute_notebook(
            nb,
            out,
            parameters=parameters,
            cwd=cwd,
            kernel_name="python3",
            km=km,
            progress_bar=False,
            request_save_on_cell_execute=False,
            log_output=False,
            shutdown_kernel="immediate",
        )
        _hide_injected(result)
        nbformat.write(result, out)
    except PapermillExecutionError as exc:
        executed = nbformat.read(out, as_version=4) if Path(out).exists() else None
        number = _failed_cell(executed) if executed else None
        first = exc.source.strip().splitlines()[0] if exc.source.strip() else ""
        where = f"code cell {number}" if number else "a code cell"
        error = f"chapter {_rel(src)} failed in {where} (`{first}`): {exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, bad notebook, ...
        error = f"chapter {_rel(src)} could not be executed: {type(exc).__name__}: {exc}"
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    seconds = time.perf_counter() - start
    status = "done" if error is None else "FAILED"
    print(f"  - {name}: {status} in {seconds:.1f} s", flush=True)
    return ChapterRun(name, seconds, error)


def _rel(path) -> str:
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def execute_all(
    chapters: list[Path], nb_dir: Path, parameters: dict, jobs: int, log_path: Path | None = None
) -> list[ChapterRun]:
    nb_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_path or nb_dir.parent / "execute.log"
    env_path = os.environ.get("PYTHONPATH", "")
    if str(ROOT) not in env_path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    tasks = [(str(src), str(nb_dir / f"{src.stem}.ipynb"), parameters, str(nb_dir)) for src in chapters]
    # IPC socket paths must stay short (about 100 characters), so they live in the system temp folder.
    sockets = Path(tempfile.mkdtemp(prefix="mbk-"))
    # Imported here so forked workers inherit them instead of importing each on its own.
    import jupyter_client  # noqa: F401
    import jupytext  # noqa: F401
    import papermill  # noqa: F401

    runs = []
    with ProcessPoolExecutor(
        max_workers=max(1, jobs), initializer=_worker_init, initargs=(str(log_path), str(sockets), str(nb_dir))
    ) as pool:
        futures = [pool.submit(execute_chapter, *t) for t in tasks]
        for fut in as_completed(futures):
            runs.append(fut.result())
    shutil.rmtree(sockets, ignore_errors=True)  # the last warm kernels exit with their workers
    order = {src.stem: i for i, src in enumerate(chapters)}
    return sorted(runs, key=lambda r: order[r.name])


def source_version() -> str:
    """Short hash of what a book is made from besides data: chapters, package, config, styles."""
    import hashlib

    digest = hashlib.sha256()
    files = [
        *sorted(CHAPTERS_DIR.glob("*.md")),
        *sorted((ROOT / "moatbook").rglob("*.py")),
        CONFIG,
        TOC,
        *sorted(STATIC.glob("*")),
    ]
    for f in files:
        digest.update(f.relative_to(ROOT).as_posix().encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:10]


# --------------------------------------------------------------------------- offline charts


def vega_bundle(cache_dir: Path) -> Path:
    """The Vega/Vega-Lite/Vega-Embed bundle plus the preset that stops Altair loading from a CDN."""
    import altair as alt
    import vl_convert as vlc

    versions = {
        "vega_version": alt.VEGA_VERSION,
        "vegalite_version": alt.VEGALITE_VERSION,
        "vegaembed_version": alt.VEGAEMBED_VERSION,
    }
    key = f"vl{vlc.__version__}-v{alt.VEGA_VERSION}-vl{alt.VEGALITE_VERSION}-ve{alt.VEGAEMBED_VERSION}"
    path = cache_dir / f"vega-offline-{key}.js"
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        bundle = vlc.javascript_bundle()
        preset = (
            "/* Vega, Vega-Lite and Vega-Embed, bundled so charts render with no network.\n"
            "   VEGA_DEBUG tells Altair's loader the libraries are already here. */\n"
            f"var VEGA_DEBUG = {json.dumps(versions)};\n"
        )
        tmp = path.with_suffix(".tmp")
        tmp.write_text(preset + "(function(){\n" + bundle + "\n})();\n", encoding="utf-8")
        tmp.replace(path)
    return path


# --------------------------------------------------------------------------- html


def write_book_config(src: Path, company_name: str, execute: str = "off") -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["title"] = f"{company_name}: brand loyalty as an economic moat"
    config.setdefault("execute", {})["execute_notebooks"] = execute
    config["exclude_patterns"] = ["_build", "**/.ipynb_checkpoints"]
    url = repository_url()
    config.setdefault("repository", {})["url"] = url
    if not url:  # no address known: no buttons rather than buttons to nowhere
        config.setdefault("html", {}).update(use_repository_button=False, use_issues_button=False)
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    shutil.copy2(TOC, src / "_toc.yml")


def build_html(src: Path, out: Path) -> None:
    """jupyter-book build with warnings as errors; raise BuildError naming the chapters that warned."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(exe) if exe.exists() else "jupyter-book",
        "build",
        str(src),
        "--path-output",
        str(out),
        "--builder",
        "html",
        "-W",
        "-n",
        "--keep-going",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not (out / "_build" / "html" / "index.html").exists():
        lines = (proc.stdout + "\n" + proc.stderr).splitlines()
        problems = [ln.replace(str(src) + os.sep, "") for ln in lines if "WARNING" in ln or "ERROR" in ln]
        detail = "\n    ".join(problems[:20]) or "\n    ".join(lines[-15:])
        raise BuildError(f"jupyter-book reported problems (warnings count as errors):\n    {detail}")


# --------------------------------------------------------------------------- publish


def publish(stage: Path, final: Path) -> None:
    """Swap the finished stage in for the published book; the old one is removed only afterwards."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        final.rename(old)
    stage.rename(final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _check_scores(stage: Path) -> None:
    scores_file = stage / "scores.json"
    if not scores_file.exists():
        raise BuildError("the scorecard chapter did not write scores.json")
    scores = json.loads(scores_file.read_text())
    for part in sorted((stage / "scores").glob("*.json")):
        metric = part.stem
        if json.loads(part.read_text()) != scores["metrics"].get(metric):
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


def build_book(
    company: str, jobs: int = 2, out_root: Path = BUILD_DIR, log=print, chapters_dir: Path = CHAPTERS_DIR
) -> BuildReport:
    """Build ``_build/<company>/``; return a report (``ok`` False on failure, the old book untouched)."""
    report = BuildReport(company)
    t_all = time.perf_counter()
    stage = None
    try:
        check_slug(company)
        t0 = time.perf_counter()
        log(f"[{company}] validating data")
        try:
            ds = load([company])
        except DataError as exc:
            raise BuildError(str(exc)) from None
        if ds.company(company).kind != "brand":
            raise BuildError(f"'{company}' is a benchmark, not a brand; it has no book")
        report.timings["validate"] = time.perf_counter() - t0
        log(f"[{company}] data OK ({report.timings['validate']:.1f} s)")

        out_root.mkdir(parents=True, exist_ok=True)
        for leftover in out_root.glob(f".stage-{company}-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        stage = out_root / f".stage-{company}-{os.getpid()}"
        nb_dir = stage / "notebooks"
        names = toc_chapters()
        sources = [
            ROOT / f"{n}.md" if chapters_dir == CHAPTERS_DIR else chapters_dir / f"{Path(n).name}.md" for n in names
        ]
        missing = [str(s) for s in sources if not s.exists()]
        if missing:
            raise BuildError(f"chapter file(s) listed in _toc.yml are missing: {', '.join(missing)}")

        t0 = time.perf_counter()
        log(f"[{company}] scoring the brand and its peers, with intervals and sensitivity")
        prepare_analysis(company)
        report.timings["analysis"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        log(f"[{company}] executing {len(sources)} chapters on {jobs} worker(s)")
        params = {"company": company, "build_date": dt.date.today().isoformat(), "output_dir": ".."}
        report.chapters = execute_all(sources, nb_dir, params, jobs)
        report.timings["execute"] = time.perf_counter() - t0
        failed = [r for r in report.chapters if r.error]
        if failed:
            raise BuildError("\n".join(r.error for r in failed))
        _check_scores(stage)

        t0 = time.perf_counter()
        log(f"[{company}] building HTML")
        src = stage / "src"
        (src / "chapters").mkdir(parents=True)
        for nb in nb_dir.glob("*.ipynb"):
            shutil.copy2(nb, src / "chapters" / nb.name)
        write_book_config(src, ds.company(company).name)
        shutil.copytree(STATIC, src / "_static")
        shutil.copy2(vega_bundle(out_root / ".cache"), src / "_static" / "vega-offline.js")
        build_html(src, stage)
        (stage / "_build" / "html").rename(stage / "html")
        publish_downloads(stage, ds, company)
        shutil.rmtree(stage / "_build", ignore_errors=True)
        shutil.rmtree(src, ignore_errors=True)
        report.timings["html"] = time.perf_counter() - t0

        report.timings["total"] = time.perf_counter() - t_all
        info = {
            "company": company,
            "data_version": ds.book_version(company),
            "source_version": source_version(),
            "build_date": params["build_date"],
            "timings": report.timings,
            "chapters": {r.name: round(r.seconds, 2) for r in report.chapters},
        }
        (stage / "build-info.json").write_text(json.dumps(info, indent=2) + "\n")
        final = out_root / company
        publish(stage, final)
        stage = None
        report.ok = True
        report.html = final / "html" / "index.html"
        _log_scores(final / "scores.json", company, log)
        log(
            f"[{company}] done in {report.timings['total']:.1f} s "
            f"(validate {report.timings['validate']:.1f} s, execute {report.timings['execute']:.1f} s, "
            f"html {report.timings['html']:.1f} s): {_rel(report.html)}"
        )
    except BuildError as exc:
        report.error = str(exc)
        log(f"[{company}] BUILD FAILED: {exc}")
        if (out_root / company).exists():
            log(f"[{company}] the previous book in {out_root / company} is untouched")
    finally:
        if stage is not None and stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return report
