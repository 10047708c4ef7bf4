# Moat Book: one front door. `make help` lists the targets.
#   make book                      build the Xiaomi book into _build/xiaomi/html/
#   make book COMPANY=apple        build another brand's book
#   make test                      run every test (unit, build, nbval, browser)

COMPANY ?= xiaomi
NAME ?=
JOBS ?= 2
# where chapters execute: EXECUTOR=local (worker processes, the default) or dask (a local Dask cluster);
# SCHEDULER=tcp://host:8786 sends them to an existing Dask cluster instead
EXECUTOR ?= local
SCHEDULER ?=
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.moatbook-installed
RUN_ARGS = --jobs $(JOBS) --executor $(EXECUTOR) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(ASOF),--as-of $(ASOF))

.DEFAULT_GOAL := help
METRIC ?=
.PHONY: help venv validate indicators audit scores book site serve lint test test-unit test-build test-nbval test-browser \
        bench bench-site new-company screenshots clean clean-cache browser-deps browser-check chapter colab

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

venv: $(STAMP) ## create .venv from the pinned requirements.txt

validate: $(STAMP) ## check every data file (file, row and column on error)
	$(PY) -m moatbook validate $(if $(ASOF),--as-of $(ASOF))

audit: $(STAMP) ## list what to review: likely duplicates, listing pages, low-confidence series and judgements
	@$(PY) -m moatbook audit

indicators: $(STAMP) ## the indicator catalogue: where each figure goes (METRIC=<id> for one metric)
	@$(PY) -m moatbook indicators $(if $(METRIC),--metric $(METRIC))

scores: $(STAMP) ## print COMPANY's scores without building the book (ASOF=<year>: as of the end of that year)
	$(PY) -m moatbook scores --company $(COMPANY) $(if $(ASOF),--as-of $(ASOF))

book: $(STAMP) ## build COMPANY's book (default xiaomi) into _build/COMPANY/html/ (ASOF=<year>: _build/asof-<year>/)
	$(PY) -m moatbook build --company $(COMPANY) $(RUN_ARGS)

site: $(STAMP) ## build every brand's book and the front page into _build/site/ (EXECUTOR=dask, SCHEDULER=...)
	$(PY) -m moatbook site $(RUN_ARGS)

serve: ## serve _build/site/ on http://localhost:8000 for reading
	@test -f _build/site/index.html || { echo "no site yet: run 'make site' first"; exit 1; }
	$(PYTHON) -m http.server 8000 --bind 127.0.0.1 --directory _build/site

new-company: $(STAMP) ## start a new brand: make new-company COMPANY=<slug> NAME="<Name>"
	@test -n "$(NAME)" || { echo 'usage: make new-company COMPANY=<slug> NAME="<Name>"'; exit 2; }
	$(PY) -m moatbook new-company --company $(COMPANY) --name "$(NAME)"

lint: $(STAMP) ## ruff (lint and format), codespell, and no outputs in chapter sources
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/codespell
	$(PY) scripts/check_chapters.py
	$(PY) -m moatbook colab --check

test: $(STAMP) browser-check lint ## run every test: lint, unit, a full Xiaomi build, nbval over its chapters, the browser
	$(PY) -m pytest -q tests -n $(JOBS) -m "not build and not browser"
	$(PY) -m moatbook build --company xiaomi --jobs $(JOBS)
	$(PY) -m pytest -q --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg -n $(JOBS) --dist loadfile \
	    _build/xiaomi/notebooks
	$(PY) -m pytest -q tests -m "build or browser" --durations=15

test-unit: $(STAMP) ## only the fast unit tests
	$(PY) -m pytest -q tests -n $(JOBS) -m "not build and not browser"

CHAPTER ?=
chapter: $(STAMP) ## run one chapter alone: make chapter CHAPTER=price_premium [COMPANY=transsion]
	@test -n "$(CHAPTER)" -a -f "chapters/$(CHAPTER).md" || { echo 'usage: make chapter CHAPTER=<a file in chapters/, without .md> [COMPANY=<slug>]'; exit 2; }
	@mkdir -p _build/one/$(COMPANY)
	@$(VENV)/bin/jupytext --quiet --to ipynb -o _build/one/$(COMPANY)/$(CHAPTER).src.ipynb chapters/$(CHAPTER).md
	$(VENV)/bin/papermill --cwd _build/one/$(COMPANY) -p company $(COMPANY) --log-level WARNING --no-progress-bar \
	    _build/one/$(COMPANY)/$(CHAPTER).src.ipynb _build/one/$(COMPANY)/$(CHAPTER).ipynb
	@echo "executed: _build/one/$(COMPANY)/$(CHAPTER).ipynb (open it in Jupyter, or rebuild the book to see the page)"

bench: $(STAMP) ## time cold, no-change and one-row rebuilds against jupyter-book's own execution
	$(PY) -m moatbook bench --company $(COMPANY) --jobs $(JOBS)

bench-site: $(STAMP) ## time cold site builds of 7 and of 28 brands (21 synthetic): seconds per brand
	$(PY) -m moatbook bench-site --jobs $(JOBS) --executor $(EXECUTOR) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

screenshots: $(STAMP) ## screenshot every page of COMPANY's built book into _build/screenshots/
	$(PY) scripts/screenshots.py _build/$(COMPANY)/html $$(cd _build/$(COMPANY)/html && ls chapters/*.html | sed 's/\.html$$//')

browser-check: $(STAMP)
	@$(PY) scripts/browser_check.py

browser-deps: ## install Debian's chromium for the browser tests (needs root)
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

colab: $(STAMP) ## rewrite colab/<chapter>.ipynb, the chapters' notebook copies for Colab (after editing a chapter)
	$(PY) -m moatbook colab

clean-cache: ## remove the execution cache and HTML working folders (_build/.cache, _build/.work)
	$(PY) -m moatbook clean-cache

clean: ## remove build outputs, cache included (keeps .venv)
	rm -rf _build
