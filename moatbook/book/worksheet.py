"""The "grade it yourself" worksheet: one printable page per brand for the lesson on the teachers page.

:func:`worksheet_html` writes a self-contained HTML page (no scripts, no outside
files): the eleven metrics with the question each one asks, the rubric's rating
bands in words as the scale to grade against, and blank boxes for the student's
grade, a reason and, afterwards, the book's sub-score. The build prints it to PDF
with headless Chromium (:mod:`moatbook.build.worksheet`) into the book's downloads.
"""

from __future__ import annotations

from .render import esc

CSS = """
@page { size: A4; margin: 11mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 8.6pt; color: #111;
       margin: 0 auto; max-width: 186mm; line-height: 1.3; background: #fff; }
h1 { font-size: 15pt; margin: 0 0 1mm; }
.sub { margin: 0 0 2.5mm; color: #333; }
.name { display: flex; gap: 6mm; margin: 0 0 2.5mm; }
.name span { flex: 1; border-bottom: 0.3mm solid #444; padding-bottom: 1mm; }
.scale { display: grid; grid-template-columns: repeat(5, 1fr); gap: 1.5mm; margin: 0 0 3mm; }
.scale div { border: 0.3mm solid #888; border-radius: 1mm; padding: 1.2mm 1.5mm; font-size: 7.6pt; }
.scale b { display: block; font-size: 8.2pt; }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-size: 7.8pt; border-bottom: 0.4mm solid #111; padding: 1mm 1.5mm; }
td { border-bottom: 0.25mm solid #999; padding: 1.4mm 1.5mm; vertical-align: top; }
td.n { width: 5mm; color: #555; }
td.metric { width: 58mm; }
td.metric b { display: block; font-size: 9pt; }
.q { color: #333; font-size: 7.8pt; }
.box { width: 14mm; height: 9mm; border: 0.35mm solid #111; border-radius: 0.8mm; }
td.reason { border-left: 0.25mm dotted #999; }
.foot { margin-top: 3mm; display: flex; gap: 4mm; align-items: flex-start; }
.foot .box { flex: none; width: 20mm; }
.bands { color: #333; font-size: 7.6pt; }
@media screen { body { padding: 8mm; } }
"""


def _range(lo: float, hi: float) -> str:
    return f"{lo:g}–{hi:g}"


def worksheet_html(rubric, brand: str) -> str:
    """The worksheet for ``brand`` (its display name) from ``rubric``: metrics, rating bands, bands of the overall."""
    scale = "".join(
        f"<div><b>{esc(r.name)} {_range(r.min, r.max)}</b>{esc(r.indication)}</div>" for r in rubric.ratings
    )
    rows = "".join(
        f'<tr><td class="n">{i}</td><td class="metric"><b>{esc(m.title)}</b><span class="q">{esc(m.question)}</span>'
        f'</td><td><div class="box" role="img" aria-label="your grade for {esc(m.title)}"></div></td>'
        '<td class="reason"></td>'
        '<td><div class="box" role="img" aria-label="the book&#x27;s sub-score"></div></td></tr>'
        for i, m in enumerate(rubric.metrics.values(), start=1)
    )
    bands = "; ".join(f"{esc(b.name)} {_range(b.min, b.max)}" for b in rubric.bands)
    weights = {round(m.weight, 4) for m in rubric.metrics.values()}
    how = (
        "the mean of your eleven grades, times ten"
        if len(weights) == 1
        else "ten times the mean of your grades weighted as in the scorecard"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Grade it yourself: {esc(brand)}</title>
<style>{CSS}</style></head>
<body>
<h1>Grade it yourself: {esc(brand)}</h1>
<p class="sub">Open each metric's chapter in the book and read its evidence table only. Give the metric a grade
from 0 to 10 on the scale below and write one reason. Then open the chapter's sub-score, copy it into the last
column, and mark where you differ by more than two points.</p>
<p class="name"><span>Name</span><span>Date</span></p>
<div class="scale">{scale}</div>
<table>
<thead><tr><th></th><th>Metric and the question it asks</th><th>Your grade</th><th>Your reason</th>
<th>Book's sub-score</th></tr></thead>
<tbody>{rows}</tbody>
</table>
<div class="foot"><div class="box" role="img" aria-label="your overall"></div>
<p><b>Your overall (0–100):</b> {how}. <span class="bands">The book names the overall's bands: {bands}.</span>
<br><span class="bands">Moat Book, rubric {esc(rubric.version)}.</span></p></div>
</body></html>
"""
