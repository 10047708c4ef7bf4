"""The chapter on the moat over time: the scores as of each year, the trend verdict, and the check against
what happened (:mod:`moatbook.scoring.trend`, :mod:`moatbook.scoring.check`)."""

from __future__ import annotations

from ..scoring import check as ck
from ..scoring import trend as tr
from . import charts, context
from .chapter import Book, _glue
from .render import Html, box, esc, fmt_interval, para, plural, table

VERDICT_TEXT = {
    "widening": "widening: the overall rose over the last years by more than the uncertainty of the scores",
    "narrowing": "narrowing: the overall fell over the last years by more than the uncertainty of the scores",
    "stable": "stable: any change over the last years lies within the uncertainty of the scores",
    "no verdict": "no verdict",
}


def rho_text(rho: float | None) -> str:
    return "–" if rho is None else f"{rho:+.2f}"


class OverTimeChapter(Book):
    chapter = "over_time"

    def __init__(self, company: str, build_date: str = "", output_dir: str = "") -> None:
        super().__init__(company, build_date, output_dir)
        self.trend: tr.Trend = context.book_result("trend", self.slug)
        self.check: ck.Check = context.book_result("check", self.slug)
        v = self.trend.verdict
        _glue("trend_window", tr.WINDOW)
        _glue("trend_min_years", tr.MIN_YEARS)
        _glue("trend_draws", self.trend.draws)
        _glue("trend_verdict", v.verdict)
        _glue("first_rated", str(self.trend.first_rated) if self.trend.first_rated else "no year yet")

    # -- the scores year by year ---------------------------------------------------

    def verdict_box(self) -> Html:
        v = self.trend.verdict
        rated = self.trend.rated
        if v.verdict == "no verdict":
            text = f"No trend verdict: {v.reason}."
            if not rated:
                text = (
                    f"No trend verdict: in no year of its record does {self.name} have enough scored metrics "
                    f"for an overall ({self.trend.min_scored} are needed)."
                )
            return Html(box(para(esc(text)), "mb-headline mb-missing"), "no verdict")
        span = f"{v.years[0]}–{v.years[-1]}"
        html = (
            f'<div class="mb-score-big">{esc(v.verdict)}</div>'
            f'<div class="mb-score-meta">Slope of the overall over {span}: {v.slope:+.2f} points a year '
            f"(90% interval {v.low:+.2f} to {v.high:+.2f}, from the uncertainty model)</div>"
            f"<p>{esc(VERDICT_TEXT[v.verdict][0].upper() + VERDICT_TEXT[v.verdict][1:])}.</p>"
        )
        if v.thin:
            thin = esc(", ".join(map(str, v.thin_years)))
            html += (
                f'<div class="mb-score-meta mb-missing">Rests on thin evidence in {thin}'
                ": a metric filled from the peers, or most metrics graded C or D.</div>"
            )
        html += self.as_of_meta()
        return Html(box(html, "mb-headline"), f"{v.verdict} ({v.slope:+.2f} a year)")

    def chart(self):
        rated = self.trend.rated
        if len(rated) < 2:
            only = f"only {rated[0].year} has" if rated else "no year has"
            return Html(
                para(esc(f"For {self.name}, {only} an overall so far: a line over the years needs two.")), "no chart"
            )
        first, last = rated[0], rated[-1]
        takeaway = (
            f"From {first.overall:.1f} as of {first.year} to {last.overall:.1f} as of {last.year}; "
            f"{plural(sum(y.thin for y in rated), 'year')} of {len(rated)} rest on thin evidence."
        )
        rows = [
            {"year": y.year, "overall": y.overall, "low": y.low, "high": y.high, "thin": y.thin, "status": y.status}
            for y in rated
        ]
        return charts.trend_chart(rows, f"The overall of {self.name}, year by year", takeaway)

    def years_table(self) -> Html:
        rows = []
        for y in self.trend.years:
            grades = " ".join(f"{g}\u00d7{n}" for g, n in y.grades.items()) or "–"
            overall = "not rated" if y.overall is None else f"{y.overall:.1f}"
            if y.status == "provisional":
                overall += " (provisional)"
            rows.append(
                [
                    str(y.year),
                    overall,
                    "–" if y.overall is None else fmt_interval(y.low, y.high),
                    f"{y.n_scored} of {y.n_metrics}",
                    esc(grades),
                    str(y.n_rows),
                    "thin" if y.thin else "",
                ]
            )
        headers = ["Year", "Overall", "90% interval", "Metrics scored", "Grades", "Rows on file", "Evidence"]
        return Html(table(headers, rows, numeric={2, 5}), f"{len(rows)} years")

    def subscores_table(self) -> Html:
        rated = self.trend.rated
        if not rated:
            return Html(para("No year has an overall yet."))
        rows = []
        for mid, metric in self.rubric.metrics.items():
            cells = [esc(metric.title)]
            for y in rated:
                score, low, high = y.metrics[mid]
                cells.append(
                    "–" if score is None else f'{score:.1f}<br><span class="mb-hint">{fmt_interval(low, high)}</span>'
                )
            rows.append(cells)
        headers = ["Metric", *[str(y.year) for y in rated]]
        return Html(table(headers, rows, numeric=set(range(1, len(rated) + 1))), "sub-scores by year")

    # -- the check against what happened ----------------------------------------

    def outcomes_table(self) -> Html:
        c = self.check
        rows = []
        for o in c.outcomes:
            rows.append([esc(o.label), rho_text(o.rho), str(o.n), str(o.brands)])
        names = ", ".join(self.company_name(s) for s in c.slugs)
        html = table(["Score as of a year against", "Rank correlation", "Pairs", "Brands"], rows, numeric={1, 2, 3})
        html += para(
            esc(
                f"Brands compared: {names}. A pair is one brand in one year in which it has an overall and a global "
                f"share figure for that year and the later one. A correlation needs {ck.MIN_PAIRS} pairs."
            ),
            "mb-hint",
        )
        return Html(html, "outcomes")

    def outcome_pairs(self) -> Html:
        pairs = next((o.pairs for o in self.check.outcomes), [])
        if not pairs:
            return Html(para(esc("No brand has both a score and the share figures that followed it on file yet.")))
        rows = [
            [esc(self.company_name(p.slug)), str(p.year), f"{p.score:.1f}", f"{p.change:+.1f}"]
            for p in sorted(pairs, key=lambda p: (p.slug, p.year))
        ]
        head = ["Brand", "As of the end of", "Overall", f"Global share change over {ck.HORIZONS[0]} years (points)"]
        return Html(
            '<details class="mb-details"><summary>Every pair behind the first correlation</summary>'
            + table(head, rows, numeric={2, 3})
            + "</details>",
            f"{len(rows)} pairs",
        )

    def ratings_table(self) -> Html:
        lists = self.check.ratings
        if not lists:
            return Html(para(esc("No published rating of these brands is on file.")))
        rows = []
        for lst in lists:
            entries = "; ".join(
                f"{self.company_name(s)} {year}: rank {rank:g}, ours {score:.1f}"
                for s, year, rank, score in lst.entries
            )
            rows.append([esc(lst.publisher), esc(lst.market), esc(entries), rho_text(lst.rho), str(len(lst.entries))])
        html = table(["Published by", "Market", "Ranks and our overall", "Spearman", "Entries"], rows, numeric={3, 4})
        html += para(
            esc(
                "Our overall here is computed as of the end of each list's year and without any published rating "
                "(so the list never enters the score it is compared with). A positive correlation means the book "
                f"orders the brands as the list does; it needs {ck.MIN_LIST} entries of two brands or more."
            ),
            "mb-hint",
        )
        return Html(html, f"{len(lists)} lists")

    def limits(self) -> Html:
        o = self.check.outcomes[0] if self.check.outcomes else None
        n = o.n if o else 0
        text = (
            f"What this can show: whether, among the few brands and years on file ({plural(n, 'pair')}), higher "
            "scores went with better share changes. What it cannot show: that the score predicts. The pairs of one "
            "brand in successive years overlap and are not independent; a handful of brands gives a correlation a "
            "wide margin (with ten independent pairs, a correlation of 0.5 is still compatible with none); share "
            "moves with products, prices, sanctions and markets entered or left, not with loyalty alone; and the "
            "scores of early years rest on thin evidence."
        )
        return Html(para(esc(text)), "limits")


