"""`make bench`: a cold build, step by step, against jupyter-book's own execution.

Both runs start from nothing (fresh output folders) and build the same chapters
for the same company, one after the other in this process, so the ratio is
measured on the same machine in the same minute. The machine is noisy: read the
ratio, not the seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .build import STATIC, build_book, vega_bundle, write_book_config
from .paths import CHAPTERS_DIR

TARGET_RATIO = 0.5
TARGET_SECONDS = 20.0


def baseline_build(company: str, work: Path) -> float:
    """jupyter-book's default way: execute_notebooks 'force' over the chapter sources."""
    src = work / "src"
    (src / "chapters").mkdir(parents=True)
    for md in CHAPTERS_DIR.glob("*.md"):
        text = md.read_text(encoding="utf-8")
        if company != "xiaomi" and 'company = "' in text:
            import re

            text = re.sub(r'^company = ".*"$', f'company = "{company}"', text, count=1, flags=re.MULTILINE)
        (src / "chapters" / md.name).write_text(text, encoding="utf-8")
    write_book_config(src, company.capitalize(), execute="force")
    shutil.copytree(STATIC, src / "_static")
    shutil.copy2(vega_bundle(work / "cache"), src / "_static" / "vega-offline.js")
    exe = Path(sys.executable).with_name("jupyter-book")
    start = time.perf_counter()
    proc = subprocess.run([str(exe), "build", str(src), "--path-output", str(work / "out"), "--builder", "html"],
                          capture_output=True, text=True, cwd=src)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise RuntimeError("the baseline jupyter-book build failed")
    return seconds


def run_bench(company: str, jobs: int = 2) -> int:
    with tempfile.TemporaryDirectory(prefix="moatbook-bench-") as tmp:
        tmp = Path(tmp)
        print(f"cold build of '{company}' with this pipeline ({jobs} workers) ...", flush=True)
        report = build_book(company, jobs=jobs, out_root=tmp / "ours", log=lambda *a: None)
        if not report.ok:
            print(report.error)
            return 1
        t = report.timings
        print(f"  validate {t['validate']:6.1f} s\n  execute  {t['execute']:6.1f} s\n"
              f"  html     {t['html']:6.1f} s\n  total    {t['total']:6.1f} s", flush=True)
        slowest = sorted(report.chapters, key=lambda r: -r.seconds)[:3]
        print("  slowest chapters: " + ", ".join(f"{r.name} {r.seconds:.1f} s" for r in slowest))
        print("baseline: jupyter-book build, execute_notebooks: force (serial, its own kernels) ...", flush=True)
        base = baseline_build(company, tmp / "baseline")
        print(f"  total    {base:6.1f} s")
        ratio = t["total"] / base
        print(f"\nratio ours / baseline = {ratio:.2f} (target <= {TARGET_RATIO}); "
              f"ours {t['total']:.1f} s (target < {TARGET_SECONDS:.0f} s)")
        ok = ratio <= TARGET_RATIO and t["total"] < TARGET_SECONDS
        print("targets met" if ok else "targets NOT met")
    return 0
