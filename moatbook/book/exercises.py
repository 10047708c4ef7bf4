"""The "Try it" exercises of a metric chapter, generated from what the engine can compute.

Each exercise is a question and an answer (escaped HTML); the chapter shows the
answer behind a toggle. An exercise appears only when the company's evidence can
answer it: a question about two indicators needs both to be scored, a deletion
must leave the metric with a score, and every "from ... to ..." names two
different values. Questions that need figures the book does not show are not
asked.
"""

from __future__ import annotations

from collections import defaultdict

from ..data.periods import parse_period
from ..scoring import IndicatorResult, score_company
from .render import bullets, code_ids, esc, fmt_number, fmt_score, fmt_value

MAX_EXERCISES = 4


def exercises(ch) -> list[tuple[str, str]]:
    """Up to four (question, answer) pairs for a :class:`MetricChapter`."""
    items = [x for x in (f(ch) for f in DISCUSSION.get(ch.metric_id, [])) if x]
    for make in (_judgement, _without_indicator, _next_anchor, _fill_a_gap):
        x = make(ch)
        if x:
            items.append(x)
    if not items:
        items.append(_first_figure(ch))
    return items[:MAX_EXERCISES]


# --------------------------------------------------------------------------- helpers


def _ind(ch, iid: str, slug: str | None = None) -> IndicatorResult | None:
    card = ch.card if slug in (None, ch.slug) else ch.peer_card(slug)
    found = next((i for i in card.metrics[ch.metric_id].indicators if i.id == iid), None)
    return found if found is not None and found.scored and found.value is not None else None


def _rows(ch, iid: str, slug: str | None = None):
    key = ch.rubric.reads(ch.metric_id, iid)
    return [r for r in ch.ds.evidence.get(slug or ch.slug, []) if (r.metric, r.indicator) == key]


def _as_scored(ind: IndicatorResult) -> str:
    return fmt_value(ind.value, ind.unit)


def _label(ch, iid: str) -> str:
    return ch.spec.indicators[iid].label.replace(" (judgement)", "").replace(" (context)", "")


def _moves(before: float | None, after: float | None, what: str) -> str:
    """ "the sub-score moves from 6.9 to 7.4" or "the sub-score stays at 6.9"; never "from 6.9 to 6.9"."""
    a, b = fmt_score(before), fmt_score(after)
    return f"{what} stays at {a}" if a == b else f"{what} moves from {a} to {b}"


def _rescore(ch, evidence=None, assessments=None):
    return score_company(
        ch.rubric,
        ch.slug,
        ch.ds.evidence.get(ch.slug, []) if evidence is None else evidence,
        ch.ds.assessments.get(ch.slug, []) if assessments is None else assessments,
        ch.ds.sources,
        ch._peer_scores(),
    )


def _peers_line(ch, iid: str) -> str:
    vals = [(ch.company_name(s), _ind(ch, iid, s)) for s in ch.peer_slugs]
    vals = [(n, i) for n, i in vals if i is not None]
    if not vals:
        return ""
    return "Its peers, as scored: " + "; ".join(f"{esc(n)} {esc(_as_scored(i))}" for n, i in vals) + "."


# --------------------------------------------------------------------------- computed exercises


def _judgement(ch):
    """Change one judgement by a level: the first whose change visibly moves the sub-score."""
    r = ch.result
    for a in sorted(ch.judgements(), key=lambda a: (-ch.spec.indicators[a.indicator].weight, a.indicator, a.level)):
        levels = sorted(ch.spec.indicators[a.indicator].levels)
        for new in (a.level + 1, a.level - 1):
            if new not in levels:
                continue
            changed = [x.model_copy(update={"level": new}) if x is a else x for x in ch.ds.assessments[ch.slug]]
            alt = _rescore(ch, assessments=changed)
            m = alt.metrics[ch.metric_id]
            if fmt_score(m.score) == fmt_score(r.score):
                continue
            words = " ".join(a.rationale.split()[:8])
            which = f" (the row that begins “{esc(words)} …”)" if len(ch.judgements()) > 1 else ""
            q = (
                f"In <code>data/assessments/{esc(ch.slug)}.csv</code>, change the level of "
                f"<b>{esc(_label(ch, a.indicator))}</b>{which} from {a.level} to {new} and rebuild. "
                "What happens to the sub-score and to the overall score? Then read the descriptors of the two "
                "levels: which one does the evidence support?"
            )
            answer = (
                f"{_moves(r.score, m.score, 'The sub-score').capitalize()}{ch._overall_shift(r.score, m.score)}. "
                f"Level {a.level} reads: “{esc(ch.spec.indicators[a.indicator].levels[a.level])}”; "
                f"level {new}: “{esc(ch.spec.indicators[a.indicator].levels[new])}”."
            )
            return q, answer
    return None


