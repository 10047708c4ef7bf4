"""A small Sphinx extension for the book: drop the Thebe scripts.

Jupyter Book 1 always loads sphinx-thebe, which adds its configuration script
twice (the browser then reports "Identifier 'THEBE_JS_URL' has already been
declared") and points at a CDN. The book has no live-code buttons, so its
pages are cleaner, and fully offline, without them.
"""


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


def setup(app):
    app.connect("html-page-context", _strip_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
