# wzmodel — one entry point for setting up, running and testing.
# Everything installs into .venv inside the repo from pyproject.toml, pinned by constraints.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
OUT    ?= results
# test workers (pytest-xdist; each test file runs whole in one worker, so fixtures are shared)
JOBS   ?= 2

.PHONY: setup run test test-fast test-slow notebooks lab explore bench lint data clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

## The main job: assess the bundled Shanghai data and plan the baseline scenario.
run: setup
	$(VENV)/bin/wzmodel assess data/shanghai --out $(OUT)/assessment
	$(VENV)/bin/wzmodel plan data/shanghai/scenarios/baseline.toml --out $(OUT)/baseline
	$(VENV)/bin/wzmodel check $(OUT)/baseline

## The whole default test suite: unit and integration tests, then the notebooks under nbval.
test: setup
	$(PY) -m pytest tests -q -n $(JOBS) --dist loadfile
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile --nbval notebooks/ --nbval-sanitize-with notebooks/sanitize.cfg

test-fast: setup
	$(PY) -m pytest tests -q -x

test-slow: setup
	$(PY) -m pytest tests -q -m slow

## Re-execute the notebooks in place (commit the result; nbval compares against it).
notebooks: setup
	$(PY) -m jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

## The explorer page on http://127.0.0.1:8765/ (Ctrl-C stops it).
explore: setup
	$(VENV)/bin/wzmodel explore

bench: setup
	$(PY) bench/run_all.py

lint: setup
	$(VENV)/bin/ruff check wzmodel tests bench notebooks

## Rebuild data/shanghai from the committed statistics code list (seeded, deterministic).
data: setup
	$(PY) data/build_shanghai.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
