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
import os
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
    """Debian's chromium (or Chrome) on the PATH, else a Chromium that Playwright installed itself."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    own = sorted(cache.glob("chromium-*/chrome-linux*/chrome"))
    return str(own[-1]) if own else None


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
        raise RuntimeError("chromium is not installed: run `make browser-deps` as root (Debian package 'chromium')")
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


def print_pdf(ctx, html: Path, pdf: Path) -> None:
    """Print the local page ``html`` to ``pdf`` as Chromium prints it (its CSS ``@page`` size and margins)."""
    page = ctx.new_page()
    _offline(page, [])
    try:
        page.goto(Path(html).resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), print_background=True, prefer_css_page_size=True)
    finally:
        page.close()


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
    shots = [path]
    if sections:  # before the full-page capture, which resizes the window and so redraws the charts
        for i, sec in enumerate(page.locator("main section section").all()):
            part = path.with_name(f"{path.stem}-s{i:02d}.png")
            sec.screenshot(path=str(part))
            shots.append(part)
    page.screenshot(path=str(path), full_page=full_page)
    page.close()
    return shots


# --------------------------------------------------------------------------- page audits

AUDIT_JS = r"""(opts) => {
  const main = document.querySelector(opts.main) || document.body;
  const mainBox = main.getBoundingClientRect();
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (fg, bg) => [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3])).concat([1]);
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const la = lum(a), lb = lum(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  };
  const bgCache = new Map(), opCache = new Map();
  const background = (el) => {  // the opaque colour behind el: its own and its ancestors' backgrounds blended
    if (!el) {
      const root = parse(getComputedStyle(document.documentElement).backgroundColor);
      return root[3] > 0 ? root : [255, 255, 255, 1];
    }
    if (bgCache.has(el)) return bgCache.get(el);
    const c = parse(getComputedStyle(el).backgroundColor);
    const bg = c[3] >= 1 ? c : (c[3] > 0 ? over(c, background(el.parentElement)) : background(el.parentElement));
    bgCache.set(el, bg);
    return bg;
  };
  const opacity = (el) => {
    if (!el) return 1;
    if (opCache.has(el)) return opCache.get(el);
    const o = Number(getComputedStyle(el).opacity) * opacity(el.parentElement);
    opCache.set(el, o);
    return o;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
  };
  const label = (el) => {
    const tag = el.tagName.toLowerCase();
    const cls = el.className ? '.' + String(el.className).split(' ')[0] : '';
    return tag + cls + ' "' + (el.innerText || '').trim().slice(0, 40) + '"';
  };
  const out = {url: location.href, charts: [], contrast: [], text: main.innerText,
               scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth};
  document.querySelectorAll('div[id^="altair-viz-"], #overall-chart').forEach(div => {
    const box = (div.closest('.mb-chart') || div.parentElement).getBoundingClientRect();
    const svg = div.querySelector('svg, canvas');
    const s = svg ? svg.getBoundingClientRect() : null;
    // the name a screen reader announces: the figure's wrapper (role img), else the chart container's own
    const host = div.closest('[role="img"][aria-label]') || (div.getAttribute('aria-label') ? div : null);
    out.charts.push({
      id: div.id, rendered: !!svg, container: Math.round(box.width), width: s ? Math.round(s.width) : 0,
      right: s ? Math.round(s.right) : 0, containerRight: Math.round(box.right), mainRight: Math.round(mainBox.right),
      name: (host && host.getAttribute('aria-label')) || (svg && svg.getAttribute('aria-label')) || '',
      embedName: div.getAttribute('aria-label') || '',
      // a label, number or title drawn past the chart's edge is cut off: the reader sees part of it
      clipped: !s || svg.tagName.toLowerCase() !== 'svg' ? [] : Array.from(svg.querySelectorAll('text'))
        .filter(t => { const r = t.getBoundingClientRect(); return r.width > 0 && t.textContent.trim() &&
          (r.right > s.right + 1 || r.left < s.left - 1 || r.bottom > s.bottom + 1 || r.top < s.top - 1); })
        .map(t => t.textContent.trim().slice(0, 40)),
    });
  });
  const seen = new Set();
  document.querySelectorAll(opts.contrast).forEach(el => {
    if (!visible(el) || !(el.innerText || '').trim()) return;
    const cs = getComputedStyle(el);
    const fg = parse(cs.color); fg[3] *= opacity(el);
    const bg = background(el);
    const r = ratio(over(fg, bg), bg);
    const size = parseFloat(cs.fontSize); const bold = Number(cs.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    const key = label(el) + r.toFixed(2);
    if (r < need && !seen.has(key)) {
      seen.add(key);
      out.contrast.push({el: label(el), ratio: Math.round(r * 100) / 100, need});
    }
  });
  return out;
}"""

CONTRAST_SELECTORS = (
    "main a, .bd-sidebar a, .mb-low, .mb-tag, .mb-missing, .mb-hint, .mb-note, .mb-cov, .mb-about, "
    ".mb-legend li, .mb-fig-notes p, .mb-table-caption, table.mb-table td, table.mb-table th, "
    "details.mb-details > summary, .mb-score-meta, .mb-score-big span, table.mb-heatmap td, table.mb-heatmap a"
)


def audit(page, main: str = "main", contrast: str = CONTRAST_SELECTORS) -> dict:
    """Measure an open page: each chart's size against its container and the text column, each
    chart's accessible name, every text element below WCAG AA contrast, the page's width, its text."""
    return page.evaluate(AUDIT_JS, {"main": main, "contrast": contrast})


def wait_for_charts(page, wait_ms: int = 6000) -> None:
    with contextlib.suppress(Exception):
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll('div[id^="altair-viz-"]'))
                    .every(c => c.querySelector('svg, canvas') || c.innerText.includes('Error'))""",
            timeout=wait_ms,
        )


def survey(ctx, base: str, pages: list[str], width: int = 1280, dark: bool = False) -> dict[str, dict]:
    """Open every page in one tab, offline, at ``width`` px in the light or dark scheme; audit each.

    Returns, per page, :func:`audit`'s measurements plus the page's script errors, the
    requests it tried to send off the machine, and the files it offers for download.
    """
    page = ctx.new_page()
    blocked: list[str] = []
    errors: list[str] = []
    _offline(page, blocked)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme="dark" if dark else "light", media="screen")
    out = {}
    try:
        for p in pages:
            blocked.clear()
            errors.clear()
            page.goto(f"{base}/{p}", wait_until="load")
            wait_for_charts(page)
            result = audit(page)
            result["blocked"] = list(blocked)
            result["errors"] = list(errors)
            result["downloads"] = page.evaluate(
                "() => Array.from(document.querySelectorAll('a[download], a.mb-download')).map(a => a.href)"
            )
            out[p] = result
    finally:
        page.close()
    return out


# Cells of more than 60 characters narrower than 180 px: at a phone's width, long text squeezed into a narrow
# column (rows many lines tall) instead of the table scrolling in its box. Argument: the root selector.
SQUEEZED = """(root) => { const out = [];
  document.querySelectorAll('details').forEach(d => d.open = true);
  for (const td of document.querySelectorAll(root + ' table.mb-table td')) {
    const w = td.getBoundingClientRect().width;
    const text = td.innerText.trim();
    if (w > 0 && text.length > 60 && w < 180) out.push(Math.round(w) + ' px: ' + text.slice(0, 50));
  }
  return out; }"""
