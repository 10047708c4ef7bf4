"""What the chapters call: one object per chapter, one method per section.

A chapter is parameters, prose and one call per section, e.g.::

    ch = MetricChapter("price_premium", company, build_date, output_dir)
    ch.evidence_table()

Every method returns something Jupyter displays (escaped HTML or an Altair
chart) or displays several such things itself. Values that enter the prose are
glued with myst-nb's ``glue`` under fixed names, so the chapter text never
names a company.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from IPython.display import display
from myst_nb import glue

from ..data.catalogue import metric_minimum
from ..data.compare import like_for_like
from ..data.periods import parse_period
from ..data.schema import AssessmentRow, EvidenceRow
from ..paths import check_slug
from ..scoring import IndicatorResult, MetricResult, Scorecard, score_company
from ..scoring.engine import peer_scores
from ..scoring.gaps import Gap, card_gaps, scores_json
from . import charts, context
from .render import (
    Html,
    Plain,
    box,
    bullets,
    esc,
    fmt_interval,
    fmt_number,
    fmt_score,
    fmt_value,
    para,
    score_phrase,
    source_link,
    table,
)

# --------------------------------------------------------------------------- shared context


def _glue(name: str, value) -> None:
    glue(name, Plain(value), display=False)


class Book:
    """The book for one company: its data, its scores and its peers' scores.

    The data and the scores come from :mod:`moatbook.book.context`, computed once
    per build (or once per process when a chapter runs on its own).
    """

    #: glue the book-wide summary (overall score, band, peers); metric chapters show only their metric
    GLUE_SUMMARY = True

    def __init__(self, company: str, build_date: str = "", output_dir: str = "") -> None:
        self.slug = check_slug(company)
        self.ds = context.dataset(self.slug)
        self.rubric = self.ds.rubric
        self.company = self.ds.company(self.slug)
        self.name = self.company.name
        self.analysis = context.book_result("analysis", self.slug)
        self.card = self.analysis.card
        self.peer_slugs = context.peer_brands(self.ds, self.slug)
        self.benchmarks = context.benchmarks(self.ds)
        self.build_date = build_date
        self.output_dir = output_dir
        self.reference = self.ds.references.get(self.slug, {})
        _glue("company", self.name)
        _glue("rubric_version", self.rubric.version)
        _glue("series_cap", f"{self.rubric.aggregation.series_cap:.0%}")
        _glue("min_scored_metrics", self.rubric.aggregation.min_scored_metrics)
        _glue("rank_probability", f"{self.rubric.claims.rank_probability:.0%}")
        _glue("interval_level", f"{self.rubric.uncertainty.interval:.0%}")
        if self.GLUE_SUMMARY:
            _glue("company_summary", self.company.summary)
            _glue("overall", fmt_score(self.card.overall) if self.card.overall is not None else "not rated")
            _glue("overall_interval", fmt_interval(self.card.low, self.card.high))
            _glue("overall_phrase", self.overall_phrase())
            _glue("band", self.card.band or "not rated")
            _glue("n_scored", self.card.n_scored)
            _glue("n_metrics", len(self.rubric.metrics))
            _glue("peer_names", ", ".join(self.ds.company(p).name for p in self.peer_slugs) or "none listed")

    # -- helpers ----------------------------------------------------------------

    def metric_gaps(self, slug: str | None = None) -> dict[str, Gap]:
        """Each metric's status (scored, not scored and why, no evidence) for ``slug`` (default: this book's)."""
        slug = slug or self.slug
        card = self.card if slug == self.slug else self.peer_card(slug)
        return card_gaps(
            self.rubric,
            card,
            self.ds.evidence.get(slug, []),
            self.ds.assessments.get(slug, []),
            self.ds.gap_notes.get(slug, {}),
        )

    def scores_json(self) -> dict:
        """The scores file's content: the scorecard with each metric's status and counts."""
        return scores_json(
            self.rubric,
            self.card,
            self.ds.evidence.get(self.slug, []),
            self.ds.assessments.get(self.slug, []),
            self.ds.gap_notes.get(self.slug, {}),
        )

    def peer_card(self, slug: str) -> Scorecard:
        return self.analysis.cards[slug]

    def overall_phrase(self, card: Scorecard | None = None) -> str:
        """The overall as every page states it: score, interval, band, and what it rests on."""
        c = card or self.card
        if c.overall is None:
            return (
                f"not rated: only {c.n_scored} of {len(c.metrics)} metrics rest on scored evidence, "
                f"fewer than the {c.min_scored} the book needs before it states an overall"
            )
        text = f"{score_phrase(c.overall, c.low, c.high)} out of 100, {c.band}"
        if c.status == "provisional":
            missing = ", ".join(m.title.lower() for m in c.imputed)
            text += f"; provisional, as {missing} {'is' if len(c.imputed) == 1 else 'are'} filled from the peers"
        return text

    def headline_box(self) -> Html:
        """The overall as a box: score, band, 90% interval, chance of each band, what it rests on."""
        c = self.card
        if c.overall is None:
            text = self.overall_phrase()
            return Html(
                box(
                    f'<div class="mb-score-big">not rated</div><p>{esc(text[0].upper() + text[1:])}.</p>',
                    "mb-headline mb-missing",
                ),
                "not rated",
            )
        bands = " · ".join(f"{esc(k)} {v:.0%}" for k, v in c.band_probabilities.items() if v >= 0.005)
        grades: dict[str, int] = {}
        for m in c.metrics.values():
            if m.score is not None:
                grades[m.coverage] = grades.get(m.coverage, 0) + 1
        coverage = ", ".join(f"{n} at grade {g}" for g, n in sorted(grades.items()))
        status = ""
        if c.status == "provisional":
            missing = ", ".join(m.title.lower() for m in c.imputed)
            status = (
                f'<div class="mb-score-meta mb-missing">Provisional: {esc(missing)} '
                f"{'has' if len(c.imputed) == 1 else 'have'} no scored evidence and "
                f"{'is' if len(c.imputed) == 1 else 'are'} filled from the peers.</div>"
            )
        html = (
            f'<div class="mb-score-big">{c.overall:.1f}<span> / 100</span></div>'
            f'<div class="mb-score-rating">{esc(c.band)}</div>'
            f'<div class="mb-score-meta">90% interval {fmt_interval(c.low, c.high)} · chance of each band: {bands}'
            f"</div>"
            f'<div class="mb-score-meta">{c.n_scored} of {len(c.metrics)} metrics scored ({esc(coverage)})</div>'
            + status
        )
        return Html(box(html, "mb-headline"), f"{c.overall:.1f} / 100 ({fmt_interval(c.low, c.high)})")

    def company_name(self, slug: str) -> str:
        return self.ds.company(slug).name

    @property
    def used_sources(self) -> list[str]:
        """Source ids cited anywhere in this book (the company's, its peers' and the benchmarks' rows)."""
        return context.cited_sources(self.ds, self.slug)

    @property
    def citation_numbers(self) -> dict[str, int]:
        if not hasattr(self, "_cites"):
            self._cites = {sid: i for i, sid in enumerate(self.used_sources, start=1)}
        return self._cites

    def cite(self, source_id: str) -> str:
        s = self.ds.sources[source_id]
        n = self.citation_numbers.get(source_id)
        label = f"[{n}] {s.publisher}" if n else s.publisher
        flag = (
            ' <span class="mb-low" title="low-confidence source">low confidence</span>' if s.confidence == "low" else ""
        )
        return source_link(source_id, label) + flag

    def about(self) -> Html:
        """The small box at the top of every page: company, data version, rubric, build date.

        The data version and the build date are the book's, not the chapter's: the
        build fills them in when it publishes the pages (``data-mb-fill`` slots), so
        a chapter's executed notebook does not change when only other chapters' data
        or the date did.
        """
        items = [
            ("Company", esc(self.name)),
            ("Data version", '<code data-mb-fill="data_version"></code>'),
            ("Rubric", esc(self.rubric.version)),
            ("Built", '<span data-mb-fill="build_date"></span>'),
        ]
        inner = "".join(f'<span class="mb-about-item"><b>{k}</b> {v}</span>' for k, v in items)
        return Html(f'<div class="mb-about">{inner}</div>', f"{self.name} · rubric {self.rubric.version}")


# --------------------------------------------------------------------------- metric chapters


def _period_mid(period: str) -> float:
    return parse_period(period).mid


def _plain_label(label: str) -> str:
    """An indicator label without its '(context)' or '(judgement)' marker, for chart titles."""
    return label.replace(" (context)", "").replace(" (judgement)", "")


class MetricChapter(Book):
    """One metric for one company: evidence, charts, walk-through, sub-score, peers, caveats.

    A metric chapter reads only its own metric (its rows and judgements for the
    brand and its peers, their sub-scores on it), so it is re-executed only when
    those change; :func:`moatbook.book.context.chapter_inputs` states exactly that.
    """

    GLUE_SUMMARY = False

    def __init__(self, metric: str, company: str, build_date: str = "", output_dir: str = "") -> None:
        super().__init__(company, build_date, output_dir)
        if metric not in self.rubric.metrics:
            raise KeyError(f"unknown metric '{metric}'")
        self.metric_id = metric
        self.spec = self.rubric.metrics[metric]
        self.result: MetricResult = self.card.metrics[metric]
        r = self.result
        _glue("metric_title", self.spec.title)
        _glue("metric_question", self.spec.question)
        _glue("score", fmt_score(r.score) if r.score is not None else "not scored")
        _glue("score_interval", fmt_interval(r.low, r.high) if r.score is not None else "none")
        _glue("coverage", r.coverage)
        _glue("n_evidence", r.n_evidence)
        _glue("rating", self.rubric.rating(r.score).name if r.score is not None else "not rated")
        _glue("metric_weight", f"{r.weight:.1%}")
        self.gap = self.metric_gaps()[metric]
        if r.score is None:
            if self.gap.status == "no evidence":
                sentence = f"There is no evidence on {self.name} for this metric yet."
            else:
                sentence = (
                    f"{self.name} has {self.gap.counts.removesuffix(' on file')} on this metric, but it is not "
                    f"scored: {self.gap.reason}."
                )
            if r.imputed is not None:
                sentence += (
                    f" The overall fills it from the peers' sub-scores (about {r.imputed:.1f} out of 10, "
                    f"90% interval {fmt_interval(r.low, r.high)}), so the overall is provisional."
                )
            sentence += " The chapter shows what is on file and what is missing."
        else:
            sentence = (
                f"On the evidence below, {self.name} scores {score_phrase(r.score, r.low, r.high, r.coverage)} "
                f"out of 10 on this metric, resting on {r.n_evidence} independent figures and judgements."
            )
        _glue("score_sentence", sentence)

    # -- data -------------------------------------------------------------------

    def rows(self, slug: str | None = None) -> list[EvidenceRow]:
        """The evidence rows this metric shows: rows of its level and context indicators and their series."""
        ids = set(self._indicator_order())
        return [r for r in self.ds.evidence.get(slug or self.slug, []) if (r.metric, r.indicator) in ids]

    def judgements(self, slug: str | None = None) -> list[AssessmentRow]:
        slug = slug or self.slug
        return [a for a in self.ds.assessments.get(slug, []) if a.metric == self.metric_id]

    def _indicator_label(self, metric_id: str, indicator_id: str) -> str:
        return self.rubric.metrics[metric_id].indicators[indicator_id].label

    def _indicator_order(self) -> dict[tuple[str, str], int]:
        """Position of each (metric, indicator) whose rows this metric shows, in rubric order."""
        order = {}
        for i, iid in enumerate(self.spec.indicators):
            key = self.rubric.reads(self.metric_id, iid)
            if key is not None and key not in order:
                order[key] = i
        return order

    # -- sections ---------------------------------------------------------------

    def evidence_table(self) -> Html:
        """Every figure this metric rests on or shows, with its source, grouped by indicator.

        Each indicator's rows sit in a collapsible block: open when the indicator is
        scored and short, closed for long series and context figures.
        """
        rows = self.rows()
        order = self._indicator_order()
        scored = self._scored_reads()
        groups: dict[tuple[str, str], list[EvidenceRow]] = defaultdict(list)
        for r in rows:
            groups[(r.metric, r.indicator)].append(r)
        parts = []
        headers = ["Value", "Unit", "Period", "Market", "What was measured", "Source"]
        for key in sorted(groups, key=lambda k: (order.get(k, 99), k)):
            spec = self.rubric.metrics[key[0]].indicators[key[1]]
            items = sorted(groups[key], key=lambda r: (-_period_mid(r.period), r.market, r.source_id, r.measure))
            body = []
            for r in items:
                measure = esc(r.measure) + self._tags(r)
                if r.note:
                    measure += f'<div class="mb-note">{esc(r.note)}</div>'
                body.append(
                    [
                        f'<span class="mb-value">{esc(fmt_number(r.value, 2))}</span>',
                        esc(r.unit),
                        esc(r.period),
                        esc(r.market),
                        measure,
                        self.cite(r.source_id),
                    ]
                )
            is_scored = key in scored
            tag = "" if is_scored else ' <span class="mb-tag">context, not scored</span>'
            open_ = " open" if is_scored and len(items) <= 10 else ""
            parts.append(
                f'<details class="mb-details mb-evidence-group"{open_}><summary>{esc(_plain_label(spec.label))}: '
                f"{len(items)} figure(s){tag}</summary>"
                + table(headers, body, cls="mb-evidence", numeric={0})
                + "</details>"
            )
        if not rows:
            parts.append(para(f"No figures on {esc(self.name)} for this metric yet.", "mb-missing"))
        judgements = self.judgements()
        if judgements:
            body = []
            for a in sorted(judgements, key=lambda a: (a.indicator, a.level, a.rationale)):
                spec = self.spec.indicators[a.indicator]
                body.append(
                    [
                        esc(_plain_label(spec.label)),
                        f'<span class="mb-value">{a.level}</span>',
                        esc(spec.levels[a.level]),
                        esc(a.rationale),
                        "<br>".join(self.cite(s) for s in a.source_ids),
                    ]
                )
            parts.append(
                table(
                    ["Judgement", "Level", "What the level means", "Why", "Sources"],
                    body,
                    cls="mb-judgements",
                    numeric={1},
                    caption=f"{len(judgements)} judgement(s) on ordinal indicators (levels 0-4, defined in the rubric)",
                )
            )
        summary = para(
            f"{len(rows)} figure(s) and {len(judgements)} judgement(s) on {esc(self.name)}. "
            "Click an indicator to open or close its figures.",
            "mb-hint",
        )
        return Html(summary + "".join(parts), f"{len(rows)} figures, {len(judgements)} judgements")

    def _tags(self, r: EvidenceRow) -> str:
        """Whose figure and whose population: tracker, sub-brand, price segment, surveyed population."""
        tags = []
        src = self.ds.sources.get(r.source_id)
        if r.tracker and (src is None or r.tracker != src.publisher):
            tags.append(("figure by", r.tracker))
        if r.sub_brand:
            tags.append(("sub-brand", r.sub_brand))
        if r.segment:
            tags.append(("segment", r.segment))
        if r.population:
            tags.append(("population", r.population))
        if not tags:
            return ""
        return (
            '<div class="mb-tags">'
            + " ".join(f'<span class="mb-tag">{esc(k)}: {esc(v)}</span>' for k, v in tags)
            + "</div>"
        )

    def _scored_reads(self) -> set[tuple[str, str]]:
        """(metric, indicator) pairs whose rows feed a scored indicator of this metric."""
        return {
            self.rubric.reads(self.metric_id, iid)
            for iid, spec in self.spec.indicators.items()
            if spec.kind in ("level", "derived")
        }

    def _timeline_candidate(self):
        """The indicator with the most dated figures (at least 3 periods), for the time chart.

        Indicators that feed the score come before context ones.
        """
        by_ind = defaultdict(list)
        for r in self.rows():
            by_ind[(r.metric, r.indicator)].append(r)
        scored = self._scored_reads()
        candidates = [k for k, rows in by_ind.items() if len({r.period for r in rows}) >= 3]
        if not candidates:
            return None, []
        best = max(candidates, key=lambda k: (k in scored, len(by_ind[k]), k))
        return best, by_ind[best]

    def charts(self) -> None:
        """A time series of the best-documented indicator, or the figures by indicator."""
        key, rows = self._timeline_candidate()
        shown = False
        if key:
            # one unit per chart: keep the indicator's main unit
            units = defaultdict(int)
            for r in rows:
                units[r.unit] += 1
            unit = max(units, key=lambda u: (units[u], u))
            data = []
            for r in rows:
                if r.unit != unit:
                    continue
                s = self.ds.sources[r.source_id]
                data.append(
                    dict(
                        t=_period_mid(r.period),
                        value=r.value,
                        tracker=r.publisher(self.ds.sources),
                        period=r.period,
                        market=r.market,
                        source=s.title,
                    )
                )
            markets = sorted({d["market"] for d in data})
            if len(markets) > 1:
                main = max(markets, key=lambda m: (sum(d["market"] == m for d in data), m == "global", m))
                data = [d for d in data if d["market"] == main]
            else:
                main = markets[0]
            label = _plain_label(self._indicator_label(*key))
            display(charts.timeline(data, f"{self.name}: {label.lower()} ({main})", unit))
            shown = True
        if not shown:
            peer = self._peer_chart()
            if peer is not None:
                display(peer)
                self._peer_chart_shown = True
                shown = True
        if not shown:
            pts = self._points_rows()
            if pts:
                display(charts.points_chart(pts, f"{self.name}: points per indicator"))
            else:
                display(Html(para("Nothing to chart: there are no figures for this metric yet.", "mb-missing")))

    def _latest(self, rows: list[EvidenceRow]) -> EvidenceRow | None:
        if not rows:
            return None
        return max(rows, key=lambda r: (_period_mid(r.period), r.market == "global", r.value))

    def _peer_indicator(self):
        """The scored level indicator (or its source) with figures for the most companies."""
        best, best_n = None, 1
        for key in sorted(self._scored_reads()):
            spec = self.rubric.metrics[key[0]].indicators[key[1]]
            if spec.kind not in ("level", "context"):
                continue
            n = sum(
                1
                for slug in [self.slug, *self.peer_slugs]
                if any((r.metric, r.indicator) == key for r in self.ds.evidence.get(slug, []))
            )
            has_own = any((r.metric, r.indicator) == key for r in self.ds.evidence.get(self.slug, []))
            if n > best_n and has_own:
                best, best_n = key, n
        return best

    def _peer_rows(self, key) -> list[dict]:
        spec = self.rubric.metrics[key[0]].indicators[key[1]]
        out = []
        for slug in [self.slug, *self.peer_slugs]:
            rows = [r for r in self.ds.evidence.get(slug, []) if (r.metric, r.indicator) == key and spec.factor(r.unit)]
            latest = self._latest(rows)
            if latest is None:
                continue
            out.append(
                dict(
                    company=self.company_name(slug),
                    value=latest.value * spec.factor(latest.unit),
                    period=latest.period,
                    market=latest.market,
                    highlight=slug == self.slug,
                )
            )
        return out

    def _peer_chart(self):
        """Bars of one indicator for the brand and its peers: from one survey where one covers them, like for
        like; otherwise each company's latest figure, and the subtitle says the sources differ."""
        key = self._peer_indicator()
        if key is None:
            return None
        spec = self.rubric.metrics[key[0]].indicators[key[1]]
        title = f"{_plain_label(spec.label)}: {self.name} and its peers"
        slugs = [self.slug, *self.peer_slugs]
        surveys = like_for_like(self.ds.evidence, self.ds.sources, {key}, slugs, must_include=self.slug)
        if surveys:
            sv = surveys[0]
            rows = [
                dict(
                    company=self.company_name(s),
                    value=v,
                    period=sv.period,
                    market=sv.market,
                    highlight=s == self.slug,
                )
                for s, v in sv.values.items()
            ]
            return charts.peer_bars(rows, title, sv.unit, subtitle=f"like for like, one survey: {sv.basis}")
        return charts.peer_bars(
            self._peer_rows(key),
            title,
            spec.unit,
            subtitle="latest figure per company; sources, periods and markets differ",
        )

    def _points_rows(self) -> list[dict]:
        return [
            dict(
                indicator=i.label,
                points=round(i.points, 2),
                low=round(i.low if i.low is not None else i.points, 2),
                high=round(i.high if i.high is not None else i.points, 2),
                weight=round(i.weight, 4),
            )
            for i in self.result.indicators
            if i.scored
        ]

    def walkthrough(self) -> None:
        """Each indicator: its value, the anchors, its points, its weight, and the sum."""
        r = self.result
        body = []
        for ind in r.indicators:
            if ind.kind == "context":
                continue
            spec = self.spec.indicators[ind.id]
            anchors = " · ".join(f"{fmt_number(a)}→{fmt_number(p)}" for a, p in spec.anchors)
            if ind.scored:
                value = self._value_text(ind, spec)
                contribution = ind.weight * ind.points
                body.append(
                    [
                        esc(ind.label),
                        esc(ind.kind),
                        self._count_text(ind),
                        value,
                        esc(anchors),
                        f"{ind.points:.1f}",
                        f"{spec.weight:.0%} → {ind.weight:.0%}",
                        f"{contribution:.2f}",
                    ]
                )
            else:
                body.append(
                    [
                        esc(ind.label),
                        esc(ind.kind),
                        "0",
                        f'<span class="mb-missing">{esc(ind.status)}</span>',
                        esc(anchors),
                        "–",
                        f"{spec.weight:.0%} → 0%",
                        "–",
                    ]
                )
        if r.score is not None:
            body.append(["<b>Sub-score</b>", "", f"<b>{r.n_evidence}</b>", "", "", "", "100%", f"<b>{r.value:.2f}</b>"])
        display(
            Html(
                table(
                    [
                        "Indicator",
                        "Kind",
                        "Figures",
                        "Value",
                        "Anchors (value→points)",
                        "Points",
                        "Weight (rubric → used)",
                        "Points × weight",
                    ],
                    body,
                    cls="mb-walk",
                    numeric={2, 5, 7},
                    caption="How the sub-score is computed. Figures: independent figures or judgements "
                    "(a figure reprinted on several pages counts once; the pages behind it follow in brackets).",
                )
            )
        )
        pts = self._points_rows()
        if pts:
            display(charts.points_chart(pts, f"{self.name}: points per indicator"))
        details = [self._detail(ind) for ind in r.indicators if ind.scored]
        if details:
            display(Html("".join(details)))

    @staticmethod
    def _count_text(ind: IndicatorResult) -> str:
        if ind.rows_used > ind.figures_used:
            return f"{ind.figures_used} ({ind.rows_used} pages)"
        return str(ind.figures_used)

    def _value_text(self, ind: IndicatorResult, spec) -> str:
        if ind.kind == "ordinal":
            levels = [int(o.value) for o in ind.observations if o.weight > 0] or [
                int(o.value) for o in ind.observations
            ]
            mean = sum(levels) / len(levels)
            return f"level {fmt_number(mean, 1)}" + (f" (mean of {len(levels)})" if len(levels) > 1 else "")
        if ind.kind == "derived":
            unit = {"slope": "pp per year", "cagr": "% per year", "volatility": "pp per year", "drawdown": "pp"}[
                spec.statistic
            ]
            return esc(f"{fmt_number(ind.value, 2)} {unit}")
        return esc(fmt_value(ind.value, ind.unit)) + ' <span class="mb-hint">(weighted mean)</span>'

    def _detail(self, ind: IndicatorResult) -> str:
        total = sum(o.weight for o in ind.observations if o.counts) or 1
        body = []
        for o in ind.observations:
            if ind.kind == "ordinal":
                what, value = esc(o.label), f"level {int(o.value)}"
            elif ind.kind == "derived":
                what, value = esc(o.label), esc(fmt_number(o.value, 2))
            else:
                what, value = esc(f"{o.label} ({o.period}, {o.market})"), esc(fmt_value(o.value, ind.unit))
            if o.note:
                what += f'<div class="mb-note">{esc(o.note)}</div>'
            if o.counts:
                share = f"{o.weight / total:.0%}"
            else:
                share = f'0% <span class="mb-hint">({esc(o.excluded or "left out")})</span>'
            body.append([what, value, f"{o.points:.1f}", share, "<br>".join(self.cite(s) for s in o.source_ids[:4])])
        note = f'<p class="mb-note">{esc(ind.note)}</p>' if ind.note else ""
        interval = f", 90% interval {fmt_interval(ind.low, ind.high)}" if ind.low is not None else ""
        n_obs = len([o for o in ind.observations if o.counts])
        shown = len(ind.observations) - n_obs
        extra = f" (and {shown} shown but not counted)" if shown else ""
        return (
            f'<details class="mb-details"><summary>{esc(ind.label)}: {n_obs} observation(s){extra}, '
            f"{ind.points:.1f} points{interval}</summary>{note}"
            + table(["Observation", "Value", "Points", "Weight share", "Source"], body, numeric={1, 2, 3})
            + "</details>"
        )

    def subscore(self) -> Html:
        """The sub-score card, and the sub-score written to the build's score files."""
        r = self.result
        self._write_part()
        if r.score is None:
            why = (
                f"No evidence on {esc(self.name)} for this metric."
                if self.gap.status == "no evidence"
                else f"Not scored: {esc(self.gap.reason)} ({esc(self.gap.counts)})."
            )
            if r.imputed is not None:
                fill = (
                    f"The overall fills this metric from the peers' sub-scores ({self._peer_pool_text(r)}): "
                    f"{r.imputed:.1f} in the point score, drawn from among them in the uncertainty model "
                    f"(90% interval {fmt_interval(r.low, r.high)}); so the overall is provisional."
                )
            elif self.card.overall is None:
                fill = "The brand has too few scored metrics for an overall score."
            else:
                fill = ""
            note = f"<p>{esc(self.gap.note)}</p>" if self.gap.note else ""
            return Html(
                box(
                    f'<div class="mb-score-big">not scored</div><p>{why}</p><p>{esc(fill)}</p>{note}',
                    "mb-score-card mb-missing",
                ),
                "not scored",
            )
        grade = next(g for g in self.rubric.coverage_grades if g.grade == r.coverage)
        rating = self.rubric.rating(r.score)
        ref = self.reference.get(self.metric_id)
        ref_html = ""
        if ref is not None:
            diff = r.score - ref.score
            ref_html = (
                f'<div class="mb-score-ref">Original report: <b>{fmt_number(ref.score)}</b> '
                f"({'+' if diff >= 0 else ''}{diff:.1f} here)</div>"
            )
        html = (
            f'<div class="mb-score-big">{r.score:.1f}<span> / 10</span></div>'
            f'<div class="mb-score-rating">{esc(rating.name)}</div>'
            f'<div class="mb-score-meta">90% interval {fmt_interval(r.low, r.high)} · coverage {esc(r.coverage)} '
            f"({esc(grade.meaning)}) · {r.n_evidence} independent figures and judgements · "
            f"{r.hard_share:.0%} of the weight on figures rather than judgements · "
            f"{self.card.weights.get(self.metric_id, r.weight):.1%} of the overall</div>{ref_html}"
        )
        return Html(box(html, "mb-score-card"), f"{r.score:.1f} / 10")

    def _peer_pool_text(self, r: MetricResult) -> str:
        return ", ".join(f"{self.company_name(s)} {v:.1f}" for s, v in r.peers) or "none scored"

    def _write_part(self) -> None:
        if not self.output_dir:
            return
        out = Path(self.output_dir) / "scores"
        out.mkdir(parents=True, exist_ok=True)
        payload = self.scores_json()["metrics"][self.metric_id]
        (out / f"{self.metric_id}.json").write_text(json.dumps(payload, indent=2) + "\n")

    def moves(self) -> Html:
        """What would move the sub-score: the next anchor of each indicator, and missing evidence."""
        r = self.result
        items = []
        for ind in r.indicators:
            if not ind.scored:
                continue
            spec = self.spec.indicators[ind.id]
            nxt = min((p for _, p in spec.anchors if p > ind.points + 1e-9), default=None)
            if nxt is None:
                continue
            gain = ind.weight * (nxt - ind.points)
            target = next(a for a, p in spec.anchors if p == nxt)
            if ind.kind == "ordinal":
                how = f"a judgement of level {fmt_number(target)}"
            elif ind.kind == "derived":
                how = f"a {spec.statistic} of {fmt_number(target)}"
            else:
                how = f"figures around {fmt_value(target, ind.unit)}"
            items.append((gain, f"<b>{esc(ind.label)}</b>: {esc(how)} would add about {gain:.1f} to the sub-score."))
        items.sort(key=lambda x: -x[0])
        lines = [t for _, t in items[:3]]
        for ind in r.missing:
            spec = self.spec.indicators[ind.id]
            lines.append(
                f"<b>{esc(ind.label)}</b> has no usable evidence ({esc(ind.status)}); sourced figures "
                f"would give it its {spec.weight:.0%} weight back and could move the sub-score either way."
            )
        if not lines:
            lines = ["Every indicator is at its highest anchor."]
        return Html(bullets(lines), "what would move the sub-score")

    def peers(self) -> None:
        """The company's sub-score on this metric against its peers', and their figures."""
        body = []
        cards = [(s, self.peer_card(s)) for s in [self.slug, *self.peer_slugs]]
        cards.sort(key=lambda sc: (-(sc[1].metrics[self.metric_id].score or -1), sc[0]))
        for slug, card in cards:
            m = card.metrics[self.metric_id]
            name = esc(self.company_name(slug))
            if slug == self.slug:
                name = f"<b>{name}</b>"
            if m.score is None:
                status = "not scored" if m.status == "not scored" else "no evidence"
                body.append([name, f'<span class="mb-missing">{status}</span>', "–", "–", str(m.n_available)])
                continue
            body.append([name, fmt_score(m.score), fmt_interval(m.low, m.high), esc(m.coverage), str(m.n_evidence)])
        display(
            Html(
                table(
                    ["Company", "Sub-score", "90% interval", "Coverage", "Figures and judgements"],
                    body,
                    cls="mb-peers",
                    numeric={1, 4},
                    caption=f"{esc(self.spec.title)}: {esc(self.name)} among its peers. Where two intervals "
                    "overlap, the evidence does not tell the two brands apart on this metric.",
                )
            )
        )
        display(self.like_for_like())
        chart = None if getattr(self, "_peer_chart_shown", False) else self._peer_chart()
        if chart is not None:
            display(chart)
        elif not getattr(self, "_peer_chart_shown", False):
            display(
                Html(
                    para(
                        "No indicator of this metric has figures for both this company and a peer, "
                        "so there is no side-by-side chart.",
                        "mb-missing",
                    )
                )
            )

    def like_for_like(self, limit: int = 3) -> Html:
        """Figures of this brand and its peers from one survey or release, or a note that there are none."""
        keys = set(self._indicator_order())
        slugs = [self.slug, *self.peer_slugs]
        surveys = like_for_like(self.ds.evidence, self.ds.sources, keys, slugs, must_include=self.slug)
        if not surveys:
            return Html(
                para(
                    f"No survey or tracker release on file gives this metric's figures for {esc(self.name)} and a "
                    "peer on the same basis (same publisher, period, market and population), so the sub-scores "
                    "above compare figures from different sources.",
                    "mb-hint mb-like",
                ),
                "no like-for-like figures",
            )
        parts = []
        for sv in surveys[:limit]:
            spec = self.rubric.metrics[sv.metric].indicators[sv.indicator]
            order = sorted(sv.values, key=lambda s: (s != self.slug, self.company_name(s).lower()))
            body = []
            for slug in order:
                name = esc(self.company_name(slug))
                if slug == self.slug:
                    name = f"<b>{name}</b>"
                cites = "<br>".join(self.cite(x) for x in sv.source_ids[slug][:2])
                body.append([name, esc(fmt_value(sv.values[slug], sv.unit)), cites])
            parts.append(
                table(
                    ["Company", esc(_plain_label(spec.label)), "Source"],
                    body,
                    cls="mb-like",
                    numeric={1},
                    caption=f"{esc(_plain_label(spec.label))}, like for like: one survey or release ({esc(sv.basis)})",
                )
            )
        more = len(surveys) - min(limit, len(surveys))
        hint = para(
            f"{len(surveys)} survey(s) or release(s) on file measure {esc(self.name)} and a peer on the same basis"
            + (f"; the {min(limit, len(surveys))} covering most brands are shown." if more else ".")
            + " Figures of a sub-brand are left out.",
            "mb-hint",
        )
        return Html(hint + "".join(parts), f"{len(surveys)} like-for-like surveys")

    def caveats(self) -> Html:
        """Missing indicators, low-confidence sources, sources that disagree, old figures."""
        r = self.result
        items = []
        if self.gap.note:
            items.append(f"<b>Why the evidence is thin</b>: {esc(self.gap.note)}")
        for ind in r.missing:
            items.append(
                f"<b>{esc(ind.label)}</b>: {esc(ind.status)}"
                + (f" ({esc(ind.note)})" if ind.note else "")
                + "; its weight went to the other indicators."
            )
        if r.score is not None and len([i for i in r.indicators if i.scored]) < self.rubric.thin_metric_indicators:
            items.append("The sub-score rests on a single indicator: treat it as a first reading, not a verdict.")
        items += self._disagreements()
        rows = self.rows()
        if rows:
            newest = max(_period_mid(x.period) for x in rows)
            latest_all = (
                max(_period_mid(x.period) for s in self.ds.evidence.values() for x in s) if self.ds.evidence else newest
            )
            if latest_all - newest > 3:
                items.append(f"The newest figure here describes {int(newest)}; the evidence is dated.")
        for ind in r.indicators:
            if ind.scored and ind.kind == "level":
                markets = sorted({o.market for o in ind.observations})
                if len(markets) > 1:
                    items.append(
                        f"<b>{esc(ind.label)}</b> mixes markets ({esc(', '.join(markets))}); "
                        "global figures count fully, others at a reduced weight."
                    )
        low = sorted({s for x in rows for s in [x.source_id] if self.ds.sources[s].confidence == "low"})
        if low:
            items.append(
                "Some figures come from low-confidence sources (marked in the table); they never "
                "carry an indicator alone."
            )
        if not items:
            items.append("No missing indicators, disagreeing sources or dated figures were found.")
        return Html(bullets(items), f"{len(items)} caveats")

    def _disagreements(self) -> list[str]:
        groups = defaultdict(list)
        for r in self.rows():
            groups[(r.metric, r.indicator, r.period, r.market, r.unit)].append(r)
        out = []
        for (mid, iid, period, market, unit), rows in sorted(groups.items()):
            pubs = {r.publisher(self.ds.sources) for r in rows}
            values = [r.value for r in rows]
            if len(pubs) < 2 or max(values) == min(values):
                continue
            spread = max(values) - min(values)
            scale = max(abs(v) for v in values) or 1
            if spread / scale < 0.05:
                continue
            listing = "; ".join(
                f"{fmt_value(r.value, unit)} ({r.publisher(self.ds.sources)})"
                for r in sorted(rows, key=lambda r: (r.value, r.source_id))
            )
            out.append(
                f"Sources disagree on <b>{esc(self._indicator_label(mid, iid).lower())}</b> "
                f"for {esc(period)} ({esc(market)}): {esc(listing)}."
            )
        return out[:6]

    def try_it(self) -> Html:
        """Two exercises computed by the engine: change a judgement, drop an indicator."""
        r = self.result
        items = []
        judgements = self.judgements()
        if judgements:
            a = sorted(judgements, key=lambda a: (a.indicator, a.level))[0]
            levels = sorted(self.spec.indicators[a.indicator].levels)
            new_level = a.level - 1 if a.level > levels[0] else a.level + 1
            changed = [
                x.model_copy(update={"level": new_level}) if x is a else x for x in self.ds.assessments[self.slug]
            ]
            alt = score_company(
                self.rubric, self.slug, self.ds.evidence[self.slug], changed, self.ds.sources, self._peer_scores()
            )
            m = alt.metrics[self.metric_id]
            items.append(
                f"In <code>data/assessments/{esc(self.slug)}.csv</code>, change the level of "
                f"<b>{esc(self.spec.indicators[a.indicator].label)}</b> from {a.level} to {new_level} and rebuild. "
                f"The sub-score moves from {fmt_score(r.score)} to {fmt_score(m.score)}"
                f"{self._overall_shift(r.score, m.score)}. Do you agree with the level chosen? "
                "Argue for one level up or down from its descriptor."
            )
        scored = [i for i in r.indicators if i.scored and i.kind != "ordinal"]
        if scored:
            top = max(scored, key=lambda i: (i.weight, i.id))
            keep = [x for x in self.ds.evidence[self.slug] if (x.metric, x.indicator) not in self._reads_of(top.id)]
            alt = score_company(
                self.rubric, self.slug, keep, self.ds.assessments[self.slug], self.ds.sources, self._peer_scores()
            )
            m = alt.metrics[self.metric_id]
            items.append(
                f"Delete the rows behind <b>{esc(top.label)}</b> (the heaviest hard indicator here). The sub-score "
                f"becomes {fmt_score(m.score)} instead of {fmt_score(r.score)} and its coverage grade "
                f"{esc(m.coverage)} instead of {esc(r.coverage)}: the remaining indicators share its weight. "
                "Is a score on less evidence still a fair reading?"
            )
        if not items:
            items.append(
                f"{esc(metric_minimum(self.rubric, self.metric_id))} Find such evidence on {esc(self.name)}, "
                f"add it to <code>data/evidence/{esc(self.slug)}.csv</code> (a judgement to "
                f"<code>data/assessments/{esc(self.slug)}.csv</code>), register its page in "
                "<code>data/sources.csv</code> and rebuild: the metric gets a sub-score. The appendix lists "
                "every indicator and what it accepts."
            )
        return Html(bullets(items), "exercises")

    def _overall_shift(self, before: float | None, after: float | None) -> str:
        """How far a change of this sub-score moves the overall score, from this metric's weight in it.

        The overall is ten times the weighted mean of the sub-scores with the weights in
        ``card.weights`` (after the cap on any one series); other metrics' scores do not
        enter, so the chapter stays about its own metric.
        """
        weight = (self.card.weights or {}).get(self.metric_id)
        if before is None or after is None or self.card.overall is None or not weight:
            return ""
        shift = 10 * weight * (after - before)
        if abs(shift) < 0.05:
            return ", which moves the overall score by less than 0.1 points"
        return f", which moves the overall score by about {shift:+.1f} points"

    def _peer_scores(self) -> dict[str, dict[str, float]]:
        """The peers' sub-scores a what-if fills missing metrics from, as the book's own score does."""
        if not hasattr(self, "_peers_cache"):
            self._peers_cache = peer_scores(self.ds, self.slug)
        return self._peers_cache

    def _reads_of(self, indicator_id: str) -> set[tuple[str, str]]:
        key = self.rubric.reads(self.metric_id, indicator_id)
        return {key} if key else set()
