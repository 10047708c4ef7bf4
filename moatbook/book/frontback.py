"""Front and back matter: introduction, methodology, scorecard, conclusion, works cited."""

from __future__ import annotations

import json
from pathlib import Path

from . import charts
from .chapter import Book, _glue
from .render import Html, bullets, esc, fmt_number, fmt_score, fmt_value, para, table


def _metric_link(metric_id: str, title: str) -> str:
    return f'<a href="{esc(metric_id)}.html">{esc(title)}</a>'


class Intro(Book):
    def headline(self) -> Html:
        card = self.card
        if card.overall is None:
            return Html(para(f"{esc(self.name)} has no scored evidence yet.", "mb-missing"), "no score")
        return Html(
            '<div class="mb-box mb-headline">'
            f'<div class="mb-score-big">{card.overall:.1f}<span> / 100</span></div>'
            f'<div class="mb-score-rating">{esc(card.band)}</div>'
            f'<div class="mb-score-meta">range {card.low:.1f}–{card.high:.1f} · {card.n_scored} of '
            f"{len(card.metrics)} metrics scored</div></div>",
            f"{card.overall:.1f} / 100",
        )

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
                    what = f"{ind.statistic} of {ind.source} over {ind.window_years} years"
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
        _glue("range_window", fmt_number(c.range_window_years))
        _glue("market_weight_other", fmt_number(c.market_weights["other"]))
        _glue("judgement_margin", self.rubric.judgement_margin_levels)
        rows = [
            [
                "Recency",
                f"weight halves for every {fmt_number(c.half_life_years)} years an observation is older "
                "than the newest one",
            ],
            ["Market", "; ".join(f"{esc(k)}: {fmt_number(v)}" for k, v in c.market_weights.items())],
            [
                "Source confidence",
                "; ".join(f"{esc(k)}: {fmt_number(v)}" for k, v in c.confidence_weights.items())
                + " (an indicator resting only on low-confidence sources is not scored)",
            ],
            [
                "Range",
                f"lowest and highest points among observations within {fmt_number(c.range_window_years)} years "
                f"of the newest; judgements ±{self.rubric.judgement_margin_levels} level; "
                "trackers' spread for derived indicators",
            ],
        ]
        return Html(table(["Rule", "Setting"], rows), "combine rules")

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
                ["Grade", "Hard figures ≥", "Weight with evidence ≥", "Rows ≥", "Meaning"],
                rows,
                numeric={1, 2, 3},
                caption="Hard figures: share of the sub-score's weight on figures "
                "rather than judgements. Weight with evidence: share of the metric's indicator weight "
                "that has any usable evidence. Rows: evidence rows and judgements.",
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

    def write_scores(self) -> Html:
        """Write scores.json (the shape every tool reads) when the build asks for it."""
        if self.output_dir:
            out = Path(self.output_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / "scores.json").write_text(json.dumps(self.card.to_json(), indent=2) + "\n")
        return self.summary()

    def summary(self) -> Html:
        c = self.card
        if c.overall is None:
            return Html(para("No metric has scored evidence yet.", "mb-missing"), "no score")
        return Html(
            '<div class="mb-box mb-headline">'
            f'<div class="mb-score-big">{c.overall:.1f}<span> / 100</span></div>'
            f'<div class="mb-score-rating">{esc(c.band)}</div>'
            f'<div class="mb-score-meta">range {c.low:.1f}–{c.high:.1f} · '
            f"{c.n_scored} of {len(c.metrics)} metrics scored"
            "</div></div>",
            f"{c.overall:.1f}",
        )

    def _key_figures(self, m) -> str:
        bits = []
        for ind in sorted((i for i in m.indicators if i.scored), key=lambda i: -i.weight)[:3]:
            if ind.kind == "ordinal":
                bits.append(f"{ind.label}: level {fmt_number(ind.value, 1)}")
            elif ind.kind == "derived":
                bits.append(f"{ind.label}: {fmt_number(ind.value, 2)}")
            else:
                latest = max(
                    (o for o in ind.observations if o.weight > 0),
                    key=lambda o: (o.period, o.market == "global"),
                    default=None,
                )
                if latest:
                    bits.append(f"{ind.label}: {fmt_value(latest.value, ind.unit)} ({latest.period}, {latest.market})")
        return "; ".join(bits) or "no scored figures"

    def factor_table(self) -> Html:
        """Factor / Rating / Justification / Sub-score, with the overall row."""
        rows = []
        for mid, m in self.card.metrics.items():
            if m.score is None:
                rows.append(
                    [
                        _metric_link(mid, m.title),
                        "not rated",
                        '<span class="mb-missing">no scored evidence; left out of the overall</span>',
                        "–",
                    ]
                )
                continue
            scored = [i for i in m.indicators if i.scored]
            best = max(scored, key=lambda i: (i.points, i.id))
            worst = min(scored, key=lambda i: (i.points, i.id))
            just = f"Rests on {m.n_evidence} rows (coverage {m.coverage}). Strongest: {best.label} ({best.points:.1f})"
            if worst is not best:
                just += f"; weakest: {worst.label} ({worst.points:.1f})"
            just += "."
            if m.missing:
                just += f" Missing: {', '.join(i.label.lower() for i in m.missing)}."
            rows.append(
                [
                    _metric_link(mid, m.title),
                    esc(self.rubric.rating(m.score).name),
                    esc(just),
                    f"{m.score:.1f} <small>({m.low:.1f}–{m.high:.1f})</small>",
                ]
            )
        c = self.card
        overall = "–" if c.overall is None else f"<b>{c.overall:.1f}</b> / 100"
        rows.append(
            [
                "<b>Overall score</b>",
                f"<b>{esc(c.band or 'not rated')}</b>",
                esc(f"Weighted mean of the {c.n_scored} scored sub-scores, times ten."),
                overall,
            ]
        )
        return Html(
            table(
                ["Factor / Metric", "Rating", "Justification", "Sub-score (out of 10)"],
                rows,
                cls="mb-scorecard",
                numeric={3},
            ),
            "factor table",
        )

    def evaluation_table(self) -> Html:
        """Factor / Measurement / Indication."""
        rows = []
        for mid, m in self.card.metrics.items():
            if m.score is None:
                rows.append([_metric_link(mid, m.title), "no scored figures", "unknown: the evidence is missing"])
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
            ) + para(f"Source of the published scores: {esc(ref_overall.reference)}.", "mb-hint")
        rows = []
        for mid, m in self.card.metrics.items():
            ref = self.reference.get(mid)
            if ref is None:
                continue
            if m.score is None:
                rows.append([esc(m.title), fmt_number(ref.score), "–", "–", "We have no scored evidence here."])
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
                        "above, times ten."
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
        scored = [i for i in m.indicators if i.scored]
        if abs(m.score - ref_score) < 0.5:
            return "Close agreement: the evidence supports the published judgement."
        if m.score < ref_score:
            pull = sorted(scored, key=lambda i: i.weight * (i.points - ref_score))[:2]
            why = "; ".join(
                f"{i.label} scores {i.points:.1f} at {i.weight:.0%} weight" for i in pull if i.points < ref_score
            )
            text = f"Lower: {why}." if why else "Lower overall across indicators."
        else:
            pull = sorted(scored, key=lambda i: -i.weight * (i.points - ref_score))[:2]
            why = "; ".join(
                f"{i.label} scores {i.points:.1f} at {i.weight:.0%} weight" for i in pull if i.points > ref_score
            )
            text = f"Higher: {why}." if why else "Higher overall across indicators."
        if m.missing:
            text += f" Not measured here: {', '.join(i.label.lower() for i in m.missing)}."
        return text


