"""Periods such as ``2024``, ``2024Q3``, ``2024H1``, ``2024-09`` or ``2022-04..2023-03``.

A period is turned into a half-open interval of decimal years, so figures of
different granularity can be placed on one time axis and weighted by recency.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_YEAR = r"(?P<y>(19|20)\d\d)"
_SINGLE = re.compile(rf"^{_YEAR}(?:(?:Q(?P<q>[1-4]))|(?:H(?P<h>[12]))|(?:-(?P<m>0[1-9]|1[0-2])))?$")

FORMATS = "YYYY, YYYYQn, YYYYHn, YYYY-MM, or a range of those written A..B"


class PeriodError(ValueError):
    """A period string that does not follow one of the accepted formats."""


@dataclass(frozen=True, order=True)
class Period:
    start: float
    end: float
    text: str
    granularity: str  # year | half | quarter | month | range

    @property
    def mid(self) -> float:
        return (self.start + self.end) / 2

    @property
    def is_annual(self) -> bool:
        return self.granularity == "year"

    @property
    def year(self) -> int:
        return int(self.start)


def _single(text: str) -> tuple[float, float, str]:
    m = _SINGLE.match(text)
    if not m:
        raise PeriodError(f"'{text}' is not a period ({FORMATS})")
    y = int(m["y"])
    if m["q"]:
        q = int(m["q"])
        return y + (q - 1) / 4, y + q / 4, "quarter"
    if m["h"]:
        h = int(m["h"])
        return y + (h - 1) / 2, y + h / 2, "half"
    if m["m"]:
        mo = int(m["m"])
        return y + (mo - 1) / 12, y + mo / 12, "month"
    return float(y), float(y + 1), "year"


def parse_period(text: str) -> Period:
    """Parse a period string; raise PeriodError with the accepted formats if malformed."""
    if not isinstance(text, str) or not text.strip():
        raise PeriodError(f"an empty period is not a period ({FORMATS})")
    return _parse(text.strip())


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> Period:
    """The parse of a stripped period string (a book has a few hundred distinct ones; scoring asks often)."""
    if ".." in text:
        left, _, right = text.partition("..")
        start, _, _ = _single(left)
        _, end, _ = _single(right)
        if end <= start:
            raise PeriodError(f"'{text}' ends before it starts")
        return Period(start, end, text, "range")
    start, end, gran = _single(text)
    return Period(start, end, text, gran)
