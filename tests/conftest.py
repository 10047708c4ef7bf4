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


def built_book(slug: str) -> Path:
    """The built book of ``slug`` (a no-op when it is up to date: the build's own check says so)."""
    from moatbook.build import build_book

    with pytest.MonkeyPatch.context() as mp:  # the project's own data, whatever a test module points at
        mp.delenv("MOATBOOK_DATA_DIR", raising=False)
        report = build_book(slug, log=lambda *a: None)
    assert report.ok, report.error
    return BUILD_DIR / slug


@pytest.fixture(scope="session")
def xiaomi_book() -> Path:
    """The built Xiaomi book (built now if `make test` has not built it already)."""
    return built_book("xiaomi")


@pytest.fixture(scope="session")
def transsion_book() -> Path:
    """A brand with thin evidence: several metrics rest on one indicator or a judgement."""
    return built_book("transsion")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
