"""Every kind of bad input gets an error naming file, row and field, before anything runs."""

from __future__ import annotations

import re

import pytest
import yaml

from moatbook.data import DataError, load

from .conftest import append_row


def errors_for(data_dir, slug="acme") -> list[str]:
    with pytest.raises(DataError) as info:
        load([slug], data_dir=data_dir)
    return [str(i) for i in info.value.issues]


def only(messages: list[str], pattern: str) -> str:
    hits = [m for m in messages if re.search(pattern, m)]
    assert len(hits) == 1, messages
    return hits[0]


def test_fixture_data_is_valid(data_dir):
    ds = load(["acme"], data_dir=data_dir)
    assert len(ds.evidence["acme"]) == 17
    assert "globex" in ds.evidence  # peers are loaded with the company


@pytest.mark.parametrize(
    "change, column, pattern",
    [
        ({"value": "about 40"}, "value", r"'about 40' is not a number"),
        ({"metric": "happiness"}, "metric", r"unknown metric 'happiness'"),
        ({"indicator": "nps_score"}, "indicator", r"unknown indicator 'nps_score' for metric 'net_promoter_score'"),
        ({"source_id": "nowhere-2024"}, "source_id", r"unknown source id 'nowhere-2024'"),
        ({"value": "140"}, "value", r"NPS must lie between -100 and 100, got 140"),
        (
            {"metric": "share_of_wallet", "indicator": "key_market_share", "unit": "%", "value": "104"},
            "value",
            r"a share \('%'\) must lie between 0 and 100, got 104",
        ),
        ({"period": "Q3 2024"}, "period", r"'Q3 2024' is not a period"),
        ({"market": "Mars"}, "market", r"unknown market 'Mars'"),
        ({"unit": "%"}, "unit", r"takes 'score -100..100', not '%'"),
        ({"company": "globex"}, "company", r"does not match the file's company 'acme'"),
        ({"measure": ""}, "measure", r"at least 3 characters"),
    ],
)
def test_bad_evidence_row_names_file_row_and_column(data_dir, good_row, change, column, pattern):
    row = append_row(data_dir / "evidence" / "acme.csv", {**good_row, **change})
    message = only(errors_for(data_dir), pattern)
    assert message.startswith(f"{data_dir.name}/evidence/acme.csv, row {row}, column '{column}'") or (
        f"evidence/acme.csv, row {row}, column '{column}'" in message
    ), message


def test_duplicate_row_names_both_rows(data_dir, good_row):
    first = append_row(data_dir / "evidence" / "acme.csv", good_row)
    second = append_row(data_dir / "evidence" / "acme.csv", {**good_row, "value": "31"})
    message = only(errors_for(data_dir), "duplicates")
    assert f"evidence/acme.csv, row {second}, column 'measure'" in message
    assert f"duplicates row {first}" in message


def test_derived_indicator_takes_no_rows(data_dir, good_row):
    row = append_row(
        data_dir / "evidence" / "acme.csv",
        {**good_row, "metric": "market_share_stability", "indicator": "share_trend", "unit": "pp"},
    )
    message = only(errors_for(data_dir), "computed from")
    assert f"row {row}, column 'indicator'" in message


def test_annual_indicator_rejects_a_quarter(data_dir, good_row):
    row = append_row(
        data_dir / "evidence" / "acme.csv",
        {
            **good_row,
            "metric": "market_share_stability",
            "indicator": "global_share_annual",
            "unit": "%",
            "value": "12",
            "period": "2024Q1",
        },
    )
    message = only(errors_for(data_dir), "calendar years")
    assert f"row {row}, column 'period'" in message


def test_missing_file(data_dir):
    (data_dir / "evidence" / "acme.csv").unlink()
    message = only(errors_for(data_dir), "file is missing")
    assert "evidence/acme.csv" in message


def test_empty_file(data_dir):
    (data_dir / "evidence" / "acme.csv").write_text("")
    message = only(errors_for(data_dir), "file is empty")
    assert "evidence/acme.csv" in message


def test_header_without_a_required_column(data_dir):
    path = data_dir / "evidence" / "acme.csv"
    path.write_text("company,metric,indicator,value,period,market,source_id,measure,note\n")
    message = only(errors_for(data_dir), "header")
    assert "evidence/acme.csv, row 1: header lacks column(s) unit" in message


def test_wrong_cell_count(data_dir):
    path = data_dir / "evidence" / "acme.csv"
    path.write_text(path.read_text() + "acme,net_promoter_score,nps,3\n")
    message = only(errors_for(data_dir), "cells but the header")
    assert "row 19" in message


def test_bad_judgement_level_and_source(data_dir):
    path = data_dir / "assessments" / "acme.csv"
    row = append_row(
        path,
        dict(
            company="acme",
            metric="brand_advocacy",
            indicator="fan_culture",
            level="7",
            source_ids="fx-survey;ghost",
            rationale="a test judgement here",
        ),
    )
    messages = errors_for(data_dir)
    assert f"assessments/acme.csv, row {row}, column 'level': level 7 is not defined; use 0 to 4" in only(
        messages, "level 7"
    )
    assert f"row {row}, column 'source_ids'" in only(messages, "ghost")


