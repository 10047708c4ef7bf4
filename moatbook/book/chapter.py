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

from .. import project
from ..data.compare import like_for_like
from ..data.periods import parse_period
from ..data.schema import AssessmentRow, EvidenceRow
from ..paths import check_slug
from ..scoring import IndicatorResult, MetricResult, Scorecard
from ..scoring.engine import peer_scores
from ..scoring.gaps import Gap, card_gaps, scores_json
from . import charts, context, downloads
from .render import (
    Html,
    Plain,
    box,
    bullets,
    esc,
    evidence_count,
    fmt_interval,
    fmt_number,
    fmt_score,
    fmt_value,
    para,
    plural,
    reference_link,
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
            _glue("company_summary", self.company_summary())
            _glue("overall", fmt_score(self.card.overall) if self.card.overall is not None else "not rated")
            _glue("overall_interval", fmt_interval(self.card.low, self.card.high))
            _glue("overall_phrase", self.overall_phrase())
            _glue("band", self.card.band or "not rated")
            _glue("n_scored", self.card.n_scored)
            _glue("n_metrics", len(self.rubric.metrics))
            _glue("peer_names", ", ".join(self.ds.company(p).name for p in self.peer_slugs) or "none listed")

    # -- helpers ----------------------------------------------------------------

    @property
    def as_of(self):
        """The date the book is written as of (an :class:`~moatbook.data.asof.AsOf`), or None: today."""
        return getattr(self.ds, "as_of", None)

    def company_summary(self) -> str:
        """The one-line summary on file; an as-of book leaves it out (it describes the company today)."""
        if self.as_of is None:
            return self.company.summary
        return (
            f"The summary on file describes {self.name} today, so this book, written as of {self.as_of.label}, "
            "leaves it out."
        )

    def as_of_meta(self) -> str:
        """The line every score of an as-of book carries ('' in a book as of today)."""
        if self.as_of is None:
            return ""
        return f'<div class="mb-score-meta mb-asof">As of {esc(self.as_of.label)}</div>'

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
        if self.as_of is not None:
            text += f" (as of {self.as_of.label})"
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
            + self.as_of_meta()
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

    chapter: str | None = None  # the chapter's file name, for its download links

    def about(self) -> Html:
        """The box at the top of every page: company, data version, rubric, build date, downloads, the site.

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
        if self.as_of is not None:
            items.insert(1, ("As of", f"{esc(self.as_of.label)}: only evidence published by then"))
        else:
            items.insert(1, ("As of", 'today (<span data-mb-fill="build_date"></span>): all evidence on file'))
        inner = "".join(f'<span class="mb-about-item"><b>{k}</b> {v}</span>' for k, v in items)
        links = []
        if self.chapter:
            links.append(_download(downloads.notebook_path(self.chapter), "this chapter (notebook)"))
        metric = self.chapter if self.chapter in self.rubric.metrics else None
        if metric:
            links.append(_download(downloads.evidence_path(self.slug, metric), "its evidence (CSV)"))
        else:
            links.append(_download(downloads.evidence_path(self.slug), "all evidence (CSV)"))
        links.append(_download(downloads.scores_path(self.slug), "scores (JSON)"))
        inner += f'<span class="mb-about-item mb-downloads"><b>Download</b> {" · ".join(links)}</span>'
        launch = project.launch_links(self.chapter) if self.chapter else {}
        if launch:  # online services: left out when the repository is not known
            names = {"binder": "Binder", "colab": "Colab"}
            runs = " · ".join(
                f'<a class="mb-launch" href="{esc(url)}" rel="noopener">{names[k]}</a>' for k, url in launch.items()
            )
            inner += f'<span class="mb-about-item mb-launch-links"><b>Run online</b> {runs}</span>'
        inner += '<span class="mb-about-item mb-site-link"><a href="../../index.html">All brands compared</a></span>'
        return Html(f'<div class="mb-about">{inner}</div>', f"{self.name} · rubric {self.rubric.version}")

    def cite_box(self, heading: bool = True) -> Html:
        """How to cite this book, from the project's CITATION.cff, with this book's title and versions.

        The year, data version and build date are the book's: the build fills them in when it
        publishes the pages (``data-mb-fill`` slots), as in :meth:`about`.
        """
        cff = project.citation()
        authors = project.authors_text(cff)
        title = f"{self.name}: brand loyalty as an economic moat"
        url = project.repository_url()
        slot = {k: f'<span data-mb-fill="{k}"></span>' for k in ("build_year", "data_version", "build_date")}
        version = f"Moat Book {cff.get('version', '')}, data version \0data_version\0, built \0build_date\0"

        def filled(text: str) -> str:  # escaped text with the slots put back
            for k, v in slot.items():
                text = text.replace(f"\0{k}\0", v)
            return text

        text = f"{esc(authors)} (\0build_year\0). <i>{esc(title)}</i>. {esc(version)}."
        if url:
            text += f' <a href="{esc(url)}">{esc(url)}</a>.'
        bib = (
            f"@misc{{moatbook-{self.slug}-\0build_year\0,\n  title  = {{{{{title}}}}},\n  author = {{{{{authors}}}}},\n"
            f"  year   = {{\0build_year\0}},\n  note   = {{{version}}}"
            + (f",\n  url    = {{{url}}}" if url else "")
            + "\n}"
        )
        licences = (
            "The code is free to reuse under the MIT licence and the data under CC BY 4.0; figures quoted from a "
            "source keep that source's terms."
        )
        html = (
            '<div class="mb-box mb-cite-box">'
            + ('<p class="mb-cite-head"><b>Cite this book</b></p>' if heading else "")
            + f'<p class="mb-cite-text">{filled(text)}</p>'
            f'<details class="mb-details"><summary>BibTeX</summary><pre class="mb-bibtex">{filled(esc(bib))}</pre>'
            f'</details><p class="mb-hint">{esc(licences)}</p></div>'
        )
        return Html(html, f"{authors}. {title}. Moat Book {cff.get('version', '')}.")


def _download(path: str, label: str) -> str:
    return f'<a class="mb-download" href="../{esc(path)}" download>{esc(label)}</a>'


# --------------------------------------------------------------------------- metric chapters


def _period_mid(period: str) -> float:
    return parse_period(period).mid


def _plain_label(label: str) -> str:
    """An indicator label without its '(context)' or '(judgement)' marker, for chart titles."""
    return label.replace(" (context)", "").replace(" (judgement)", "")


_BASES = [
    ("installed base", ("installed base", "active base", "active smartphone base", "in use")),
    ("revenue", ("revenue", "by value", "value share", "sales value")),
    ("activations", ("activation",)),
    ("sales", ("sales", "sell-through", "sold")),
    ("shipments", ("shipment", "shipped", "by volume", "sell-in")),
]


def measure_basis(measure: str) -> str:
    """What a market figure counts, read from its description: installed base, revenue, activations,
    sales or shipments ("" when it names none). Figures on different bases are not comparable."""
    text = measure.lower()
    for basis, words in _BASES:
        if any(w in text for w in words):
            return basis
    return ""


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
        self.chapter = metric
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
                f"out of 10 on this metric, resting on {evidence_count(r.n_evidence)}."
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
        return downloads.shown_keys(self.rubric, self.metric_id)

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
                f"{plural(len(items), 'figure')}{tag}</summary>"
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
                    caption=f"{plural(len(judgements), 'judgement')} on a level from 0 to 4, each level "
                    f'described in the rubric (see the <a href="methodology.html">methodology</a>)',
                )
            )
        summary = para(
            f"{plural(len(rows), 'figure')} and {plural(len(judgements), 'judgement')} on {esc(self.name)}. "
            "Open or close an indicator to show or hide its figures.",
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
        """The indicator, unit and market with the most dated figures (at least 3 periods), for the time chart.

        One chart holds one quantity: the indicator's most used unit and its most
        documented market (global first on a tie). A plain count is charted only when
        every figure counts the same thing, so recalled cars and deaths never share an
        axis. Indicators that feed the score come before context ones.
        """
        by_key = defaultdict(list)
        for r in self.rows():
            by_key[(r.metric, r.indicator, r.unit, r.market)].append(r)
        scored = self._scored_reads()
        candidates = []
        for (mid, iid, unit, market), rows in by_key.items():
            if len({r.period for r in rows}) < 3:
                continue
            if unit == "count" and len({r.measure.lower() for r in rows}) > 1:
                continue
            own = mid == self.metric_id
            candidates.append(((mid, iid) in scored, own, len(rows), market == "global", mid, iid, unit, market))
        if not candidates:
            return None, None, None, []
        *_, mid, iid, unit, market = max(candidates)
        return (mid, iid), unit, market, by_key[(mid, iid, unit, market)]

    def _sources_line(self, source_ids, lead: str = "Sources") -> str:
        ids = sorted(set(source_ids), key=lambda s: self.citation_numbers.get(s, 10**6))
        return f"{lead}: " + "; ".join(self.cite(s) for s in ids) + "." if ids else ""

    def timeline_figure(self):
        """The time chart's figure (None when no indicator has three dated figures in one unit and market)."""
        key, unit, market, rows = self._timeline_candidate()
        if key is None:
            return None
        data = [
            dict(
                t=_period_mid(r.period),
                value=r.value,
                tracker=r.publisher(self.ds.sources),
                measure=r.measure,
                frequency=charts.FREQUENCY[parse_period(r.period).granularity],
                period=r.period,
                market=r.market,
                sub_brand=r.sub_brand,
                segment=r.segment,
            )
            for r in rows
        ]
        label = _plain_label(self._indicator_label(*key))
        others = sorted({r.market for r in self.rows() if (r.metric, r.indicator) == key and r.market != market})
        units = sorted({r.unit for r in self.rows() if (r.metric, r.indicator) == key and r.unit != unit})
        note = ""
        if others:
            note += f"Figures for other markets ({', '.join(others)}) are in the evidence table."
        if units:
            note += (" " if note else "") + f"Figures in other units ({', '.join(units)}) are in the evidence table."
        where = "worldwide" if market == "global" else market
        return charts.timeline(
            data,
            f"{self.name}: {label} ({where})",
            unit,
            sources_html=self._sources_line(r.source_id for r in rows),
            note=note,
        )

    def charts(self) -> None:
        """A time series of the best-documented indicator, else the peers' scored values, else the points."""
        fig = self.timeline_figure()
        if fig is None:
            fig = self._peer_chart()
            if fig is not None:
                self._peer_chart_shown = True
        if fig is None:
            pts = self._points_rows()
            if pts:
                fig = charts.points_chart(pts, f"{self.name}: points per indicator", self._points_source())
                self._points_chart_shown = True
        if fig is None:
            display(Html(para("Nothing to chart: there are no figures for this metric yet.", "mb-missing")))
        else:
            display(fig)

    def _peer_indicator(self):
        """The scored level indicator that the most of the book's companies have a scored value for.

        Only an indicator the book's own company is scored on, and that at least one
        peer is scored on, qualifies: the chart draws what the sub-scores use.
        """
        best, best_n = None, 1
        for iid, spec in self.spec.indicators.items():
            if spec.kind != "level":
                continue
            scored = [s for s in [self.slug, *self.peer_slugs] if self._scored_indicator(s, iid) is not None]
            if self.slug in scored and len(scored) > best_n:
                best, best_n = iid, len(scored)
        return best

    def _scored_indicator(self, slug: str, iid: str) -> IndicatorResult | None:
        ind = next(i for i in self.peer_card(slug).metrics[self.metric_id].indicators if i.id == iid)
        return ind if ind.scored and ind.value is not None else None

    def _peer_rows(self, iid: str) -> tuple[list[dict], list[str], list[str]]:
        """Each company's scored value of ``iid``; the companies without one; the sources behind the values."""
        out, missing, sources = [], [], []
        for slug in [self.slug, *self.peer_slugs]:
            ind = self._scored_indicator(slug, iid)
            if ind is None:
                missing.append(self.company_name(slug))
                continue
            out.append(
                dict(company=self.company_name(slug), value=ind.value, n=ind.rows_used, highlight=slug == self.slug)
            )
            sources += [sid for o in ind.observations if o.counts for sid in o.source_ids]
        return out, missing, sources

    def _peer_chart(self):
        iid = self._peer_indicator()
        if iid is None:
            return None
        rows, missing, sources = self._peer_rows(iid)
        unit = self._scored_indicator(self.slug, iid).unit
        label = _plain_label(self.spec.indicators[iid].label)
        return charts.peer_bars(
            rows,
            f"{label}: {self.name} and its peers, as scored",
            unit,
            sources_html=self._sources_line(sources),
            missing=missing,
        )

    def _points_source(self) -> str:
        return "Points computed in this chapter from the figures and judgements in the evidence tables above."

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
        if pts and not getattr(self, "_points_chart_shown", False):
            display(charts.points_chart(pts, f"{self.name}: points per indicator", self._points_source()))
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
            f'<details class="mb-details"><summary>{esc(ind.label)}: {plural(n_obs, "observation")}{extra}, '
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
                f'<div class="mb-score-ref">{reference_link("Original report")}: <b>{fmt_number(ref.score)}</b> '
                f"({'+' if diff >= 0 else ''}{diff:.1f} here)</div>"
            )
        html = (
            f'<div class="mb-score-big">{r.score:.1f}<span> / 10</span></div>'
            f'<div class="mb-score-rating">{esc(rating.name)}</div>'
            f'<div class="mb-score-meta">90% interval {fmt_interval(r.low, r.high)} · coverage {esc(r.coverage)} '
            f"({esc(grade.meaning)}) · {evidence_count(r.n_evidence)} · "
            f"{r.hard_share:.0%} of the weight on figures rather than judgements · "
            f"{self.card.weights.get(self.metric_id, r.weight):.1%} of the overall</div>{ref_html}" + self.as_of_meta()
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
                        "No indicator of this metric has a scored value for both this company and a peer, "
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
            f"{plural(len(surveys), 'survey or release', 'surveys or releases')} on file measure {esc(self.name)} "
            "and a peer on the same basis"
            + (f"; the {min(limit, len(surveys))} covering most brands are shown." if more else ".")
            + " Figures of a sub-brand are left out.",
            "mb-hint",
        )
        return Html(hint + "".join(parts), f"{len(surveys)} like-for-like surveys")

    def caveats(self) -> Html:
        """Missing indicators, thin scores, facts counted twice, sources that disagree, mixed markets, old figures."""
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
        items += self._counted_twice()
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
        return Html(bullets(items), plural(len(items), "caveat"))

    def _counted_twice(self) -> list[str]:
        """A judgement that cites the sources of a scored figure weighs the same facts twice."""
        r = self.result
        figures = [i for i in r.indicators if i.scored and i.kind in ("level", "derived")]
        out = []
        for j in (i for i in r.indicators if i.scored and i.kind == "ordinal"):
            cited = {sid for o in j.observations for sid in o.source_ids}
            for f in figures:
                shared = sorted(
                    cited & {sid for o in f.observations if o.counts for sid in o.source_ids},
                    key=lambda sid: self.citation_numbers.get(sid, 10**6),
                )
                if shared:
                    out.append(
                        f"The judgement on <b>{esc(_plain_label(j.label).lower())}</b> and the figures behind "
                        f"<b>{esc(f.label.lower())}</b> rest on the same sources "
                        f"({', '.join(self.cite(sid) for sid in shared)}), so the same events weigh on the "
                        "sub-score twice: once as figures and once in the judgement."
                    )
        return out

    def _disagreements(self) -> list[str]:
        """Figures from different trackers on the same quantity, period and market that differ by 5 % or more.

        Figures that measure different things are never a disagreement: a share of
        units shipped and a share of revenue, sales and shipments, an installed base
        and new sales, or figures limited to a sub-brand or a price segment.
        """
        groups = defaultdict(list)
        for r in self.rows():
            basis = measure_basis(r.measure)
            groups[(r.metric, r.indicator, r.period, r.market, r.unit, r.sub_brand, r.segment, basis)].append(r)
        out = []
        for (mid, iid, period, market, unit, *_), rows in sorted(groups.items()):
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

    def what_if(self):
        """A level select per judgement and a weight slider per indicator; the sub-score and the overall follow.

        The sub-score is computed from this metric alone; the overall also needs the
        other metrics' values, which the build fills in when it publishes the book
        (:func:`moatbook.book.whatif.fill_rows`), so this chapter's page depends on
        its own metric only.
        """
        from . import whatif

        mdl = whatif.model(self.card, self.rubric, self.name)
        m = mdl.metric(self.metric_id)
        if not m.scored:
            filled = f" The overall fills it from the peers ({m.imputed:.1f} of 10)." if m.imputed is not None else ""
            return Html(
                f'<p class="mb-note">Nothing to change here: {esc(self.name)} has no scored evidence on this '
                f"metric, so there is no judgement level or indicator weight to move.{filled}</p>",
                "no controls",
            )
        chart = whatif.metric_chart(mdl, self.metric_id)
        fixed = [i.label for i in m.indicators if i.kind != "ordinal"]
        parts = []
        if any(i.kind == "ordinal" for i in m.indicators):
            parts.append("choose another level for a judgement (each level is described in the list)")
        if len(m.indicators) > 1:
            parts.append("move an indicator's weight (the book divides by their sum)")
        note = "Try it: " + " or ".join(parts) + "." if parts else ""
        if len(m.indicators) == 1:
            note += " With one scored indicator its weight cannot change the sub-score."
        if fixed:
            note += " Points of figure-based indicators stay as the evidence gives them."
        if m.unscored:
            note += " Without usable evidence, left out with their weight shared out: " + ", ".join(m.unscored) + "."
        if not mdl.rated:
            note += " The brand is not rated, so there is no overall to move."
        else:
            note += " The overall keeps every other metric as the book scores it."
        return whatif.figure(
            chart,
            f"What if: {self.spec.title.lower()} for {self.name}",
            f"At the book's settings the sub-score is {self.result.value:.1f} of 10.",
            f"Interactive chart: the sub-score of {self.name} on {self.spec.title.lower()}, each indicator's "
            "points and the overall score, recomputed from the controls below it.",
            note.strip(),
            whatif.controls_of(chart),
            legend=[(charts.swatch("bar", charts.ACCENT), "an indicator's points, 0-10")],
            headers=["Indicator", "Weight in the rubric", "Points", "Judgement levels"],
            rows=[
                [
                    esc(i.label),
                    f"{i.weight:.0%}",
                    fmt_number(whatif.indicator_points(i), 2),
                    ", ".join(str(j.level) for j in i.judgements) or "–",
                ]
                for i in m.indicators
            ],
        )

    def try_it(self) -> Html:
        """Exercises the engine can answer for this company, each with its answer behind a toggle."""
        from .exercises import exercises

        items = exercises(self)
        html = "".join(
            f'<div class="mb-exercise"><p class="mb-exercise-q"><b>{i}.</b> {q}</p>'
            f'<details class="mb-details mb-solution"><summary>Show the answer</summary>{a}</details></div>'
            for i, (q, a) in enumerate(items, start=1)
        )
        return Html(f'<div class="mb-exercises">{html}</div>', plural(len(items), "exercise"))

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
