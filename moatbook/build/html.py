"""Incremental HTML for each brand's book, published atomically.

Each brand keeps a Sphinx working folder between builds, ``_build/.work/<slug>/``:
``src/`` (the book's configuration, styles and executed notebooks) and ``out/``
(jupyter-book's output: the HTML and Sphinx's saved environment). A build
rewrites only the source files whose bytes changed, so Sphinx re-reads and
re-writes only those pages. A failed or interrupted HTML build removes the
working folder (the next build starts it afresh and reports the same warnings
again); the published book is never written in place: the finished HTML is
copied to a staging folder, the book-wide values (data version, build date) are
filled in, and the stage replaces ``_build/<slug>/`` in one rename.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from ..paths import BUILD_DIR, ROOT
from ..project import repository_url
from .cache import atomic_write, sha

CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"
STATIC = ROOT / "_static"


class HtmlError(Exception):
    """jupyter-book reported warnings or errors (warnings count as errors)."""


class Stopped(Exception):
    """The build was interrupted while a book's HTML was being built or published."""


_RUNNING: set[subprocess.Popen] = set()
_STOP = threading.Event()


def stopping() -> bool:
    return _STOP.is_set()


def stop_all() -> None:
    """Interrupted: stop every running jupyter-book and keep books from being published."""
    _STOP.set()
    for proc in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- offline charts


def vega_bundle(cache_dir: Path) -> Path:
    """The Vega/Vega-Lite/Vega-Embed bundle plus the preset that stops Altair loading from a CDN.

    Made once per set of pinned requirements (which fix the versions of Altair
    and vl-convert), so later builds need not import them to find it.
    """
    pinned = cache_dir / f"vega-offline-req-{sha((ROOT / 'requirements.txt').read_bytes())[:16]}.js"
    if pinned.exists():
        return pinned
    shared = BUILD_DIR / ".cache" / pinned.name  # made by an earlier build of this checkout
    if shared.exists():
        atomic_write(pinned, shared.read_bytes())
        return pinned
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
        bundle = vlc.javascript_bundle()
        preset = (
            "/* Vega, Vega-Lite and Vega-Embed, bundled so charts render with no network.\n"
            "   VEGA_DEBUG tells Altair's loader the libraries are already here. */\n"
            f"var VEGA_DEBUG = {json.dumps(versions)};\n"
        )
        atomic_write(path, (preset + "(function(){\n" + bundle + "\n})();\n").encode())
    atomic_write(pinned, path.read_bytes())
    return pinned


# --------------------------------------------------------------------------- the Sphinx source


def book_config(company_name: str, execute: str = "off") -> bytes:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["title"] = f"{company_name}: brand loyalty as an economic moat"
    config.setdefault("execute", {})["execute_notebooks"] = execute
    config["exclude_patterns"] = ["_build", "**/.ipynb_checkpoints"]
    url = repository_url()
    config.setdefault("repository", {})["url"] = url
    if not url:  # no address known: no buttons rather than buttons to nowhere
        config.setdefault("html", {}).update(use_repository_button=False, use_issues_button=False)
    return yaml.safe_dump(config, sort_keys=False).encode()


def write_book_config(src: Path, company_name: str, execute: str = "off") -> None:
    (src / "_config.yml").write_bytes(book_config(company_name, execute))
    shutil.copy2(TOC, src / "_toc.yml")


