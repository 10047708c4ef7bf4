"""`make bench`: a cold build, step by step, against jupyter-book's own execution.

Both runs start from nothing (fresh output folders) and build the same chapters
for the same company, one after the other in this process, so the ratio is
measured on the same machine in the same minute. The machine is noisy: read the
ratio, not the seconds.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..paths import CHAPTERS_DIR
from .pipeline import STATIC, build_book, vega_bundle, write_book_config

TARGET_RATIO = 0.5
TARGET_SECONDS = 20.0
TARGET_MC_SECONDS = 1.0


def baseline_build(company: str, work: Path) -> float:
    """jupyter-book's default way: execute_notebooks 'force' over the chapter sources."""
    src = work / "src"
    (src / "chapters").mkdir(parents=True)
    for md in CHAPTERS_DIR.glob("*.md"):
        # the chapters' parameters cell names the company; set it the way papermill would
        text = re.sub(
            r'^company = ".*"$', f'company = "{company}"', md.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE
        )
        (src / "chapters" / md.name).write_text(text, encoding="utf-8")
    write_book_config(src, company.capitalize(), execute="force")
    shutil.copytree(STATIC, src / "_static")
    shutil.copy2(vega_bundle(work / "cache"), src / "_static" / "vega-offline.js")
    exe = Path(sys.executable).with_name("jupyter-book")
    start = time.perf_counter()
    proc = subprocess.run(
        [str(exe), "build", str(src), "--path-output", str(work / "out"), "--builder", "html"],
        capture_output=True,
        text=True,
        cwd=src,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise RuntimeError("the baseline jupyter-book build failed")
    return seconds


def run_bench(company: str, jobs: int = 2, repeat: int = 3) -> int:
    """Alternate cold builds (ours, then the baseline) ``repeat`` times; report medians and the ratio."""
    import statistics

    ours, base, steps = [], [], {"validate": [], "analysis": [], "execute": [], "html": []}
    with tempfile.TemporaryDirectory(prefix="moatbook-bench-") as tmp:
        tmp = Path(tmp)
        for i in range(repeat):
            print(f"round {i + 1}/{repeat}: this pipeline ({jobs} workers), cold ...", flush=True)
            report = build_book(company, jobs=jobs, out_root=tmp / f"ours{i}", log=lambda *a: None)
            if not report.ok:
                print(report.error)
                return 1
            ours.append(report.timings["total"])
            for k in steps:
                steps[k].append(report.timings[k])
            print(f"round {i + 1}/{repeat}: jupyter-book build, execute_notebooks: force ...", flush=True)
            base.append(baseline_build(company, tmp / f"baseline{i}"))
            print(f"  ours {ours[-1]:.1f} s, baseline {base[-1]:.1f} s, ratio {ours[-1] / base[-1]:.2f}", flush=True)
    med = statistics.median
    ratios = [o / b for o, b in zip(ours, base, strict=True)]
    print(f"\ncold build of '{company}', median of {repeat} (seconds):")
    for k, v in steps.items():
        print(f"  {k:9s} {med(v):6.1f}")
    print(f"  {'total':9s} {med(ours):6.1f}   (target < {TARGET_SECONDS:.0f} s)")
    print(f"  baseline  {med(base):6.1f}   jupyter-book's own execution, same chapters")
    print(
        f"ratio ours / baseline: median {med(ratios):.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"target <= {TARGET_RATIO})"
    )
    mc = monte_carlo_seconds(company)
    print(
        f"uncertainty model: {mc['draws']:,} draws for '{company}' in {mc['seconds']:.2f} s, best of 3 "
        f"(target <= {TARGET_MC_SECONDS:.0f} s); the book's whole analysis (peers, ranks, sensitivity) "
        f"{mc['analysis']:.1f} s"
    )
    ok = med(ratios) <= TARGET_RATIO and med(ours) < TARGET_SECONDS and mc["seconds"] <= TARGET_MC_SECONDS
    print("targets met" if ok else "targets NOT met")
    return 0


def monte_carlo_seconds(company: str) -> dict:
    """Time the uncertainty model for one brand (best of three) and the whole analysis of its book."""
    from ..data import load
    from ..scoring import uncertainty as un
    from ..scoring.engine import score_dataset
    from ..scoring.report import analyse

    ds = load([company])
    settings = un.Settings.from_rubric(ds.rubric)
    model = un.compile_card(score_dataset(ds, company), ds.rubric)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        un.simulate(model, settings)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    analyse(ds, company)
    return {"draws": settings.draws, "seconds": min(times), "analysis": time.perf_counter() - start}
