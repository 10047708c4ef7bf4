"""Fail if a chapter source carries outputs: chapters are MyST Markdown text, executed copies are build products.

Checks that ``chapters/`` holds no ``.ipynb`` file and that no Markdown chapter embeds an output block.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"


def problems() -> list[str]:
    found = [
        f"{p.relative_to(CHAPTERS.parent)}: a notebook in chapters/ (keep chapters as .md)"
        for p in sorted(CHAPTERS.glob("*.ipynb"))
    ]
    for p in sorted(CHAPTERS.glob("*.md")):
        text = p.read_text(encoding="utf-8")
        if re.search(r'"outputs"\s*:|"execution_count"\s*:\s*\d', text):
            found.append(f"{p.relative_to(CHAPTERS.parent)}: carries notebook outputs")
    return found


if __name__ == "__main__":
    bad = problems()
    for line in bad:
        print(line, file=sys.stderr)
    sys.exit(1 if bad else 0)
