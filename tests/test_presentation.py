"""What readers see, checked on the objects that make it: charts, numbers with units, exercises,
reader-facing words, downloads and glossary links. The browser tests check the built pages."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from itertools import pairwise

import pytest

from moatbook.book import charts
from moatbook.book.chapter import MetricChapter, measure_basis
from moatbook.book.downloads import evidence_csv, shown_keys
from moatbook.book.exercises import exercises
from moatbook.book.render import fmt_value, plural
from moatbook.book.sphinx_ext import term_for
from moatbook.data import load
from moatbook.data.schema import METRIC_IDS
from moatbook.project import _https

BRANDS = load().brands()


def chapter(metric: str, slug: str) -> MetricChapter:
    with contextlib.redirect_stdout(io.StringIO()):  # glue() prints outside a kernel
        return MetricChapter(metric, slug)


def row(t, value, tracker="IDC", measure="share of shipments in the quarter", frequency="quarter", market="global"):
    return dict(
        t=t,
        value=value,
        tracker=tracker,
        measure=measure,
        frequency=frequency,
        period=f"{int(t)}",
        market=market,
    )


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


# --------------------------------------------------------------------------- numbers with units


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.010257, "million units", "10,257 units"),
        (0.4, "billion devices", "400 million devices"),
        (741.7, "million users", "741.7 million users"),
        (13.8, "%", "13.8 %"),
        (-44, "% change", "-44 %"),
        (17, "% change", "+17 %"),
        (1.2, "pp", "+1.2 pp"),
        (161, "USD", "USD 161"),
        (74, "rank", "#74"),
        (41, "score -100..100", "41 (scale -100 to 100)"),
        (78.4, "score 0..100", "78.4 out of 100"),
        (24, "months", "24 months"),
    ],
)
def test_every_value_reads_with_its_unit(value, unit, text):
    assert fmt_value(value, unit) == text


def test_counts_never_read_figure_s():
    assert plural(1, "figure") == "1 figure" and plural(3, "figure") == "3 figures"
    assert plural(2, "judgement") == "2 judgements"


# --------------------------------------------------------------------------- charts


def test_time_axis_has_one_tick_per_year_labelled_by_year():
    rows = [row(2019.125, 10), row(2019.375, 11), row(2019.625, 12), row(2020.125, 12), row(2021.875, 9)]
    spec = charts.timeline(rows, "t", "%").spec
    for layer in layers(spec):
        x = layer["encoding"]["x"]
        ticks = x["axis"]["values"]
        assert x["axis"]["format"] == "%Y"
        assert all(t.endswith("-01-01") for t in ticks)
        years = [int(t[:4]) for t in ticks]
        assert years == sorted(set(years)) and all(b - a == 1 for a, b in pairwise(years))
        assert x["scale"]["domain"] == [ticks[0], ticks[-1]]


def test_rank_axes_are_reversed_so_a_fall_in_rank_is_drawn_as_a_fall():
    rows = [row(2019.5, 74, frequency="year"), row(2020.5, 81, frequency="year")]
    fig = charts.timeline(rows, "t", "rank")
    for layer in layers(fig.spec):
        assert layer["encoding"]["y"]["scale"]["reverse"] is True
    assert "fell 7 places, from #74 to #81" in fig.takeaway
    two = [dict(company="A", value=3, n=1, highlight=True), dict(company="B", value=40, n=2, highlight=False)]
    peers = charts.peer_bars(two, "p", "rank")
    assert peers.spec["mark"]["type"] == "point"  # a longer bar would read as better
    assert "A is 1st of 2" in peers.takeaway


def test_a_line_joins_only_figures_of_one_series():
    rows = [
        row(2020.5, 17, measure="share of India shipments by volume"),
        row(2020.75, 9, measure="share of India smartphone revenue by value"),
        row(2021.0, 16, measure="share of India shipments by volume"),
        row(2021.25, 15, measure="share of India shipments by volume", tracker="Canalys"),
        row(2021.5, 14, measure="share of India shipments by volume", market="India"),
        row(2024.5, 12, measure="share of India shipments by volume"),  # a gap of three years: a new line
    ]
    ids = charts.segment_ids(rows)
    assert ids[0] == ids[2]  # same measure, tracker, market, period length, no gap
    assert len({ids[0], ids[1], ids[3], ids[4], ids[5]}) == 5
    spec = charts.timeline(rows, "t", "%").spec
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    assert line["encoding"]["detail"]["field"] == "series"
    joined = line["data"]["values"] if "values" in line.get("data", {}) else None
    if joined is not None:
        assert all(r["series"] == ids[0] for r in joined)


def test_charts_fit_their_container_and_carry_no_legend_the_phone_would_clip():
    figs = [
        charts.timeline([row(2019.5, 1), row(2020.5, 2)], "t", "%"),
        charts.peer_bars([dict(company="A", value=3, n=1, highlight=True)], "p", "%"),
        charts.points_chart([dict(indicator="i", points=5, low=4, high=6, weight=1)], "p"),
        charts.scores_chart(
            [dict(metric="m", score=5.0, low=4.0, high=6.0, coverage="B", reference=6)], "s", reference_html="r"
        ),
    ]
    for fig in figs:
        spec = fig.spec
        assert spec["width"] == "container", fig.title
        text = json.dumps(spec)
        assert '"legend": {' not in text  # legends are HTML under the chart, where they wrap
        assert fig.legend, fig.title


def test_points_and_scores_show_the_whole_zero_to_ten_scale():
    fig = charts.points_chart([dict(indicator="i", points=9.7, low=9, high=10, weight=1)], "p")
    x = fig.spec["layer"][0]["encoding"]["x"]
    assert x["scale"]["domain"] == [0, 10] and x["axis"]["values"] == list(range(11))


def test_every_figure_has_a_caption_a_source_line_a_name_and_its_data_as_a_table():
    fig = charts.timeline([row(2019.5, 1), row(2020.5, 2)], "Xiaomi: a share", "%", sources_html="Sources: [1] IDC.")
    html = fig._repr_html_()
    assert "<figcaption>" in html and "Xiaomi: a share" in html and fig.takeaway in html
    assert 'class="mb-fig-source">Sources: [1] IDC.' in html
    name = re.search(r'role="img" aria-label="([^"]+)"', html).group(1)
    assert "a share" in name and "Vega" not in name
    assert "<details" in html and "<table" in html
    assert fig.chart_id == charts.timeline([row(2019.5, 1), row(2020.5, 2)], "Xiaomi: a share", "%").chart_id


def test_chart_colours_keep_3_to_1_contrast_on_light_and_dark_pages():
    def lum(h):
        rgb = [int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        f = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * f[0] + 0.7152 * f[1] + 0.0722 * f[2]

    def ratio(a, b):
        la, lb = sorted((lum(a), lum(b)), reverse=True)
        return (la + 0.05) / (lb + 0.05)

    for colour in [*charts.PALETTE, charts.ACCENT, charts.MUTED, charts.REFERENCE]:
        for page in ("#ffffff", "#121212", "#14181e"):
            assert ratio(colour, page) >= 3, (colour, page)


@pytest.mark.parametrize("slug", BRANDS)
def test_peer_charts_draw_the_scored_values_and_no_bar_for_an_unscored_company(slug):
    for metric in METRIC_IDS:
        ch = chapter(metric, slug)
        iid = ch._peer_indicator()
        if iid is None:
            continue
        drawn, missing, _ = ch._peer_rows(iid)
        for r in drawn:
            other = next(s for s in [slug, *ch.peer_slugs] if ch.company_name(s) == r["company"])
            ind = next(i for i in ch.peer_card(other).metrics[metric].indicators if i.id == iid)
            assert ind.scored and r["value"] == ind.value
        for name in missing:
            other = next(s for s in [slug, *ch.peer_slugs] if ch.company_name(s) == name)
            ind = next(i for i in ch.peer_card(other).metrics[metric].indicators if i.id == iid)
            assert not ind.scored


@pytest.mark.parametrize("slug", BRANDS)
def test_time_charts_hold_one_unit_one_market_and_never_mix_what_a_count_counts(slug):
    for metric in METRIC_IDS:
        ch = chapter(metric, slug)
        key, unit, market, rows = ch._timeline_candidate()
        if key is None:
            continue
        assert {r.unit for r in rows} == {unit} and {r.market for r in rows} == {market}
        if unit == "count":
            assert len({r.measure.lower() for r in rows}) == 1


# --------------------------------------------------------------------------- caveats and words


def test_volume_and_value_shares_are_different_measures_not_a_disagreement():
    assert measure_basis("share of India smartphone shipments in the quarter") == "shipments"
    assert measure_basis("share of India smartphone market by value") == "revenue"
    assert measure_basis("share of the active smartphone base (installed base) in Spain") == "installed base"
    assert measure_basis("share of China smartphone sales for the year") == "sales"
    assert measure_basis("share of new-device activations in China") == "activations"


def test_disagreements_compare_like_with_like():
    ch = chapter("share_of_wallet", "xiaomi")
    real = [r for r in ch.rows() if r.indicator == "key_market_share"]
    a = next(r for r in real if r.publisher(ch.ds.sources) == "IDC")
    b = next(r for r in real if r.publisher(ch.ds.sources) == "Canalys")
    same = dict(metric=a.metric, indicator=a.indicator, period="2030", market="India", unit="%")
    volume = a.model_copy(update={**same, "value": 17.0, "measure": "share of India smartphone shipments"})
    value = b.model_copy(update={**same, "value": 9.0, "measure": "share of India smartphone market by value"})
    ch.rows = lambda slug=None: [volume, value]
    assert ch._disagreements() == []  # a volume share and a value share measure different things
    rival = value.model_copy(update={"measure": "share of India smartphone shipments"})
    ch.rows = lambda slug=None: [volume, rival]
    [text] = ch._disagreements()
    assert "2030 (India)" in text and "17 %" in text and "9 %" in text


# --------------------------------------------------------------------------- exercises


MOVE = re.compile(r"from ([-+#]?[\d.,]+(?: ?%| \w+)?) to ([-+#]?[\d.,]+(?: ?%| \w+)?)")


@pytest.mark.parametrize("slug", BRANDS)
def test_exercises_are_answerable_and_every_change_names_two_values(slug):
    for metric in METRIC_IDS:
        ch = chapter(metric, slug)
        items = exercises(ch)
        assert 1 <= len(items) <= 4
        missing = [i.label for i in ch.result.indicators if i.status == "missing"]
        for q, a in items:
            assert q and a
            for label in missing:  # a missing indicator is named only to say it is missing
                assert label not in q or "has no usable evidence" in q, f"{slug}/{metric}: asks about '{label}'"
            for before, after in MOVE.findall(a):
                assert before != after, f"{slug}/{metric}: 'from {before} to {after}'"
            assert " – " not in a and "from – " not in a, f"{slug}/{metric}: an emptied metric in {a}"
            assert "instead of" not in a


def test_the_deletion_exercise_never_empties_the_metric():
    ch = chapter("customer_retention", "xiaomi")  # one scored indicator: deleting it would leave nothing
    assert not any("deleted them" in q for q, _ in exercises(ch))


# --------------------------------------------------------------------------- downloads and links


def test_a_chapter_evidence_csv_holds_exactly_its_figures_and_judgements():
    ds = load(["xiaomi"])
    ch = chapter("price_premium", "xiaomi")
    rows = list(csv.DictReader(io.StringIO(evidence_csv(ds, "xiaomi", "price_premium"))))
    assert len([r for r in rows if r["kind"] == "figure"]) == len(ch.rows())
    assert len([r for r in rows if r["kind"] == "judgement"]) == len(ch.judgements())
    assert all(r["urls"].startswith("http") for r in rows)
    keys = shown_keys(ds.rubric, "share_of_wallet")
    assert ("market_share_stability", "global_share_annual") in keys  # an indicator that reads another's rows


@pytest.mark.parametrize(
    ("heading", "term"),
    [
        ("Coverage", "coverage"),
        ("Coverage grade", "coverage grade"),
        ("Anchors (value→points)", "anchor"),
        ("Range", "range"),
        ("Weight (rubric → used)", "weight"),
        ("Level", "judgement level"),
        ("Company", None),
    ],
)
def test_table_headings_name_their_glossary_term(heading, term):
    terms = {t: ("chapters/glossary", f"term-{t}") for t in ("coverage", "coverage grade", "anchor", "range")}
    terms |= {"weight": ("g", "w"), "judgement level": ("g", "j")}
    assert term_for(heading, terms) == term


def test_repository_addresses_become_https_links():
    assert _https("git@github.com:owner/moat-book.git") == "https://github.com/owner/moat-book"
    assert _https("https://github.com/owner/moat-book.git") == "https://github.com/owner/moat-book"
    assert _https("/local/path") == ""


def test_every_heatmap_cell_reads_at_aa_contrast():
    from moatbook.build.site import _cell_colour, contrast

    for i in [None, *range(0, 101)]:
        style = _cell_colour(None if i is None else i / 10)
        bg, fg = re.findall(r"(?:background|color):([^;]+)", style)

        def rgb(css: str) -> tuple:
            if css.startswith("#"):
                return tuple(int(css[j : j + 2], 16) for j in (1, 3, 5))
            return tuple(float(x) for x in re.findall(r"[\d.]+", css))

        assert contrast(rgb(bg), rgb(fg)) >= 4.5, (i, style)


def test_repository_and_issue_buttons_come_from_one_address(tmp_path, monkeypatch):
    import yaml

    from moatbook import project
    from moatbook.build.pipeline import write_book_config

    monkeypatch.setattr(project, "CONFIG", tmp_path / "config.yml")
    (tmp_path / "config.yml").write_text("repository:\n  url: ''\n")
    for url, shown in (("https://github.com/someone/moat-book", True), ("", False)):
        project.repository_url.cache_clear()
        monkeypatch.setenv("MOATBOOK_REPOSITORY_URL", url)
        monkeypatch.setattr(project, "ROOT", tmp_path)  # no git remote here
        write_book_config(tmp_path, "Acme")
        config = yaml.safe_load((tmp_path / "_config.yml").read_text())
        assert config["repository"]["url"] == url
        assert config["html"]["use_repository_button"] is shown and config["html"]["use_issues_button"] is shown
    project.repository_url.cache_clear()


def test_data_file_ids_in_instructions_are_set_as_code():
    from moatbook.book.render import code_ids

    text = code_ids("one judgement on community_programs; 3 years of market_share_stability/global_share_annual <b>")
    assert "<code>community_programs</code>" in text
    assert "<code>market_share_stability/global_share_annual</code>" in text and "&lt;b&gt;" in text
