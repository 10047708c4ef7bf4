"""Small, escaped HTML building blocks for chapter outputs.

Everything that comes from a data file (notes, titles, URLs, names) passes
through :func:`esc` before it reaches the page, so a note holding HTML, a script
tag or a MyST directive shows as text and runs nothing. Chapter outputs are HTML
fragments, never generated Markdown: the book's headings all live in the chapter
sources.
"""

from __future__ import annotations

import html
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


def fmt_value(value: float | None, unit: str | None) -> str:
    """A number with its unit, the way a reader says it: 13.8 %, USD 161, 741.7 million users."""
    if value is None:
        return "–"
    number = fmt_number(value, 2 if abs(value) < 10 else 1)
    if not unit:
        return number
    if unit == "%":
        return f"{number} %"
    if unit in ("USD", "CNY"):
        return f"{unit} {number}"
    if unit.startswith("score"):
        return number
    if unit == "rank":
        return f"#{number}"
    return f"{number} {unit}"


def fmt_score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def source_link(source_id: str, label: str) -> str:
    return f'<a class="mb-cite" href="works_cited.html#src-{esc(source_id)}">{esc(label)}</a>'


def table(
    headers: list[str], rows: list[list[str]], cls: str = "", caption: str = "", numeric: set[int] | None = None
) -> str:
    """A table from already-escaped cell HTML. ``numeric`` are right-aligned column indexes."""
    numeric = numeric or set()
    num = ' class="mb-num"'

    def cls_of(i: int) -> str:
        return num if i in numeric else ""

    head = "".join(f"<th{cls_of(i)}>{h}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls_of(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    return (
        f'<div class="mb-table-wrap"><table class="mb-table {cls}">{cap}'
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
