"""A brand added the way an analyst works, following only the README and the catalogue: each step's message.

The brand is fictional and lives in a temporary copy of the project's data; the
steps are those of the README's "Adding a brand": scaffold, fill the company row,
look the page up in the registry, add figures where the catalogue says, validate,
read the scores.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from moatbook.__main__ import main
from moatbook.data import DataError, load
from moatbook.data.audit import audit, likely_duplicates
from moatbook.data.scaffold import new_company
from moatbook.paths import DATA_DIR

from .conftest import append_row

SLUG = "zenfone-test"


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    monkeypatch.setenv("MOATBOOK_DATA_DIR", str(target))
    return target


def problems(data: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        load([SLUG], data_dir=data)
    return [str(i) for i in info.value.issues]


def set_company(data: Path, **cells) -> None:
    path = data / "companies.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for r in rows:
        if r["slug"] == SLUG:
            r.update(cells)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def figure(**kw) -> dict:
    return dict(company=SLUG, market="global", source_id="zen-test-page", measure="a test figure") | kw


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_new_brand_gets_the_right_message_at_each_step(data, capsys):
    # 1. scaffold: the checklist points at the catalogue and states what each metric needs
    new_company(SLUG, "Zenfone Test", root=data)
    checklist = capsys.readouterr().out
    assert "make indicators" in checklist and "sources.csv" in checklist and "grep -i" in checklist
    stability = checklist[checklist.index("market_share_stability:") :].split("[ ]")[0]
    assert "calendar years" in stability and "one figure" not in stability
    assert not (data / "sources" / f"{SLUG}.csv").exists()

    # 2. the placeholders fail, each saying what to fill
    messages = problems(data)
    row = next(i for i, r in enumerate(csv.DictReader((data / "companies.csv").open()), start=2) if r["slug"] == SLUG)
    for column, hint in (
        ("peers", "brands it competes with"),
        ("home_market", "home market"),
        ("summary", "placeholder"),
    ):
        hit = [m for m in messages if f"companies.csv, row {row}, column '{column}'" in m]
        assert len(hit) == 1 and hint in hit[0], (column, messages)
    set_company(
        data,
        peers="xiaomi;samsung",
        home_market="Southeast Asia",
        summary="A fictional phone brand used to test the way a new brand is added.",
    )
    load([SLUG], data_dir=data)

    # 3. a page already in the registry, registered again, is refused on the new row with the id to reuse
    known = next(
        r for r in csv.DictReader((data / "sources.csv").open()) if r["source_id"] == "canalys-mobgsm-2024-global"
    )
    new_row = append_row(
        data / "sources.csv",
        dict(
            source_id="zen-canalys-2024",
            publisher="Canalys",
            title="Canalys 2024 via MobGSM",
            url=known["url"].replace("https://", "http://"),
            accessed="2026-11-30",
            confidence="medium",
        ),
    )
    ev = append_row(
        data / "evidence" / f"{SLUG}.csv",
        figure(
            metric="market_share_stability",
            indicator="global_share_annual",
            value="2",
            unit="%",
            period="2024",
            source_id="zen-canalys-2024",
            measure="tracker's share of worldwide shipments",
        ),
    )
    messages = problems(data)
    registry = [
        m for m in messages if "column 'url'" in m and "already registered as 'canalys-mobgsm-2024-global'" in m
    ]
    assert len(registry) == 1 and f"sources.csv, row {new_row}, column 'url'" in registry[0]
    assert any(
        f"{SLUG}.csv, row {ev}, column 'source_id'" in m and "cite 'canalys-mobgsm-2024-global'" in m for m in messages
    )
    assert not any("evidence/xiaomi.csv" in m for m in messages)  # a neighbour's file is never blamed

    # follow the message: delete the second row, cite the registered id
    lines = (data / "sources.csv").read_text().splitlines()
    (data / "sources.csv").write_text("\n".join(lines[: new_row - 1] + lines[new_row:]) + "\n")
    path = data / "evidence" / f"{SLUG}.csv"
    path.write_text(path.read_text().replace("zen-canalys-2024", "canalys-mobgsm-2024-global"))
    append_row(
        data / "sources.csv",
        dict(
            source_id="zen-test-page",
            publisher="Zenfone Test",
            title="A fictional results page for a test",
            url="https://example.org/zenfone-results",
            accessed="2026-11-30",
            confidence="high",
        ),
    )
    load([SLUG], data_dir=data)

    # 4. a quarter on the yearly series is refused, saying where quarters go
    q = append_row(
        path,
        figure(metric="market_share_stability", indicator="global_share_annual", value="2", unit="%", period="2024Q3"),
    )
    message = next(m for m in problems(data) if f"row {q}," in m)
    assert "column 'period'" in message and "calendar years" in message
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")

    # 5. one year of global share: the metric is not scored, and says why, with its count
    code, out = run(capsys, "scores", "--company", SLUG)
    assert code == 0
    line = next(x for x in out.splitlines() if x.strip().startswith("market_share_stability"))
    assert "not scored: too few points" in line and "(1 figure on file)" in line
    assert "n=" not in out and "None" not in out
    retention = next(x for x in out.splitlines() if x.strip().startswith("customer_retention"))
    assert retention.rstrip().endswith("no evidence")

    # two more years from the same tracker: scored
    for year, value in (("2022", "2.2"), ("2023", "2.1")):
        append_row(
            path,
            figure(
                metric="market_share_stability",
                indicator="global_share_annual",
                value=value,
                unit="%",
                period=year,
                source_id="zen-test-page",
                tracker="Canalys",
                measure="tracker's share of worldwide shipments",
            ),
        )
    code, out = run(capsys, "scores", "--company", SLUG)
    line = next(x for x in out.splitlines() if x.strip().startswith("market_share_stability"))
    assert re.search(r"\d\.\d", line) and "scored (3 figures on file)" in line

    # 6. a judgement resting only on a low-confidence source is shown, not scored, and says so
    append_row(
        data / "sources.csv",
        dict(
            source_id="zen-forum",
            publisher="A forum",
            title="A fictional forum thread",
            url="https://example.org/forum/zen",
            accessed="2026-11-30",
            confidence="low",
        ),
    )
    append_row(
        data / "assessments" / f"{SLUG}.csv",
        dict(
            company=SLUG,
            metric="brand_advocacy",
            indicator="fan_culture",
            level="2",
            source_ids="zen-forum",
            rationale="A fictional fan base in one market.",
        ),
    )
    code, out = run(capsys, "scores", "--company", SLUG)
    line = next(x for x in out.splitlines() if x.strip().startswith("brand_advocacy"))
    assert "not scored: low-confidence sources only for Fan culture (judgement) (1 judgement on file)" in line

    # 7. validate passes; the audit names the judgement that rests on a low-confidence source
    code, out = run(capsys, "validate", "--company", SLUG)
    assert code == 0 and "data OK" in out
    findings = audit(load([SLUG], data_dir=data))
    assert any(f.section == "low_judgements" and f"assessments/{SLUG}.csv" in f.where for f in findings)


def test_the_catalogue_command_prints_one_metric(capsys):
    code, out = run(capsys, "indicators", "--metric", "market_share_stability")
    assert code == 0 and "market_share_stability/global_share_annual" in out and "(price_premium)" not in out
    code, out = run(capsys, "indicators", "--metric", "happiness")
    assert code == 2 and "unknown metric" in out


def test_audit_runs_on_the_real_data_and_lists_each_section(capsys):
    code, out = run(capsys, "audit")
    assert code == 0
    for title in (
        "Likely duplicates",
        "listing, tag or search page",
        "low-confidence sources",
        "all low-confidence",
        "spelled more than one way",
        "cited nowhere",
    ):
        assert title in out
    assert "canadianrev.squarespace.com/cr/tag/canalys" not in out or "lists other pages" in out


def test_likely_duplicates_find_reprints_and_one_value_under_two_publishers(data_dir, good_row):
    append_row(data_dir / "evidence" / "acme.csv", {**good_row, "value": "31.5", "source_id": "fx-tracker-a"})
    append_row(data_dir / "evidence" / "acme.csv", {**good_row, "value": "31.5", "source_id": "fx-tracker-b"})
    found = likely_duplicates(load(["acme"], data_dir=data_dir))
    two = [f for f in found if f.kind == "two publishers"]
    assert len(two) == 1 and "Tracker A and Tracker B" in two[0].message and "evidence/acme.csv rows" in two[0].where


def test_validate_prints_likely_duplicates_as_warnings(data_dir, good_row, monkeypatch, capsys):
    append_row(data_dir / "evidence" / "acme.csv", {**good_row, "value": "31.5", "source_id": "fx-tracker-a"})
    append_row(data_dir / "evidence" / "acme.csv", {**good_row, "value": "31.5", "source_id": "fx-tracker-b"})
    monkeypatch.setenv("MOATBOOK_DATA_DIR", str(data_dir))
    code, out = run(capsys, "validate", "--company", "acme")
    assert code == 0 and "credited to two publishers, likely one figure" in out and "31.5" in out
