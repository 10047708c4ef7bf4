"""Helpers for the build tests: fictional data folders with a third brand, and builds as a user runs them."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from moatbook.paths import DATA_DIR, ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "data"


def fixture_data(target: Path, third_brand: bool = False) -> Path:
    """A writable copy of the fictional data (real rubric); optionally a brand 'initech' that shows only globex."""
    shutil.copytree(FIXTURE, target)
    shutil.copy2(DATA_DIR / "rubric.yaml", target / "rubric.yaml")
    if third_brand:
        for table in ("evidence", "assessments"):
            text = (target / table / "globex.csv").read_text(encoding="utf-8")
            lines = text.splitlines()
            (target / table / "initech.csv").write_text(
                "\n".join([lines[0], *(ln.replace("globex,", "initech,", 1) for ln in lines[1:])]) + "\n"
            )
        with (target / "companies.csv").open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerow(
                ["initech", "Initech", "brand", "globex", "Europe", "A third fictional phone maker used by the tests."]
            )
    return target


def change_value(data: Path, company: str, metric: str, indicator: str, factor: float = 1.1) -> None:
    """Multiply the value of the first row of ``metric``/``indicator`` in ``company``'s evidence."""
    path = data / "evidence" / f"{company}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows:
        if row["metric"] == metric and row["indicator"] == indicator:
            row["value"] = f"{float(row['value']) * factor:.4g}"
            break
    else:
        raise AssertionError(f"no {metric}/{indicator} row for {company}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def moatbook(args: list[str], data: Path, **kw) -> subprocess.Popen:
    """``python -m moatbook <args>`` on the data folder ``data``, as a user runs it."""
    env = {**os.environ, "MOATBOOK_DATA_DIR": str(data), **kw.pop("env", {})}
    return subprocess.Popen(
        [sys.executable, "-m", "moatbook", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, **kw,
    )  # fmt: skip


def executed(book: Path) -> set[str]:
    """Chapters the last build of ``book`` executed (not taken from the cache)."""
    import json

    info = json.loads((book / "build-info.json").read_text())
    return {name for name, c in info["chapters"].items() if not c["cached"]}
