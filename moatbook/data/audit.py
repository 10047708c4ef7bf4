"""`make audit`: what a reviewer should look at in the data, beyond what validation refuses.

Validation refuses what is wrong; the audit lists what is probably weak:

1. **likely duplicates**: rows that give one figure twice, either reprints of one
   publisher's figure on several pages (counted once by the engine) or the same
   value credited to two publishers, which is often one figure whose tracker a
   reprint did not name;
2. **listing pages**: sources whose address is a tag, category, search or front
   page, whose content changes over time, so the figure may no longer be there;
3. **low-confidence series**: indicators (and, for yearly series, each tracker's
   series) whose every row rests on a low-confidence source, so they are shown
   but never scored;
4. **low-confidence judgements**: judgements whose every source is low-confidence;
5. **publishers spelled two ways**, which split one tracker's series in two;
6. **sources cited nowhere**.

Each finding names the file and row to open.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from .loading import REGISTRY, Dataset
from .registry import is_listing_url
from .schema import EvidenceRow


@dataclass(frozen=True)
class Finding:
    section: str
    where: str  # file and rows
    message: str
    kind: str = ""  # within a section: 'reprint' (counted once) or 'two publishers' (probably one figure)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


SECTIONS = {
    "duplicates": "Likely duplicates",
    "listing": "Sources whose address is a listing, tag or search page",
    "low_series": "Series resting only on low-confidence sources",
    "low_judgements": "Judgements whose sources are all low-confidence",
    "publishers": "Publishers spelled more than one way",
    "unused": "Sources cited nowhere",
}


def _rows(ds: Dataset, slug: str) -> list[tuple[int, EvidenceRow]]:
    lines = ds.evidence_lines.get(slug) or [None] * len(ds.evidence.get(slug, []))
    return list(zip(lines, ds.evidence.get(slug, []), strict=True))


def _where(slug: str, lines) -> str:
    shown = ", ".join(str(x) for x in sorted(x for x in lines if x is not None))
    return f"evidence/{slug}.csv rows {shown}" if shown else f"evidence/{slug}.csv"


def _fmt(v: float) -> str:
    return f"{v:g}"


def _distinctive(value: float) -> bool:
    """A value two publishers are unlikely to reach independently (not a rounded whole number below 100)."""
    return value != int(value) or abs(value) >= 100


def likely_duplicates(ds: Dataset) -> list[Finding]:
    """Reprints of one figure, and one value credited to two publishers."""
    out = []
    for slug in ds.evidence:
        by_figure: dict[tuple, list[tuple[int, EvidenceRow]]] = defaultdict(list)
        by_value: dict[tuple, list[tuple[int, EvidenceRow]]] = defaultdict(list)
        for line, r in _rows(ds, slug):
            base = (r.metric, r.indicator, r.period, r.market, r.sub_brand, r.segment)
            by_figure[(*base, r.publisher(ds.sources))].append((line, r))
            by_value[(*base, r.unit, r.value)].append((line, r))
        for key, group in sorted(by_figure.items()):
            pages = {r.source_id for _, r in group}
            if len(group) < 2 or len(pages) < 2:
                continue
            values = sorted({r.value for _, r in group})
            what = "the same value" if len(values) == 1 else "values " + ", ".join(_fmt(v) for v in values)
            out.append(
                Finding(
                    "duplicates",
                    _where(slug, [line for line, _ in group]),
                    f"{key[1]} {key[2]} {key[3]}: {key[6]}'s figure on {len(pages)} pages ({what}); "
                    "reprints of one figure count once",
                    "reprint",
                )
            )
        for key, group in sorted(by_value.items(), key=lambda kv: str(kv[0])):
            publishers = sorted({r.publisher(ds.sources) for _, r in group})
            if len(publishers) < 2 or not _distinctive(key[7]):
                continue
            out.append(
                Finding(
                    "duplicates",
                    _where(slug, [line for line, _ in group]),
                    f"{key[1]} {key[2]} {key[3]}: the same value {_fmt(key[7])} credited to "
                    f"{' and '.join(publishers)}; if one page reprints the other's figure, name its tracker",
                    "two publishers",
                )
            )
    return out


def listing_pages(ds: Dataset) -> list[Finding]:
    return [
        Finding(
            "listing",
            f"{REGISTRY} row {ds.source_lines.get(sid, '?')}",
            f"'{sid}' ({s.url}) lists other pages; cite the article itself if it can be found",
        )
        for sid, s in sorted(ds.sources.items())
        if is_listing_url(s.url)
    ]


def _low(ds: Dataset, ids) -> bool:
    return all(ds.sources[s].confidence == "low" for s in ids if s in ds.sources)


def low_confidence_series(ds: Dataset) -> list[Finding]:
    out = []
    for slug in ds.evidence:
        by_ind: dict[tuple, list[tuple[int, EvidenceRow]]] = defaultdict(list)
        for line, r in _rows(ds, slug):
            by_ind[(r.metric, r.indicator)].append((line, r))
        for (mid, iid), group in sorted(by_ind.items()):
            spec = ds.rubric.metrics[mid].indicators[iid]
            readers = [
                f"{m}/{i}"
                for m, metric in ds.rubric.metrics.items()
                for i, ind in metric.indicators.items()
                if ind.scored and ds.rubric.reads(m, i) == (mid, iid)
            ]
            if not readers:
                continue  # a context indicator nothing scores: its confidence decides nothing
            if _low(ds, [r.source_id for _, r in group]):
                out.append(
                    Finding(
                        "low_series",
                        _where(slug, [line for line, _ in group]),
                        f"{mid}/{iid}: all {len(group)} row(s) rest on low-confidence sources, so "
                        + (
                            "it is shown but not scored"
                            if readers == [f"{mid}/{iid}"]
                            else f"{', '.join(readers)} cannot count them"
                        ),
                    )
                )
                continue
            if spec.period == "annual":
                by_pub: dict[tuple, list[tuple[int, EvidenceRow]]] = defaultdict(list)
                for line, r in group:
                    by_pub[(r.publisher(ds.sources), r.market)].append((line, r))
                for (pub, market), rows in sorted(by_pub.items()):
                    if len(rows) >= 2 and _low(ds, [r.source_id for _, r in rows]):
                        out.append(
                            Finding(
                                "low_series",
                                _where(slug, [line for line, _ in rows]),
                                f"{mid}/{iid}: {pub}'s {market} series ({len(rows)} years) rests only on "
                                "low-confidence reprints",
                            )
                        )
    return out


def low_confidence_judgements(ds: Dataset) -> list[Finding]:
    out = []
    for slug, rows in ds.assessments.items():
        lines = ds.assessment_lines.get(slug) or [None] * len(rows)
        for line, a in zip(lines, rows, strict=True):
            if _low(ds, a.source_ids):
                out.append(
                    Finding(
                        "low_judgements",
                        f"assessments/{slug}.csv row {line}",
                        f"{a.metric}/{a.indicator} level {a.level} cites only low-confidence sources "
                        f"({', '.join(a.source_ids)}); it is shown but not counted",
                    )
                )
    return out


def _publisher_key(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    drop = {"research", "inc", "ltd", "the", "group", "co", "corp", "technologies", "electronics"}
    return " ".join(w for w in words if w not in drop)


def publisher_spellings(ds: Dataset) -> list[Finding]:
    """Two spellings of one publisher giving figures of one indicator: they split its series in two."""
    by_indicator: dict[tuple, set[str]] = defaultdict(set)
    for rows in ds.evidence.values():
        for r in rows:
            by_indicator[(r.metric, r.indicator)].add(r.publisher(ds.sources))
    out, seen = [], set()
    for (mid, iid), names in sorted(by_indicator.items()):
        for a in sorted(names):
            for b in sorted(names):
                ka, kb = _publisher_key(a), _publisher_key(b)
                if a >= b or (a, b) in seen or not (ka and kb):
                    continue
                if ka == kb or kb.startswith(ka + " ") or ka.startswith(kb + " "):
                    seen.add((a, b))
                    out.append(
                        Finding(
                            "publishers",
                            REGISTRY,
                            f"'{a}' and '{b}' both give {mid}/{iid} figures and may be one publisher; "
                            "one spelling (or the evidence column 'tracker') keeps them in one series",
                        )
                    )
    return out


def unused_sources(ds: Dataset) -> list[Finding]:
    cited = {r.source_id for v in ds.evidence.values() for r in v}
    cited |= {s for v in ds.assessments.values() for a in v for s in a.source_ids}
    return [
        Finding("unused", f"{REGISTRY} row {ds.source_lines.get(sid, '?')}", f"'{sid}' is cited by no row")
        for sid in sorted(set(ds.sources) - cited)
    ]


def audit(ds: Dataset) -> list[Finding]:
    """Every finding, section by section."""
    return [
        *likely_duplicates(ds),
        *listing_pages(ds),
        *low_confidence_series(ds),
        *low_confidence_judgements(ds),
        *publisher_spellings(ds),
        *unused_sources(ds),
    ]


def format_report(findings: list[Finding]) -> str:
    lines = []
    for key, title in SECTIONS.items():
        found = [f for f in findings if f.section == key]
        lines.append(f"== {title}: {len(found)}")
        lines += [f"  {f}" for f in found]
        lines.append("")
    return "\n".join(lines)
