"""`make site`: every brand's book plus a front page that compares them.

``_build/site/`` is self-contained: ``index.html`` (ranked table, heatmap of
sub-scores with coverage, links) and one folder per brand holding its book. All
links are relative and nothing is fetched from the network, so the folder can be
served or deployed (GitHub Pages) as it is. A brand whose build fails is listed
with its error; the others still publish.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..book.ranking import claim_text, rank_table
from ..book.ranking import order as rank_order
from ..book.render import bullets, esc, fmt_interval
from ..paths import BUILD_DIR, ROOT
from ..scoring.gaps import scores_json
from ..scoring.report import score_set
from .html import publish, recover, vega_bundle
from .locks import BookLocks, LockBusy

STATIC = ROOT / "_static"
SITE_LINKS_SHOWN = "/* This book is part of the cross-brand site: its links to the site are shown. */\n"


@dataclass
class BrandResult:
    slug: str
    name: str
    ok: bool
    scores: dict | None = None
    error: str | None = None
    built: str = ""
    stale: bool = False  # the build failed but an older good book is shown


def build_site(
    jobs: int = 2,
    out_root: Path = BUILD_DIR,
    force: bool = False,
    log=print,
    executor: str = "local",
    scheduler: str | None = None,
    wait: bool = True,
    brands: list[str] | None = None,
    as_of: int | None = None,
) -> bool:
    """Build every brand's book (sharing data, scores and workers) and the front page; publish ``_build/site``.

    The data is loaded and validated once, each company scored once, and only the
    chapters whose inputs changed execute; a brand whose book is up to date is not
    rebuilt. ``brands`` limits the site to some brands (the scaling benchmark).
    ``as_of`` (a year): every book and the front page as of the end of that year, in
    ``out_root/asof-<year>/site``.
    """
    from ..data import DataError, load
    from .pipeline import as_of_root, build_books

    start = time.perf_counter()
    out_root = as_of_root(out_root, as_of)
    try:
        ds = load()
    except DataError as exc:
        log(f"[site] the data does not validate, nothing was built:\n{exc}")
        return False
    if as_of:
        from ..data.asof import as_of as data_as_of

        ds = data_as_of(ds, as_of)
    slugs = brands or ds.brands()
    try:
        with BookLocks(out_root / ".locks", [*slugs, "site"], wait=wait, log=log):
            reports = build_books(
                slugs,
                jobs=jobs,
                out_root=out_root,
                log=log,
                executor=executor,
                scheduler=scheduler,
                force=force,
                data=ds,
                locked=True,
                as_of=as_of,
            )
            results: list[BrandResult] = []
            for slug in slugs:
                book = out_root / slug
                report = reports[slug]
                res = BrandResult(slug, ds.company(slug).name, report.ok, error=report.error)
                if (book / "scores.json").exists() and (book / "html" / "index.html").exists():
                    res.scores = json.loads((book / "scores.json").read_text())
                    res.built = json.loads((book / "build-info.json").read_text()).get("build_date", "")
                    res.stale = not report.ok
                results.append(res)
            _publish_site(ds, results, out_root)
    except LockBusy as exc:
        log(f"[site] {exc}")
        return False
    failed = [r for r in results if not r.ok]
    log(
        f"[site] published {out_root / 'site' / 'index.html'} with {len(results) - len(failed)} of {len(results)} "
        f"brands built in {time.perf_counter() - start:.0f} s"
        + (f"; failed: {', '.join(r.slug for r in failed)}" if failed else "")
    )
    return not failed


def _publish_site(ds, results: list[BrandResult], out_root: Path) -> None:
    """Assemble ``site/`` in a stage (books hard-linked: published books never change in place) and swap it in."""
    recover(out_root, "site")
    stage = out_root / f".stage-site-{os.getpid()}"
    try:
        (stage / "_static").mkdir(parents=True)
        for res in results:
            if res.scores is not None:
                shutil.copytree(out_root / res.slug / "html", stage / res.slug, copy_function=os.link)
                # inside the site, each book shows its link back to the front page (a new file: the
                # hard-linked one is the published book's own)
                css = stage / res.slug / "_static" / "moatbook-standalone.css"
                css.unlink(missing_ok=True)
                css.write_text(SITE_LINKS_SHOWN, encoding="utf-8")
        shutil.copy2(STATIC / "moatbook.css", stage / "_static" / "moatbook.css")
        shutil.copy2(STATIC / "moatbook.js", stage / "_static" / "moatbook.js")
        shutil.copy2(vega_bundle(out_root / ".cache"), stage / "_static" / "vega-offline.js")
        (stage / "index.html").write_text(front_page(ds, results), encoding="utf-8")
        (stage / "check.html").write_text(check_page(ds, [r.slug for r in results if r.scores]), encoding="utf-8")
        (stage / ".nojekyll").write_text("")  # GitHub Pages: serve folders starting with '_' as they are
        publish(stage, out_root / "site")
        stage = None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


# --------------------------------------------------------------------------- the front page


def _luminance(rgb: tuple[float, float, float]) -> float:
    def f(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


DARK_TEXT, LIGHT_TEXT = (16, 32, 44), (255, 255, 255)


def _cell_colour(score: float | None) -> str:
    """A heatmap cell: light to dark blue over 0-10, with whichever text colour reads at 4.5:1 or more."""
    if score is None:
        return "background:#f1f1f1;color:#4d5660"
    t = max(0.0, min(1.0, score / 10))
    bg = (240 - 200 * t, 246 - 160 * t, 252 - 110 * t)
    while max(contrast(DARK_TEXT, bg), contrast(LIGHT_TEXT, bg)) < 4.5:
        bg = tuple(c * 0.96 for c in bg)  # mid blues: darken until white text reads
    text = DARK_TEXT if contrast(DARK_TEXT, bg) >= contrast(LIGHT_TEXT, bg) else LIGHT_TEXT
    r, g, b = (round(c) for c in bg)
    return f"background:rgb({r},{g},{b});color:rgb{text}"


def missing_section(rubric, results: list[BrandResult]) -> str:
    """Per brand: each metric without a sub-score, and each thin one with a curator's note, and why."""
    blocks = []
    for res in results:
        if res.scores is None:
            continue
        items = []
        for mid, m in res.scores["metrics"].items():
            title = esc(rubric.metrics[mid].title)
            link = f'<a href="{esc(res.slug)}/chapters/{esc(mid)}.html">{title}</a>'
            note = f" {esc(m.get('note', ''))}" if m.get("note") else ""
            if m["score"] is None:
                summary = m.get("summary") or "no evidence"
                items.append(f"<li>{link}: {esc(summary)}.{note}</li>")
            elif note and m["coverage"] in ("C", "D"):
                items.append(f"<li>{link}: scored on thin evidence (coverage {esc(m['coverage'])}).{note}</li>")
        if items:
            head = f'<h3><a href="{esc(res.slug)}/index.html">{esc(res.name)}</a></h3>'
            blocks.append(f'{head}<ul class="mb-list">{"".join(items)}</ul>')
    if not blocks:
        return "<p>Every brand has a sub-score on every metric.</p>"
    return "".join(blocks)


