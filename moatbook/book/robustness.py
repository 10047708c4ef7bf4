"""The robustness chapter: how sure the overall is, what moves it, and whether the ranking holds."""

from __future__ import annotations

from IPython.display import display

from ..scoring.sensitivity import ranks
from . import charts_robustness as rc
from . import ranking
from .chapter import Book, _glue
from .render import Html, bullets, esc, fmt_interval, para, table

AGGREGATION_LABELS = {
    "arithmetic": "Arithmetic mean (published)",
    "geometric": "Geometric mean",
    "pillars": "Three pillars",
}


class RobustnessChapter(Book):
    """Uncertainty of the overall, its sensitivity to each input, and the ranking under other choices."""

    def __init__(self, company: str, build_date: str = "", output_dir: str = "") -> None:
        super().__init__(company, build_date, output_dir)
        a = self.analysis
        top = a.tornado[0] if a.tornado else None
        _glue("top_input", top.label.lower() if top else "none")
        _glue("top_swing", f"{top.width:.1f}" if top else "0")
        driver = a.indices[0] if a.indices else None
        _glue("top_variance", driver[1].lower() if driver else "none")
        _glue("top_variance_share", f"{max(0.0, driver[3]):.0%}" if driver else "0%")

    def _rated(self) -> bool:
        if self.card.overall is None:
            display(Html(para(f"{esc(self.name)} is not rated, so there is no overall to test.", "mb-missing")))
            return False
        return True

    # -- how sure ---------------------------------------------------------------

    def interval(self) -> None:
        """The overall's 90% interval and the chance of each band, with the distribution of the draws."""
        display(self.headline_box())
        if not self._rated():
            return
        c = self.card
        rows = [{"start": a, "end": b, "share": s} for a, b, s in self.analysis.histogram]
        bands = [{"name": b.name, "min": b.min} for b in self.rubric.bands]
        display(
            rc.overall_distribution(
                rows, c.overall, bands, f"{self.name}: the overall over {self.rubric.uncertainty.draws:,} draws"
            )
        )
        probs = [{"band": k, "probability": v} for k, v in c.band_probabilities.items()]
        display(rc.band_probabilities(probs, f"{self.name}: the chance of each band"))

    # -- what moves it -------------------------------------------------------------

    def tornado(self) -> None:
        if not self._rated():
            return
        swings = self.analysis.tornado
        rows = [
            {
                "input": s.label,
                "low": s.low,
                "high": s.high,
                "low_setting": s.low_setting,
                "high_setting": s.high_setting,
            }
            for s in swings
        ]
        display(rc.tornado(rows, self.card.value, f"{self.name}: what moves the overall most"))
        body = [
            [esc(s.label), esc(s.low_setting), f"{s.low:.1f}", esc(s.high_setting), f"{s.high:.1f}", f"{s.width:.1f}"]
            for s in swings
        ]
        display(
            Html(
                table(
                    ["Input", "Low setting", "Overall", "High setting", "Overall", "Swing"],
                    body,
                    cls="mb-tornado",
                    numeric={2, 4, 5},
                    caption="One input at a time, all others at their nominal values. Metric weights go to the 5th "
                    "and 95th percentile of their draws (the others rescaled); judgements one level down and up; "
                    "a metric's figures to the 5th and 95th percentile of its sub-score when only they vary.",
                )
            )
        )

    def indices(self) -> None:
        if not self._rated():
            return
        rows = [{"input": label, "total": max(0.0, st), "first": s1} for _, label, s1, st in self.analysis.indices]
        rows = [r for r in rows if r["total"] >= 0.005][:14]
        display(rc.indices(rows, f"{self.name}: where the uncertainty of the overall comes from"))
        body = [[esc(r["input"]), f"{max(0.0, r['first']):.0%}", f"{r['total']:.0%}"] for r in rows]
        display(
            Html(
                table(
                    ["Input", "First-order effect", "Total effect"],
                    body,
                    cls="mb-indices",
                    numeric={1, 2},
                    caption="Share of the overall's variance due to each input alone (first order) and with its "
                    "interactions (total), estimated by the pick-freeze method on "
                    f"{self.rubric.uncertainty.sensitivity_draws:,} base draws; estimates are good to about "
                    "0.05, and small negative first-order estimates are shown as 0%.",
                )
            )
        )

    def series_shares(self) -> Html:
        """The share of the overall each evidence series carries, against the cap."""
        c = self.card
        if c.overall is None:
            return Html(para("Not rated: no overall to share out.", "mb-missing"), "no shares")
        cap = self.rubric.aggregation.series_cap
        body = []
        for key, share in sorted(c.series_shares.items(), key=lambda kv: (-kv[1], c.series_labels[kv[0]])):
            if share < 0.005:
                continue
            flag = ' <span class="mb-tag">at the cap</span>' if share >= cap - 1e-6 else ""
            body.append([esc(c.series_labels[key]) + flag, f"{share:.1%}"])
        return Html(
            table(
                ["Evidence series", "Share of the overall"],
                body,
                cls="mb-shares",
                numeric={1},
                caption=f"No series may carry more than {cap:.0%} of the overall; a series at the cap has had weight "
                "taken from the metrics that read it.",
            ),
            "series shares",
        )

    # -- the ranking ---------------------------------------------------------------

    def ranking(self) -> None:
        a = self.analysis
        names = {s: self.company_name(s) for s in a.cards}
        if len(a.comparison.slugs) < 2:
            display(Html(para("No rated peers to rank against.", "mb-missing")))
            return
        display(Html(ranking.rank_table(a.comparison, a.cards, names, highlight=self.slug)))
        rows = []
        for s in ranking.order(a.comparison):
            for r, p in enumerate(a.comparison.rank_probabilities[s], start=1):
                rows.append({"brand": names[s], "rank": r, "probability": p, "highlight": s == self.slug})
        display(rc.rank_probabilities(rows, "Chance of each rank"))
        if self.card.overall is not None:
            display(Html(para(f"{esc(self.name)} {esc(ranking.claim_text(a.comparison, self.slug, names))}.")))

    def leave_one_out(self) -> Html:
        a = self.analysis
        loo = a.leave_one_out
        if not loo.get("none") or len(loo["none"]) < 2:
            return Html(para("No rated peers to rank against.", "mb-missing"), "no ranking")
        if self.slug not in loo["none"]:
            # a brand with too few scored metrics has no overall, so no rank to test (a new brand half filled)
            return Html(para(f"{esc(self.name)} is not rated, so it has no rank to test.", "mb-missing"), "no rank")
        base = ranks(loo["none"])
        slugs = sorted(base, key=lambda s: base[s])
        head = ["Left out", *[esc(self.company_name(s)) for s in slugs]]
        body = [["<b>nothing</b>", *[str(base[s]) for s in slugs]]]
        changed = []
        for mid, m in self.rubric.metrics.items():
            r = ranks(loo[mid])
            cells = []
            for s in slugs:
                cell = str(r[s])
                if r[s] != base[s]:
                    cell = f"<b>{cell}</b>"
                cells.append(cell)
            if r[self.slug] != base[self.slug]:
                changed.append(m.title.lower())
            body.append([esc(m.title), *cells])
        note = (
            f"Leaving out {', '.join(changed)} moves {self.name}'s rank."
            if changed
            else f"No single metric, left out, moves {self.name}'s rank."
        )
        return Html(
            table(
                head,
                body,
                cls="mb-loo",
                numeric=set(range(1, len(slugs) + 1)),
                caption="Rank by point score with each metric left out in turn (its weight shared among the "
                "others); bold: a rank that changes.",
            )
            + para(esc(note)),
            "leave one out",
        )

    def aggregations(self) -> Html:
        a = self.analysis
        if self.card.overall is None:
            return Html(para("Not rated: no overall to aggregate.", "mb-missing"), "no aggregations")
        body = []
        for key, (point, iv) in a.aggregations.items():
            peers = a.peer_aggregations.get(key, {})
            rank = ranks(peers).get(self.slug, 0) if peers else 0
            body.append(
                [
                    esc(AGGREGATION_LABELS[key]),
                    f"{point:.1f}",
                    fmt_interval(iv.low, iv.high),
                    esc(self.rubric.band(point)),
                    f"{rank} of {len(peers)}" if rank else "–",
                ]
            )
        pillars = "; ".join(
            f"{p.label.lower()}: {', '.join(self.rubric.metrics[m].title.lower() for m in p.metrics)}"
            for p in self.rubric.aggregation.pillars.values()
        )
        return Html(
            table(
                ["Aggregation", "Overall", "90% interval", "Band", "Rank among peers"],
                body,
                cls="mb-aggregations",
                numeric={1, 4},
                caption="The arithmetic mean lets strength on one metric make up for weakness on another; the "
                "geometric mean punishes a weak metric more; the three-pillar mean gives each pillar a third. "
                f"Pillars: {pillars}.",
            ),
            "aggregations",
        )

    def verdict(self) -> Html:
        """What holds and what does not, in a few sentences computed from the analysis."""
        a, c = self.analysis, self.card
        if c.overall is None:
            return Html(para(f"{esc(self.name)} is not rated.", "mb-missing"), "not rated")
        items = []
        top_band = max(c.band_probabilities.items(), key=lambda kv: kv[1])
        items.append(
            f"The band <i>{esc(c.band)}</i> holds in {c.band_probabilities.get(c.band, 0):.0%} of the draws"
            + (f"; the likeliest band is <i>{esc(top_band[0])}</i>." if top_band[0] != c.band else ".")
        )
        if a.tornado:
            t = a.tornado[0]
            items.append(
                f"The single input that moves the overall most is {esc(t.label.lower())}: from {t.low:.1f} to "
                f"{t.high:.1f}."
            )
        bands = {AGGREGATION_LABELS[k]: self.rubric.band(p) for k, (p, _) in a.aggregations.items()}
        if len(set(bands.values())) == 1:
            items.append(f"All three aggregations put {esc(self.name)} in the same band.")
        else:
            items.append(
                "The aggregations disagree on the band: "
                + "; ".join(f"{esc(k.lower())}: {esc(v)}" for k, v in bands.items())
                + "."
            )
        if len(a.comparison.slugs) > 1:
            names = {s: self.company_name(s) for s in a.cards}
            items.append(
                f"Among its peers, {esc(self.name)} {esc(ranking.claim_text(a.comparison, self.slug, names))}."
            )
        return Html(bullets(items), "verdict")
