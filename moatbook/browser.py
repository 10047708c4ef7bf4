"""Headless Chromium for checking built pages: chart rendering, screenshots.

Drives Debian's ``chromium`` through Playwright's Python package (never
``playwright install``). Pages are served from a local HTTP server and every
request to another host is refused, so a chart that needs the network fails here
the way it would fail for an offline reader.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextlib.contextmanager
def serve(root: Path):
    """Serve ``root`` on a free localhost port; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test and build output readable
        pass


@dataclass
class PageCheck:
    url: str
    charts: int = 0
    rendered: int = 0
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.rendered == self.charts and not self.errors


CHART_PROBE = """() => {
  const charts = Array.from(document.querySelectorAll('div[id^="altair-viz-"]'));
  const rendered = charts.filter(c => c.querySelector('svg, canvas'));
  return {charts: charts.length, rendered: rendered.length, text: document.body ? document.body.innerText : ''};
}"""


@contextlib.contextmanager
def browser():
    """A headless Chromium that refuses every request not to localhost."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("chromium is not installed (Debian package 'chromium')")
    profile = tempfile.mkdtemp(prefix="moatbook-chromium-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile,
                executable_path=exe,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900},
            )
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _offline(ctx, blocked: list[str]):
    def route(r):
        url = r.request.url
        if url.startswith("http://127.0.0.1") or url.startswith("file://") or url.startswith("data:"):
            return r.continue_()
        blocked.append(url)
        return r.abort()

    ctx.route("**/*", route)


def check_pages(ctx, urls: list[str], wait_ms: int = 4000) -> list[PageCheck]:
    """Open each URL offline; count chart containers and those holding an SVG or canvas."""
    results = []
    for url in urls:
        check = PageCheck(url)
        page = ctx.new_page()
        _offline(page, check.blocked)
        page.on("pageerror", lambda exc, c=check: c.errors.append(f"page error: {exc}"))
        page.goto(url, wait_until="load")
        with contextlib.suppress(Exception):
            page.wait_for_function(
                """() => Array.from(document.querySelectorAll('div[id^="altair-viz-"]'))
                        .every(c => c.querySelector('svg, canvas') || c.innerText.includes('Error'))""",
                timeout=wait_ms,
            )
        probe = page.evaluate(CHART_PROBE)
        check.charts, check.rendered, check.text = probe["charts"], probe["rendered"], probe["text"]
        if "Error loading script" in check.text:
            check.errors.append("a chart shows 'Error loading script'")
        if "Javascript Error" in check.text:
            check.errors.append("a chart shows a JavaScript error")
        page.close()
        results.append(check)
    return results


def open_page(ctx, url: str, width: int = 1280, dark: bool = False, print_media: bool = False, wait_ms: int = 1500):
    """Open ``url`` offline at ``width`` px, in the light or dark scheme, on screen or as printed."""
    page = ctx.new_page()
    _offline(page, [])
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme="dark" if dark else "light", media="print" if print_media else "screen")
    page.goto(url, wait_until="load")
    page.wait_for_timeout(wait_ms)
    return page


def screenshot(
    ctx,
    url: str,
    path: Path,
    full_page: bool = True,
    sections: bool = False,
    width: int = 1280,
    dark: bool = False,
    print_media: bool = False,
) -> list[Path]:
    """Screenshot a page; with ``sections`` also each top-level section, readable at full size."""
    page = open_page(ctx, url, width=width, dark=dark, print_media=print_media)
    page.screenshot(path=str(path), full_page=full_page)
    shots = [path]
    if sections:
        for i, sec in enumerate(page.locator("main section section").all()):
            part = path.with_name(f"{path.stem}-s{i:02d}.png")
            sec.screenshot(path=str(part))
            shots.append(part)
    page.close()
    return shots