#: the front page's own styles, beside the ones every standalone page has
FRONT_CSS = """h1 { font-size: 1.9rem; margin-bottom: .2rem; }
h2 { margin-top: 2.2rem; font-size: 1.35rem; }
.lede { font-size: 1.05rem; color: #34444f; max-width: 52rem; }
table.mb-heatmap { border-collapse: collapse; font-size: .86rem; }
table.mb-heatmap th, table.mb-heatmap td { border: 1px solid #fff; padding: .35rem .45rem; text-align: center; }
table.mb-heatmap tbody th { text-align: left; white-space: nowrap; padding-right: .8rem; }
table.mb-heatmap td a { color: inherit; text-decoration: none; font-weight: 600; }
table.mb-heatmap .mb-cov { display: block; font-size: .68rem; opacity: .8; }
th.mb-hm-head { font-weight: 600; font-size: .74rem; vertical-align: bottom; max-width: 6.2rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #5b6670; }"""


FRONT_SCRIPTS = '<script src="_static/vega-offline.js"></script>\n<script src="_static/moatbook.js"></script>'


def _standalone_head(title: str, css: str, scripts: str = "") -> str:
    """The head of a page of the site outside the books (the front page, the check): the book's stylesheet,
    a readable column, the page's own ``css``, dark mode, and ``scripts``; the ``<body>`` follows."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{esc(title)}</title>
<link rel="stylesheet" href="_static/moatbook.css">
<style>
body {{ font-family: system-ui, "Segoe UI", sans-serif; color: #1d2a33; max-width: 1120px;
  margin: 2rem auto; padding: 0 1.2rem; line-height: 1.5; }}
{css}
{DARK_CSS}
</style>
{scripts}
</head>
"""


