# slp-eval: every target sets up .venv from the lock first, so each works on a fresh machine
# with only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-spark ci lab lock notebooks docs peer lint bench bench-peers clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## demo: run every parameter file in params/ and print where the reports are
demo: $(STAMP)
	$(BIN)/slp-eval run-all params

## test: the whole suite: unit tests, then every notebook re-executed by nbval (every skip is
## listed with its reason; the log ends with a count per independent check, e.g. "R peer: 68 passed")
test: $(STAMP)
	$(BIN)/python -m pytest -q -rs tests
	$(BIN)/python -m pytest -q -rs --nbval --nbval-sanitize-with notebooks/sanitize.cfg notebooks

## ci: what CI runs: installs R, Chromium and Java from Debian when missing, then make test with CI=true
## (an R peer or browser test that would skip fails) and HYPOTHESIS_PROFILE=ci, then make test-spark
ci:
	.ci/run

## test-spark: the Spark engine on a local[2] session: Java from Debian when missing, then a
## venv of its own (.venv-spark: the lock plus the `spark` extra; pyspark is kept out of .venv
## because pandera imports pyspark.pandas whenever pyspark is installed, which slows every
## `import slp_eval.data` and prints a warning under pandas 3), then the tests marked `spark`
SPARK_VENV := .venv-spark
test-spark:
	command -v java >/dev/null || (apt-get update && apt-get install -y openjdk-17-jre-headless)
	test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet -r requirements.lock
	$(SPARK_VENV)/bin/python -m pip install --quiet -e '.[spark]'
	$(SPARK_VENV)/bin/python -m pytest -q -m spark tests/spark

## lab: JupyterLab on the notebooks
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

## lock: regenerate requirements.lock from pyproject.toml (every transitive package pinned)
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 -o requirements.lock

## notebooks: re-execute the notebooks with their default parameters and save the outputs
notebooks: $(STAMP)
	$(BIN)/slp-eval refresh-notebooks notebooks

## docs: API reference from the docstrings, into docs/api/ (pdoc is given every public module, as
## slp_eval.registry.documented_modules() finds them: a new module needs no edit here)
DOC_MODULES = $(shell $(BIN)/python -c 'from slp_eval.registry import documented_modules; print(*documented_modules())')
DOCS_OUT ?= docs/api
docs: $(STAMP)
	$(BIN)/pdoc -o $(DOCS_OUT) $(DOC_MODULES)

## peer: install R from Debian when missing and run the R cross-checks
peer: $(STAMP)
	.ci/run install
	$(BIN)/python -m pytest -q -rs -m peer tests

lint: $(STAMP)
	$(BIN)/ruff check slp_eval tests benchmarks

## bench: performance benchmarks and a quick interval-coverage run (never part of make test)
bench: $(STAMP)
	$(BIN)/python benchmarks/fit_bench.py
	$(BIN)/python benchmarks/its_many_bench.py
	$(BIN)/python benchmarks/sensitivity_power_bench.py
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/aggregate_bench.py
	$(BIN)/python benchmarks/run_all_bench.py
	$(BIN)/python benchmarks/coverage.py --quick

## bench-peers: the same single-series ITS in CausalPy (PyMC) against fit_its; CausalPy lives in
## a venv of its own (benchmarks/.venv-peers, from benchmarks/requirements-peers.txt: needs PyPI
## and about 1 GB), never in .venv; not part of make bench (a few minutes of NUTS sampling)
PEERS_VENV := benchmarks/.venv-peers
bench-peers: $(STAMP)
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	$(BIN)/python benchmarks/causalpy_bench.py

clean-venv:
	rm -rf $(VENV)
