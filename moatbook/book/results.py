"""The data and the analysis a book's chapters read, computed once and shared.

The analysis of a book (scores, intervals, rank probabilities, sensitivity) takes
a couple of seconds; every chapter needs it. It is kept on disk under
``_build/.cache/analysis/``, addressed by a hash of everything it depends on
(the book's data files, the rubric, the data and scoring code), written
atomically, and checked when read: a missing, stale or unreadable entry is
simply recomputed. :func:`prepare` lets the build compute it before the
chapters run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

from ..data import Dataset, load
from ..paths import BUILD_DIR, ROOT
from ..scoring.report import Analysis, analyse

CACHE = BUILD_DIR / ".cache" / "analysis"


@lru_cache(maxsize=8)
def dataset(company: str) -> Dataset:
    return load([company])


def code_version() -> str:
    """Hash of the code an analysis depends on: the data layer and the scoring layer."""
    digest = hashlib.sha256()
    for sub in ("data", "scoring"):
        for f in sorted((ROOT / "moatbook" / sub).glob("*.py")):
            digest.update(f.relative_to(ROOT).as_posix().encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


def analysis_key(ds: Dataset, company: str) -> str:
    return f"{company}-{ds.book_version(company)}-{code_version()}"


def _read(path: Path, key: str) -> Analysis | None:
    try:
        with path.open("rb") as fh:
            stored_key, value = pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError, ImportError):
        return None
    return value if stored_key == key and isinstance(value, Analysis) else None


def _write(path: Path, key: str, value: Analysis) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@lru_cache(maxsize=8)
def analysis(company: str) -> Analysis:
    """The book's analysis, from the disk cache when it is current, else computed (and stored)."""
    ds = dataset(company)
    key = analysis_key(ds, company)
    path = CACHE / f"{key}.pkl"
    found = _read(path, key)
    if found is not None:
        return found
    value = analyse(ds, company)
    with contextlib.suppress(OSError):  # a read-only checkout still builds; it only recomputes
        _write(path, key, value)
    return value


def prepare(company: str) -> None:
    """Compute (or find) the analysis before the chapters run, so they all read it."""
    analysis(company)
