"""The worker side of chapter execution: one task in, one executed chapter out.

The same function runs in the local worker processes and on Dask workers. A
task carries everything a chapter needs except the package itself: the
parameterised notebook and the digest of its book's context (the validated
dataset and per-book results, see :mod:`moatbook.book.context`), which the
worker loads once and keeps for the following chapters of that book. The
chapter runs in a private temporary folder; what it writes there (its score
files) comes back with the executed notebook, so outputs land where the build
expects them whatever machine ran the chapter.

Importing this module imports what chapters use (IPython, pandas, Altair and the
book's modules) and renders a small chart, so a worker forked from a process
that imported it starts warm.
"""

from __future__ import annotations

import os
import pickle
import shutil
import socket
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from ..book import context
from .cache import code_version
from .execute import ChapterResult, ChapterTask, NotebookRunner, failed_cell, notebook_from_text, parameterize

_STATE: dict = {"runner": None, "code": ""}
_CONTEXTS: OrderedDict[str, context.BookContext] = OrderedDict()
_LOCK = threading.Lock()  # one chapter at a time per process: the shell and the working folder are shared


def warm() -> None:
    """Import what chapters import and render one chart, so the first chapter pays nothing for it.

    Build workers do not check each chart against the Vega-Lite JSON schema: the
    check never changes a chart, only raises on an invalid one, and it is a fifth
    of a chapter's time. ``make test`` keeps the check: nbval re-executes every
    chapter of the book in a plain kernel, where Altair validates every chart.
    """
    import altair as alt
    import jupytext  # noqa: F401  (chapters arrive as MyST text)
    import pandas as pd

    from ..book import chapter, frontback  # noqa: F401

    _skip_chart_validation(alt)
    alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").to_dict()
    if _STATE["runner"] is None:
        _STATE["runner"] = NotebookRunner()


def _skip_chart_validation(alt) -> None:
    from altair.utils import schemapi

    schemapi.disable_debug_mode()  # no validation of each encoding as it is built
    to_dict = alt.TopLevelMixin.to_dict
    if getattr(to_dict, "_moatbook_unvalidated", False):
        return

    def unvalidated(self, *args, validate: bool = True, **kwargs):
        return to_dict(self, *args, validate=False, **kwargs)

    unvalidated._moatbook_unvalidated = True
    alt.TopLevelMixin.to_dict = unvalidated
    _STATE["code"] = code_version()  # the code as loaded now, which is what chapters will run


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _context(task: ChapterTask, blob: bytes | None) -> context.BookContext:
    ctx = _CONTEXTS.get(task.context)
    if ctx is None:
        if blob is None:
            if not task.context_path:
                raise RuntimeError("the task carries no context")
            blob = Path(task.context_path).read_bytes()
        ctx = pickle.loads(blob)
        _CONTEXTS[task.context] = ctx
        while len(_CONTEXTS) > 8:
            _CONTEXTS.popitem(last=False)
    _CONTEXTS.move_to_end(task.context)
    return ctx


def run_task(task: ChapterTask, blob: bytes | None = None) -> ChapterResult:
    """Execute one chapter; never raises (a failure comes back as ``error``, naming the chapter)."""
    with _LOCK:
        return _run(task, blob)


def _run(task: ChapterTask, blob: bytes | None) -> ChapterResult:
    start = time.perf_counter()
    res = ChapterResult(task.id, task.company, task.chapter, task.key, worker=worker_name())
    tmp = None
    cwd = os.getcwd()
    try:
        if task.code and task.code != _STATE["code"]:
            raise RuntimeError(
                f"this worker loaded other code than the build expects (code version {_STATE['code']} here, "
                f"{task.code} expected): the package changed while the build ran, or the worker has another "
                "version of the repository; build again, with the same version on every worker"
            )
        ctx = _context(task, blob)
        context.install(ctx)
        if _STATE["runner"] is None:
            _STATE["runner"] = NotebookRunner()
        tmp = Path(tempfile.mkdtemp(prefix="mbw-"))
        nb_dir = tmp / "notebooks"
        nb_dir.mkdir()
        notebook = parameterize(notebook_from_text(task.text, Path(task.source).suffix or ".md"), task.parameters)
        outcome = _STATE["runner"].run(notebook, str(nb_dir))
        res.notebook = outcome.notebook
        if outcome.error:
            number, first = failed_cell(outcome.notebook)
            where = f"code cell {number}" if number else "a code cell"
            res.error = f"chapter {task.source} failed in {where} (`{first}`): {outcome.error}"
        for path in sorted(tmp.rglob("*")):
            if path.is_file() and nb_dir not in path.parents:
                res.files[path.relative_to(tmp).as_posix()] = path.read_text(encoding="utf-8")
    except Exception as exc:  # the context, the runner or the folder failed: name the chapter anyway
        res.error = f"chapter {task.source} could not be executed: {type(exc).__name__}: {exc}"
    finally:
        os.chdir(cwd)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    res.seconds = time.perf_counter() - start
    return res


warm()
