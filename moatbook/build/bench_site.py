"""`make bench-site`: does the cost per brand stay flat as the site grows?

Builds the site cold (empty cache) for the seven brands, then for 28: the seven
plus 21 synthetic brands with random valid data (:mod:`.synthetic`), each in a
temporary folder with its own copy of ``data/``, through ``python -m moatbook
site`` as a user would run it. Prints seconds per brand for each and their ratio
(target: the 28-brand site costs at most 1.2 times as much per brand). Nothing
is published: the temporary folders are removed at the end.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..paths import ROOT, data_dir
from .synthetic import add_synthetic_brands

TARGET = 1.2


def _site(data: Path, out: Path, jobs: int, extra: list[str]) -> float:
    env = {**os.environ, "MOATBOOK_DATA_DIR": str(data)}
    cmd = [sys.executable, "-m", "moatbook", "site", "--jobs", str(jobs), "--out", str(out), *extra]
    live = sys.stdout.isatty()  # on a terminal the site's live lines (one per brand) show
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=not live, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        if not live:
            print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise RuntimeError("the site build failed")
    return seconds


def run_bench_site(jobs: int = 2, extra: int = 21, executor_args: list[str] | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="moatbook-bench-site-") as tmp:
        tmp = Path(tmp)
        small, large = tmp / "data7", tmp / "data28"
        shutil.copytree(data_dir(), small)
        shutil.copytree(data_dir(), large)
        with contextlib.redirect_stdout(io.StringIO()):  # the scaffold's checklist
            synthetic = add_synthetic_brands(large, extra)
        n_small = len(_brands(small))
        n_large = n_small + len(synthetic)
        rows = []
        for label, data, n in (("7 brands", small, n_small), (f"{n_large} brands", large, n_large)):
            print(f"site with {n} brands, cold ...", flush=True)
            seconds = _site(data, tmp / f"out-{n}", jobs, executor_args or [])
            rows.append((label, n, seconds))
            print(f"  {seconds:.1f} s, {seconds / n:.2f} s per brand", flush=True)
    per = [s / n for _, n, s in rows]
    ratio = per[1] / per[0]
    print("\nsite build, cold, seconds per brand:")
    for (label, _, seconds), p in zip(rows, per, strict=True):
        print(f"  {label:10s} {seconds:7.1f} s total   {p:5.2f} s per brand")
    print(f"ratio of per-brand times, {n_large} / {n_small} brands: {ratio:.2f}   target <= {TARGET}   "
          f"{'met' if ratio <= TARGET else 'NOT met'}")  # fmt: skip
    return 0


def _brands(data: Path) -> list[str]:
    import csv

    with (data / "companies.csv").open(encoding="utf-8", newline="") as fh:
        return [r["slug"] for r in csv.DictReader(fh) if r["kind"] == "brand"]
