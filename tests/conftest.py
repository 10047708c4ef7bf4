"""Shared fixtures: a fictional data folder to break on purpose, and the built Xiaomi book."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from moatbook.paths import BUILD_DIR, DATA_DIR, ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "data"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A writable copy of the fictional fixture data with the real rubric."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    shutil.copy2(DATA_DIR / "rubric.yaml", target / "rubric.yaml")
    return target


def append_row(path: Path, row: dict) -> int:
    """Append ``row`` to a CSV file; return its spreadsheet row number."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames
        n = sum(1 for _ in reader)
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, fieldnames=header).writerow({k: row.get(k, "") for k in header})
    return n + 2


@pytest.fixture
def good_row() -> dict:
    return dict(
        company="acme",
        metric="net_promoter_score",
        indicator="nps",
        value="30",
        unit="score -100..100",
        period="2024",
        market="global",
        source_id="fx-survey",
        measure="a test figure",
        note="",
    )


@pytest.fixture(scope="session")
def xiaomi_book() -> Path:
    """The built Xiaomi book (a no-op when `make test` has just built it: the build finds it up to date)."""
    from moatbook.build import build_book

    report = build_book("xiaomi", log=lambda *a: None)
    assert report.ok, report.error
    return BUILD_DIR / "xiaomi"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
