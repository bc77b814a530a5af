# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test lint schemas check-schemas

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q "pip<26.3"
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

## Start everything locally: moto, tables, queues, API on 127.0.0.1:$(PORT), workers, schedules.
run: $(STAMP) schemas
	PORT=$(PORT) $(PY) -m local.run

## Run the whole test suite.
test: $(STAMP)
	$(PY) -m pytest -q

## Copy the JSON schemas (source of truth: schemas/) into chalicelib/, which Chalice ships.
schemas:
	rm -rf chalicelib/schemas && cp -r schemas chalicelib/schemas

lint: $(STAMP)
	$(VENV)/bin/ruff check chalicelib local tests app.py