def notebook_bytes(nb: dict) -> bytes:
    """An executed notebook as an .ipynb file (nbformat's JSON layout; the workers produced valid notebooks)."""
    return (json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode()


def source_files(notebooks: dict[str, bytes], company_name: str, bundle: Path) -> dict[str, bytes]:
    """Every file of a book's Sphinx source: relative path -> bytes."""
    files = {f"chapters/{name}.ipynb": data for name, data in notebooks.items()}
    files["_config.yml"] = book_config(company_name)
    files["_toc.yml"] = TOC.read_bytes()
    for f in sorted(STATIC.rglob("*")):
        if f.is_file():
            files[f"_static/{f.relative_to(STATIC).as_posix()}"] = f.read_bytes()
    files["_static/vega-offline.js"] = bundle.read_bytes()
    files[RENDERER_FILE] = renderer_version().encode()
    return files


#: a file in the Sphinx source naming the code that turns notebooks into pages
RENDERER_FILE = ".moatbook-renderer"


def renderer_version() -> str:
    """Digest of our Sphinx extension and driver; Sphinx cannot tell when they change, so a change rebuilds all."""
    here = Path(__file__).resolve().parent
    return sha(b"".join(f.read_bytes() for f in (here.parent / "book" / "sphinx_ext.py", here / "sphinx_driver.py")))


def digest_tree(files: dict[str, bytes], extra: str = "") -> str:
    return sha("".join(f"{k}\0{sha(v)}\0" for k, v in sorted(files.items())) + extra)[:24]


def sync_tree(root: Path, files: dict[str, bytes], keep: str | None = None) -> list[str]:
    """Make ``root`` hold exactly ``files`` (and files under ``keep``), touching only what differs.

    Returns the changed paths.
    """
    changed = []
    for rel, data in files.items():
        path = root / rel
        try:
            same = path.read_bytes() == data
        except OSError:
            same = False
        if not same:
            atomic_write(path, data)
            changed.append(rel)
    if root.exists():
        for path in sorted(root.rglob("*"), reverse=True):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and rel not in files and not (keep and rel.startswith(keep)):
                path.unlink()
                changed.append(rel)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return changed


# --------------------------------------------------------------------------- building


class SphinxRun:
    """jupyter-book's HTML build of ``work/src`` into ``work/out``, set up early and started on :meth:`finish`.

    :meth:`start` launches :mod:`moatbook.build.sphinx_driver` in the background
    once the book's configuration is in place; it imports Sphinx and sets it up
    while the chapters execute. :meth:`finish` is called when every notebook is
    in ``src``: the build runs (incrementally: Sphinx re-reads only changed pages)
    and the HTML folder is returned. On any failure (warnings count) or interrupt
    the working folder is removed, so the next build starts clean and reports the
    same problems again.
    """

    def __init__(self, work: Path) -> None:
        self.work = work
        self.proc: subprocess.Popen | None = None

    def start(self) -> SphinxRun:
        if _STOP.is_set():
            raise Stopped
        (self.work / ".dirty").touch()
        cmd = [sys.executable, "-m", "moatbook.build.sphinx_driver", str(self.work / "src"), str(self.work / "out")]
        # its own session: Ctrl-C reaches the build, which stops jupyter-book (no second traceback)
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            cwd=ROOT,
        )
        _RUNNING.add(self.proc)
        return self

    def finish(self) -> Path:
        if self.proc is None:
            self.start()
        proc = self.proc
        try:
            if _STOP.is_set():
                raise Stopped
            stdout, stderr = proc.communicate("go\n")
        except BaseException:  # interrupted or stopped: stop jupyter-book too, drop the half-updated folder
            self.cancel()
            raise
        finally:
            _RUNNING.discard(proc)
        if _STOP.is_set():
            shutil.rmtree(self.work, ignore_errors=True)
            raise Stopped
        html = self.work / "out" / "_build" / "html"
        if proc.returncode != 0 or not (html / "index.html").exists():
            shutil.rmtree(self.work, ignore_errors=True)
            src = str(self.work / "src") + os.sep
            lines = (stdout + "\n" + stderr).splitlines()
            problems = [ln.replace(src, "") for ln in lines if "WARNING" in ln or "ERROR" in ln]
            detail = "\n    ".join(problems[:20]) or "\n    ".join(lines[-15:])
            raise HtmlError(f"jupyter-book reported problems (warnings count as errors):\n    {detail}")
        _sync_static(self.work / "src" / "_static", html / "_static")
        (self.work / ".dirty").unlink()
        return html

    def cancel(self, keep: bool = False) -> None:
        """Stop the build (if running) and remove the working folder.

        ``keep``: the build had not been told to start (it only set up), so the
        working folder is still whole: keep it for the next build.
        """
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            _RUNNING.discard(self.proc)
            self.proc = None
        if keep:
            (self.work / ".dirty").unlink(missing_ok=True)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def run_sphinx(work: Path) -> Path:
    """Incremental jupyter-book build of ``work/src`` now; the HTML folder."""
    return SphinxRun(work).finish()


