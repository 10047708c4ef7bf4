"""A small Sphinx extension for the book.

- Drop the Thebe scripts. Jupyter Book 1 always loads sphinx-thebe, which adds its
  configuration script twice (the browser then reports "Identifier 'THEBE_JS_URL' has
  already been declared") and points at a CDN. The book has no live-code buttons, so
  its pages are cleaner, and fully offline, without them.
- Link table headings to the glossary. A column heading that names a glossary term
  ("Coverage", "Range", "Anchors (value→points)") links to the term's definition, so
  every table explains its words without repeating them.
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
        term = term_for(inner, terms)
        if term is None:
            return m.group(0)
        docname, labelid = terms[term]
        href = app.builder.get_relative_uri(pagename, docname) + "#" + labelid
        return f'<th{m.group("attrs")}><a class="mb-term" href="{href}">{inner}</a></th>'

    context["body"] = _TH.sub(link, body)


def setup(app):
    app.connect("html-page-context", _strip_thebe)
    app.connect("html-page-context", _link_headings)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
