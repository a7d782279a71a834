# One virtual environment in .venv; every target installs into it first if needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m compileall -q autograder shallow_ref quizzes  # fast start-up, whatever PYTHONDONTWRITEBYTECODE says
	touch $(STAMP)

venv: $(STAMP)

DEMO := demo-out

## demo: grade the bundled example class, export grades, grade a quiz, write the class report
## and feedback pages, train the reference
demo: $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/shallow grade examples/course --jobs 2 --timeout 2 --gradebook $(DEMO)/gradebook.db \
		--results-dir $(DEMO)/results
	@echo "--- feedback for one student ---"
	$(BIN)/shallow grade examples/course/submitted/ben/planar_classifier/planar_classifier.ipynb \
		--no-gradebook
	$(BIN)/shallow quiz grade examples/quiz/ada.yaml --gradebook $(DEMO)/gradebook.db \
		--assignment planar_classifier
	$(BIN)/shallow export --gradebook $(DEMO)/gradebook.db --assignment planar_classifier \
		-o $(DEMO)/grades-planar_classifier.csv
	$(BIN)/shallow report --gradebook $(DEMO)/gradebook.db --assignment planar_classifier \
		--out $(DEMO)/reports
	$(BIN)/shallow feedback --gradebook $(DEMO)/gradebook.db --assignment planar_classifier \
		--out $(DEMO)/feedback
	@echo "--- the reference network on the flower data set ---"
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
	$(BIN)/python bench/bench_report.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
