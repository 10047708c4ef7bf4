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


def configured_repository() -> tuple[str, str]:
    """The repository address and branch set in ``_config.yml`` (not a clone's remote: the copies are committed)."""
    import yaml

    from ..project import CONFIG

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8")) or {}
    repo = config.get("repository") or {}
    return str(repo.get("url") or "").strip(), str(repo.get("branch") or "main").strip() or "main"


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
    url, branch = configured_repository()
    return {f"{p.stem}.ipynb": notebook_text(p, url, branch) for p in sorted(chapters_dir.glob("*.md"))}


def problems(out: Path = COLAB_DIR, chapters_dir: Path = CHAPTERS_DIR) -> list[str]:
    """What is out of date in ``out``: missing, changed or orphaned copies (empty when all are current)."""
    want = expected(chapters_dir)
    found = []
    for name, text in want.items():
        path = out / name
        if not path.exists():
            found.append(f"colab/{name}: missing (run make colab)")
        elif path.read_text(encoding="utf-8") != text:
            found.append(f"colab/{name}: differs from chapters/{Path(name).stem}.md (run make colab)")
    found += [
        f"colab/{p.name}: no chapter of that name (run make colab)"
        for p in sorted(out.glob("*.ipynb"))
        if p.name not in want
    ]
    return found


def write(out: Path = COLAB_DIR, chapters_dir: Path = CHAPTERS_DIR) -> list[str]:
    """Write every copy that differs, remove orphans; return the names written or removed."""
    out.mkdir(parents=True, exist_ok=True)
    want = expected(chapters_dir)
    changed = []
    for name, text in want.items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    for p in sorted(out.glob("*.ipynb")):
        if p.name not in want:
            p.unlink()
            changed.append(p.name)
    return changed
