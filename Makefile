# One virtual environment in .venv; every target installs into it first if needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test test-fast lint bench clean system-test system-demo

## the Debian packages each target needs (installed with apt-get when root or sudo allows,
## else one line says what to install)
system-test:
	@scripts/system-packages test

system-demo:
	@scripts/system-packages demo

A11Y := tests/reports/a11y
$(A11Y)/node_modules/.package-lock.json: $(A11Y)/package-lock.json
	cd $(A11Y) && npm ci --no-audit --no-fund --loglevel=error

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# compat: the checkout is one path entry, not an import hook that every start-up runs (~15 ms)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]' \
		--config-settings editable_mode=compat
	$(BIN)/python -m compileall -q autograder shallow_ref quizzes  # fast start-up, whatever PYTHONDONTWRITEBYTECODE says
	touch $(STAMP)

venv: $(STAMP)

DEMO := demo-out

## demo: grade the bundled example class, export grades, grade a quiz, write the class report
## and feedback pages, train the reference
demo: system-demo $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/shallow grade examples/course --jobs 2 --timeout 2 --gradebook $(DEMO)/gradebook.db \
		--results-dir $(DEMO)/results --course examples/course
	@echo "--- feedback for one student ---"
	$(BIN)/shallow grade examples/course/submitted/ben/planar_classifier/planar_classifier.ipynb \
		--no-gradebook --course examples/course
	$(BIN)/shallow quiz grade examples/quiz/ada.yaml --gradebook $(DEMO)/gradebook.db \
		--assignment planar_classifier
	$(BIN)/shallow export --gradebook $(DEMO)/gradebook.db --assignment planar_classifier \
		-o $(DEMO)/grades-planar_classifier.csv --course examples/course
	$(BIN)/shallow report --gradebook $(DEMO)/gradebook.db --assignment planar_classifier \
		--out $(DEMO)/reports --feedback-dir $(DEMO)/feedback --course examples/course
	$(BIN)/shallow feedback --gradebook $(DEMO)/gradebook.db --assignment planar_classifier \
		--out $(DEMO)/feedback --course examples/course
	@echo "--- the reference network on the flower data set ---"
	$(BIN)/shallow train --dataset flower --hidden-sizes 1,2,3,4,5,20,50 --iterations 5000

## test: the whole test suite, slow real-tool tests included
test: system-test $(STAMP) $(A11Y)/node_modules/.package-lock.json
	$(BIN)/python -m pytest

## test-fast: everything but the tests marked slow
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

## bench: the benchmarks in bench/ (not part of the test suite)
bench: $(STAMP)
	$(BIN)/python bench/bench_ref.py
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_stages.py
	$(BIN)/python bench/bench_grade.py
	$(BIN)/python bench/bench_designs.py
	$(BIN)/python bench/bench_cluster.py
	$(BIN)/python bench/bench_report.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