def _without_indicator(ch):
    """Delete the rows behind the heaviest hard indicator, when another indicator keeps the metric scored."""
    r = ch.result
    hard = sorted((i for i in r.indicators if i.scored and i.kind != "ordinal"), key=lambda i: (-i.weight, i.id))
    for top in hard:
        key = ch.rubric.reads(ch.metric_id, top.id)
        keep = [x for x in ch.ds.evidence[ch.slug] if (x.metric, x.indicator) != key]
        alt = _rescore(ch, evidence=keep)
        m = alt.metrics[ch.metric_id]
        if m.score is None or fmt_score(m.score) == fmt_score(r.score):
            continue
        left = [i.label for i in m.indicators if i.scored]
        q = (
            f"Suppose the figures behind <b>{esc(top.label)}</b> (the heaviest indicator resting on figures "
            f"here, {top.weight:.0%} of the sub-score) turned out to be wrong and you deleted them. "
            "What would the sub-score be, and would you still trust it?"
        )
        grade = (
            f" Its coverage grade goes from {esc(r.coverage)} to {esc(m.coverage)}."
            if m.coverage != r.coverage
            else f" Its coverage grade stays {esc(r.coverage)}."
        )
        answer = (
            f"{_moves(r.score, m.score, 'The sub-score').capitalize()}: the weight of the deleted indicator "
            f"passes to what remains ({esc(', '.join(left))}).{grade}"
        )
        return q, answer
    return None


def _next_anchor(ch):
    """If every figure of the heaviest level indicator reached its next anchor, what would the sub-score be?"""
    r = ch.result
    feeds = {ch.rubric.reads(ch.metric_id, i) for i, s in ch.spec.indicators.items() if s.kind == "derived"}
    for ind in sorted((i for i in r.indicators if i.scored and i.kind == "level"), key=lambda i: (-i.weight, i.id)):
        spec = ch.spec.indicators[ind.id]
        if ch.rubric.reads(ch.metric_id, ind.id) in feeds:
            continue  # its figures also feed a trend, so moving them all moves more than this indicator
        better = [(a, p) for a, p in spec.anchors if p > ind.points + 1e-9]
        if not better:
            continue
        target, pts = min(better, key=lambda ap: ap[1])
        key = ch.rubric.reads(ch.metric_id, ind.id)
        units = ch.rubric.metrics[key[0]].indicators[key[1]]
        changed = [
            x.model_copy(update={"value": target / (units.factor(x.unit) or 1.0)})
            if (x.metric, x.indicator) == key
            else x
            for x in ch.ds.evidence[ch.slug]
        ]
        alt = _rescore(ch, evidence=changed)
        m = alt.metrics[ch.metric_id]
        if fmt_score(m.score) == fmt_score(r.score) or m.score < r.score:
            continue
        q = (
            f"<b>{esc(ind.label)}</b> stands at {esc(_as_scored(ind))} as scored, worth {ind.points:.1f} points. "
            f"If every figure behind it were {esc(fmt_value(target, ind.unit))} (its next anchor, worth "
            f"{fmt_number(pts)} points), what would the sub-score be? Work it out from the walk-through table "
            "before you open the answer."
        )
        answer = (
            f"{_moves(r.score, m.score, 'The sub-score').capitalize()}: the indicator gains "
            f"{pts - ind.points:.1f} points at {ind.weight:.0%} weight, about {ind.weight * (pts - ind.points):.1f} "
            "on the sub-score."
        )
        return q, answer
    return None


