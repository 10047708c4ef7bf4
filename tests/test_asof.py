"""Scoring as of a past date: what counts, ages from the as-of date, and no later row ever moves a score."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moatbook.data import load
from moatbook.data.asof import (
    AsOf,
    AsOfError,
    as_of,
    judgement_available,
    published_time,
    row_available,
    undated_sources,
)
from moatbook.data.periods import parse_period
from moatbook.data.schema import Source
from moatbook.scoring import score_dataset

DS = load()
YEAR = 2021


def _card(ds, slug):
    card = score_dataset(ds, slug)
    return card.to_json(), {
        mid: [(i.id, i.points, tuple((o.value, o.weight, o.age) for o in i.observations)) for i in m.indicators]
        for mid, m in card.metrics.items()
    }


BASE = {s: _card(as_of(DS, YEAR), s) for s in ("xiaomi", "transsion")}


def test_as_of_year_parses_and_refuses_what_is_not_a_year():
    assert AsOf.parse("2019").time == 2020.0
    assert AsOf.parse("2019").label == "31 December 2019"
    for bad in ("19", "2019-06", "next year", "1850"):
        with pytest.raises(AsOfError, match="as-of year"):
            AsOf.parse(bad)


def test_publication_dates_are_read_as_the_end_of_their_day_month_or_year():
    assert published_time("2019") == 2020.0
    assert published_time("2019-12") == 2020.0
    assert 2019.0 < published_time("2019-01-15") < 2019.05
    assert published_time("") is None


def test_as_of_keeps_only_periods_ended_and_sources_published_by_then():
    ds = as_of(DS, YEAR)
    kept = [r for rows in ds.evidence.values() for r in rows]
    assert kept, "an as-of dataset with no evidence tests nothing"
    for r in kept:
        assert parse_period(r.period).end <= YEAR + 1
        assert published_time(ds.sources[r.source_id].published) <= YEAR + 1
    for s in ds.sources.values():
        assert s.published and published_time(s.published) <= YEAR + 1
    # every row of the full data that qualifies is kept: the filter is exact, not merely safe
    for slug, rows in DS.evidence.items():
        assert len(ds.evidence[slug]) == sum(row_available(r, DS.sources, AsOf(YEAR)) for r in rows)
    assert ds.references == {} and ds.gap_notes == {}
    assert ds.version() != DS.version() and ds.version() != as_of(DS, YEAR - 1).version()


def test_a_judgement_counts_only_when_every_source_it_cites_was_published_by_then():
    asof = AsOf(YEAR)
    for slug, rows in DS.assessments.items():
        kept = as_of(DS, YEAR).assessments[slug]
        for a in rows:
            dated = [published_time(DS.sources[s].published) for s in a.source_ids]
            expected = all(t is not None and t <= asof.time for t in dated)
            assert judgement_available(a, DS.sources, asof) == expected
            assert (a in kept) == expected


def test_undated_sources_never_take_part():
    undated = set(undated_sources(DS.sources))
    assert undated, "the registry has undated sources; this test checks they are left out"
    ds = as_of(DS, 2026)
    assert not undated & set(ds.sources)
    assert not any(r.source_id in undated for rows in ds.evidence.values() for r in rows)


def test_ages_are_measured_from_the_as_of_date():
    card = score_dataset(as_of(DS, YEAR), "xiaomi")
    ages = [
        (o.period, o.age)
        for m in card.metrics.values()
        for i in m.indicators
        if i.kind == "level"
        for o in i.observations
        if o.counts
    ]
    assert ages
    for period, age in ages:
        assert age == pytest.approx(YEAR + 1 - parse_period(period).mid)


def test_recency_from_the_as_of_date_gives_the_same_points_as_from_the_newest_figure():
    """Within an indicator only differences of ages matter: the as-of date moves no point score by itself."""
    ds = as_of(DS, 2026)
    today_like = dataclasses.replace(ds, as_of=None)
    a, b = score_dataset(ds, "xiaomi"), score_dataset(today_like, "xiaomi")
    assert a.value == pytest.approx(b.value)
    for mid in a.metrics:
        assert a.metrics[mid].value == pytest.approx(b.metrics[mid].value)


# --------------------------------------------------------------------------- the property

LATER_SOURCE = Source(
    source_id="later-page",
    publisher="A later tracker",
    title="A page published after the as-of date",
    url="https://example.org/later",
    published=f"{YEAR + 1}-03",
    accessed="2026-11-24",
    confidence="high",
)
UNDATED_SOURCE = Source(
    source_id="undated-page",
    publisher="An undated tracker",
    title="A page without a date",
    url="https://example.org/undated",
    accessed="2026-11-24",
    confidence="high",
)
ALL_ROWS = [(slug, i) for slug, rows in DS.evidence.items() for i in range(len(rows))]
ALL_JUDGEMENTS = [(slug, i) for slug, rows in DS.assessments.items() for i in range(len(rows))]
LATER_PERIODS = [f"{YEAR + 1}", f"{YEAR + 2}Q3", f"{YEAR + 1}H1", f"{YEAR + 3}-05", f"{YEAR}-07..{YEAR + 1}-06"]


@st.composite
def later_rows(draw):
    """Rows dated after the as-of date: a later period, or a page published later, or an undated page."""
    out = []
    for _ in range(draw(st.integers(1, 6))):
        slug, i = draw(st.sampled_from(ALL_ROWS))
        row = DS.evidence[slug][i]
        how = draw(st.sampled_from(["later period", "later source", "undated source"]))
        value = row.value * draw(st.floats(0.2, 3.0))
        if row.unit == "%":
            value = min(value, 100.0)
        update = {"value": value, "measure": f"{row.measure} (drawn)"}
        if how == "later period":
            update["period"] = draw(st.sampled_from(LATER_PERIODS))
        else:
            update["source_id"] = LATER_SOURCE.source_id if how == "later source" else UNDATED_SOURCE.source_id
            update["tracker"] = ""
        out.append((slug, row.model_copy(update=update)))
    judgements = []
    for _ in range(draw(st.integers(0, 2))):
        slug, i = draw(st.sampled_from(ALL_JUDGEMENTS))
        a = DS.assessments[slug][i]
        level = draw(st.integers(0, 4))
        judgements.append(
            (slug, a.model_copy(update={"level": level, "source_ids": [*a.source_ids, LATER_SOURCE.source_id]}))
        )
    return out, judgements


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(later_rows())
def test_adding_rows_dated_after_the_as_of_date_never_changes_an_as_of_score(extra):
    rows, judgements = extra
    evidence = {s: list(v) for s, v in DS.evidence.items()}
    assessments = {s: list(v) for s, v in DS.assessments.items()}
    for slug, r in rows:
        evidence[slug].append(r)
    for slug, a in judgements:
        assessments[slug].append(a)
    grown = dataclasses.replace(
        DS,
        evidence=evidence,
        assessments=assessments,
        evidence_lines={},
        assessment_lines={},
        sources={**DS.sources, LATER_SOURCE.source_id: LATER_SOURCE, UNDATED_SOURCE.source_id: UNDATED_SOURCE},
    )
    for slug, expected in BASE.items():
        assert _card(as_of(grown, YEAR), slug) == expected


def test_the_property_has_teeth_a_row_dated_by_then_does_change_the_score():
    """The same kind of row, dated on or before the as-of date, moves the score: the property is not vacuous."""
    slug = "xiaomi"
    row = next(
        r for r in DS.evidence[slug] if r.indicator == "repurchase_rate" and row_available(r, DS.sources, AsOf(YEAR))
    )
    early = row.model_copy(update={"value": 5.0, "measure": "a drawn figure", "period": f"{YEAR}"})
    evidence = {s: list(v) for s, v in DS.evidence.items()}
    evidence[slug].append(early)
    grown = dataclasses.replace(DS, evidence=evidence, evidence_lines={})
    assert _card(as_of(grown, YEAR), slug) != BASE[slug]
