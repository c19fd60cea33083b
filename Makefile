PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,scale]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hotline init
	$(BIN)/hotline serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/capture.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy fingerprints forwarders

clean:
	rm -rf $(VENV) var
