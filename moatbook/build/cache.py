"""The content-addressed execution cache: an executed chapter is reused while its key is unchanged.

A chapter's key is a digest of everything its executed notebook can depend on:

* the chapter's source file (its bytes) and its parameters;
* the code that runs in the chapter: the package ``moatbook`` (all of it but the
  build layer, plus the module that executes chapters), the pinned
  ``requirements.txt`` and the Python version;
* what the chapter can see of the data and the per-book results, as stated by
  :func:`moatbook.book.context.chapter_inputs` (for a metric chapter, that metric's
  rows, judgements and sub-scores for the brand and its peers; for any other
  chapter, the book's data files and every per-book result; the rubric always).

Entries live in ``_build/.cache/chapters/<2 hex>/<key>.nb``: one header line
(format, key, chapter, company, a SHA-256 of the payload) and the payload (the
executed notebook and the files the chapter wrote, as JSON). An entry is written
to a temporary file and renamed into place, so readers see all of it or nothing;
an entry whose header, key or checksum does not match is ignored (and removed),
never published. Delete ``_build/.cache`` (or run ``make clean-cache``) to start
from nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..paths import ROOT

FORMAT = 2
PACKAGE = ROOT / "moatbook"
REQUIREMENTS = ROOT / "requirements.txt"
# what chapters import (the layers below the build), and the build modules that run them
CHAPTER_LAYERS = ("data", "scoring", "book")
EXECUTION_MODULES = ("execute.py", "worker.py")
ROOT_MODULES = ("paths.py", "memo.py", "project.py")


def sha(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def digest_files(files, root: Path = ROOT) -> str:
    """Digest of files' paths (relative to ``root``) and bytes; missing files count as missing."""
    h = hashlib.sha256()
    for f in sorted(Path(f) for f in files):
        rel = f.relative_to(root).as_posix() if f.is_relative_to(root) else str(f)
        h.update(rel.encode() + b"\0")
        h.update(f.read_bytes() if f.exists() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def code_files() -> list[Path]:
    """The code running inside chapters: the layers they import, the bottom layer they all use, the runner."""
    files = [f for layer in CHAPTER_LAYERS for f in (PACKAGE / layer).rglob("*.py")]
    return [
        *files,
        PACKAGE / "__init__.py",
        *(PACKAGE / m for m in ROOT_MODULES),
        *(PACKAGE / "build" / m for m in EXECUTION_MODULES),
    ]


@lru_cache(maxsize=1)
def code_version() -> str:
    """What the code running inside chapters is (:func:`code_files`), with the requirements and Python."""
    extra = f"python {sys.version_info[:3]} format {FORMAT}"
    return sha(digest_files([*code_files(), REQUIREMENTS]) + extra)[:24]


def package_version() -> str:
    """Digest of the whole package (build layer included) and the requirements."""
    return digest_files([*PACKAGE.rglob("*.py"), REQUIREMENTS])[:24]


def chapter_key(source: bytes, parameters: dict, inputs_fingerprint: str, code: str | None = None) -> str:
    text = json.dumps(
        {
            "format": FORMAT,
            "source": sha(source),
            "parameters": parameters,
            "inputs": inputs_fingerprint,
            "code": code or code_version(),
        },
        sort_keys=True,
    )
    return sha(text)


@dataclass
class Entry:
    """An executed chapter: its notebook, the files it wrote (relative to the book), how long it took."""

    key: str
    chapter: str
    company: str
    notebook: dict
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ChapterCache:
    """Executed chapters by key, under ``root`` (normally ``_build/.cache/chapters``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.rejected: list[str] = []  # why entries were ignored, for the build log

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.nb"

    def get(self, key: str) -> Entry | None:
        """The entry for ``key`` if it is complete and intact; a damaged one is removed and ignored."""
        path = self.path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        problem = None
        try:
            head, _, payload = raw.partition(b"\n")
            header = json.loads(head)
            if header.get("format") != FORMAT or header.get("key") != key:
                problem = "written for another key or format"
            elif header.get("sha256") != sha(payload):
                problem = "checksum does not match (partial or damaged)"
            else:
                body = json.loads(payload)
                entry = Entry(
                    key,
                    header["chapter"],
                    header["company"],
                    body["notebook"],
                    body.get("files", {}),
                    header.get("seconds", 0.0),
                    header.get("worker", ""),
                )
                problem = _incomplete(entry.notebook)
        except (ValueError, KeyError, TypeError) as exc:
            problem = f"unreadable ({type(exc).__name__})"
        if problem:
            self.rejected.append(f"{path.name}: {problem}")
            path.unlink(missing_ok=True)
            return None
        os.utime(path)  # last use, for pruning
        return entry

    def put(self, entry: Entry) -> Path:
        payload = json.dumps({"notebook": entry.notebook, "files": entry.files}, ensure_ascii=False).encode()
        header = {
            "format": FORMAT,
            "key": entry.key,
            "chapter": entry.chapter,
            "company": entry.company,
            "seconds": round(entry.seconds, 3),
            "worker": entry.worker,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "sha256": sha(payload),
        }
        path = self.path(entry.key)
        atomic_write(path, json.dumps(header).encode() + b"\n" + payload)
        return path

    def prune(self, max_age_days: float = 30) -> int:
        """Remove entries not used for ``max_age_days``; return how many."""
        cutoff = time.time() - max_age_days * 86400
        removed = 0
        for path in self.root.glob("*/*.nb"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                pass
        return removed


def _incomplete(nb: dict) -> str | None:
    """Why an executed notebook cannot be published as it is, or None."""
    cells = nb.get("cells")
    if not isinstance(cells, list) or not cells:
        return "has no cells"
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        if cell.get("execution_count") is None:
            return "has a code cell that was not executed"
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return "holds an error output"
    return None


# --------------------------------------------------------------------------- timings, for scheduling


def load_timings(root: Path) -> dict[str, float]:
    try:
        return json.loads((root / "timings.json").read_text())
    except (OSError, ValueError):
        return {}


def save_timings(root: Path, timings: dict[str, float]) -> None:
    with contextlib.suppress(OSError):
        atomic_write(root / "timings.json", json.dumps(timings, sort_keys=True, indent=1).encode())
