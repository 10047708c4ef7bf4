"""Front and back matter: introduction, methodology, scorecard, conclusion, works cited."""

from __future__ import annotations

import json
from pathlib import Path

from ..scoring import check as ck
from . import charts, downloads, ranking
from .chapter import Book, _glue
from .render import (
    ORIGINAL_REPORT_ANCHOR,
    Html,
    box,
    bullets,
    esc,
    evidence_count,
    fmt_interval,
    fmt_number,
    fmt_score,
    fmt_value,
    para,
    reference_link,
    table,
)

STATISTICS = {
    "slope": "trend (change per year)",
    "cagr": "growth (% per year)",
    "volatility": "volatility (spread of the yearly changes)",
    "drawdown": "largest fall",
}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _metric_link(metric_id: str, title: str) -> str:
    return f'<a href="{esc(metric_id)}.html">{esc(title)}</a>'


class Intro(Book):
    chapter = "intro"

    def headline(self) -> Html:
        head = self.headline_box()
        if self.as_of is None:
            return head
        note = (
            f"This book is written as of {self.as_of.label}. It scores only figures whose period had ended by then "
            "and whose source had been published by then; a judgement counts only when every source it cites had "
            "been published by then, and sources without a publication date are left out. Ages are measured from "
            f"{self.as_of.label}. The judgements' levels and wording were written later and may use hindsight."
        )
        return Html(head.html + box(para(esc(note)), "mb-asof-note"), head.text)

    def evidence_summary(self) -> Html:
        ev = self.ds.evidence.get(self.slug, [])
        judgements = self.ds.assessments.get(self.slug, [])
        sources = {r.source_id for r in ev} | {s for a in judgements for s in a.source_ids}
        periods = sorted(r.period[:4] for r in ev)
        span = f"{periods[0]} to {periods[-1]}" if periods else "no dates"
        rows = [
            ["Figures", str(len(ev))],
            ["Judgements on ordinal indicators", str(len(judgements))],
            ["Sources cited", str(len(sources))],
            ["Years covered", esc(span)],
            ["Peers compared", esc(", ".join(self.company_name(p) for p in self.peer_slugs) or "none")],
        ]
        return Html(table(["What the book rests on", ""], rows, cls="mb-compact"), f"{len(ev)} figures")