def test_judgement_on_a_level_indicator(data_dir):
    row = append_row(
        data_dir / "assessments" / "acme.csv",
        dict(
            company="acme",
            metric="net_promoter_score",
            indicator="nps",
            level="2",
            source_ids="fx-survey",
            rationale="a test judgement here",
        ),
    )
    assert f"row {row}, column 'indicator'" in only(errors_for(data_dir), "judgements go to ordinal")


def test_bad_source_rows(data_dir):
    path = data_dir / "sources.csv"
    row = append_row(
        path,
        dict(source_id="Bad Id", publisher="X", title="Y", url="ftp://x", accessed="2026-13-01", confidence="certain"),
    )
    messages = errors_for(data_dir)
    for column in ("source_id", "url", "accessed", "confidence"):
        assert any(f"sources.csv, row {row}, column '{column}'" in m for m in messages), (column, messages)


def test_unknown_peer_in_companies(data_dir):
    path = data_dir / "companies.csv"
    path.write_text(path.read_text().replace("acme,Acme,brand,globex", "acme,Acme,brand,globex;initech"))
    assert "companies.csv, row 2, column 'peers'" in only(errors_for(data_dir), "initech")


def test_unknown_company_lists_the_known_ones(data_dir):
    message = only(errors_for(data_dir, "initech"), "unknown company")
    assert "acme" in message and "globex" in message


def _rubric(data_dir):
    path = data_dir / "rubric.yaml"
    return path, yaml.safe_load(path.read_text())


def test_rubric_indicator_weights_must_add_up(data_dir):
    path, rubric = _rubric(data_dir)
    rubric["metrics"]["price_premium"]["indicators"]["asp_usd"]["weight"] -= 0.1
    path.write_text(yaml.safe_dump(rubric, sort_keys=False))
    message = only(errors_for(data_dir), "add up")
    assert "rubric.yaml, line" in message
    assert "metrics.price_premium" in message and "add up to 0.9, not 1" in message


def test_rubric_metric_weights_must_add_up(data_dir):
    path, rubric = _rubric(data_dir)
    rubric["metrics"]["price_premium"]["weight"] = 0.2
    path.write_text(yaml.safe_dump(rubric, sort_keys=False))
    message = only(errors_for(data_dir), "metric weights add up")
    assert "rubric.yaml" in message and "column 'metrics'" in message


def test_rubric_anchors_must_be_monotonic(data_dir):
    path, rubric = _rubric(data_dir)
    rubric["metrics"]["net_promoter_score"]["indicators"]["nps"]["anchors"] = [[0, 1], [50, 5], [20, 8]]
    path.write_text(yaml.safe_dump(rubric, sort_keys=False))
    message = only(errors_for(data_dir), "strictly increasing")
    assert "metrics.net_promoter_score.indicators.nps.anchors" in message


def test_rubric_that_is_not_yaml(data_dir):
    (data_dir / "rubric.yaml").write_text("metrics: [unclosed\n")
    message = only(errors_for(data_dir), "not valid YAML")
    assert "rubric.yaml, line" in message


def test_bad_reference_score(data_dir):
    (data_dir / "reference_scores.csv").write_text(
        "company,metric,score,rating,reference\nacme,price_premium,12,,somewhere\n"
    )
    assert "reference_scores.csv, row 2" in only(errors_for(data_dir), "between 0 and 10")


def test_every_problem_is_reported_at_once(data_dir, good_row):
    append_row(data_dir / "evidence" / "acme.csv", {**good_row, "value": "x"})
    append_row(data_dir / "evidence" / "acme.csv", {**good_row, "period": "soon"})
    messages = errors_for(data_dir)
    assert len(messages) >= 2


def test_bad_gap_note_names_file_row_and_column(data_dir):
    (data_dir / "gaps.csv").write_text(
        "company,metric,note,checked\n"
        "acme,happiness,A note long enough to pass the length check.,2026-11-30\n"
        "initech,price_premium,A note long enough to pass the length check.,2026-11-30\n"
        "acme,price_premium,short,30/11/2026\n"
    )
    messages = errors_for(data_dir)
    assert "gaps.csv, row 2, column 'metric'" in only(messages, "unknown metric 'happiness'")
    assert "gaps.csv, row 3, column 'company'" in only(messages, "'initech' is not in companies.csv")
    assert "gaps.csv, row 4, column 'checked'" in only(messages, "is not a date")


def test_validate_warns_about_reprints(data_dir, good_row):
    """Rows that give one publisher's figure twice are a warning; a page under two ids is refused outright by the
    source registry (tests/test_registry.py), so it never reaches the warnings."""
    from moatbook.__main__ import duplicate_warnings
    from tests.conftest import append_row

    append_row(
        data_dir / "sources.csv",
        dict(
            source_id="fx-survey-copy",
            publisher="Survey House",
            title="The same survey again",
            url="https://example.org/survey-copy",
            accessed="2026-11-30",
            confidence="medium",
        ),
    )
    append_row(data_dir / "evidence" / "acme.csv", good_row)
    append_row(data_dir / "evidence" / "acme.csv", {**good_row, "source_id": "fx-survey-copy", "measure": "reprint"})
    lines = duplicate_warnings(load(["acme"], data_dir=data_dir))
    text = "\n".join(lines)
    assert "group(s) of rows give one publisher's figure" in text and "fx-survey-copy" in text
