"""Small, escaped HTML building blocks for chapter outputs.

Everything that comes from a data file (notes, titles, URLs, names) passes
through :func:`esc` before it reaches the page, so a note holding HTML, a script
tag or a MyST directive shows as text and runs nothing. Chapter outputs are HTML
fragments, never generated Markdown: the book's headings all live in the chapter
sources.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class Html:
    """An HTML fragment that Jupyter displays as HTML (and shows as text elsewhere)."""

    html: str
    text: str = ""

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text or "(see the HTML output)"


class Plain:
    """A value glued into prose as plain text (no quotes around strings)."""

    def __init__(self, text) -> None:
        self.text = str(text)

    def __repr__(self) -> str:
        return self.text


def fmt_number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000 and float(value).is_integer():
        return f"{value:,.0f}"
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_SCALES = {"million": 1e6, "billion": 1e9}


def fmt_value(value: float | None, unit: str | None) -> str:
    """A number with its unit, the way a reader says it: 13.8 %, USD 161, 741.7 million users.

    Below one in a unit of millions or billions, the figure moves down a scale, so a
    recall of 10,257 scooters reads "10,257 units", not "0.01 million units".
    """
    if value is None:
        return "–"
    if unit:
        head, _, rest = unit.partition(" ")
        if head in _SCALES and rest and 0 < abs(value) < 1:
            if head == "billion":
                return fmt_value(value * 1000, f"million {rest}")
            return f"{fmt_number(round(value * 1e6), 0)} {rest}"
    number = fmt_number(value, 2 if abs(value) < 10 else 1)
    if not unit:
        return number
    if unit == "%":
        return f"{number} %"
    if unit in ("% change", "pp"):
        sign = "+" if value > 0 else ""
        return f"{sign}{number} %" if unit == "% change" else f"{sign}{number} pp"
    if unit in ("USD", "CNY"):
        return f"{unit} {number}"
    if unit == "score -100..100":
        return f"{number} (scale -100 to 100)"
    if unit == "score 0..100":
        return f"{number} out of 100"
    if unit == "rank":
        return f"#{number}"
    if unit == "count":
        return number
    return f"{number} {unit}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``3 figures``, ``1 figure``: a count with its noun, never "figure(s)"."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def evidence_count(n: int) -> str:
    """``3 independent figures and judgements``, ``1 independent figure or judgement``."""
    return plural(n, "independent figure or judgement", "independent figures and judgements")


ORIGINAL_REPORT_ANCHOR = "original-report"


def reference_link(text: str = "the original report", prefix: str = "") -> str:
    """A link to the works-cited entry of the published report whose scores the book compares with."""
    return f'<a class="mb-cite" href="{prefix}works_cited.html#{ORIGINAL_REPORT_ANCHOR}">{esc(text)}</a>'


def fmt_score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def source_link(source_id: str, label: str) -> str:
    return f'<a class="mb-cite" href="works_cited.html#src-{esc(source_id)}">{esc(label)}</a>'


_TAGS = re.compile(r"<[^>]+>")
LONG_TEXT = 60  # characters: a cell longer than this marks its column as one of long text


def table(
    headers: list[str], rows: list[list[str]], cls: str = "", caption: str = "", numeric: set[int] | None = None
) -> str:
    """A table from already-escaped cell HTML. ``numeric`` are right-aligned column indexes."""
    numeric = numeric or set()
    # a column holding long text keeps a readable width (on a phone the table scrolls in its box instead of
    # squeezing such a column into a few words a line)
    long = {
        i
        for i in range(len(headers))
        if i not in numeric and any(len(_TAGS.sub("", row[i])) > LONG_TEXT for row in rows if i < len(row))
    }

    def cls_of(i: int) -> str:
        return ' class="mb-num"' if i in numeric else ' class="mb-long"' if i in long else ""

    head = "".join(f"<th{cls_of(i)}>{h}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls_of(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows)
    if not caption:
        return (
            f'<div class="mb-table-wrap"><table class="mb-table {cls}">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )
    # the caption sits above the scrolling wrapper, so a wide table on a phone never pushes it off screen;
    # the table names it as its description
    ident = "mb-cap-" + hashlib.sha1((caption + head + body).encode()).hexdigest()[:10]
    return (
        f'<p class="mb-table-caption" id="{ident}">{caption}</p>'
        f'<div class="mb-table-wrap"><table class="mb-table {cls}" aria-describedby="{ident}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def box(content: str, cls: str = "") -> str:
    return f'<div class="mb-box {cls}">{content}</div>'


def bullets(items: list[str]) -> str:
    if not items:
        return ""
    return '<ul class="mb-list">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def para(text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{text}</p>' if cls else f"<p>{text}</p>"


def fmt_interval(low: float | None, high: float | None, digits: int = 1) -> str:
    """A 90% interval as printed: '5.7–8.0'."""
    if low is None or high is None:
        return "–"
    return f"{low:.{digits}f}–{high:.{digits}f}"


def score_phrase(
    score: float | None, low: float | None, high: float | None, coverage: str | None = None, scale: str = ""
) -> str:
    """A score as the book prints it everywhere: with its 90% interval and, for a sub-score, its coverage grade.

    '6.9 (90% interval 5.7–8.0; coverage B)'. Plain text; escape it before it enters HTML.
    """
    if score is None:
        return "not scored"
    bits = [f"90% interval {fmt_interval(low, high)}"] if low is not None else []
    if coverage:
        bits.append(f"coverage {coverage}")
    tail = f" ({'; '.join(bits)})" if bits else ""
    return f"{score:.1f}{scale}{tail}"


_DATA_ID = re.compile(r"\b([a-z0-9]+(?:_[a-z0-9]+)+(?:/[a-z0-9]+(?:_[a-z0-9]+)*)?)\b")


def code_ids(text: str) -> str:
    """Escape ``text`` and set the data-file ids in it (``customer_retention/repurchase_rate``,
    ``community_programs``: words joined by underscores, the only way ids are spelt) as code,
    so a reader sees them as names to type into a file, not as words."""
    return _DATA_ID.sub(r"<code>\1</code>", esc(text))