def check_page(ds, slugs: list[str]) -> str:
    """The site's chapter on the check against what happened, computed from the data of every brand."""
    from ..book.over_time import site_check
    from ..scoring.check import check

    body = site_check(ds, check(ds, slugs))
    asof = getattr(ds, "as_of", None)
    when = f" (as of {esc(asof.label)})" if asof is not None else ""
    css = """table { border-collapse: collapse; font-size: .9rem; }
th, td { border-bottom: 1px solid #d5dbe0; padding: .3rem .5rem; text-align: left; vertical-align: top; }
td.mb-num, th.mb-num { text-align: right; }"""
    return f"""{_standalone_head("Moat Book: a check against what happened", css)}
<body>
<p><a href="index.html">All brands compared</a></p>
<h1>A check against what happened{when}</h1>
<p>A moat is a claim about the future. This page asks whether the books' scores, computed as of past years from
what had been published by then, went with what followed.</p>
{body}
</body>
</html>
"""


#: the standalone pages (front page, check) in the reader's dark mode: the books follow the theme's
#: switch, these follow the system setting; the contrast is checked by the site's browser test
DARK_CSS = """
@media (prefers-color-scheme: dark) {
  :root { --pst-color-text-base: #d5dbe1; --pst-color-text-muted: #aab4bf; --pst-color-background: #14181d;
    --pst-color-border: #3a444f; --mb-text: #d5dbe1; --mb-muted: #aab4bf; --mb-border: #3a444f; --mb-rule: #48566b;
    --mb-warn-text: #ffc18f; --mb-warn-bg: #3b2412; --mb-tag-text: #d5dbe1; --mb-tag-bg: #2a313b;
    --mb-target-bg: #4a3f05; --mb-code-bg: #1d2229; }
  body { background: #14181d; color: #d5dbe1; }
  a { color: #8fb8ff; }
  a:visited { color: #c9a6ff; }
  .lede { color: #c3cad2; }
  footer { color: #aab4bf; }
  th, td { border-color: #3a444f; }
  table.mb-heatmap th, table.mb-heatmap td { border-color: #14181d; }
  #overall-chart svg .mark-rule line { stroke: #d5dbe1; }
}
"""

#: Vega's colours for axes, legends and text on a dark page (the charts' backgrounds are transparent)
DARK_VEGA = {
    "axis": {"labelColor": "#d5dbe1", "titleColor": "#d5dbe1", "gridColor": "#3a444f", "domainColor": "#7d8a97",
             "tickColor": "#7d8a97"},
    "legend": {"labelColor": "#d5dbe1", "titleColor": "#d5dbe1"},
    "title": {"color": "#d5dbe1", "subtitleColor": "#c3cad2"},
    "header": {"labelColor": "#d5dbe1", "titleColor": "#d5dbe1"},
}  # fmt: skip


