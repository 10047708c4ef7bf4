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

from ..book.render import esc, fmt_score, table
from ..paths import BUILD_DIR, ROOT
from .html import publish, recover, vega_bundle
from .locks import BookLocks, LockBusy

STATIC = ROOT / "_static"


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
) -> bool:
    """Build every brand's book (sharing data, scores and workers) and the front page; publish ``_build/site``.

    The data is loaded and validated once, each company scored once, and only the
    chapters whose inputs changed execute; a brand whose book is up to date is not
    rebuilt. ``brands`` limits the site to some brands (the scaling benchmark).
    """
    from ..data import DataError, load
    from .pipeline import build_books

    start = time.perf_counter()
    out_root = Path(out_root)
    try:
        ds = load()
    except DataError as exc:
        log(f"[site] the data does not validate, nothing was built:\n{exc}")
        return False
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
        shutil.copy2(STATIC / "moatbook.css", stage / "_static" / "moatbook.css")
        shutil.copy2(vega_bundle(out_root / ".cache"), stage / "_static" / "vega-offline.js")
        (stage / "index.html").write_text(front_page(ds, results), encoding="utf-8")
        (stage / ".nojekyll").write_text("")  # GitHub Pages: serve folders starting with '_' as they are
        publish(stage, out_root / "site")
        stage = None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


# --------------------------------------------------------------------------- the front page


def _cell_colour(score: float | None) -> str:
    if score is None:
        return "background:#f1f1f1;color:#777"
    # light to dark blue over 0-10
    t = max(0.0, min(1.0, score / 10))
    r, g, b = (int(240 - 200 * t), int(246 - 160 * t), int(252 - 110 * t))
    colour = "#fff" if t > 0.62 else "#10202c"
    return f"background:rgb({r},{g},{b});color:{colour}"


def front_page(ds, results: list[BrandResult]) -> str:
    rubric = ds.rubric
    metrics = list(rubric.metrics)
    ranked = sorted(
        results,
        key=lambda r: (
            -(r.scores or {}).get("overall", -1) if r.scores and r.scores["overall"] is not None else 1,
            r.slug,
        ),
    )
    rows = []
    rank = 0
    for res in ranked:
        s = res.scores
        link = f'<a href="{esc(res.slug)}/index.html"><b>{esc(res.name)}</b></a>' if s else f"<b>{esc(res.name)}</b>"
        if s is None:
            rows.append(["–", link, "–", "–", "–", f'<span class="mb-missing">build failed: {esc(res.error)}</span>'])
            continue
        rank += 1
        scored = [m for m in s["metrics"].values() if m["score"] is not None]
        grades = {}
        for m in scored:
            grades[m["coverage"]] = grades.get(m["coverage"], 0) + 1
        coverage = f"{len(scored)} of {len(metrics)} metrics; " + " ".join(
            f"{g}×{n}" for g, n in sorted(grades.items())
        )
        status = esc(f"built {res.built}")
        if res.stale:
            status = (
                f'<span class="mb-missing">latest build failed: {esc(res.error)}; showing the book built '
                f"{esc(res.built)}</span>"
            )
        rows.append(
            [str(rank), link, f"<b>{fmt_score(s['overall'])}</b>", esc(s["band"] or "not rated"), esc(coverage), status]
        )
    ranking = table(
        ["#", "Brand", "Overall (0-100)", "Band", "Coverage of the sub-scores", "Book"],
        rows,
        cls="mb-ranking",
        numeric={0, 2},
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
            cov = v["coverage"] if v["score"] is not None else "none"
            title = f"{res.name}, {rubric.metrics[m].title}: {text} (coverage {cov})"
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
        dict(brand=r.name, overall=r.scores["overall"], band=r.scores["band"])
        for r in ranked
        if r.scores and r.scores["overall"] is not None
    ]
    spec = _overall_chart_spec(chart_rows, rubric)
    bands = " · ".join(f"{esc(b.name)} {b.min:g}–{b.max:g}" for b in rubric.bands)
    grades = " · ".join(f"<b>{esc(g.grade)}</b> {esc(g.meaning)}" for g in rubric.coverage_grades)
    built = dt.date.today().isoformat()
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Moat Book: brand loyalty as an economic moat, compared</title>
<link rel="stylesheet" href="_static/moatbook.css">
<style>
body {{ font-family: system-ui, "Segoe UI", sans-serif; color: #1d2a33; max-width: 1120px;
  margin: 2rem auto; padding: 0 1.2rem; line-height: 1.5; }}
h1 {{ font-size: 1.9rem; margin-bottom: .2rem; }}
h2 {{ margin-top: 2.2rem; font-size: 1.35rem; }}
.lede {{ font-size: 1.05rem; color: #34444f; max-width: 52rem; }}
table.mb-heatmap {{ border-collapse: collapse; font-size: .86rem; }}
table.mb-heatmap th, table.mb-heatmap td {{ border: 1px solid #fff; padding: .35rem .45rem; text-align: center; }}
table.mb-heatmap tbody th {{ text-align: left; white-space: nowrap; padding-right: .8rem; }}
table.mb-heatmap td a {{ color: inherit; text-decoration: none; font-weight: 600; }}
table.mb-heatmap .mb-cov {{ display: block; font-size: .68rem; opacity: .8; }}
th.mb-hm-head {{ font-weight: 600; font-size: .74rem; vertical-align: bottom; max-width: 6.2rem; }}
footer {{ margin-top: 3rem; font-size: .8rem; color: #5b6670; }}
</style>
<script src="_static/vega-offline.js"></script>
</head>
<body>
<h1>Moat Book</h1>
<p class="lede">How far does customer loyalty protect each brand from its rivals? Every score below follows
from sourced evidence by one published rubric: eleven loyalty metrics scored 0-10, combined into an overall
score out of 100. Each brand has its own book with the evidence, the arithmetic and the caveats.</p>

<h2>Ranking</h2>
{ranking}
<div id="overall-chart"></div>

<h2>The eleven sub-scores</h2>
<p>Each cell is a sub-score out of 10 with its coverage grade ({grades}). A dash means no scored evidence:
that metric is left out of the brand's overall. Click a cell to open the chapter.</p>
{heatmap}

<h2>How to read this</h2>
<p>Bands of the overall score: {bands}. Scores rest on what has been published; a brand with thin coverage
is scored on fewer metrics, not marked down for the missing ones. Read a brand's methodology chapter for the
rubric and its works cited for every source.</p>
<footer>Built {esc(built)} from the data in the project's <code>data/</code> folder (rubric version
{esc(rubric.version)}).</footer>
<script>
(function() {{
  var spec = {json.dumps(spec)};
  if (typeof vegaEmbed === "function") {{
    vegaEmbed("#overall-chart", spec, {{"actions": false}}).catch(function(err) {{
      document.getElementById("overall-chart").textContent = "Chart error: " + err;
    }});
  }}
}})();
</script>
</body>
</html>
"""


def _overall_chart_spec(rows: list[dict], rubric) -> dict:
    """A Vega-Lite bar chart of the overall scores (built with Altair, embedded from the local bundle)."""
    import altair as alt
    import pandas as pd

    df = pd.DataFrame(rows)
    order = list(df["brand"]) if len(df) else []
    chart = (
        alt.Chart(df, title=alt.Title("Overall score", subtitle="out of 100; colour: band"))
        .mark_bar()
        .encode(
            y=alt.Y("brand:N", sort=order, title=None),
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
                alt.Tooltip("band:N", title="Band"),
            ],
        )
        .properties(width=560, height=30 * max(1, len(df)))
    )
    return chart.to_dict()
