"""Notebook copies of the chapters for Colab, which opens ``.ipynb`` files from GitHub only.

The chapters are MyST Markdown (``chapters/<chapter>.md``); Binder opens them as
they are (Jupytext is installed there). Colab cannot, so ``colab/<chapter>.ipynb``
holds each chapter as a notebook without outputs, with one cell in front that,
where the project is not installed (a fresh Colab session), clones the
repository named in ``_config.yml`` and installs its requirements. The copies
are generated, never edited: ``python -m moatbook colab`` writes them and
``python -m moatbook colab --check`` (run by ``make lint``) fails when one is
missing or differs from what its chapter gives, so they cannot drift.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import project
from ..paths import CHAPTERS_DIR, ROOT

COLAB_DIR = ROOT / "colab"

SETUP = """\
# Run on Colab (or any Jupyter without this project): fetch the project and install it, once per session.
import importlib.util
import os
import subprocess
import sys

REPOSITORY, BRANCH = {url}, {branch}
if importlib.util.find_spec("moatbook") is None:
    if not REPOSITORY:
        raise RuntimeError("this copy names no repository: set repository.url in _config.yml and run make colab")
    if not os.path.isdir("moatbook-project"):
        subprocess.run(["git", "clone", "--depth", "1", "--branch", BRANCH, REPOSITORY, "moatbook-project"], check=True)
    pip = [sys.executable, "-m", "pip", "install", "-q", "-r", "moatbook-project/requirements.txt"]
    subprocess.run(pip, check=True)
    os.chdir("moatbook-project")
    sys.path.insert(0, os.getcwd())"""


def notebook_text(chapter: Path, url: str, branch: str) -> str:
    """The Colab copy of one chapter, as the exact text written to ``colab/``."""
    import jupytext
    import nbformat

    nb = jupytext.reads(chapter.read_text(encoding="utf-8"), fmt="md:myst")
    setup = nbformat.v4.new_code_cell(SETUP.format(url=json.dumps(url), branch=json.dumps(branch)))
    setup.metadata["tags"] = ["colab-setup"]
    nb.cells.insert(0, setup)
    for i, cell in enumerate(nb.cells):
        cell.id = f"{chapter.stem[:40]}-{i}"  # stable ids: the same chapter gives the same file
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "colab": {"provenance": []},
    }
    nb.nbformat, nb.nbformat_minor = 4, 5
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def expected(chapters_dir: Path = CHAPTERS_DIR) -> dict[str, str]:
    """File name in ``colab/`` -> the text it must hold, for every chapter."""
    # the address as configured, not a clone's remote: the copies are committed
    url, branch = project.configured_repository_url(), project.repository_branch()
    return {f"{p.stem}.ipynb": notebook_text(p, url, branch) for p in sorted(chapters_dir.glob("*.md"))}


def _changes(out: Path, chapters_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Copies to write (name -> text: missing or differing) and orphaned copies in ``out``."""
    want = expected(chapters_dir)
    stale = {
        name: text
        for name, text in want.items()
        if not (out / name).exists() or (out / name).read_text(encoding="utf-8") != text
    }
    return stale, [p.name for p in sorted(out.glob("*.ipynb")) if p.name not in want]


def problems(out: Path = COLAB_DIR, chapters_dir: Path = CHAPTERS_DIR) -> list[str]:
    """What is out of date in ``out``: missing, changed or orphaned copies (empty when all are current)."""
    stale, orphans = _changes(out, chapters_dir)
    found = [
        f"colab/{name}: differs from chapters/{Path(name).stem}.md (run make colab)"
        if (out / name).exists()
        else f"colab/{name}: missing (run make colab)"
        for name in stale
    ]
    return found + [f"colab/{name}: no chapter of that name (run make colab)" for name in orphans]


def write(out: Path = COLAB_DIR, chapters_dir: Path = CHAPTERS_DIR) -> list[str]:
    """Write every copy that differs, remove orphans; return the names written or removed."""
    out.mkdir(parents=True, exist_ok=True)
    stale, orphans = _changes(out, chapters_dir)
    for name, text in stale.items():
        (out / name).write_text(text, encoding="utf-8")
    for name in orphans:
        (out / name).unlink()
    return [*stale, *orphans]
