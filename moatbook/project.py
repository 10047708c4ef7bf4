"""What the project says about itself, from one place each: its repository (``_config.yml``)
and how to cite it (``CITATION.cff``). The book's buttons, cite box and links read these."""

from __future__ import annotations

import os
import re
import subprocess
from functools import lru_cache
from urllib.parse import quote

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
    url = configured_repository_url() or os.environ.get("MOATBOOK_REPOSITORY_URL", "").strip()
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


BINDER = "https://mybinder.org"
COLAB = "https://colab.research.google.com"


@lru_cache(maxsize=1)
def _repository_config() -> dict:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8")) or {}
    return config.get("repository") or {}


def configured_repository_url() -> str:
    """``repository.url`` as set in ``_config.yml`` ("" when unset), without :func:`repository_url`'s fallbacks."""
    return str(_repository_config().get("url") or "").strip()


def repository_branch() -> str:
    """The branch readers' launch links open (``repository.branch`` in ``_config.yml``, default ``main``)."""
    return str(_repository_config().get("branch") or "main").strip() or "main"


def launch_links(chapter: str, url: str | None = None, branch: str | None = None, root=ROOT) -> dict[str, str]:
    """Links that open chapter ``chapter``'s source on Binder and Colab; ``{}`` when no repository is known.

    Binder opens ``chapters/<chapter>.md`` in JupyterLab, where Jupytext (a pinned
    requirement; ``postBuild`` makes it the viewer of Markdown files) opens it as a
    notebook; GitHub and GitLab have Binder's short forms, any other host its ``git``
    form. Colab opens notebooks (``.ipynb``) from GitHub only, so its link is given
    when the repository is on GitHub and holds ``colab/<chapter>.ipynb`` (the
    chapter's generated notebook copy, see :mod:`moatbook.build.colab`).
    """
    url = repository_url() if url is None else url
    branch = branch or repository_branch()
    if not url:
        return {}
    m = re.match(r"^https?://(github\.com|gitlab\.com)/([^/\s]+)/([^/\s]+?)/?$", url)
    source = f"chapters/{chapter}.md"
    if m and m.group(1) == "github.com":
        base = f"{BINDER}/v2/gh/{m.group(2)}/{m.group(3)}/{quote(branch, safe='')}"
    elif m:
        base = f"{BINDER}/v2/gl/{m.group(2)}%2F{m.group(3)}/{quote(branch, safe='')}"
    else:
        base = f"{BINDER}/v2/git/{quote(url, safe='')}/{quote(branch, safe='')}"
    links = {"binder": f"{base}?urlpath={quote('lab/tree/' + source, safe='/')}"}
    notebook = f"colab/{chapter}.ipynb"
    if m and m.group(1) == "github.com" and (root / notebook).exists():
        links["colab"] = f"{COLAB}/github/{m.group(2)}/{m.group(3)}/blob/{quote(branch)}/{notebook}"
    return links
