"""Take full-page screenshots of built pages in headless Chromium (offline), for review.

    python scripts/screenshots.py _build/xiaomi/html chapters/intro chapters/price_premium
    python scripts/screenshots.py --width 390 --dark _build/xiaomi/html chapters/scorecard
    python scripts/screenshots.py --print _build/xiaomi/html chapters/scorecard   # print preview
    python scripts/screenshots.py _build/site index           # the site's front page
    python scripts/screenshots.py --sections _build/xiaomi/html chapters/scorecard   # one PNG per section too

Options: ``--width N`` (default 1280), ``--dark`` (dark colour scheme), ``--print``
(print media), ``--sections``. Writes PNGs to _build/screenshots/ and prints, per
page, how many charts rendered.
"""

import argparse
import sys
from pathlib import Path

from moatbook.browser import browser, check_pages, screenshot, serve


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root")
    parser.add_argument("pages", nargs="+")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--print", dest="print_", action="store_true")
    parser.add_argument("--sections", action="store_true")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    out = Path("_build/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    tag = f"{args.width}" + ("-dark" if args.dark else "") + ("-print" if args.print_ else "")
    with serve(root) as base, browser() as ctx:
        for page in args.pages:
            url = f"{base}/{page}.html"
            check = check_pages(ctx, [url])[0]
            png = out / f"{root.parent.name}-{page.replace('/', '-')}-{tag}.png"
            screenshot(
                ctx,
                url,
                png,
                sections=args.sections,
                width=args.width,
                dark=args.dark,
                print_media=args.print_,
            )
            status = "ok" if check.ok else "PROBLEM"
            print(
                f"{status}: {page}: {check.rendered}/{check.charts} charts rendered, "
                f"errors={check.errors} blocked={len(check.blocked)} -> {png}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
