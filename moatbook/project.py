"""What the project says about itself, from one place each: its repository (``_config.yml``)
and how to cite it (``CITATION.cff``). The book's buttons, cite box and links read these."""

from __future__ import annotations

import os
import re
import subprocess
from functools import lru_cache

import yaml

from .paths import ROOT

CONFIG = ROOT / "_config.yml"
CITATION = ROOT / "CITATION.cff"


def _https(url: str) -> str:
    """``git@github.com:owner/repo.git`` or ``https://github.com/owner/repo.git`` -> ``https://github.com/owner/repo``."""
    url = url.strip()
    m = re.match(r"^git@([^:]+):(.+?)(?:\.git)?/?$", url)
    if m:
        return f"https://{m.group(1)}/{m.group(2)}"
    m = re.match(r"^(https?://[^\s]+?)(?:\.git)?/?$", url)
    return m.group(1) if m else ""


@lru_cache(maxsize=1)
def repository_url() -> str:
    """The repository readers are sent to (buttons, cite box); "" when none is known.

    ``repository.url`` in ``_config.yml`` is the one place to set it. Left empty, it
    falls back to ``MOATBOOK_REPOSITORY_URL`` (CI sets it) and then to the clone's
    ``origin`` remote, so a fork's book points at the fork.
    """
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8")) or {}
    url = ((config.get("repository") or {}).get("url") or "").strip()
    url = url or os.environ.get("MOATBOOK_REPOSITORY_URL", "").strip()
    if not url:
        try:
            url = subprocess.run(
                ["git", "-C", str(ROOT), "remote", "get-url", "origin"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            url = ""
    return _https(url) if url else ""


@lru_cache(maxsize=1)
def citation() -> dict:
    """``CITATION.cff`` as a dict (title, authors, version, license, ...)."""
    return yaml.safe_load(CITATION.read_text(encoding="utf-8"))


def authors_text(cff: dict) -> str:
    names = []
    for a in cff.get("authors", []):
        if "name" in a:
            names.append(a["name"])
        else:
            names.append(" ".join(x for x in (a.get("given-names"), a.get("family-names")) if x))
    return ", ".join(names)
