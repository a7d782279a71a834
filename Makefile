# One virtual environment in .venv; every target installs into it first if needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## demo: train the reference network on the flower data set for several hidden-layer sizes
demo: $(STAMP)
	$(BIN)/shallow train --dataset flower --hidden-sizes 1,2,3,4,5,20,50 --iterations 5000

## test: the whole test suite, slow real-tool tests included
test: $(STAMP)
	$(BIN)/python -m pytest

## test-fast: everything but the tests marked slow
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

## bench: the benchmarks in bench/ (not part of the test suite)
bench: $(STAMP)
	$(BIN)/python bench/bench_ref.py
	$(BIN)/python bench/bench_grade.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