def site_check(ds, chk: ck.Check) -> str:
    """The site's page on the check against what happened, for every brand (escaped HTML, no chapter context)."""
    name = {s: ds.company(s).name for s in chk.slugs}
    rows = [[esc(o.label), rho_text(o.rho), str(o.n), str(o.brands)] for o in chk.outcomes]
    html = "<h2>The moat score against what followed</h2>"
    html += para(
        "For every brand and every year in which it has an overall as of the end of that year, the score is set "
        "against the change of its global smartphone share over the following years (share points; each year the "
        "median of the trackers on file). A positive rank correlation is what a moat predicts."
    )
    html += table(["Score as of a year against", "Rank correlation", "Pairs", "Brands"], rows, numeric={1, 2, 3})
    pairs = chk.outcomes[0].pairs if chk.outcomes else []
    if pairs:
        body = [
            [esc(name[p.slug]), str(p.year), f"{p.score:.1f}", f"{p.change:+.1f}"]
            for p in sorted(pairs, key=lambda p: (p.slug, p.year))
        ]
        html += (
            "<details><summary>Every pair behind the first correlation</summary>"
            + table(
                ["Brand", "As of the end of", "Overall", f"Share change over {ck.HORIZONS[0]} years"],
                body,
                numeric={2, 3},
            )
            + "</details>"
        )
    html += "<h2>The ranking against published ratings</h2>"
    lrows = []
    for lst in chk.ratings:
        entries = "; ".join(f"{name[s]} {y}: rank {r:g}, ours {v:.1f}" for s, y, r, v in lst.entries)
        lrows.append([esc(lst.publisher), esc(lst.market), esc(entries), rho_text(lst.rho), str(len(lst.entries))])
    html += (
        table(["Published by", "Market", "Ranks and our overall", "Spearman", "Entries"], lrows, numeric={3, 4})
        if lrows
        else para("No published rating of these brands is on file.")
    )
    html += para(
        "Our overall beside each list is computed as of the end of the list's year and without any published "
        "rating, so a list never enters the score it is compared with. A Spearman correlation needs "
        f"{ck.MIN_LIST} entries of two brands or more."
    )
    html += "<h2>What so few brands and years can and cannot show</h2>"
    n = chk.outcomes[0].n if chk.outcomes else 0
    brands = chk.outcomes[0].brands if chk.outcomes else 0  # the brands the pairs come from, not all checked
    html += para(
        esc(
            f"These correlations rest on {plural(n, 'pair')} from {plural(brands, 'brand')}. They can show whether "
            "higher scores went with better share changes among these brands; they cannot show that the score "
            "predicts. The pairs of one brand in successive years overlap and are not independent; with ten "
            "independent pairs a correlation of 0.5 is still compatible with none; share moves with products, "
            "prices, sanctions and markets entered or left, not with loyalty alone; and early scores rest on thin "
            "evidence."
        )
    )
    return html
