"""`make bench`: a cold build, a rebuild with nothing changed and one with one evidence row changed,
against jupyter-book's own execution of the same chapters.

Every build runs as ``python -m moatbook build``, the command a user runs, in a
fresh output folder and on a private copy of ``data/``, so nothing of the
project's ``_build/`` or data is touched or reused. Each round measures, back to
back: our cold build (empty cache), a rebuild with nothing changed, a rebuild
after one evidence row of one metric changed, and jupyter-book's own build
(``execute_notebooks: force``); the order of ours and jupyter-book's alternates
between rounds. The machine is shared and noisy: the targets are ratios within
a round, and the medians over rounds are reported.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..paths import CHAPTERS_DIR, ROOT, data_dir
from .html import STATIC, vega_bundle, write_book_config

TARGETS = {
    "cold / jupyter-book": 0.25,
    "no change / cold": 0.15,
    "one row / cold": 0.5,
}
NO_CHANGE_SECONDS = 1.5
TARGET_MC_SECONDS = 1.0  # the uncertainty model of one brand


def baseline_build(company: str, work: Path, env: dict | None = None) -> float:
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
        env=env,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise RuntimeError("the baseline jupyter-book build failed")
    return seconds


def our_build(company: str, out: Path, env: dict, jobs: int) -> float:
    """One ``python -m moatbook build``; on a terminal its live progress line shows, otherwise it is quiet."""
    cmd = [sys.executable, "-m", "moatbook", "build", "--company", company, "--jobs", str(jobs), "--out", str(out)]
    live = sys.stdout.isatty()
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=not live, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        if not live:
            print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise RuntimeError(f"the build of {company} failed")
    return seconds


def change_one_row(data: Path, company: str) -> str:
    """Change the value of one scored evidence row (the first of its metric) a little; say which."""
    from ..data import load

    ds = load([company], data_dir=data)
    path = data / "evidence" / f"{company}.csv"
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    col = {name: i for i, name in enumerate(header)}
    for i, row in enumerate(rows[1:], start=1):
        metric, indicator = row[col["metric"]], row[col["indicator"]]
        spec = ds.rubric.metrics[metric].indicators[indicator]
        if spec.kind != "level":
            continue
        old = float(row[col["value"]])
        new = old * 1.02 if old else 1.0
        unit = ds.rubric.units[row[col["unit"]]]
        try:
            unit.check(row[col["unit"]], new)
        except ValueError:
            continue
        row[col["value"]] = f"{new:.4g}"
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
        return f"{path.name} row {i + 1} ({metric}/{indicator}): {old:g} -> {row[col['value']]}"
    raise RuntimeError(f"no evidence row of {company} to change")


def run_bench(company: str, jobs: int = 2, repeat: int = 3) -> int:
    """Rounds of (cold, no change, one row, jupyter-book); print medians and the ratios against the targets."""
    med = statistics.median
    results: dict[str, list[float]] = {"cold": [], "no change": [], "one row": [], "jupyter-book": []}
    ratios: dict[str, list[float]] = {k: [] for k in TARGETS}
    with tempfile.TemporaryDirectory(prefix="moatbook-bench-") as tmp:
        tmp = Path(tmp)
        for i in range(repeat):
            data = tmp / f"data{i}"
            shutil.copytree(data_dir(), data)
            env = {**os.environ, "MOATBOOK_DATA_DIR": str(data)}
            out = tmp / f"ours{i}"

            def ours(out=out, env=env) -> None:
                cold = our_build(company, out, env, jobs)
                same = our_build(company, out, env, jobs)
                what = change_one_row(Path(env["MOATBOOK_DATA_DIR"]), company)
                one = our_build(company, out, env, jobs)
                results["cold"].append(cold)
                results["no change"].append(same)
                results["one row"].append(one)
                print(f"  ours: cold {cold:.1f} s, no change {same:.2f} s, one row changed {one:.1f} s ({what})")

            def base(i=i, env=env) -> None:
                results["jupyter-book"].append(baseline_build(company, tmp / f"baseline{i}", env))
                print(f"  jupyter-book, execute_notebooks: force: {results['jupyter-book'][-1]:.1f} s")

            print(f"round {i + 1}/{repeat} ({jobs} workers)", flush=True)
            for step in (ours, base) if i % 2 == 0 else (base, ours):
                try:
                    step()
                except RuntimeError as exc:
                    print(f"bench stopped: {exc}")
                    return 1
                sys.stdout.flush()
            cold, same, one, jb = (results[k][-1] for k in ("cold", "no change", "one row", "jupyter-book"))
            ratios["cold / jupyter-book"].append(cold / jb)
            ratios["no change / cold"].append(same / cold)
            ratios["one row / cold"].append(one / cold)
            shutil.rmtree(tmp / f"baseline{i}", ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)

    print(f"\nbuilds of '{company}', median of {repeat} rounds (seconds):")
    for k, v in results.items():
        print(f"  {k:14s} {med(v):6.2f}   ({', '.join(f'{x:.2f}' for x in v)})")
    ok = True
    print("ratios (median over rounds, each ratio taken within its round):")
    for k, target in TARGETS.items():
        value = med(ratios[k])
        met = value <= target
        ok &= met
        print(f"  {k:20s} {value:5.2f}   target <= {target}   {'met' if met else 'NOT met'}")
    fast = med(results["no change"]) < NO_CHANGE_SECONDS
    ok &= fast
    print(
        f"  no change, seconds   {med(results['no change']):5.2f}   target < {NO_CHANGE_SECONDS}   "
        f"{'met' if fast else 'NOT met'}"
    )
    mc = monte_carlo_seconds(company)
    mc_ok = mc["seconds"] <= TARGET_MC_SECONDS
    ok &= mc_ok
    print(
        f"uncertainty model: {mc['draws']:,} draws for '{company}' in {mc['seconds']:.2f} s, best of 3 "
        f"(target <= {TARGET_MC_SECONDS:.0f} s, {'met' if mc_ok else 'NOT met'}); the book's whole analysis "
        f"(peers, ranks, sensitivity) {mc['analysis']:.1f} s"
    )
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