class Conclusion(Book):
    def __init__(self, company: str, build_date: str = "", output_dir: str = "") -> None:
        super().__init__(company, build_date, output_dir)
        scored = [m for m in self.card.metrics.values() if m.score is not None]
        ranked = sorted(scored, key=lambda m: (-m.score, m.id))
        _glue("strongest", ranked[0].title if ranked else "none")
        _glue("weakest", ranked[-1].title if ranked else "none")

    def _items(self, metrics, strong: bool) -> list[str]:
        out = []
        for m in metrics:
            scored = [i for i in m.indicators if i.scored]
            if strong:
                key = max(scored, key=lambda i: (i.weight * i.points, i.id))
                why = f"led by {esc(key.label.lower())} at {key.points:.1f} points"
            else:
                key = min(scored, key=lambda i: (i.points, i.id))
                why = f"held back most by {esc(key.label.lower())} at {key.points:.1f} points"
            out.append(
                f"{_metric_link(m.id, m.title)}: <b>{m.score:.1f}</b> ({esc(self.rubric.rating(m.score).name)}, "
                f"coverage {esc(m.coverage)}), {why}."
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
        for m in self.card.metrics.values():
            if m.score is None:
                items.append(f"{_metric_link(m.id, m.title)}: no scored evidence; left out of the overall score.")
            elif m.coverage in ("C", "D"):
                items.append(
                    f"{_metric_link(m.id, m.title)}: coverage {esc(m.coverage)}; the sub-score leans on "
                    "judgement or rests on few figures."
                )
        if not items:
            items.append("Every metric has a sub-score with coverage A or B.")
        return Html(bullets(items), "gaps")

    def peer_ranking(self) -> Html:
        cards = [(s, self.peer_card(s)) for s in [self.slug, *self.peer_slugs]]
        cards.sort(key=lambda sc: (-(sc[1].overall if sc[1].overall is not None else -1), sc[0]))
        rows = []
        for rank, (slug, c) in enumerate(cards, start=1):
            name = esc(self.company_name(slug))
            if slug == self.slug:
                name = f"<b>{name}</b>"
            rows.append(
                [str(rank), name, fmt_score(c.overall), esc(c.band or "not rated"), f"{c.n_scored} of {len(c.metrics)}"]
            )
        return Html(
            table(["#", "Company", "Overall", "Band", "Metrics scored"], rows, cls="mb-compact", numeric={0, 2}),
            "ranking",
        )


class WorksCited(Book):
    GLUE_SUMMARY = False  # the sources and where they are cited, not the scores: see context.chapter_inputs

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
                bits.append(f"Original report note {s.seed_citation}.")
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