def _fill_a_gap(ch):
    """A missing indicator: how far could one sourced figure (or judgement) on it move the sub-score?"""
    r = ch.result
    if r.score is None:
        return None
    missing = sorted(
        (i for i in r.missing if ch.spec.indicators[i.id].kind in ("level", "ordinal")),
        key=lambda i: (-(ch.spec.indicators[i.id].weight or 0), i.id),
    )
    for ind in missing:
        spec = ch.spec.indicators[ind.id]
        lo, hi = min(spec.anchors, key=lambda a: a[1]), max(spec.anchors, key=lambda a: a[1])
        scores = [_with_hypothetical(ch, ind.id, value) for value in (lo[0], hi[0])]
        if None in scores or fmt_score(scores[0]) == fmt_score(scores[1]):
            continue
        what = "judgement" if spec.kind == "ordinal" else "sourced figure"
        q = (
            f"<b>{esc(_label(ch, ind.id))}</b> has no usable evidence on {esc(ch.name)}, so its "
            f"{spec.weight:.0%} weight passed to the other indicators. If you found one {what} for it, how far "
            "could the sub-score move, and which way would you expect it to go?"
        )
        if spec.kind == "ordinal":
            ends = f"level {fmt_number(lo[0])} and level {fmt_number(hi[0])}"
        else:
            ends = f"{fmt_value(lo[0], spec.unit)} and {fmt_value(hi[0], spec.unit)}"
        answer = (
            f"Between {fmt_score(min(scores))} and {fmt_score(max(scores))}, against {fmt_score(r.score)} today: "
            f"those are the sub-scores with the new {what} at {esc(ends)}, the ends of its scale."
        )
        return q, answer
    return None


def _with_hypothetical(ch, iid: str, value: float) -> float | None:
    """The sub-score with one hypothetical, well-sourced, current, worldwide figure or judgement on ``iid``."""
    from ..data.schema import AssessmentRow, EvidenceRow, Source

    spec = ch.spec.indicators[iid]
    sources = dict(ch.ds.sources)
    sources["hypothetical"] = Source.model_construct(
        source_id="hypothetical", publisher="a new source", title="", url="", accessed="", confidence="high"
    )
    evidence = list(ch.ds.evidence.get(ch.slug, []))
    assessments = list(ch.ds.assessments.get(ch.slug, []))
    if spec.kind == "ordinal":
        assessments.append(
            AssessmentRow.model_construct(
                company=ch.slug,
                metric=ch.metric_id,
                indicator=iid,
                level=int(value),
                source_ids=["hypothetical"],
                rationale="a hypothetical judgement",
            )
        )
    else:
        newest = max((parse_period(x.period).end for x in evidence), default=2025.0)
        evidence.append(
            EvidenceRow.model_construct(
                company=ch.slug,
                metric=ch.metric_id,
                indicator=iid,
                value=float(value),
                unit=spec.unit,
                period=str(int(newest) - 1),
                market="global",
                source_id="hypothetical",
                measure="a hypothetical figure",
                note="",
                tracker="",
                sub_brand="",
                segment="",
            )
        )
    card = score_company(ch.rubric, ch.slug, evidence, assessments, sources, ch._peer_scores())
    return card.metrics[ch.metric_id].score


def _first_figure(ch):
    from ..data.catalogue import metric_minimum

    q = (
        f"This metric has no scored evidence on {esc(ch.name)}. Which published figure would you look for first, "
        "and where?"
    )
    answer = (
        f"{code_ids(metric_minimum(ch.rubric, ch.metric_id))} Register the page in <code>data/sources.csv</code>, add "
        f"the figure to <code>data/evidence/{esc(ch.slug)}.csv</code> (a judgement to "
        f"<code>data/assessments/{esc(ch.slug)}.csv</code>) and rebuild: the metric gets a sub-score. The "
        "appendix lists every indicator and what it accepts."
    )
    return q, answer


# --------------------------------------------------------------------------- discussion, per metric


def _retention(ch):
    measured, stated = _ind(ch, "repurchase_rate"), _ind(ch, "loyalty_intent")
    if not (measured and stated):
        return None
    gap = stated.value - measured.value
    q = (
        f"Stated intentions usually run above measured repurchase. Guess how far apart the two are for "
        f"{esc(ch.name)}, then check the evidence table. Which kind of evidence would you trust if they "
        "disagreed by twenty points?"
    )
    answer = (
        f"As scored, measured repurchase is {esc(_as_scored(measured))} and stated intention "
        f"{esc(_as_scored(stated))}: intention runs {abs(gap):.1f} points {'above' if gap >= 0 else 'below'} "
        f"behaviour. The rubric gives measured behaviour {ch.spec.indicators['repurchase_rate'].weight:.0%} of the "
        f"weight and stated intention {ch.spec.indicators['loyalty_intent'].weight:.0%}."
    )
    return q, answer


