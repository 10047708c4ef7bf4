"""Execute one chapter notebook in a reused IPython shell, recording outputs as a kernel would.

A Jupyter kernel costs about a second to start and import the book's modules, and
every cell pays a round trip over ZeroMQ. A build worker instead keeps one IPython
shell for its whole life and runs chapter after chapter in it: before each chapter
the user namespace is emptied, the execution counter restarts at 1, the warning
registries are cleared and the working folder is set, so a chapter sees what a
fresh kernel would (imported modules stay loaded, which is the point).

Outputs are recorded in the shapes a kernel sends them (``display_data``,
``execute_result``, ``stream``, ``error``), JSON-normalised, so the executed
notebook is an ordinary ``.ipynb`` that nbval re-executes in a real kernel and
compares output by output. Execution stops at the first failing cell, as
nbclient does, and the failure names the chapter, the cell and its first line.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass, field

INJECTED = "injected-parameters"


@dataclass
class Outcome:
    """What running one notebook produced: the notebook (as a dict), the first error, the time."""

    notebook: dict
    error: str | None = None
    seconds: float = 0.0
    cell_seconds: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------- tasks


@dataclass
class ChapterTask:
    id: str
    company: str
    chapter: str  # file stem, e.g. "price_premium"
    source: str  # the chapter file as the build names it in messages, e.g. "chapters/price_premium.md"
    text: str  # the chapter's source (MyST Markdown), parsed and parameterised by the worker
    parameters: dict
    key: str
    context: str  # digest of the book's context
    context_path: str | None = None  # where a local worker reads the context from
    code: str = ""  # code version the build expects the worker to run


@dataclass
class ChapterResult:
    id: str
    company: str
    chapter: str
    key: str
    notebook: dict | None = None
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    worker: str = ""


# --------------------------------------------------------------------------- notebooks


def parameterize(nb: dict, parameters: dict) -> dict:
    """A copy of ``nb`` with a hidden cell setting ``parameters`` after the ``parameters`` cell.

    Same shape as papermill's injected cell (tag ``injected-parameters``), plus
    ``remove-cell`` so the book never shows it.
    """
    nb = json.loads(json.dumps(nb))
    lines = ["# Parameters"] + [f"{k} = {json.dumps(v)}" for k, v in parameters.items()]
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "injected-parameters",
        "metadata": {"tags": [INJECTED, "remove-cell"]},
        "outputs": [],
        "source": "\n".join(lines) + "\n",
    }
    cells = nb["cells"]
    at = next((i + 1 for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    cells[:] = [c for c in cells if INJECTED not in c.get("metadata", {}).get("tags", [])]
    cells.insert(min(at, len(cells)), cell)
    for c in cells:
        if c["cell_type"] == "code":
            c["outputs"] = []
            c["execution_count"] = None
    return nb


def read_source(path) -> dict:
    """A chapter source (MyST Markdown or .ipynb) as a notebook dict."""
    from pathlib import Path

    path = Path(path)
    return notebook_from_text(path.read_text(encoding="utf-8"), path.suffix)


_PARSED: dict[tuple[str, str], dict] = {}


def notebook_from_text(text: str, suffix: str = ".md") -> dict:
    """A chapter source's text (MyST Markdown, or an .ipynb's JSON) as a notebook dict, parsed once per process."""
    key = (text, suffix)
    if key not in _PARSED:
        import jupytext
        import nbformat

        nb = jupytext.reads(text, fmt=suffix.lstrip("."))
        _PARSED[key] = json.loads(nbformat.writes(nb))
    return json.loads(json.dumps(_PARSED[key]))


def failed_cell(nb: dict) -> tuple[int | None, str]:
    """1-based number, among the chapter's own code cells, of the cell that raised, and its first line."""
    n = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or INJECTED in cell.get("metadata", {}).get("tags", []):
            continue
        n += 1
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            first = src.strip().splitlines()[0] if src.strip() else ""
            return n, first
    return None, ""


def _json_clean(value):
    """What a kernel's JSON encoding does to display data: tuples become lists, bytes base64."""
    import base64

    def default(obj):
        if isinstance(obj, bytes):
            return base64.b64encode(obj).decode("ascii")
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
        return repr(obj)

    return json.loads(json.dumps(value, default=default))


# --------------------------------------------------------------------------- the shell


class _Recorder:
    """Where the outputs of the cell being run go."""

    def __init__(self) -> None:
        self.outputs: list[dict] = []
        self.clear_pending = False

    def add(self, out: dict) -> None:
        if self.clear_pending:
            self.outputs.clear()
            self.clear_pending = False
        if out["output_type"] == "stream" and self.outputs:
            last = self.outputs[-1]
            if last["output_type"] == "stream" and last["name"] == out["name"]:
                last["text"] += out["text"]
                return
        self.outputs.append(out)


