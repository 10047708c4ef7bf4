"""The source registry: one table of pages (``data/sources.csv``), each registered once.

A page is identified by its address. Two spellings of one address (``http`` and
``https``, with or without ``www.``, a trailing slash, a tracking parameter) are
one page, so :func:`url_key` reduces an address to the form used to compare
them. :func:`is_listing_url` recognises addresses of tag, category, search and
archive pages, whose content changes over time and which ``make audit`` lists.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

# query parameters that track a click and do not change the page
_TRACKING = re.compile(r"^(utm_.*|mc_cid|mc_eid|fbclid|gclid|ref|ref_src|embed|amp|share|source)$", re.IGNORECASE)

# path segments (or query keys) of pages that list other pages
_LISTING_SEGMENTS = {"tag", "tags", "category", "categories", "topic", "topics", "author", "authors", "search", "label"}
_LISTING_QUERY = {"s", "q", "query", "search", "tag", "cat", "category"}


def url_key(url: str) -> str:
    """The address reduced to what identifies the page: no scheme, no ``www.``, no tracking parameters."""
    url = url.strip().replace("&amp;", "&")
    parts = urlsplit(url)
    host = parts.netloc.lower()
    if host.startswith("www."):
        host = host[4:]
    host = host.removesuffix(":80").removesuffix(":443")
    path = re.sub(r"/+$", "", parts.path) or ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    key = host + path
    if query:
        key += "?" + urlencode(sorted(query))
    return key


def is_listing_url(url: str) -> bool:
    """True for a tag, category, author, search or archive page, or a site's front page."""
    parts = urlsplit(url.strip().replace("&amp;", "&"))
    segments = [s.lower() for s in parts.path.split("/") if s]
    if not segments and not parts.query:
        return True  # a front page
    if len(segments) >= 2 and segments[-2] == "page" and segments[-1].isdigit():
        segments = segments[:-2]  # page 9 of a listing is still the listing
    # /tag/<name> or /search: a listing word last or second to last; /category/<name>/<article> is an article
    if any(s in _LISTING_SEGMENTS for s in segments[-2:]):
        return True
    keys = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return bool(keys & _LISTING_QUERY)
