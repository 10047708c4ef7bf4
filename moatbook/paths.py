"""Where things live, and the one check every company slug passes before it touches a path."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"  # the project's own data
CHAPTERS_DIR = ROOT / "chapters"
BUILD_DIR = ROOT / "_build"


def data_dir() -> Path:
    """The data folder in use: ``data/``, or ``MOATBOOK_DATA_DIR`` (tests point it at fictional data)."""
    return Path(os.environ.get("MOATBOOK_DATA_DIR") or DATA_DIR).resolve()


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class SlugError(ValueError):
    """A company slug that is not letters, digits and single dashes."""


def check_slug(slug: str) -> str:
    """Return ``slug`` if it is a safe company id (lowercase letters, digits, dashes)."""
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 40:
        raise SlugError(
            f"{slug!r} is not a valid company slug: use lowercase letters, digits and "
            "single dashes, e.g. 'acme' or 'acme-mobile' (at most 40 characters)"
        )
    return slug
