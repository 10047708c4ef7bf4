"""Rankings that say only what the uncertainty supports, for the conclusion and the site.

A brand "ranks above" another only where the uncertainty model says so with the
rubric's claim probability (and still more often than not once grade-D
sub-scores are replaced by draws from the peers); otherwise the two are "level
with" each other. Brands are listed by point score, but equal claims are
grouped into tiers so the table never implies an order the evidence does not
carry.
"""

from __future__ import annotations

from ..scoring.engine import Scorecard
from ..scoring.uncertainty import Comparison
from .render import esc, fmt_interval, fmt_score, table


def order(comparison: Comparison) -> list[str]:
    """Rated brands by point score, best first."""
    return sorted(comparison.slugs, key=lambda s: (-comparison.point[s], s))


def tiers(comparison: Comparison) -> dict[str, int]:
    """Tier of each brand: a new tier starts only where a brand ranks above every brand below it."""
    ranked = order(comparison)
    tier, out = 1, {}
    for i, s in enumerate(ranked):
        if i > 0:
            prev = ranked[:i]
            # a brand opens a new tier when every brand listed before it ranks above it
            if all(comparison.claim(p, s) == "above" for p in prev if out[p] == tier):
                tier += 1
        out[s] = tier
    return out


def claim_text(comparison: Comparison, a: str, names: dict[str, str]) -> str:
    """How brand ``a`` stands against each other brand, in words."""
    above = [b for b in order(comparison) if b != a and comparison.claim(a, b) == "above"]
    below = [b for b in order(comparison) if b != a and comparison.claim(a, b) == "below"]
    level = [b for b in order(comparison) if b != a and comparison.claim(a, b) == "level"]
    parts = []
    if below:
        parts.append("ranks below " + _names(below, names))
    if above:
        parts.append("ranks above " + _names(above, names))
    if level:
        parts.append("is level with " + _names(level, names))
    return "; ".join(parts) or "has no rated peer to compare with"


def _names(slugs: list[str], names: dict[str, str]) -> str:
    items = [names[s] for s in slugs]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def most_likely_rank(comparison: Comparison, slug: str) -> tuple[int, float]:
    probs = comparison.rank_probabilities[slug]
    best = max(range(len(probs)), key=lambda r: (probs[r], -r))
    return best + 1, probs[best]


def rank_table(
    comparison: Comparison,
    cards: dict[str, Scorecard],
    names: dict[str, str],
    highlight: str | None = None,
    link=None,
    cls: str = "mb-ranking",
) -> str:
    """The ranking: tier, brand, overall with interval, band, rank probabilities, coverage."""
    tier = tiers(comparison)
    rows = []
    for s in order(comparison):
        c = cards[s]
        name = esc(names[s])
        if link:
            name = f'<a href="{esc(link(s))}">{name}</a>'
        if s == highlight:
            name = f"<b>{name}</b>"
        rank, p = most_likely_rank(comparison, s)
        probs = " · ".join(f"{i + 1}: {q:.0%}" for i, q in enumerate(comparison.rank_probabilities[s]) if q >= 0.005)
        status = "" if c.status == "rated" else f' <span class="mb-tag">{esc(c.status)}</span>'
        rows.append(
            [
                str(tier[s]),
                name + status,
                f"<b>{fmt_score(c.overall)}</b><br><small>{fmt_interval(c.low, c.high)}</small>",
                esc(c.band or "not rated"),
                f"{rank} ({p:.0%})<br><small>{esc(probs)}</small>",
                esc(_coverage(c)),
            ]
        )
    unrated = sorted((s for s, c in cards.items() if c.overall is None), key=lambda s: names[s])
    for s in unrated:
        c = cards[s]
        name = esc(names[s])
        if link:
            name = f'<a href="{esc(link(s))}">{name}</a>'
        rows.append(["–", name, "not rated", "–", "–", esc(_coverage(c))])
    return table(
        ["Tier", "Brand", "Overall (90% interval)", "Band", "Most likely rank (chance)", "Sub-scores by coverage"],
        rows,
        cls=cls,
        numeric={0, 2},
        caption="Brands in one tier are level with each other: none ranks above another in at least "
        f"{comparison.threshold:.0%} of the uncertainty model's draws. A new tier starts where a brand ranks below "
        "every brand of the tier above.",
    )


def _coverage(card: Scorecard) -> str:
    grades: dict[str, int] = {}
    for m in card.metrics.values():
        if m.score is not None:
            grades[m.coverage] = grades.get(m.coverage, 0) + 1
    scored = sum(grades.values())
    text = f"{scored} of {len(card.metrics)} scored"
    if grades:
        text += ": " + ", ".join(f"{n} at {g}" for g, n in sorted(grades.items()))
    return text
