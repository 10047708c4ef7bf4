"""Publish a book's "grade it yourself" worksheet: its HTML page and, printed by headless Chromium, a PDF.

The page comes from :func:`moatbook.book.worksheet.worksheet_html`; Chromium (Debian's,
driven by Playwright, see :mod:`moatbook.browser`) prints it into ``html/downloads/``.
Without a browser the build goes on: the HTML is published, the PDF is skipped and
the build says so.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ..book import downloads as names
from ..book.worksheet import worksheet_html


def pdf_available() -> bool:
    """Whether this machine can print the worksheet (a Chromium and Playwright's Python package)."""
    from .. import browser

    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return browser.chromium_path() is not None


def publish_worksheet(
    html_dir: Path, ds, slug: str, log: Callable[[str], None] = print, cache: Path | None = None
) -> list[Path]:
    """Write ``<slug>-worksheet.html``, print ``<slug>-worksheet.pdf`` under ``html_dir``; return the files written.

    ``cache``: a folder keeping printed PDFs by the digest of their page, so a rebuild
    whose worksheet did not change copies the PDF instead of starting a browser.
    """
    text = worksheet_html(ds.rubric, ds.company(slug).name)
    page = Path(html_dir) / names.worksheet_path(slug, "html")
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
    written = [page]
    pdf = Path(html_dir) / names.worksheet_path(slug)
    kept = Path(cache) / f"worksheet-{hashlib.sha256(text.encode()).hexdigest()[:24]}.pdf" if cache else None
    if kept is not None and kept.is_file():
        shutil.copyfile(kept, pdf)
        return [*written, pdf]
    if not pdf_available():
        log(f"[{slug}] warning: no Chromium (or no Playwright) here: the worksheet PDF is skipped, its HTML page kept")
        return written
    from .. import browser

    try:
        with browser.browser() as ctx:
            browser.print_pdf(ctx, page, pdf)
    except Exception as exc:  # a browser that fails to start must not fail the book
        log(f"[{slug}] warning: printing the worksheet PDF failed ({type(exc).__name__}: {exc}); skipped")
        pdf.unlink(missing_ok=True)
        return written
    written.append(pdf)
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        tmp = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
        shutil.copyfile(pdf, tmp)
        tmp.replace(kept)
    return written