def _nps(ch):
    rows = _rows(ch, "nps")
    houses = {(r.publisher(ch.ds.sources), r.market) for r in rows}
    if len(houses) < 2:
        return None
    q = (
        "Note the market, year and survey behind each Net Promoter Score in the table. Would you rank "
        f"{esc(ch.name)} against its peers with scores from different countries or survey houses? If not, "
        "which comparison would you make?"
    )
    same = []
    for r in sorted(rows, key=lambda r: (r.period, r.market)):
        pub = r.publisher(ch.ds.sources)
        pairs = [
            f"{esc(ch.company_name(slug))} {fmt_number(p.value)}"
            for slug in ch.peer_slugs
            for p in _rows(ch, "nps", slug)
            if (p.publisher(ch.ds.sources), p.market, p.period, p.segment, p.sub_brand)
            == (pub, r.market, r.period, r.segment, r.sub_brand)
        ]
        if pairs:
            same.append(
                f"{esc(pub)}, {esc(r.market)} {esc(r.period)}: {esc(ch.name)} {fmt_number(r.value)}, "
                + ", ".join(pairs)
            )
    answer = (
        f"The table holds {len(rows)} scores from {len({h[0] for h in houses})} survey houses in "
        f"{len({h[1] for h in houses})} markets. Scores from different surveys differ in sample, question and "
        "country, so only scores from one survey, market and year compare like with like. "
    )
    answer += (
        "Like-for-like pairs in this book: " + bullets(sorted(set(same)))
        if same
        else "No peer has a score from the same survey, market and year, so no like-for-like ranking is possible."
    )
    return q, answer


def _nps_vs_satisfaction(ch):
    nps, sat = _ind(ch, "nps"), _ind(ch, "satisfaction_index")
    if not (nps and sat):
        return None
    q = (
        "Satisfaction and willingness to recommend usually move together. Do the two indicators point the same "
        "way here?"
    )
    answer = (
        f"As scored, the Net Promoter Score is {esc(_as_scored(nps))} ({nps.points:.1f} points) and the "
        f"satisfaction index {esc(_as_scored(sat))} ({sat.points:.1f} points)."
    )
    return q, answer


def _purchase_frequency(ch):
    own = _ind(ch, "replacement_cycle")
    if own is None:
        return None
    market = [r for r in _rows(ch, "market_replacement_cycle")]
    for slug in ch.benchmarks:
        market += [r for r in ch.ds.evidence.get(slug, []) if r.indicator == "market_replacement_cycle"]
    if not market:
        return None
    ref = max(market, key=lambda r: (parse_period(r.period).mid, r.market == "global"))
    q = (
        f"Is the replacement cycle of {esc(ch.name)}'s users shorter or longer than the market's? Is a shorter "
        "cycle good news for loyalty, or could it mean that the brand's phones do not last? Which figure or "
        "judgement in the table would help you tell the two readings apart?"
    )
    diff = own.value - ref.value
    answer = (
        f"As scored, {esc(ch.name)}'s users replace their phone every {esc(_as_scored(own))}; the newest "
        f"market-wide figure is {esc(fmt_value(ref.value, ref.unit))} ({esc(ref.market)}, {esc(ref.period)}, "
        f"{ch.cite(ref.source_id)}), so the brand's cycle is {abs(diff):.1f} months "
        f"{'longer' if diff > 0 else 'shorter'}. A repeat-buying judgement or a repurchase rate would show whether "
        "the quicker replacement stays with the brand."
    )
    return q, answer


def _lifetime_value(ch):
    share = _ind(ch, "services_revenue_share")
    if share is None:
        return None
    arpu, lock = _ind(ch, "services_arpu"), _ind(ch, "ecosystem_lock_in")
    extra = [x for x, i in (("the revenue per user", arpu), ("the lock-in judgement", lock)) if i]
    q = (
        "A low services share can mean that customers are worth little after the sale, or that the brand has "
        "chosen to earn its money from devices. Using the services share"
        + (f" and {' and '.join(extra)}" if extra else "")
        + f", decide which reading fits {esc(ch.name)}."
    )
    answer = f"As scored, services are {esc(_as_scored(share))} of revenue."
    if arpu:
        answer += f" Services revenue per user: {esc(_as_scored(arpu))}."
    if lock:
        n = len(lock.observations)
        answer += f" Lock-in judgement: level {fmt_number(lock.value, 1)}" + (
            f" (mean of {n} judgements)." if n > 1 else "."
        )
    line = _peers_line(ch, "services_revenue_share")
    return q, answer + (" " + line if line else "")


