PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Browser tests drive Debian's Chromium; the accessibility check injects axe-core from the npm registry.
CHROMIUM := /usr/bin/chromium
AXE := $(VENV)/node/node_modules/axe-core/axe.min.js

.PHONY: run test bench lint clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,scale]'
	touch $(STAMP)

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

$(AXE):
	mkdir -p $(VENV)/node && npm install --silent --prefix $(VENV)/node axe-core@4

browser: $(CHROMIUM) $(AXE)

run: $(STAMP)
	$(BIN)/hotline init
	$(BIN)/hotline serve

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/capture.py
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/scale.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy --strict fingerprints forwarders
	$(BIN)/mypy hotline cli.py

clean:
	rm -rf $(VENV) var
