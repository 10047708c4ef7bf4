"""Take full-page screenshots of built pages in headless Chromium (offline), for review.

    python scripts/screenshots.py _build/xiaomi/html chapters/intro chapters/price_premium
    python scripts/screenshots.py _build/site index           # the site's front page
    python scripts/screenshots.py --sections _build/xiaomi/html chapters/scorecard   # one PNG per section too

Writes PNGs to _build/screenshots/ and prints, per page, how many charts rendered.
"""

import sys
from pathlib import Path

from moatbook.browser import browser, check_pages, screenshot, serve


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    sections = "--sections" in argv
    argv = [a for a in argv if a != "--sections"]
    root = Path(argv[0]).resolve()
    pages = argv[1:]
    out = Path("_build/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with serve(root) as base, browser() as ctx:
        for page in pages:
            url = f"{base}/{page}.html"
            check = check_pages(ctx, [url])[0]
            png = out / f"{root.parent.name}-{page.replace('/', '-')}.png"
            screenshot(ctx, url, png, sections=sections)
            status = "ok" if check.ok else "PROBLEM"
            print(
                f"{status}: {page}: {check.rendered}/{check.charts} charts rendered, "
                f"errors={check.errors} blocked={len(check.blocked)} -> {png}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
