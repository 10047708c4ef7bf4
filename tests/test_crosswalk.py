"""The crosswalk: its data file, the table the chapter shows, and the chapter's cache inputs."""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from moatbook.book import context
from moatbook.book.crosswalk import coverage_html, crosswalk_table, reasons_html, uncovered
from moatbook.data import DataError, load, load_rubric
from moatbook.data.crosswalk import NONE, load_crosswalk
from moatbook.paths import DATA_DIR

FRAMEWORKS = {"aaker", "keller", "brand_finance", "morningstar"}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def cw(rubric):
    return load_crosswalk(rubric)


def _write(tmp_path, edit):
    raw = yaml.safe_load((DATA_DIR / "crosswalk.yaml").read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "crosswalk.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_every_metric_is_placed_in_every_framework_with_a_reason(cw, rubric):
    assert set(cw.frameworks) == FRAMEWORKS
    assert list(cw.metrics) == list(rubric.metrics)
    for mid, row in cw.metrics.items():
        assert set(row) == FRAMEWORKS, mid
        for fid, m in row.items():
            assert m.dimension == NONE or m.dimension in cw.frameworks[fid].dimensions
            assert 20 < len(m.reason) < 140, (mid, fid, m.reason)  # one line, in words
    # the published dimension sets of the four frameworks
    assert set(cw.frameworks["keller"].dimensions) == {
        "salience",
        "performance",
        "imagery",
        "judgements",
        "feelings",
        "resonance",
    }
    assert set(cw.frameworks["brand_finance"].dimensions) == {"investment", "equity", "performance"}
    assert set(cw.frameworks["morningstar"].dimensions) == {
        "intangible_assets",
        "switching_costs",
        "network_effect",
        "cost_advantage",
        "efficient_scale",
    }
    assert all(f.citation for f in cw.frameworks.values())


def test_the_brand_finance_column_is_the_rubrics_pillars(cw, rubric):
    for pid, pillar in rubric.aggregation.pillars.items():
        for mid in pillar.metrics:
            assert cw.metrics[mid]["brand_finance"].dimension == pid


def test_the_table_has_a_row_per_metric_linking_its_chapter(cw, rubric):
    html = crosswalk_table(cw, rubric)
    body = html.split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body)
    assert len(rows) == len(rubric.metrics)
    heads = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", html)
    assert heads == ["Metric", "Aaker", "Keller", "Brand Finance", "Morningstar"]
    for (mid, row), cells_html in zip(cw.metrics.items(), rows, strict=True):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", cells_html)
        assert cells[0] == f'<a href="{mid}.html">{rubric.metrics[mid].title}</a>'
        for fid, cell in zip(cw.frameworks, cells[1:], strict=True):
            expected = cw.label(fid, row[fid].dimension)
            assert re.sub(r"</?i>", "", cell) == expected.replace("'", "&#x27;")
            assert cell.startswith("<i>") == (row[fid].dimension == NONE)
    assert 'class="mb-table-caption"' in html  # captioned, so the table has a description


def test_the_reasons_and_the_uncovered_dimensions(cw, rubric):
    html = reasons_html(cw, rubric)
    assert html.count("<details") == len(rubric.metrics)
    for row in cw.metrics.values():
        for m in row.values():
            assert m.reason.replace("'", "&#x27;") in html
    missing = uncovered(cw)
    assert missing["brand_finance"] == []
    for fid, dims in missing.items():
        for d in dims:
            assert not cw.metrics_of(fid, d)
            assert cw.frameworks[fid].dimensions[d] in coverage_html(cw, rubric)
    # counts in the coverage list add up to the eleven metrics for each framework
    lines = [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li>(.*?)</li>", coverage_html(cw, rubric))]
    assert [li.split(":")[0] for li in lines] == [f.short for f in cw.frameworks.values()]
    for li in lines:
        counted = li.split("Not measured")[0].split("Every dimension")[0]
        assert sum(int(n) for n in re.findall(r" (\d+)", counted)) == len(rubric.metrics), li


@pytest.mark.parametrize(
    "edit, field, words",
    [
        (lambda raw: raw["metrics"].pop("price_premium"), "metrics.price_premium", "missing"),
        (lambda raw: raw["metrics"]["price_premium"].update(keller=["glow", "x" * 30]), "price_premium.keller", "glow"),
        (
            lambda raw: raw["metrics"]["price_premium"].update(brand_finance=["equity", "y" * 30]),
            "brand_finance",
            "pillars",
        ),
        (
            lambda raw: raw["metrics"]["net_promoter_score"].update(aaker="loyalty"),
            "net_promoter_score.aaker",
            "reason",
        ),
        (lambda raw: raw["metrics"].update(loyalty_vibes={}), "metrics.loyalty_vibes", "not a metric"),
    ],
)
def test_a_bad_crosswalk_names_file_and_field(tmp_path, rubric, edit, field, words):
    path = _write(tmp_path, edit)
    with pytest.raises(DataError) as err:
        load_crosswalk(rubric, path)
    message = str(err.value)
    assert "crosswalk.yaml" in message and field in message and words in message


def test_the_chapters_key_follows_the_crosswalk_file(tmp_path):
    context.forget()
    try:
        ds = load(["xiaomi"])
        ctx = context.prepare(ds, "xiaomi")
        before = context.fingerprint(context.chapter_inputs(ctx, "crosswalk"))
        assert context.chapter_inputs(ctx, "crosswalk")["kind"] == "crosswalk"
        _write(tmp_path, lambda raw: raw["metrics"]["price_premium"].update(keller=["imagery", "A changed reason."]))
        changed = dataclasses.replace(ctx, dataset=dataclasses.replace(ds, data_dir=tmp_path))
        assert context.fingerprint(context.chapter_inputs(changed, "crosswalk")) != before
        # the scores are not among its inputs: a changed analysis leaves the key alone
        assert context.chapter_inputs(ctx, "crosswalk")["results"]["analysis"] == context.fingerprint(None)
    finally:
        context.forget()