def _sync_static(src: Path, out: Path) -> None:
    """Copy the book's own static files that changed into the built HTML.

    Sphinx 7.4 does not overwrite a static file already in the output folder, so an
    incremental build would keep serving the old stylesheet or script.
    """
    for f in src.rglob("*"):
        if not f.is_file():
            continue
        target = out / f.relative_to(src)
        data = f.read_bytes()
        try:
            if target.read_bytes() == data:
                continue
        except OSError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)  # a new file: never write through a link into a published copy
        target.write_bytes(data)
        target.chmod(0o644)


def prepare_work(work: Path, files: dict[str, bytes], keep: str | None = None) -> list[str]:
    """Bring the working folder's sources up to date (starting afresh after a failed build).

    ``keep``: a folder prefix (e.g. ``chapters/``) whose files stay even if not in ``files``.
    """
    stale = not (work / "out" / "_build" / "html" / "index.html").exists() or (work / ".dirty").exists()
    try:  # pages rendered by other code: Sphinx would keep them, so start afresh
        stale = stale or (work / "src" / RENDERER_FILE).read_bytes() != files.get(RENDERER_FILE, b"")
    except OSError:
        stale = True
    if stale:
        shutil.rmtree(work, ignore_errors=True)
    return sync_tree(work / "src", files, keep)


# --------------------------------------------------------------------------- publishing

_FILL = re.compile(r'(<(\w+) data-mb-fill="(\w+)">)[^<]*(</\2>)')


def fill_pages(html_dir: Path, values: dict[str, str], whatif_rows: list[dict] | None = None) -> None:
    """Put the book-wide values (data version, build date) into the pages' ``data-mb-fill`` slots,
    and the book's scores into the metric chapters' what-if charts (``whatif_rows``)."""
    from html import escape

    from ..book.whatif import fill_rows

    def repl(m: re.Match) -> str:
        return m.group(1) + escape(values.get(m.group(3), "")) + m.group(4)

    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = _FILL.sub(repl, text) if "data-mb-fill" in text else text
        if whatif_rows is not None and '"mbfill"' in new:
            new = fill_rows(new, whatif_rows)
        if new != text:
            page.write_text(new, encoding="utf-8")


def copy_html(html: Path, target: Path) -> None:
    """Copy the built HTML (without Sphinx's build records) to ``target``."""
    shutil.copytree(html, target, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))


def publish(stage: Path, final: Path) -> None:
    """Swap the finished stage in for the published folder; the old one is removed only afterwards.

    Ctrl-C is held back between the two renames, so an interrupt never leaves the
    published folder missing; :func:`recover` puts an old folder back if the
    machine stopped in between.
    """
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        if final.exists():
            final.rename(old)
        stage.rename(final)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    if old.exists():
        discard(old)


def discard(folder: Path) -> None:
    """Remove a replaced folder without waiting for it: moved to ``.trash/`` and deleted in the background.

    (Deleting a book's few hundred files takes a noticeable part of a quick rebuild.)
    """
    trash = folder.parent / ".trash" / f"{folder.name}-{time.time_ns()}"
    try:
        trash.parent.mkdir(exist_ok=True)
        folder.rename(trash)
        subprocess.Popen(
            ["rm", "-rf", "--", str(trash)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        shutil.rmtree(trash if trash.exists() else folder, ignore_errors=True)


def recover(out_root: Path, name: str) -> None:
    """Remove what a stopped build of ``name`` left behind; restore its published folder if it went missing.

    Call only while holding ``name``'s lock (no other build of it is running).
    """
    final = out_root / name
    olds = sorted(out_root.glob(f".old-{name}-*"), key=lambda p: p.stat().st_mtime)
    if not final.exists() and olds:
        olds.pop().rename(final)
    for leftover in [*olds, *out_root.glob(f".stage-{name}-*"), *out_root.glob(f".trash/*{name}-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
