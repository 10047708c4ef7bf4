"""The what-if controls in Chromium: set random weights and levels, read the page's numbers, compare with Python.

The page computes the overall in Vega expressions; :func:`moatbook.book.whatif.compute`
does the engine's arithmetic (unit-tested against ``score_company``). Both must agree
within 0.05 for every setting, on the scorecard and on metric chapters, in two books;
the controls are labelled, reachable with the keyboard, and the reset button restores
the book's numbers.
"""

from __future__ import annotations

import random
import re

import pytest

from moatbook.book import whatif
from moatbook.browser import browser, chromium_path, serve
from moatbook.data import load
from moatbook.paths import DATA_DIR
from moatbook.scoring import score_dataset

pytestmark = pytest.mark.browser
TOLERANCE = 0.05


@pytest.fixture(scope="module")
def chromium():
    if chromium_path() is None:
        pytest.fail("chromium is not installed: run `make browser-deps` (Debian package 'chromium')")
    with browser() as ctx:
        yield ctx


def _model(slug: str) -> whatif.Model:
    ds = load([slug], data_dir=DATA_DIR)  # the project's data, whatever another test module points at
    return whatif.model(score_dataset(ds, slug), ds.rubric, ds.company(slug).name)


def _open(chromium, base: str, page_name: str, width: int = 1280):
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/chapters/{page_name}.html", wait_until="load")
    page.wait_for_selector(".mb-whatif svg", timeout=15000)
    return page, errors


def _exact(page, what: str) -> float | None:
    """The number a live text of the chart carries in its accessible label (``Overall score 71.115 of 100``)."""
    labels = page.eval_on_selector_all(
        ".mb-whatif svg [aria-label]", "els => els.map(e => e.getAttribute('aria-label'))"
    )
    for label in labels:
        m = re.match(rf"{what} (-?[\d.]+) of", label)
        if m:
            return float(m.group(1))
    return None


def _set_range(page, name: str, value: float) -> float:
    """Set a slider the way a drag does (its input event); return the value it took (its step applies)."""
    return float(
        page.eval_on_selector(
            f'.mb-whatif input[name="{name}"]',
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); return el.value; }",
            str(value),
        )
    )


def _settle(page):
    page.wait_for_timeout(250)


@pytest.mark.parametrize("slug", ["xiaomi", "transsion"])
def test_the_scorecard_computes_what_the_engine_computes(request, chromium, slug):
    book = request.getfixturevalue(f"{slug}_book")
    mdl = _model(slug)
    assert mdl.rated
    rng = random.Random(f"scorecard-{slug}")
    with serve(book / "html") as base:
        page, errors = _open(chromium, base, "scorecard")
        book_value = whatif.compute(mdl)["overall"]
        assert _exact(page, "Overall score") == pytest.approx(book_value, abs=TOLERANCE)
        for trial in range(6):
            weights = {m.id: _set_range(page, f"w_{m.id}", round(rng.uniform(0.01, 0.4), 2)) for m in mdl.metrics}
            if trial == 0:  # one metric pushed to the top: the cap on any series must bind
                weights[mdl.metrics[-1].id] = _set_range(page, f"w_{mdl.metrics[-1].id}", 0.4)
                for m in mdl.metrics[:-1]:
                    weights[m.id] = _set_range(page, f"w_{m.id}", 0.01)
            agg = list(whatif.AGGREGATIONS)[trial % 3]
            page.select_option('.mb-whatif select[name="agg"]', agg)
            _settle(page)
            expected = whatif.compute(mdl, {"metric_weights": weights, "aggregation": agg})
            got = _exact(page, "Overall score")
            assert got == pytest.approx(expected["overall"], abs=TOLERANCE), (slug, weights, agg)
            shown = page.inner_text(".mb-whatif")  # the headline says the band too
            texts = page.eval_on_selector_all(".mb-whatif svg text", "els => els.map(e => e.textContent)")
            assert expected["band"] in texts, (texts, shown[:80])
        page.click(".mb-whatif-reset")
        _settle(page)
        assert _exact(page, "Overall score") == pytest.approx(book_value, abs=1e-3)
        assert not errors
        page.close()


METRICS = {"xiaomi": ["customer_lifetime_value", "brand_advocacy", "resilience_to_issues"], "transsion": None}


@pytest.mark.parametrize("slug", ["xiaomi", "transsion"])
def test_a_metric_chapter_computes_the_sub_score_and_the_overall_the_engine_computes(request, chromium, slug):
    book = request.getfixturevalue(f"{slug}_book")
    mdl = _model(slug)
    chosen = (
        METRICS[slug] or [m.id for m in mdl.metrics if m.scored and any(i.kind == "ordinal" for i in m.indicators)][:2]
    )
    rng = random.Random(f"metric-{slug}")
    with serve(book / "html") as base:
        for mid in chosen:
            m = mdl.metric(mid)
            page, errors = _open(chromium, base, mid)
            for _ in range(3):
                iw = {}
                if len(m.indicators) > 1:
                    iw = {i.id: _set_range(page, f"iw_{i.id}", round(rng.uniform(0.01, 1), 2)) for i in m.indicators}
                levels = {}
                for i in m.indicators:
                    for k, _j in enumerate(i.judgements, start=1):
                        lv = rng.randint(0, 4)
                        page.select_option(f'.mb-whatif select[name="lv_{i.id}_{k}"]', str(lv))
                        levels.setdefault(i.id, []).append(lv)
                _settle(page)
                settings = {"indicator_weights": {mid: iw}, "levels": {mid: levels}}
                expected = whatif.compute(mdl, settings)
                assert _exact(page, "Sub-score") == pytest.approx(expected["subscores"][mid], abs=TOLERANCE)
                assert _exact(page, "Overall score") == pytest.approx(expected["overall"], abs=TOLERANCE), (
                    mid,
                    settings,
                )
            assert not errors
            page.close()


def test_the_controls_are_labelled_and_work_from_the_keyboard(xiaomi_book, chromium):
    mdl = _model("xiaomi")
    with serve(xiaomi_book / "html") as base:
        page, _ = _open(chromium, base, "scorecard", width=390)
        controls = page.eval_on_selector_all(
            ".mb-whatif input, .mb-whatif select",
            "els => els.map(e => ({name: e.name, label: (e.closest('label') || {}).innerText || ''}))",
        )
        assert len(controls) == len(mdl.metrics) + 1
        assert all(c["label"].strip() for c in controls), controls
        before = _exact(page, "Overall score")
        first = f"w_{mdl.metrics[0].id}"
        page.focus(f'.mb-whatif input[name="{first}"]')
        for _ in range(10):
            page.keyboard.press("ArrowRight")
        _settle(page)
        after = _exact(page, "Overall score")
        weights = {first: float(page.eval_on_selector(f'.mb-whatif input[name="{first}"]', "el => el.value"))}
        assert after != before
        expected = whatif.compute(mdl, {"metric_weights": {mdl.metrics[0].id: weights[first]}})
        assert after == pytest.approx(expected["overall"], abs=TOLERANCE)
        page.keyboard.press("Tab")  # on to the next control
        assert page.evaluate("document.activeElement.name") == f"w_{mdl.metrics[1].id}"
        page.close()