class _Stream(io.TextIOBase):
    def __init__(self, recorder: _Recorder, name: str) -> None:
        self.recorder, self.name_ = recorder, name

    def write(self, text: str) -> int:
        if text:
            self.recorder.add({"output_type": "stream", "name": self.name_, "text": text})
        return len(text)

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return "utf-8"

    def isatty(self) -> bool:
        return False


def _make_shell(recorder: _Recorder):
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            out = {"output_type": "display_data", "data": _json_clean(data), "metadata": _json_clean(metadata or {})}
            display_id = (transient or {}).get("display_id")
            if update and display_id:
                for old in recorder.outputs:
                    if old.get("_display_id") == display_id:
                        old["data"], old["metadata"] = out["data"], out["metadata"]
                return
            if display_id:
                out["_display_id"] = display_id
            recorder.add(out)

        def clear_output(self, wait=False):
            if wait:
                recorder.clear_pending = True
            else:
                recorder.outputs.clear()

    class Hook(DisplayHook):
        def start_displayhook(self):
            self._msg = {"output_type": "execute_result", "data": {}, "metadata": {}, "execution_count": None}

        def write_output_prompt(self):
            self._msg["execution_count"] = self.prompt_count

        def write_format_data(self, format_dict, md_dict=None):
            self._msg["data"] = _json_clean(format_dict)
            self._msg["metadata"] = _json_clean(md_dict or {})

        def finish_displayhook(self):
            recorder.add(self._msg)
            self._msg = None

    class BuildShell(InteractiveShell):
        display_pub_class = Publisher
        displayhook_class = Hook

        def _showtraceback(self, etype, evalue, stb):
            recorder.add(
                {"output_type": "error", "ename": etype.__name__, "evalue": str(evalue), "traceback": list(stb)}
            )

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "linux"  # tracebacks coloured like a kernel's
    # IPython keeps one shell per process: a runner made earlier in this process (a test, a second build) steps
    # aside, or IPython refuses the new shell as an incompatible sibling of the old one
    if InteractiveShell.initialized():
        InteractiveShell.clear_instance()
    return BuildShell.instance(config=config)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings go to the cell's stderr, as in a kernel."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


class NotebookRunner:
    """One IPython shell, reused for notebook after notebook with a clean namespace each time."""

    def __init__(self) -> None:
        self.recorder = _Recorder()
        main = sys.modules.get("__main__")
        self.shell = _make_shell(self.recorder)
        # IPython puts its own namespace module in as __main__; the host gets its own back (multiprocessing's
        # spawn reads __main__.__spec__, so a Dask cluster started later in the same process would fail)
        self._host_main = main
        self._restore_main()

    def _restore_main(self) -> None:
        if self._host_main is not None:
            sys.modules["__main__"] = self._host_main

    def _fresh_start(self, cwd: str) -> None:
        shell = self.shell
        shell.reset(new_session=False)
        shell.execution_count = 1
        os.chdir(cwd)
        # a fresh kernel shows each warning again: forget where warnings were already shown
        for module in list(sys.modules.values()):
            registry = getattr(module, "__warningregistry__", None)
            if isinstance(registry, dict):
                registry.clear()
        warnings.resetwarnings()
        warnings.simplefilter("default")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        warnings.showwarning = _show_warning

    def run(self, nb: dict, cwd: str) -> Outcome:
        """Execute the code cells of ``nb`` (a dict, changed in place) in ``cwd``."""
        sys.modules["__main__"] = self.shell.user_module  # as in a kernel, while the notebook runs
        try:
            with warnings.catch_warnings():  # the host's warning settings come back afterwards
                return self._run(nb, cwd)
        finally:
            self._restore_main()

    def _run(self, nb: dict, cwd: str) -> Outcome:
        start = time.perf_counter()
        self._fresh_start(cwd)
        nb.setdefault("metadata", {})["language_info"] = {
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3",
            "version": ".".join(map(str, sys.version_info[:3])),
        }
        times = []
        error = None
        saved = sys.stdout, sys.stderr
        try:
            for cell in nb["cells"]:
                if cell["cell_type"] != "code":
                    continue
                source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                self.recorder.outputs = []
                self.recorder.clear_pending = False
                t0 = time.perf_counter()
                count = self.shell.execution_count
                sys.stdout = _Stream(self.recorder, "stdout")
                sys.stderr = _Stream(self.recorder, "stderr")
                try:
                    result = self.shell.run_cell(source, store_history=True)
                finally:
                    sys.stdout, sys.stderr = saved
                times.append(time.perf_counter() - t0)
                for out in self.recorder.outputs:
                    out.pop("_display_id", None)
                cell["outputs"] = self.recorder.outputs
                cell["execution_count"] = count
                if not result.success:
                    exc = result.error_in_exec or result.error_before_exec
                    error = f"{type(exc).__name__}: {exc}"
                    break
        finally:
            sys.stdout, sys.stderr = saved
            self.recorder.outputs = []
            self.shell.reset(new_session=False)
        return Outcome(nb, error, time.perf_counter() - start, times)
