# fanzha — `make demo` runs the whole pipeline on the bundled sample sites,
# `make test` passes the tests. Both set up everything they need first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install browser demo test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Headless Chromium + a CJK font for the web UI's browser tests (idempotent; skips
# when present; without root or apt the browser tests skip and say why).
browser:
	sh scripts/setup-browser.sh

demo: install
	$(BIN)/fanzha demo

test: install browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/extraction.py

clean:
	rm -rf $(VENV) fanzha-data .pytest_cache