class Methodology(Book):
    chapter = "methodology"
    GLUE_SUMMARY = False  # the rules, not this brand's scores: see context.chapter_inputs

    def metrics_table(self) -> Html:
        rows = []
        for mid, m in self.rubric.metrics.items():
            scored = [i for i in m.indicators.values() if i.scored]
            rows.append(
                [
                    _metric_link(mid, m.title),
                    esc(m.question),
                    f"{m.weight:.1%}",
                    str(len(scored)),
                    str(sum(1 for i in scored if i.kind == "ordinal")),
                ]
            )
        return Html(
            table(
                ["Metric", "Question it answers", "Weight", "Scored indicators", "of which judgements"],
                rows,
                numeric={2, 3, 4},
            ),
            "metrics",
        )

    def indicators_table(self) -> Html:
        parts = []
        for mid, m in self.rubric.metrics.items():
            rows = []
            for _iid, ind in m.indicators.items():
                if not ind.scored:
                    continue
                anchors = " · ".join(f"{fmt_number(a)}→{fmt_number(p)}" for a, p in ind.anchors)
                if ind.kind == "level":
                    unit = ind.unit or self.rubric.resolve(ind.source, mid)[1].unit
                    what = f"level, in {unit}"
                elif ind.kind == "derived":
                    stat = STATISTICS.get(ind.statistic, ind.statistic)
                    source = m.indicators[ind.source].label.replace(" (context)", "")
                    what = f"{stat} of “{source}” over the latest {ind.window_years} years"
                else:
                    what = f"judgement, levels {min(ind.levels)}–{max(ind.levels)}"
                rows.append([esc(ind.label), esc(what), esc(anchors), f"{ind.weight:.0%}", esc(ind.description)])
            parts.append(
                f'<details class="mb-details"><summary>{esc(m.title)}: {len(rows)} scored indicators</summary>'
                + table(["Indicator", "Kind", "Anchors (value→points)", "Weight", "What it is"], rows, numeric={3})
                + "</details>"
            )
        return Html("".join(parts), "indicators")

    def combine_rules(self) -> Html:
        c = self.rubric.combine
        _glue("half_life", fmt_number(c.half_life_years))
        _glue("market_weight_other", fmt_number(c.market_weights["other"]))
        rows = [
            [
                "Recency",
                f"weight halves for every {fmt_number(c.half_life_years)} years a figure is older than the "
                "indicator's newest",
                esc(c.reasons["half_life_years"]),
            ],
            [
                "Market",
                "; ".join(f"{esc(k)}: {fmt_number(v)}" for k, v in c.market_weights.items()),
                esc(c.reasons["market_weights"]),
            ],
            [
                "Source confidence",
                "; ".join(f"{esc(k)}: {fmt_number(v)}" for k, v in c.confidence_weights.items())
                + " (an indicator resting only on low-confidence sources is not scored; judgements are weighted "
                "by the confidence of their best source too)",
                esc(c.reasons["confidence_weights"]),
            ],
        ]
        return Html(table(["Rule", "Setting", "Why"], rows), "combine rules")

    def aggregation_rules(self) -> Html:
        """The rules that decide what counts once, and how sub-scores make the overall."""
        a = self.rubric.aggregation
        rows = [
            [
                "Reprints count once",
                "Rows of one indicator with the same period, market, publisher of the figure, sub-brand and "
                "segment are one figure: their values are averaged and every page is kept as a source.",
            ],
            [
                "Sub-brands",
                "For shares, units, devices and users, the figures of two or more sub-brands from one release are "
                "summed into the brand's figure (unless the publisher gives the whole brand's figure); for any "
                "other indicator a sub-brand's figure describes other customers and is shown but not scored.",
            ],
            [
                "Segments",
                "A figure limited to a price band or product line is not scored for a share or a count (a part "
                "understates the whole) but is scored for a rate or a score (it describes the brand's customers "
                "in that segment).",
            ],
            [
                "Trends",
                "Growth, trend, volatility and largest fall are computed from one series at a time: one "
                "publisher, one market, the whole brand, no low-confidence figure. Series are never spliced.",
            ],
            [
                "No series decides alone",
                f"No evidence series may carry more than {a.series_cap:.0%} of the overall; where one would, the "
                "metrics that read it give up weight to the others. " + esc(a.reasons["series_cap"]),
            ],
            [
                "Missing metrics",
                "A metric without scored evidence is filled from the peers' sub-scores on it (their median in "
                "the point score, a draw from among them in the uncertainty model) and the overall is marked "
                f"provisional. With fewer than {a.min_scored_metrics} scored metrics the brand is not rated. "
                + esc(a.reasons["min_scored_metrics"]),
            ],
        ]
        return Html(table(["Rule", "What it does"], rows, cls="mb-rules"), "aggregation rules")

    def uncertainty_table(self) -> Html:
        """Every setting of the uncertainty model with its stated reason."""
        u = self.rubric.uncertainty
        shown = {
            "draws": f"{u.draws:,}",
            "interval": f"{u.interval:.0%} (the {(1 - u.interval) / 2:.0%} to {(1 + u.interval) / 2:.0%} range)",
            "observation_sd_points": f"{fmt_number(u.observation_sd_points)} point per figure",
            "judgement_shift_probability": f"{u.judgement_shift_probability:.0%} chance of one level up or down",
            "weight_concentration": f"Dirichlet, concentration {fmt_number(u.weight_concentration)}",
            "half_life_years": f"{fmt_number(u.half_life_years[0])} to {fmt_number(u.half_life_years[1])} years",
            "market_weight_other": f"{fmt_number(u.market_weight_other[0])} to {fmt_number(u.market_weight_other[1])}",
            "sensitivity_draws": f"{u.sensitivity_draws:,}",
            "seed": str(u.seed),
        }
        labels = {
            "draws": "Draws",
            "interval": "Interval",
            "observation_sd_points": "Error of one figure",
            "judgement_shift_probability": "Judgements",
            "weight_concentration": "Metric weights",
            "half_life_years": "Recency half-life",
            "market_weight_other": "Weight of single-market figures",
            "sensitivity_draws": "Sensitivity sample",
            "seed": "Seed",
        }
        rows = [[esc(labels[k]), esc(v), esc(u.reasons[k])] for k, v in shown.items()]
        return Html(table(["Input", "Setting", "Why"], rows, cls="mb-rules"), "uncertainty settings")

    def claims_rule(self) -> Html:
        c = self.rubric.claims
        return Html(para(esc(c.reasons["rank_probability"])), "claims")

    def over_time_rules(self) -> Html:
        """How a book is scored as of a past date, and the trend rule (the constants of the trend module)."""
        from ..scoring import trend as tr

        items = [
            "<b>As of a date.</b> A book can be built as of the end of any year. It then scores only figures whose "
            "period had ended by then and whose source had been published by then; sources without a publication "
            "date are left out. A figure's age is measured from that date.",
            "<b>Judgements are not dated.</b> A judgement counts as of a date only when every source it cites had "
            "been published by then. Its level and wording were written later and may use hindsight.",
            f"<b>Year by year.</b> The chapter on the moat over time scores the brand as of the end of every year "
            f"of its record, with intervals from the same uncertainty model ({tr.DRAWS:,} draws a year). The first "
            "year shown with an overall is the first with as many scored metrics as an overall needs.",
            f"<b>The trend rule.</b> A least-squares line goes through the overall of the rated years among the last "
            f"{tr.WINDOW} years of the record, once for the point scores and once for every draw. If the 90% "
            "interval of the drawn slopes lies above zero the moat is <i>widening</i>, below zero <i>narrowing</i>, "
            f"otherwise <i>stable</i>. With fewer than {tr.MIN_YEARS} rated years in the window there is no verdict.",
            "<b>Thin years.</b> A year rests on thin evidence when its overall is provisional (a metric is filled "
            "from the peers) or when more than half of its scored metrics are graded C or D; a verdict resting on "
            "such a year names it.",
            "<b>Checked against what happened.</b> The overall as of each year is set against the change of the "
            f"brand's global share over the next {' and '.join(map(str, ck.HORIZONS))} years, as a rank correlation "
            "with its number of pairs; published rankings of brands are compared with an overall computed without "
            "them, so they never enter the score they are checked against.",
        ]
        return Html('<ul class="mb-list">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>", "over time")

    def anchors_reasons(self) -> Html:
        """Why each anchor set is where it is."""
        parts = []
        if self.as_of is not None:
            parts.append(
                para(
                    esc(
                        f"These rules are today's (rubric {self.rubric.version}), also in this book written as of "
                        f"{self.as_of.label}: their reasons may cite figures published later, but no such figure "
                        "enters a score here."
                    ),
                    "mb-hint",
                )
            )
        for m in self.rubric.metrics.values():
            rows = [
                [
                    esc(ind.label),
                    esc(" · ".join(f"{fmt_number(a)}→{fmt_number(p)}" for a, p in ind.anchors)),
                    esc(ind.anchors_reason),
                ]
                for ind in m.indicators.values()
                if ind.scored
            ]
            parts.append(
                f'<details class="mb-details"><summary>{esc(m.title)}</summary>'
                + table(["Indicator", "Anchors (value→points)", "Reference or reason"], rows)
                + "</details>"
            )
        return Html("".join(parts), "anchor reasons")

    def changelog(self) -> Html:
        items = []
        for e in self.rubric.changelog:
            changes = "".join(f"<li>{esc(c)}</li>" for c in e.changes)
            items.append(f"<li><b>{esc(e.version)}</b> ({esc(e.date)})<ul>{changes}</ul></li>")
        return Html(f'<ul class="mb-list mb-changelog">{"".join(items)}</ul>', "changelog")

    def grades_table(self) -> Html:
        rows = [
            [
                f"<b>{esc(g.grade)}</b>",
                f"{g.min_hard_share:.0%}",
                f"{g.min_present_share:.0%}",
                str(g.min_evidence),
                esc(g.meaning),
            ]
            for g in self.rubric.coverage_grades
        ]
        return Html(
            table(
                ["Grade", "Hard figures ≥", "Weight with evidence ≥", "Figures and judgements ≥", "Meaning"],
                rows,
                numeric={1, 2, 3},
                caption="Hard figures: share of the sub-score's weight on figures "
                "rather than judgements. Weight with evidence: share of the metric's indicator weight "
                "that has any usable evidence. Figures and judgements: independent ones (a reprint counts once).",
            ),
            "grades",
        )

    def bands_table(self) -> Html:
        rows = [[esc(b.name), f"{fmt_number(b.min)}–{fmt_number(b.max)}"] for b in self.rubric.bands]
        ratings = [
            [esc(r.name), f"{fmt_number(r.min)}–{fmt_number(r.max)}", esc(r.indication)] for r in self.rubric.ratings
        ]
        return Html(
            table(["Overall band", "Score"], rows, cls="mb-compact")
            + table(["Sub-score rating", "Sub-score", "What it indicates"], ratings),
            "bands",
        )


class ScorecardChapter(Book):
    """The scorecard: the two tables of the original report rebuilt from our scores and data."""

    chapter = "scorecard"

    def write_scores(self) -> Html:
        """Write scores.json (the shape every tool reads) when the build asks for it."""
        if self.output_dir:
            out = Path(self.output_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / "scores.json").write_text(json.dumps(self.scores_json(), indent=2) + "\n")
        return self.summary()

    def summary(self) -> Html:
        return self.headline_box()

    def what_if(self):
        """Sliders for the metric weights and a choice of aggregation; the overall follows live."""
        from . import whatif

        mdl = whatif.model(self.card, self.rubric, self.name)
        if not mdl.rated:
            return Html(
                '<p class="mb-note">The controls need an overall score, and this brand is not rated: fewer than '
                f"{self.rubric.aggregation.min_scored_metrics} metrics rest on its own evidence.</p>",
                "not rated: no controls",
            )
        chart = whatif.scorecard_chart(mdl)
        filled = [m.title for m in mdl.metrics if not m.scored]
        note = (
            "Move a slider to change a metric's weight (the weights need not add up to one: the book divides by "
            f"their sum), or choose another way of combining the sub-scores. No evidence series may carry more "
            f"than {mdl.cap:.0%} of the overall, so a weight pushed far up is held back as the book's own score "
            "holds it back. The bars show each metric's part of the weighted mean."
        )
        if filled:
            note += " Filled from the peers, as in the book: " + ", ".join(filled) + "."
        return whatif.figure(
            chart,
            f"What if the weights were different? {self.name}",
            f"At the book's weights the overall is {self.card.overall:.1f} ({self.card.band}).",
            f"Interactive chart: the overall score of {self.name} and each metric's share of it, recomputed "
            "from the weight sliders and the aggregation chosen below it.",
            note,
            whatif.controls_of(chart),
            legend=[(charts.swatch("bar", charts.ACCENT), "a metric's share of the weighted mean")],
            headers=["Metric", "Weight in the rubric", "Weight after the cap", "Sub-score used"],
            rows=[
                [esc(m.title), f"{m.weight:.1%}", f"{self.card.weights[m.id]:.1%}", fmt_number(m.value or m.imputed, 2)]
                for m in mdl.metrics
            ],
        )

    def _key_figures(self, m) -> str:
        """The values the sub-score actually uses, for its three heaviest indicators."""
        bits = []
        for ind in sorted(m.scored_indicators, key=lambda i: (-i.weight, i.id))[:3]:
            if ind.kind == "ordinal":
                bits.append(f"{ind.label}: level {fmt_number(ind.value, 1)}")
            elif ind.kind == "derived":
                unit = {
                    "slope": "points of share per year",
                    "cagr": "% a year",
                    "volatility": "points of share a year",
                    "drawdown": "points of share",
                }[self.rubric.metrics[m.id].indicators[ind.id].statistic]
                bits.append(f"{ind.label}: {fmt_number(ind.value, 2)} {unit}")
            else:
                n = len([o for o in ind.observations if o.counts])
                what = "weighted mean of " + (f"{n} figures" if n > 1 else "1 figure")
                bits.append(f"{ind.label}: {fmt_value(ind.value, ind.unit)} ({what})")
        return "; ".join(bits) or "no scored figures"

    def factor_table(self) -> Html:
        """Metric, rating, sub-score with its interval, coverage and weight, and the justification."""
        rows = []
        c = self.card
        gaps = self.metric_gaps()
        for mid, m in c.metrics.items():
            weight = f"{c.weights[mid]:.1%}" if c.weights else "–"
            if m.score is None:
                text = f"{_sentence(gaps[mid].text())}."
                if m.imputed is not None:
                    text += f" Filled from the peers for the overall: {m.imputed:.1f}."
                interval = fmt_interval(m.low, m.high) if m.imputed is not None else "–"
                rows.append(
                    [
                        _metric_link(mid, m.title),
                        "not rated",
                        "–",
                        interval,
                        "–",
                        weight,
                        f'<span class="mb-missing">{esc(text)}</span>',
                    ]
                )
                continue
            scored = m.scored_indicators
            best = max(scored, key=lambda i: (i.points, i.id))
            worst = min(scored, key=lambda i: (i.points, i.id))
            just = (
                f"Rests on {evidence_count(m.n_evidence)}. Highest-scoring indicator: {best.label} ({best.points:.1f})"
            )
            if worst is not best:
                just += f"; lowest-scoring: {worst.label} ({worst.points:.1f})"
            just += "."
            if m.missing:
                just += f" Missing: {', '.join(i.label.lower() for i in m.missing)}."
            rows.append(
                [
                    _metric_link(mid, m.title),
                    esc(self.rubric.rating(m.score).name),
                    f"<b>{m.score:.1f}</b>",
                    fmt_interval(m.low, m.high),
                    esc(m.coverage),
                    weight,
                    esc(just),
                ]
            )
        if c.overall is None:
            overall, interval = "–", "–"
            how = f"Not rated: fewer than {c.min_scored} metrics rest on scored evidence."
        else:
            overall, interval = f"<b>{c.overall:.1f}</b> / 100", fmt_interval(c.low, c.high)
            how = "Ten times the weighted mean of the sub-scores, with the weights shown"
            if c.imputed:
                how += " (missing metrics filled from the peers, so the overall is provisional)"
            how += "."
        rows.append(
            ["<b>Overall score</b>", f"<b>{esc(c.band or 'not rated')}</b>", overall, interval, "", "100%", esc(how)]
        )
        return Html(
            table(
                ["Metric", "Rating", "Sub-score", "90% interval", "Coverage", "Weight", "Justification"],
                rows,
                cls="mb-scorecard",
                numeric={2, 3, 5},
                caption="Sub-scores are out of 10, the overall out of 100. The 90% interval is the range the score "
                "falls in for nine draws out of ten when the "
                "evidence, the judgements and the weights are varied (see the robustness chapter). Weight: the "
                "metric's share of the overall.",
            ),
            "factor table",
        )

    def evaluation_table(self) -> Html:
        """Factor / Measurement / Indication."""
        rows = []
        gaps = self.metric_gaps()
        for mid, m in self.card.metrics.items():
            if m.score is None:
                rows.append([_metric_link(mid, m.title), esc(gaps[mid].text()), "unknown: no evidence counts here"])
                continue
            rating = self.rubric.rating(m.score)
            rows.append(
                [_metric_link(mid, m.title), esc(self._key_figures(m)), esc(f"{rating.name}: {rating.indication}.")]
            )
        return Html(
            table(
                ["Factor / Metric", "Measurement", "Indication of loyalty and moat strength"], rows, cls="mb-evaluation"
            ),
            "evaluation table",
        )

    def chart(self):
        rows = []
        for mid, m in self.card.metrics.items():
            ref = self.reference.get(mid)
            rows.append(
                dict(
                    metric=m.title,
                    score=m.score,
                    low=m.low,
                    high=m.high,
                    coverage=m.coverage,
                    reference=ref.score if ref else None,
                )
            )
        return charts.scores_chart(rows, f"{self.name}: the eleven sub-scores")

    def reference_comparison(self) -> Html:
        """Our scores beside a published one, each difference explained from the walk-through."""
        if not self.reference:
            return Html(
                para(
                    f"No published scores for {esc(self.name)} are on file, so there is nothing to compare with.",
                    "mb-hint",
                ),
                "no reference",
            )
        intro = ""
        ref_overall = self.reference.get("overall")
        subs = [self.reference[m].score for m in self.rubric.metrics if m in self.reference]
        if ref_overall and subs:
            mean = 10 * sum(subs) / len(subs)
            intro = para(
                f"The published overall is <b>{fmt_number(ref_overall.score)}</b>, yet its own {len(subs)} "
                f"sub-scores add up to {fmt_number(sum(subs))} of {10 * len(subs)}, which is "
                f"<b>{fmt_number(mean, 1)}</b> on a 0-100 scale: the published overall is a judgement of its own, "
                f"{fmt_number(abs(mean - ref_overall.score), 1)} points "
                f"{'below' if mean > ref_overall.score else 'above'} "
                "what its sub-scores imply. Ours is always ten times the weighted mean of the sub-scores"
                + (f", here <b>{fmt_score(self.card.overall)}</b>" if self.card.overall is not None else "")
                + ", so it can be recomputed from the scorecard above."
            ) + para(f"Source of the published scores: {reference_link()} ({esc(ref_overall.reference)}).", "mb-hint")
        rows = []
        for mid, m in self.card.metrics.items():
            ref = self.reference.get(mid)
            if ref is None:
                continue
            if m.score is None:
                rows.append([esc(m.title), fmt_number(ref.score), "–", "–", esc(f"Not scored here: {m.reason}.")])
                continue
            diff = m.score - ref.score
            rows.append(
                [
                    _metric_link(mid, m.title),
                    fmt_number(ref.score),
                    f"{m.score:.1f}",
                    f"{diff:+.1f}",
                    esc(self._explain(m, ref.score)),
                ]
            )
        ref_overall = self.reference.get("overall")
        if ref_overall and self.card.overall is not None:
            diff = self.card.overall - ref_overall.score
            rows.append(
                [
                    "<b>Overall</b>",
                    fmt_number(ref_overall.score),
                    f"{self.card.overall:.1f}",
                    f"{diff:+.1f}",
                    esc(
                        "The published overall is a judgement; ours is the weighted mean of the sub-scores "
                        f"above, times ten (90% interval {fmt_interval(self.card.low, self.card.high)})."
                    ),
                ]
            )
        return Html(
            intro
            + table(
                ["Metric", "Published", "Ours", "Difference", "Why they differ"],
                rows,
                cls="mb-compare",
                numeric={1, 2, 3},
            ),
            "comparison",
        )

    def _explain(self, m, ref_score: float) -> str:
        """Why our sub-score differs from the published one, with our own numbers."""
        scored = m.scored_indicators
        inside = m.low is not None and m.low <= ref_score <= m.high
        where = (
            f"The published score lies inside our 90% interval ({fmt_interval(m.low, m.high)})"
            if inside
            else f"The published score lies outside our 90% interval ({fmt_interval(m.low, m.high)})"
        )
        if abs(m.score - ref_score) < 0.5:
            return f"Close agreement. {where}."
        if m.score < ref_score:
            pull = sorted(scored, key=lambda i: (i.weight * (i.points - ref_score), i.id))[:2]
            why = "; ".join(
                f"{i.label} scores {i.points:.1f} at {i.weight:.0%} of the sub-score"
                for i in pull
                if i.points < ref_score
            )
            text = f"Lower: {why}." if why else "Lower across indicators."
        else:
            pull = sorted(scored, key=lambda i: (-i.weight * (i.points - ref_score), i.id))[:2]
            why = "; ".join(
                f"{i.label} scores {i.points:.1f} at {i.weight:.0%} of the sub-score"
                for i in pull
                if i.points > ref_score
            )
            text = f"Higher: {why}." if why else "Higher across indicators."
        if m.missing:
            text += f" Not measured here: {', '.join(i.label.lower() for i in m.missing)}."
        return f"{text} {where}."


class Conclusion(Book):
    chapter = "conclusion"

    def __init__(self, company: str, build_date: str = "", output_dir: str = "") -> None:
        super().__init__(company, build_date, output_dir)
        scored = [m for m in self.card.metrics.values() if m.score is not None]
        ranked = sorted(scored, key=lambda m: (-m.score, m.id))
        _glue("strongest", ranked[0].title if ranked else "none")
        _glue("weakest", ranked[-1].title if ranked else "none")
        names = {s: self.company_name(s) for s in self.analysis.cards}
        if self.card.overall is not None and len(self.analysis.comparison.slugs) > 1:
            standing = f"Among its peers, {self.name} {ranking.claim_text(self.analysis.comparison, self.slug, names)}."
        elif self.card.overall is None:
            standing = f"Among its peers, {self.name} cannot be ranked: it is not rated."
        else:
            standing = "No rated peer is on file to compare with."
        _glue("standing", standing)

    def _items(self, metrics, strong: bool) -> list[str]:
        out = []
        for m in metrics:
            scored = m.scored_indicators
            if strong:
                key = max(scored, key=lambda i: (i.weight * i.points, i.id))
                why = f"led by {esc(key.label.lower())} at {key.points:.1f} points"
            else:
                key = min(scored, key=lambda i: (i.points, i.id))
                why = f"held back most by {esc(key.label.lower())} at {key.points:.1f} points"
            out.append(
                f"{_metric_link(m.id, m.title)}: <b>{m.score:.1f}</b> (90% interval {fmt_interval(m.low, m.high)}, "
                f"{esc(self.rubric.rating(m.score).name)}, coverage {esc(m.coverage)}), {why}."
            )
        return out

    def strengths(self) -> Html:
        scored = sorted((m for m in self.card.metrics.values() if m.score is not None), key=lambda m: (-m.score, m.id))
        return Html(bullets(self._items(scored[:3], True)) or para("No scored metrics.", "mb-missing"), "strengths")

    def vulnerabilities(self) -> Html:
        scored = sorted((m for m in self.card.metrics.values() if m.score is not None), key=lambda m: (m.score, m.id))
        return Html(
            bullets(self._items(scored[:3], False)) or para("No scored metrics.", "mb-missing"), "vulnerabilities"
        )

    def gaps(self) -> Html:
        items = []
        gaps = self.metric_gaps()
        for m in self.card.metrics.values():
            note = f" {esc(gaps[m.id].note)}" if gaps[m.id].note else ""
            if m.score is None:
                fill = (
                    f" The overall fills it from the peers ({m.imputed:.1f}), so the overall is provisional."
                    if m.imputed is not None
                    else ""
                )
                items.append(f"{_metric_link(m.id, m.title)}: {esc(gaps[m.id].text())}.{esc(fill)}{note}")
                continue
            if note and m.coverage in ("C", "D"):
                items.append(f"{_metric_link(m.id, m.title)}: coverage {esc(m.coverage)}.{note}")
            elif m.coverage in ("C", "D"):
                items.append(
                    f"{_metric_link(m.id, m.title)}: coverage {esc(m.coverage)}; the sub-score leans on "
                    "judgement or rests on few figures."
                )
        if not items:
            items.append("Every metric has a sub-score with coverage A or B.")
        return Html(bullets(items), "gaps")

    def peer_ranking(self) -> Html:
        names = {s: self.company_name(s) for s in self.analysis.cards}
        html = ranking.rank_table(
            self.analysis.comparison, self.analysis.cards, names, highlight=self.slug, cls="mb-compact mb-ranking"
        )
        return Html(html, "ranking")


class Glossary(Book):
    chapter = "glossary"

    def thresholds(self) -> Html:
        """The coverage grades and the bands, as the rubric sets them today."""
        return Html(Methodology.grades_table(self).html + Methodology.bands_table(self).html, "grades and bands")


class Teachers(Book):
    """For teachers: objectives, prerequisites, a lesson plan; the parts that name this book's brand come from here."""

    chapter = "teachers"

    def at_a_glance(self) -> Html:
        """What the class will look at in this book: the brand, its overall, its strongest and weakest metric."""
        scored = [m for m in self.card.metrics.values() if m.score is not None]
        if not scored:
            return Html(f"<p>{esc(self.name)} has no scored metric yet.</p>", "no scores")
        top = max(scored, key=lambda m: (m.value, m.id))
        low = min(scored, key=lambda m: (m.value, m.id))
        judged = sorted(
            {m.title for m in scored for i in m.scored_indicators if i.kind == "ordinal"},
            key=str.lower,
        )
        overall = (
            f"an overall of {self.card.overall:.1f} out of 100 ({esc(self.card.band)})"
            if self.card.overall is not None
            else "no overall (too few metrics rest on its own evidence)"
        )
        items = [
            f"This book rates <b>{esc(self.name)}</b>: {overall}, from {len(scored)} scored metrics.",
            f"Strongest metric: {_metric_link(top.id, top.title)} ({top.score:.1f} of 10); weakest: "
            f"{_metric_link(low.id, low.title)} ({low.score:.1f} of 10). Both make good starting points.",
        ]
        if judged:
            items.append(
                "Metrics with a judgement students can re-grade with the page's controls: "
                + ", ".join(esc(t) for t in judged)
                + "."
            )
        return Html(bullets(items), "the brand at a glance")

    def worksheet(self) -> Html:
        """Links to this brand's printable worksheet: the PDF the build prints, and the page it prints from."""
        pdf = downloads.worksheet_path(self.slug)
        page = downloads.worksheet_path(self.slug, "html")
        html = (
            '<p class="mb-worksheet"><b>Grade it yourself worksheet</b> for '
            f"{esc(self.name)}: "
            f'<a class="mb-download" href="../{esc(pdf)}" download>one printable page (PDF)</a> · '
            f'<a href="../{esc(page)}">the same page to print from the browser</a>. It lists the eleven metrics, '
            "the scale to grade them on in words, and blank boxes for a grade, a reason and the book's sub-score.</p>"
        )
        return Html(html, "worksheet")


class WorksCited(Book):
    chapter = "works_cited"
    GLUE_SUMMARY = False  # the sources and where they are cited, not the scores: see context.chapter_inputs

    def original_report(self) -> Html:
        """The published report whose scores the book compares with (or whose notes it cites), as an entry."""
        cites_notes = any(self.ds.sources[sid].seed_citation for sid in self.used_sources)
        refs = sorted({r.reference for r in self.reference.values()}) or sorted(
            {r.reference for per in self.ds.references.values() for r in per.values()}
        )
        if not refs:
            return Html("", "")
        pub = sorted({r.rpartition(", section ")[0] or r for r in refs})[0]
        title, _, rest = pub.partition(", ")
        sections = sorted({r.rpartition(", section ")[2] for r in refs if r.startswith(pub) and ", section " in r})
        where = f" Its scores come from section {esc('; '.join(sections))}." if sections and self.reference else ""
        if self.reference:
            role = (
                " The rubric was calibrated once against its sub-scores, and the scorecard sets its scores beside "
                "this book's."
            )
        else:
            role = (
                " It scored another brand; it is listed because the methodology chapter describes how the rubric "
                "was calibrated against it."
            )
        notes = " Sources below that carry a note number are cited in it under that number." if cites_notes else ""
        html = (
            f'<p class="mb-works-ref" id="{ORIGINAL_REPORT_ANCHOR}"><b>The original report.</b> '
            f"<i>{esc(title)}</i>{', ' + esc(rest) if rest else ''}.{where}{role}{notes}</p>"
        )
        return Html(html, "the original report")

    def sources(self) -> Html:
        uses: dict[str, set[str]] = {}
        for slug in [self.slug, *self.peer_slugs, *self.benchmarks]:
            for r in self.ds.evidence.get(slug, []):
                uses.setdefault(r.source_id, set()).add(r.metric)
            for a in self.ds.assessments.get(slug, []):
                for s in a.source_ids:
                    uses.setdefault(s, set()).add(a.metric)
        items = []
        for sid, n in self.citation_numbers.items():
            s = self.ds.sources[sid]
            bits = [f"<b>{esc(s.publisher)}</b>.", f"<i>{esc(s.title)}</i>."]
            if s.via:
                bits.append(f"Via {esc(s.via)}.")
            if s.published:
                bits.append(f"Published {esc(s.published)}.")
            bits.append(f'<a href="{esc(s.url)}" rel="noopener noreferrer">{esc(s.url)}</a>.')
            bits.append(f"Accessed {esc(s.accessed)}.")
            if s.seed_citation:
                bits.append(f"Note {s.seed_citation} of {reference_link(prefix='')}.")
            if s.confidence == "low":
                bits.append('<span class="mb-low">low confidence</span>')
            chapters = sorted(uses.get(sid, ()))
            if chapters:
                bits.append(
                    "Cited in: " + ", ".join(_metric_link(c, self.rubric.metrics[c].title) for c in chapters) + "."
                )
            items.append(f'<li id="src-{esc(sid)}" value="{n}">{" ".join(bits)}</li>')
        _glue("n_sources", len(items))
        return Html(f'<ol class="mb-works">{"".join(items)}</ol>', f"{len(items)} sources")
