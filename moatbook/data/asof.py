"""What the book could have known on a past date: the data as of the end of a year.

An as-of build (``make book ASOF=2019``) scores only what was on the record by
31 December of that year:

* an **evidence row** takes part when the period it describes has ended by then
  and its source was published by then;
* a **source** takes part when its ``published`` date (``YYYY``, ``YYYY-MM`` or
  ``YYYY-MM-DD``, read as the end of that year, month or day) is on or before the
  as-of date; a source without a publication date cannot take part, since nothing
  says it existed then (:func:`undated_sources` lists them for the validator);
* a **judgement** is not dated itself: it counts as of a date only when every
  source it cites was published by then. Its level and its wording were written
  later and may use hindsight; the book says so.

Everything else that describes today is left out of an as-of book: the published
report whose scores the book compares with (it came later) and the curators'
notes on missing metrics (they describe today's record).

Recency is measured from the as-of date (:attr:`AsOf.time`): a figure's age is
the time from the middle of its period to the end of the as-of year.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from dataclasses import dataclass

from .periods import parse_period
from .schema import AssessmentRow, EvidenceRow, Source

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
FIRST_YEAR, LAST_YEAR = 1990, 2100
_EPS = 1e-9


class AsOfError(ValueError):
    """An as-of year that is not a year the book can be built for."""


@dataclass(frozen=True)
class AsOf:
    """The end of a calendar year, the date an as-of book is written on."""

    year: int

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise AsOfError(f"'{self.year}' is not an as-of year: give a year such as 2019 ({FIRST_YEAR}-{LAST_YEAR})")

    @classmethod
    def parse(cls, text: str | int) -> AsOf:
        s = str(text).strip()
        if not s.isdigit() or len(s) != 4:
            raise AsOfError(f"'{text}' is not an as-of year: give a year such as 2019 (the book is as of 31 December)")
        return cls(int(s))

    @property
    def time(self) -> float:
        """The as-of date in decimal years (the end of the year)."""
        return float(self.year + 1)

    @property
    def label(self) -> str:
        return f"31 December {self.year}"

    @property
    def iso(self) -> str:
        return f"{self.year}-12-31"


def published_time(published: str) -> float | None:
    """The end of the day, month or year a source was published, in decimal years (None when undated)."""
    if not published:
        return None
    parts = [int(p) for p in published.split("-")]
    if len(parts) == 1:
        return float(parts[0] + 1)
    year, month = parts[0], parts[1]
    if len(parts) == 2:
        return year + month / 12
    days = 366 if calendar.isleap(year) else 365
    return year + (dt.date(year, month, parts[2]).timetuple().tm_yday) / days


def source_available(source: Source | None, asof: AsOf) -> bool:
    """Whether a source was published by the as-of date (an undated or unknown source never is)."""
    if source is None:
        return False
    t = published_time(source.published)
    return t is not None and t <= asof.time + _EPS


def row_available(row: EvidenceRow, sources: dict[str, Source], asof: AsOf) -> bool:
    """An evidence row counts as of a date when its period has ended and its source was published by then."""
    return parse_period(row.period).end <= asof.time + _EPS and source_available(sources.get(row.source_id), asof)


def judgement_available(row: AssessmentRow, sources: dict[str, Source], asof: AsOf) -> bool:
    """A judgement counts as of a date only when every source it cites was published by then."""
    return all(source_available(sources.get(s), asof) for s in row.source_ids)


def undated_sources(sources: dict[str, Source]) -> list[str]:
    """Ids of the sources without a publication date: they cannot take part in an as-of build."""
    return sorted(sid for sid, s in sources.items() if not s.published)


def as_of(ds, year: int | AsOf):
    """The dataset as it stood at the end of ``year``: later rows, judgements and sources left out.

    Returns a new :class:`~moatbook.data.loading.Dataset` with ``as_of`` set; the
    original is not changed. Row numbers for messages stay parallel to the rows kept.
    """
    asof = year if isinstance(year, AsOf) else AsOf(int(year))
    sources = {sid: s for sid, s in ds.sources.items() if source_available(s, asof)}
    evidence, ev_lines, assessments, as_lines = {}, {}, {}, {}
    for slug, rows in ds.evidence.items():
        lines = ds.evidence_lines.get(slug) or [None] * len(rows)
        kept = [(r, n) for r, n in zip(rows, lines, strict=True) if row_available(r, ds.sources, asof)]
        evidence[slug] = [r for r, _ in kept]
        ev_lines[slug] = [n for _, n in kept]
    for slug, rows in ds.assessments.items():
        lines = ds.assessment_lines.get(slug) or [None] * len(rows)
        kept = [(a, n) for a, n in zip(rows, lines, strict=True) if judgement_available(a, ds.sources, asof)]
        assessments[slug] = [a for a, _ in kept]
        as_lines[slug] = [n for _, n in kept]
    return dataclasses.replace(
        ds,
        sources=sources,
        evidence=evidence,
        evidence_lines=ev_lines,
        assessments=assessments,
        assessment_lines=as_lines,
        source_lines={sid: n for sid, n in ds.source_lines.items() if sid in sources},
        references={},
        gap_notes={},
        as_of=asof,
    )


def first_year(ds) -> int | None:
    """The first calendar year any evidence row of the dataset describes."""
    years = [int(parse_period(r.period).start) for rows in ds.evidence.values() for r in rows]
    return min(years) if years else None
