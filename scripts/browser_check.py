"""Before `make test`: make sure the browser tests have a Chromium, or stop with one line saying what to run.

Looks for Debian's ``chromium`` (or Chrome, or a browser Playwright installed itself). If there is
none and this machine can install packages (root with apt-get), installs Debian's chromium.
Otherwise prints one line and exits 1, so `make test` stops before running anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from moatbook.browser import chromium_path

ADVICE = (
    "make test needs Chromium for its browser tests and cannot install it here: run "
    "`sudo apt-get install chromium` (Debian/Ubuntu) or `make browser-deps` as root, or "
    "`.venv/bin/playwright install chromium` where your network allows, then run `make test` again."
)


def main() -> int:
    if chromium_path():
        return 0
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("make test: installing Debian's chromium for the browser tests (apt-get)", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
        subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, **quiet)
        if chromium_path():
            return 0
    print(ADVICE, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
