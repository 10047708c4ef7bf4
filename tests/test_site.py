"""The site across brands, and a brand started with `make new-company`."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from bs4 import BeautifulSoup

from moatbook.build import build_book
from moatbook.data import load
from moatbook.data.scaffold import new_company
from moatbook.paths import BUILD_DIR, DATA_DIR

pytestmark = pytest.mark.build


@pytest.fixture(scope="module")
def site():
    from moatbook.build.site import build_site

    assert build_site(log=lambda *a: None)
    return BUILD_DIR / "site"


def test_site_lists_every_brand_with_its_score(site):
    ds = load()
    soup = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    rows = soup.select("table.mb-ranking tbody tr")
    assert len(rows) == len(ds.brands()) == 7
    for slug in ds.brands():
        scores = json.loads((BUILD_DIR / slug / "scores.json").read_text())
        link = soup.select_one(f'table.mb-ranking a[href="{slug}/index.html"]')
        assert link is not None, slug
        row = link.find_parent("tr").get_text(" ")
        assert f"{scores['overall']:.1f}" in row and scores["band"] in row
        assert (site / slug / "index.html").exists()
    heat = soup.select("table.mb-heatmap tbody tr")
    assert len(heat) == 7 and all(len(r.select("td")) == 11 for r in heat)


def test_site_names_every_missing_metric_and_why(site):
    """Every metric a brand is not scored on appears under 'What is missing' with its reason and the curators'
    note; the brand is marked provisional."""
    ds = load()
    soup = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    heading = next(h for h in soup.find_all("h2") if "What is missing" in h.get_text())
    section = []
    for el in heading.find_all_next():
        if el.name == "h2":
            break
        section.append(el)
    text = " ".join(el.get_text(" ") for el in section if el.name in ("h3", "li"))
    for slug in ds.brands():
        scores = json.loads((BUILD_DIR / slug / "scores.json").read_text())
        missing = [m for m, v in scores["metrics"].items() if v["score"] is None]
        row = soup.select_one(f'table.mb-ranking a[href="{slug}/index.html"]').find_parent("tr").get_text(" ")
        assert (scores["status"] in ("provisional", "not rated")) == bool(missing), slug
        if missing:
            assert scores["status"] in row, slug
        for mid in missing:
            link = soup.select_one(f'h2 ~ ul a[href="{slug}/chapters/{mid}.html"]')
            assert link is not None, (slug, mid)
            item = link.find_parent("li").get_text(" ")
            assert scores["metrics"][mid]["summary"] in item
            note = ds.gap_notes.get(slug, {}).get(mid)
            assert note is not None and note.note in item, (slug, mid)
    assert "n=0" not in text and "None" not in text


def test_site_is_self_contained_with_relative_links(site):
    for html in [site / "index.html", *site.glob("*/chapters/*.html")]:
        text = html.read_text(encoding="utf-8")
        for ref in re.findall(r'(?:src|href)="([^"]+)"', text):
            if ref.startswith(("#", "mailto:")):
                continue
            if ref.startswith(("http://", "https://")):
                # only outbound reading links (sources) may be absolute; nothing the page loads
                tag = text[max(0, text.rfind("<", 0, text.find(ref))) : text.find(ref)]
                assert tag.startswith("<a "), f"{html}: loads {ref}"
                continue
            assert not ref.startswith("/"), f"{html}: absolute link {ref}"


# Chart text (axis labels and titles, numbers beside bars) whose colour is too close to the page's background:
# under 3:1, the WCAG floor for graphics. Text drawn on a bar of its own colour is left out (it sits on the bar).
FAINT_CHART_TEXT = """(sel) => {
  const lum = (c) => { const m = c.match(/[\\d.]+/g).map(Number); const f = (v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]); };
  const bg = lum(getComputedStyle(document.body).backgroundColor.replace('rgba(0, 0, 0, 0)', 'rgb(255,255,255)'));
  const out = [];
  document.querySelectorAll(sel).forEach(c => c.querySelectorAll('svg text').forEach(t => {
    if (!t.textContent.trim() || t.closest('.mark-text') && getComputedStyle(t).fill === 'rgb(255, 255, 255)') return;
    const l = lum(getComputedStyle(t).fill);
    const r = (Math.max(l, bg) + 0.05) / (Math.min(l, bg) + 0.05);
    if (r < 3) out.push(t.textContent.trim().slice(0, 30) + ' ' + r.toFixed(2));
  }));
  return out; }"""


@pytest.mark.browser
def test_front_page_keeps_contrast_and_each_book_links_back_to_it(site):
    from moatbook.browser import SQUEEZED, audit, browser, open_page, serve

    with serve(site) as base, browser() as ctx:
        for width, dark in ((1280, False), (390, False), (1280, True), (390, True)):
            page = open_page(ctx, f"{base}/index.html", width=width, dark=dark, wait_ms=300)
            page.wait_for_selector("#overall-chart svg", timeout=8000)
            found = audit(page, main="body")
            squeezed = page.evaluate(SQUEEZED, "body")
            faint = page.evaluate(FAINT_CHART_TEXT, "#overall-chart, #whatif-chart")
            page.close()
            assert not squeezed, f"long text squeezed into a narrow column at {width} px: {squeezed[:3]}"
            assert not found["contrast"], (width, "dark" if dark else "light", found["contrast"][:10])
            [chart] = found["charts"]
            assert chart["width"] <= chart["container"] + 1, f"the overall chart is clipped at {width} px"
            assert not chart["clipped"], f"the overall chart cuts off {chart['clipped'][:3]} at {width} px"
            assert not faint, f"chart text hard to read on the page at {width} px, dark {dark}: {faint[:5]}"
            assert "overall score" in chart["name"], chart["name"]
        page = open_page(ctx, f"{base}/xiaomi/chapters/intro.html", wait_ms=0)
        link = page.locator(".mb-site-link a")
        assert link.is_visible()  # hidden in a book built alone, shown inside the site
        link.click()
        page.wait_for_load_state()
        assert page.url.rstrip("/").endswith("/index.html") and page.locator("table.mb-ranking").count() == 1
        page.close()


@pytest.mark.browser
def test_front_page_chart_renders_offline(site):
    from moatbook.browser import browser, serve

    with serve(site) as base, browser() as ctx:
        page = ctx.new_page()
        blocked = []
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(base) else (blocked.append(r.request.url), r.abort()),
        )
        page.goto(f"{base}/index.html")
        page.wait_for_selector("#overall-chart svg, #overall-chart canvas", timeout=5000)
        assert not blocked


def test_new_company_builds_a_book_that_names_its_gaps(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    monkeypatch.setenv("MOATBOOK_DATA_DIR", str(data))
    new_company("acme-mobile", "Acme Mobile", root=data)
    companies = data / "companies.csv"
    companies.write_text(
        companies.read_text().replace(
            "acme-mobile,Acme Mobile,brand,,global,Acme Mobile: add a one-line summary in your own words.",
            "acme-mobile,Acme Mobile,brand,xiaomi;apple,Europe,A fictional phone brand used by a build test.",
        )
    )
    (data / "sources.csv").write_text(
        (data / "sources.csv").read_text()
        + "acme-test-page,Acme Mobile,Fictional results page for a test,,https://example.org/acme,2024,2026-11-24,high,\n"
    )
    (data / "evidence" / "acme-mobile.csv").write_text(
        (data / "evidence" / "acme-mobile.csv").read_text()
        + "acme-mobile,net_promoter_score,nps,30,score -100..100,2024,global,acme-test-page,a test NPS,fictional,,,,\n"
        + "acme-mobile,price_premium,asp_usd,250,USD,2024,global,acme-test-page,a test ASP,fictional,,,,\n"
        + "acme-mobile,market_share_stability,global_share_annual,2,%,2024,global,acme-test-page,a test share,,,,,\n"
    )
    lines = []
    report = build_book("acme-mobile", out_root=tmp_path / "build", log=lines.append)
    assert report.ok, report.error
    scores = json.loads((tmp_path / "build" / "acme-mobile" / "scores.json").read_text())
    assert scores["metrics"]["net_promoter_score"]["score"] is not None
    retention = scores["metrics"]["customer_retention"]
    assert retention["score"] is None and retention["status"] == "no evidence" and retention["rows"] == 0
    stability = scores["metrics"]["market_share_stability"]
    assert stability["status"] == "not scored" and "too few points" in stability["reason"] and stability["rows"] == 1
    assert scores["overall"] is None and scores["status"] == "not rated"  # 3 of 11 metrics scored
    assert any(line.endswith("customer_retention: no evidence") for line in lines)
    assert any("market_share_stability: not scored: too few points" in line for line in lines)
    assert any("not rated" in line for line in lines)
    assert not any("n=0" in line or "None" in line for line in lines)
    card = (tmp_path / "build" / "acme-mobile" / "html" / "chapters" / "scorecard.html").read_text()
    assert card.count("No evidence.") == 7
    assert card.count("Not scored: too few points") == 1
    chapter = (tmp_path / "build" / "acme-mobile" / "html" / "chapters" / "market_share_stability.html").read_text()
    assert "not scored: too few points" in chapter.lower()


def test_new_company_refuses_an_existing_slug(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    with pytest.raises(SystemExit, match="already exists"):
        new_company("xiaomi", "Xiaomi again", root=data)
