"""Publish a book's downloads inside its ``html/`` folder, where its pages link to them.

Called once by the pipeline after the HTML is built. Writes, under ``html/downloads/``
(names from :mod:`moatbook.book.downloads`), each chapter's executed notebook, the
brand's scores and its evidence as CSV: all of it, and one file per metric chapter.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..book import downloads as names


def _for_readers(nb_path: Path, target: Path) -> None:
    """Copy an executed chapter, with the build's output folder parameter emptied so a rerun writes nothing."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell.get("source", []))
            cell["source"] = src.replace('output_dir = ".."', 'output_dir = ""')
    target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def publish_downloads(stage: Path, ds, slug: str) -> list[Path]:
    """Write the downloads of the book staged in ``stage`` into ``stage/html``; return the files written."""
    html = stage / "html"
    written = []
    nb_dir = html / names.DIR / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    for nb in sorted((stage / "notebooks").glob("*.ipynb")):
        target = html / names.notebook_path(nb.stem)
        _for_readers(nb, target)
        written.append(target)
    scores = html / names.scores_path(slug)
    shutil.copy2(stage / "scores.json", scores)
    written.append(scores)
    for metric in [None, *ds.rubric.metrics]:
        target = html / names.evidence_path(slug, metric)
        target.write_text(names.evidence_csv(ds, slug, metric), encoding="utf-8")
        written.append(target)
    return written