def _price_premium(ch):
    change, mix = _ind(ch, "asp_change"), _ind(ch, "premium_mix")
    if not (change and mix):
        return None
    q = (
        "Average selling price depends on where a brand sells as well as on what its customers will pay. Do the "
        f"change in average selling price and the premium share move in the same direction for {esc(ch.name)}? "
        "If not, which would you trust as evidence of pricing power?"
    )
    answer = (
        f"As scored, the average selling price changed by {esc(_as_scored(change))} a year and premium models make "
        f"up {esc(_as_scored(mix))} of shipments ({change.points:.1f} and {mix.points:.1f} points)."
    )
    return q, answer


def _share_of_wallet(ch):
    units, value = _ind(ch, "global_share"), _ind(ch, "value_share")
    if not (units and value):
        return None
    q = (
        f"Compare {esc(ch.name)}'s share of units shipped with its share of revenue. If the revenue share is "
        "higher, its customers pay more than the average per phone; if lower, it sells mostly at the cheaper end. "
        "Which does it show?"
    )
    higher = value.value > units.value
    answer = (
        f"As scored: {esc(_as_scored(units))} of units and {esc(_as_scored(value))} of revenue, so its phones sell "
        f"{'above' if higher else 'below'} the market's average price."
    )
    return q, answer


def _key_market(ch):
    units, key = _ind(ch, "global_share"), _ind(ch, "key_market_share")
    if not (units and key):
        return None
    by_market = defaultdict(list)
    for o in key.observations:
        if o.counts:
            by_market[o.market].append(o)
    best = max(by_market, key=lambda m: (max(o.value for o in by_market[m]), m))
    top = max(by_market[best], key=lambda o: (parse_period(o.period).mid, o.value))
    q = (
        f"How does {esc(ch.name)}'s share in its strongest market compare with its global share, and what does "
        "the gap tell you about where its customers are?"
    )
    answer = (
        f"Its highest share among the markets in the table is {esc(fmt_value(top.value, key.unit))} in "
        f"{esc(best)} ({esc(top.period)}, {esc(top.label)}), against {esc(_as_scored(units))} worldwide as "
        "scored: its customers are "
        f"concentrated {'far ' if top.value > 2 * units.value else ''}more in that market than elsewhere."
    )
    return q, answer


def _engagement(ch):
    rows = _rows(ch, "monthly_active_users")
    if len({r.period for r in rows}) < 2:
        return None
    growth = _ind(ch, "user_growth")
    first = min(rows, key=lambda r: parse_period(r.period).mid)
    last = max(rows, key=lambda r: parse_period(r.period).mid)
    q = (
        "Growth in active users can come from keeping existing customers or from selling to new ones. Which other "
        f"figures would help you tell which kind of growth {esc(ch.name)} has? What would you expect the "
        "active-user count to do if customers began to leave?"
    )
    answer = (
        f"The table runs from {esc(fmt_value(first.value, first.unit))} ({esc(first.period)}, {esc(first.market)}) "
        f"to {esc(fmt_value(last.value, last.unit))} ({esc(last.period)}, {esc(last.market)})."
    )
    if growth:
        answer += f" The growth indicator, as scored: {fmt_number(growth.value, 1)} % a year."
    answer += (
        " A repurchase rate or the share of buyers won from rivals would separate kept customers from new ones; "
        "if customers left, active users would stall or fall while shipments might still grow."
    )
    return q, answer


def _upsell(ch):
    users, devices = _rows(ch, "multi_device_users"), _rows(ch, "connected_devices")
    pairs = []
    for u in users:
        year = int(parse_period(u.period).mid)
        same = [d for d in devices if int(parse_period(d.period).mid) == year and d.unit == "million devices"]
        if same and u.unit == "million users":
            pairs.append((u, max(same, key=lambda d: parse_period(d.period).mid)))
    if not pairs:
        return None
    u, d = max(pairs, key=lambda p: parse_period(p[0].period).mid)
    q = (
        "Multiply the number of users who own five or more connected devices by five and compare the result with "
        "the total count of connected devices for the same year: what is the smallest share of all devices those "
        "users must hold?"
    )
    share = 5 * u.value / d.value
    answer = (
        f"{esc(fmt_value(u.value, u.unit))} ({esc(u.period)}) × 5 = {fmt_number(5 * u.value)} million devices, "
        f"{share:.0%} of the {esc(fmt_value(d.value, d.unit))} connected ({esc(d.period)}): "
        "a small group of users holds a large part of the platform, so ownership is far from evenly spread."
    )
    return q, answer