def front_page(ds, results: list[BrandResult]) -> str:
    rubric = ds.rubric
    metrics = list(rubric.metrics)
    cards, comparison, _ = score_set(ds, [r.slug for r in results])
    names = {r.slug: r.name for r in results}
    by_slug = {r.slug: r for r in results}
    linkable = {r.slug for r in results if r.scores is not None}
    ranking_html = rank_table(
        comparison,
        cards,
        names,
        link=lambda s: f"{s}/index.html" if s in linkable else "#",
    )
    notes = []
    for r in results:
        if r.scores is None:
            notes.append(f"{esc(r.name)}: the book could not be built ({esc(r.error)}).")
        elif r.stale:
            notes.append(
                f"{esc(r.name)}: the latest build failed ({esc(r.error)}); the link shows the book built "
                f"{esc(r.built)}."
            )
    claims = [f"<b>{esc(names[s])}</b> {esc(claim_text(comparison, s, names))}." for s in rank_order(comparison)]
    ranking = ranking_html + (bullets(notes) if notes else "") + bullets(claims)
    ranked = [by_slug[s] for s in rank_order(comparison)] + [r for r in results if r.slug not in comparison.slugs]
    for r in ranked:
        if r.slug in cards:
            # the scorecard with each metric's status, reason, counts on file and the curators' note on gaps
            r.scores = scores_json(
                rubric,
                cards[r.slug],
                ds.evidence.get(r.slug, []),
                ds.assessments.get(r.slug, []),
                ds.gap_notes.get(r.slug, {}),
            )

    head = "".join(f'<th class="mb-hm-head"><span>{esc(rubric.metrics[m].title)}</span></th>' for m in metrics)
    body = []
    for res in ranked:
        if res.scores is None:
            continue
        cells = []
        for m in metrics:
            v = res.scores["metrics"][m]
            text = "–" if v["score"] is None else f"{v['score']:.1f}"
            interval = fmt_interval(v.get("low"), v.get("high")) if v["score"] is not None else ""
            cov = f"{interval} · {v['coverage']}" if v["score"] is not None else "not scored"
            title = f"{res.name}, {rubric.metrics[m].title}: {text}"
            if v["score"] is not None:
                title += f" (90% interval {interval}, coverage {v['coverage']})"
            cells.append(
                f'<td style="{_cell_colour(v["score"])}" title="{esc(title)}">'
                f'<a href="{esc(res.slug)}/chapters/{esc(m)}.html">{esc(text)}</a>'
                f'<span class="mb-cov">{esc(cov)}</span></td>'
            )
        body.append(f'<tr><th><a href="{esc(res.slug)}/index.html">{esc(res.name)}</a></th>{"".join(cells)}</tr>')
    heatmap = (
        f'<div class="mb-table-wrap"><table class="mb-heatmap"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )

    chart_rows = [
        dict(
            brand=r.name, overall=r.scores["overall"], band=r.scores["band"], low=r.scores["low"], high=r.scores["high"]
        )
        for r in ranked
        if r.scores and r.scores["overall"] is not None
    ]
    spec = _overall_chart_spec(chart_rows, rubric)
    whatif_html, whatif_spec = _whatif_section(rubric, cards, names, [r.slug for r in ranked if r.scores])
    teach = next((r.slug for r in ranked if r.scores is not None), None)
    teaching = (
        f'<p class="mb-teach">Teaching with it? Start with <a href="{esc(teach)}/chapters/teachers.html">For '
        "teachers</a>: learning objectives, prerequisites and a 90-minute lesson plan.</p>"
        if teach
        else ""
    )
    chart_label = esc(_overall_chart_label(chart_rows))
    bands = " · ".join(f"{esc(b.name)} {b.min:g}–{b.max:g}" for b in rubric.bands)
    grades = " · ".join(f"<b>{esc(g.grade)}</b> {esc(g.meaning)}" for g in rubric.coverage_grades)
    built = dt.date.today().isoformat()
    missing = missing_section(rubric, ranked)
    head = _standalone_head("Moat Book: brand loyalty as an economic moat, compared", FRONT_CSS, FRONT_SCRIPTS)
    return f"""{head}
<body>
<h1>Moat Book</h1>
<p class="lede">How far does customer loyalty protect each brand from its rivals? Every score below follows
from sourced evidence by one published rubric: eleven loyalty metrics scored 0-10, combined into an overall
score out of 100. Each brand has its own book with the evidence, the arithmetic and the caveats.</p>

<h2>Ranking</h2>
{ranking}
<div id="overall-chart" style="width: 100%; max-width: 720px" role="img" aria-label="{chart_label}"></div>
{teaching}
<h2>What if the weights were different?</h2>
{whatif_html}

<h2>The eleven sub-scores</h2>
<p>Each cell is a sub-score out of 10 with its 90% interval and its coverage grade ({grades}). A dash means
no scored evidence: the overall fills that metric from the peers and is marked provisional. Click a cell to open
the chapter.</p>
{heatmap}

<h2>What is missing, and why</h2>
<p>A metric without a sub-score is named here with the reason; its weight goes to the brand's other metrics and
the brand's overall is provisional. Metrics scored on thin evidence are named where the curators recorded why
no better evidence was found.</p>
{missing}

<h2>Was the book right?</h2>
<p>What would these books have said in past years, and did what followed bear them out? <a href="check.html">The
check against what happened</a> sets each brand's score as of each past year against the change of its global share
that followed, and the ranking against published brand ratings.</p>

<h2>How to read this</h2>
<p>Bands of the overall score: {bands}. Every score comes with its 90% interval: the range it falls in for
nine draws out of ten when the evidence, the judgements and the rubric's weights are varied. A brand is said to
rank above another only where it does so in at least {rubric.claims.rank_probability:.0%} of those draws; brands
in one tier are level with each other. Scores rest on what has been published: a brand with thin coverage has
wider intervals. Read a brand's methodology chapter for the rubric, its robustness chapter for what moves its
score, and its works cited for every source.</p>
<footer>Built {esc(built)} from the data in the project's <code>data/</code> folder (rubric version
{esc(rubric.version)}).</footer>
<script>
(function() {{
  var spec = {json.dumps(spec)};
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var opts = {{"actions": false, "renderer": "svg", "config": dark ? {json.dumps(DARK_VEGA)} : {{}}}};
  if (typeof vegaEmbed === "function") {{
    vegaEmbed("#overall-chart", spec, opts).catch(function(err) {{
      document.getElementById("overall-chart").textContent = "Chart error: " + err;
    }});
    var whatif = {json.dumps(whatif_spec)};
    if (whatif) {{
      vegaEmbed("#whatif-chart", whatif, Object.assign({{}}, opts, {{"renderer": "svg"}})).catch(function(err) {{
        document.getElementById("whatif-chart").textContent = "Chart error: " + err;
      }});
    }}
  }}
}})();
</script>
</body>
</html>
"""


def _whatif_section(rubric, cards, names: dict[str, str], slugs: list[str]) -> tuple[str, dict | None]:
    """Weight sliders re-ranking the brands live (the same arithmetic as the books; :mod:`moatbook.book.whatif`)."""
    from ..book import whatif

    models = [whatif.model(cards[s], rubric, names[s]) for s in slugs if s in cards]
    models = [m for m in models if m.rated]
    if len(models) < 2:
        return "<p>Too few brands are rated to compare them under other weights.</p>", None
    chart = whatif.site_chart(models)
    spec = chart.to_dict(validate=False)
    label = (
        "Interactive chart: the rated brands ranked by their overall score, re-ranked as the metric weight "
        "sliders and the aggregation below it are changed"
    )
    html = (
        "<p>The ranking above uses the rubric's weights. Move a slider to weigh a metric more or less for every "
        "brand at once, or choose another way of combining the sub-scores, and the brands are ranked again. No "
        f"evidence series may carry more than {rubric.aggregation.series_cap:.0%} of a brand's overall, as in the "
        "books. Metrics a brand has no scored evidence on keep the value filled in from its peers.</p>"
        f'<figure class="mb-figure mb-figure-whatif"><div id="whatif-chart" class="mb-chart mb-whatif mb-whatif-site" '
        f'style="width: 100%; max-width: 720px" role="group" aria-label="{esc(label)}"></div>'
        '<button type="button" class="mb-whatif-reset" '
        f"data-mb-defaults='{esc(json.dumps(whatif.controls_of(chart)))}'>Reset to the book's weights</button>"
        "</figure>"
    )
    return html, spec


def _overall_chart_spec(rows: list[dict], rubric) -> dict:
    """Overall scores with their 90% intervals (built with Altair, embedded from the local bundle)."""
    import altair as alt
    import pandas as pd

    df = pd.DataFrame(rows)
    order = list(df["brand"]) if len(df) else []
    base = alt.Chart(
        df, title=alt.Title("Overall score", subtitle="bar: point score, colour: band; line: 90% interval")
    )
    y = alt.Y("brand:N", sort=order, title=None)
    bars = base.mark_bar().encode(
        y=y,
        x=alt.X("overall:Q", title="overall score", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color(
            "band:N",
            title="Band",
            sort=[b.name for b in rubric.bands],
            scale=alt.Scale(
                domain=[b.name for b in rubric.bands], range=["#c9d3da", "#9ec0d6", "#4f8fb8", "#1f5f8b", "#0d3552"]
            ),
        ),
        tooltip=[
            alt.Tooltip("brand:N", title="Brand"),
            alt.Tooltip("overall:Q", title="Overall"),
            alt.Tooltip("low:Q", title="90% interval from"),
            alt.Tooltip("high:Q", title="90% interval to"),
            alt.Tooltip("band:N", title="Band"),
        ],
    )
    rules = base.mark_rule(color="#1d2a33", strokeWidth=2).encode(y=y, x="low:Q", x2="high:Q")
    chart = alt.layer(bars, rules).properties(width="container", height=30 * max(1, len(df)))
    # sized to its container, with the band legend under it, so nothing is clipped on a phone
    # a transparent background: the page's own shows through, light or dark
    spec = chart.configure(background="transparent").configure_legend(orient="bottom", columns=3, labelLimit=160)
    spec = spec.to_dict()
    spec["description"] = _overall_chart_label(rows)  # vega-embed names the chart with it
    return spec


def _overall_chart_label(rows: list[dict]) -> str:
    """The chart's accessible name: what it shows, and every brand's overall."""
    scores = "; ".join(f"{r['brand']} {r['overall']:.1f}" for r in rows)
    return f"Bar chart of each brand's overall score out of 100 with its 90% interval: {scores}."
