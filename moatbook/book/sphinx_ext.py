"""A small Sphinx extension for the book.

- Drop the Thebe scripts. Jupyter Book 1 always loads sphinx-thebe, which adds its
  configuration script twice (the browser then reports "Identifier 'THEBE_JS_URL' has
  already been declared") and points at a CDN. The book has no live-code buttons, so
  its pages are cleaner, and fully offline, without them.
- Link table headings to the glossary. A column heading that names a glossary term
  ("Coverage", "Range", "Anchors (value→points)") links to the term's definition, so
  every table explains its words without repeating them.
- Link the glossary's key terms where a page's running text first uses them
  (:func:`link_prose`).
"""

from __future__ import annotations

import html
import re

# Headings whose words differ from the glossary term they mean.
ALIASES = {
    "anchors": "anchor",
    "level": "judgement level",
    "overall": "overall score",
    "overall band": "band",
    "sub-score rating": "rating",
    "weight in the sub-score": "weight",
    "figures behind it": "figure",
    "90% interval": "interval",
    "moat": "economic moat",
}

_TH = re.compile(r"<th(?P<attrs>(?:\s[^>]*)?)>(?P<inner>.*?)</th>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _strip_thebe(app, pagename, templatename, context, doctree):
    kept = []
    for js in context.get("script_files", []):
        name = str(js)
        body = getattr(js, "attributes", {}).get("body", "") or ""
        if "thebe" in name.lower() or "THEBE" in body:
            continue
        kept.append(js)
    context["script_files"] = kept
    context["css_files"] = [c for c in context.get("css_files", []) if "thebe" not in str(c).lower()]


def _terms(app) -> dict[str, tuple[str, str]]:
    """Glossary terms, lower-cased, to (document, anchor id)."""
    std = app.env.get_domain("std")
    found = {}
    for (kind, name), (docname, labelid) in std.objects.items():
        if kind == "term":
            found[name.lower()] = (docname, labelid)
    return found


def term_for(heading: str, terms: dict) -> str | None:
    """The glossary term a table heading names, if any: "Coverage grade", "Range (low-high)", "Anchors"."""
    text = html.unescape(_TAG.sub("", heading)).strip().lower()
    candidates = [text, text.split(" (")[0].strip()]
    for c in list(candidates):
        candidates += [ALIASES.get(c, ""), c[:-1] if c.endswith("s") else ""]
    return next((c for c in candidates if c and c in terms), None)


def _href(app, pagename: str, terms: dict, words: str) -> str | None:
    """The address, from ``pagename``, of the glossary term ``words`` name (see :func:`term_for`), or None."""
    term = term_for(words, terms)
    if term is None:
        return None
    docname, labelid = terms[term]
    return app.builder.get_relative_uri(pagename, docname) + "#" + labelid


def _link_headings(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if not body or "<th" not in body:
        return
    terms = _terms(app)
    if not terms:
        return

    def link(m):
        inner = m.group("inner")
        if "<a " in inner:
            return m.group(0)
        href = _href(app, pagename, terms, inner)
        if href is None:
            return m.group(0)
        return f'<th{m.group("attrs")}><a class="mb-term" href="{href}">{inner}</a></th>'

    context["body"] = _TH.sub(link, body)


# --------------------------------------------------------------------------- glossary terms in prose

#: terms linked where they first appear in a page's running text. Words common in plain
#: English ("figure", "points", "weight") and "band" (the evidence speaks of price bands
#: and wearable bands) are linked from table headings only.
PROSE_TERMS = (
    "economic moat",
    "moat",
    "coverage grade",
    "judgement level",
    "derived indicator",
    "context indicator",
    "hard figure",
    "indicator",
    "anchor",
    "interval",
    "sub-score",
    "provisional",
    "tracker",
)
# text inside these is never linked: links, code, headings, tables, controls, charts, captions,
# and bold or italic text (the names and titles of sources are set that way)
_NO_LINK = {
    "a", "code", "pre", "kbd", "h1", "h2", "h3", "h4", "h5", "h6", "th", "td", "caption",
    "button", "label", "select", "option", "script", "style", "svg", "figcaption", "dt", "summary", "title",
    "b", "i", "em", "strong", "cite",
}  # fmt: skip
_PROSE = {"p", "li", "dd"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_TOKEN = re.compile(r"(<!--.*?-->|<[^>]+>)", re.S)
_NAME = re.compile(r"^</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
#: boxes that are not the page's own text (the about box, the cite box)
_SKIP_CLASSES = ("mb-about", "mb-cite", "mb-whatif")


def _term_pattern(term: str) -> re.Pattern:
    words = r"[\s\u00a0]+".join(re.escape(w) for w in term.split())
    return re.compile(rf"(?<![\w-])({words}s?)(?![\w-])", re.I)


_TERM_RE = {t: _term_pattern(t) for t in PROSE_TERMS}


def link_prose(body: str, href_for) -> str:
    """Link the first use of each of :data:`PROSE_TERMS` in the running text of a page.

    ``href_for(term)`` gives the address of a term's definition, or None when the
    glossary has no such term. Only text inside paragraphs and list items is
    touched, never a link, code, heading, table, control, chart or caption, nor the
    boxes around the page's own text; each term is linked once per page (and "moat"
    not again where "economic moat" was).
    """
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # open elements: (name, closes off linking)
    done: set[str] = set()
    for token in _TOKEN.split(body):
        if not token:
            continue
        if token.startswith("<!--"):
            out.append(token)
            continue
        if token.startswith("<"):
            m = _NAME.match(token)
            if m:
                name = m.group(1).lower()
                if token.startswith("</"):
                    for i in range(len(stack) - 1, -1, -1):
                        if stack[i][0] == name:
                            del stack[i:]
                            break
                elif name not in _VOID and not token.rstrip(">").endswith("/"):
                    cls = re.search(r'class="([^"]*)"', token)
                    blocked = name in _NO_LINK or bool(cls and any(c in cls.group(1) for c in _SKIP_CLASSES))
                    stack.append((name, blocked))
            out.append(token)
            continue
        if any(b for _, b in stack) or not any(n in _PROSE for n, _ in stack):
            out.append(token)
            continue
        out.append(_link_text(token, href_for, done))
    return "".join(out)


def _link_text(text: str, href_for, done: set[str]) -> str:
    # find the earliest unlinked term, link it, and go on in the rest of the text
    pieces = []
    while True:
        best = None
        for term, pattern in _TERM_RE.items():
            if term in done:
                continue
            m = pattern.search(text)
            if m and (
                best is None
                or m.start() < best[1].start()
                or (m.start() == best[1].start() and len(m.group(1)) > len(best[1].group(1)))
            ):
                best = (term, m)
        if best is None:
            pieces.append(text)
            return "".join(pieces)
        term, m = best
        href = href_for(term)
        done.add(term)
        if term in ("moat", "economic moat"):  # one definition: link it once
            done |= {"moat", "economic moat"}
        if href is None:
            continue
        pieces.append(text[: m.start()])
        pieces.append(f'<a class="mb-term" href="{href}">{m.group(1)}</a>')
        text = text[m.end() :]


def _link_prose(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if not body or pagename.endswith("glossary"):  # the glossary page defines the terms
        return
    terms = _terms(app)
    if not terms:
        return

    context["body"] = link_prose(body, lambda term: _href(app, pagename, terms, term))


def setup(app):
    app.connect("html-page-context", _strip_thebe)
    app.connect("html-page-context", _link_headings)
    app.connect("html-page-context", _link_prose)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