def _advocacy(ch):
    culture, nxt = _ind(ch, "fan_culture"), _ind(ch, "next_purchase_preference")
    if not (culture and nxt):
        return None
    q = (
        "A large fan community and a high fan-culture judgement can sit beside a small share of buyers naming the "
        f"brand as their next phone. Does {esc(ch.name)}'s advocacy stay among its own customers and in one "
        "market, or does it travel?"
    )
    markets = sorted({o.market for o in nxt.observations if o.counts})
    answer = (
        f"Fan culture is judged at level {fmt_number(culture.value, 1)} ({culture.points:.1f} points); buyers "
        f"naming it as their next choice stand at {esc(_as_scored(nxt))} as scored ({nxt.points:.1f} points), "
        f"from figures on {esc(', '.join(markets))}."
    )
    return q, answer


def _stability(ch):
    rows = _rows(ch, "share_trend")
    by_tracker = defaultdict(dict)
    for r in rows:
        p = parse_period(r.period)
        if p.is_annual:
            by_tracker[r.publisher(ch.ds.sources)].setdefault(int(p.start), []).append(r.value)
    falls = []
    for tracker, years in by_tracker.items():
        ys = sorted(years)
        if len(ys) < 3:
            continue
        vals = {y: sum(v) / len(v) for y, v in years.items()}
        steps = [(vals[b] - vals[a], a, b) for a, b in zip(ys, ys[1:], strict=False) if b == a + 1]
        if not steps:
            continue
        drop, a, b = min(steps)
        if drop >= 0:
            falls.append((False, f"{esc(tracker)}: no fall from one year to the next"))
            continue
        back = next((y for y in ys if y > b and vals[y] >= vals[a]), None)
        rec = f"back above {fmt_number(vals[a])} % in {back}" if back else "not back to its earlier level in the table"
        falls.append(
            (
                True,
                f"{esc(tracker)}: largest fall {a}→{b}, from {fmt_number(vals[a])} % to {fmt_number(vals[b])} % "
                f"({drop:+.1f} percentage points); {rec}",
            )
        )
    if not any(fell for fell, _ in falls):
        return None
    q = (
        "Find the year in which the brand's global share fell most, and check whether every tracker shows the same "
        "fall. Did the share recover afterwards, and how long did that take?"
    )
    return q, "By tracker, from the annual figures in the table:" + bullets([t for _, t in falls])


def _resilience(ch):
    rows = _rows(ch, "crisis_volume_change") + _rows(ch, "crisis_share_change")
    if not rows:
        return None
    q = (
        "Pick one crisis in the table and compare the change in volume or share with the size of the crisis. Was "
        "the fall caused by customers choosing to leave, or by the brand being unable to sell?"
    )
    lines = [
        f"{esc(fmt_value(r.value, r.unit))} ({esc(r.market)}, {esc(r.period)}): {esc(r.measure)}"
        + (f"; {esc(r.note)}" if r.note else "")
        for r in sorted(rows, key=lambda r: parse_period(r.period).mid)
    ]
    answer = (
        "The crisis figures scored here:"
        + bullets(lines)
        + "A fall that follows a regulator's action (a seizure of assets, a sales ban) says as much about the "
        "brand's ability to sell as about its customers' loyalty; only a fall while the brand could still sell "
        "freely reads as lost loyalty."
    )
    return q, answer


DISCUSSION = {
    "customer_retention": [_retention],
    "net_promoter_score": [_nps, _nps_vs_satisfaction],
    "purchase_frequency": [_purchase_frequency],
    "customer_lifetime_value": [_lifetime_value],
    "price_premium": [_price_premium],
    "share_of_wallet": [_share_of_wallet, _key_market],
    "customer_engagement": [_engagement],
    "upsell_cross_sell": [_upsell],
    "brand_advocacy": [_advocacy],
    "market_share_stability": [_stability],
    "resilience_to_issues": [_resilience],
}
