# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run demo test lint schemas check-schemas package capacity bench bench-grading lock

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q "pip<26.3"
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

## Start everything locally: moto, tables, queues, API on 127.0.0.1:$(PORT), workers, schedules.
run: $(STAMP) schemas
	PORT=$(PORT) $(PY) -m local.run

## With `make run` up (same PORT): fill it with a month of Chinese demo data; prints tokens and curl lines.
demo: $(STAMP)
	PORT=$(PORT) $(PY) -m local.demo

## Run the whole test suite.
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadgroup

## Benchmark on a local moto server (not part of `make test`, ~15 min): fan-out of one post to
## 100,000 followers vs raw BatchWriteItem (3 alternating rounds) and naive PutItem, store calls per
## operation, fan-out worker memory (1,000 vs 100,000 followers), feed-page latency vs a raw Query,
## publish -> feed of the last of 1,000 / 10,000 followers through the local workers, the
## 100,000-follower fan-out under injected faults. Prints a table last; exits 1 when a target is missed.
## `make bench BENCH_ARGS=--quick` for a small development run (~3 min).
bench: $(STAMP)
	$(PY) -m bench.fanout $(BENCH_ARGS)

## Copy the JSON schemas (source of truth: schemas/) into chalicelib/, which Chalice ships.
schemas:
	rm -rf chalicelib/schemas && cp -r schemas chalicelib/schemas

## Fail when chalicelib/schemas is not an exact copy of schemas/ (a stale shipped copy).
check-schemas: $(STAMP)
	$(PY) -m infra.shipped

## Build the deployable SAM template in infra/out/ (chalice package + infra/), then lint and audit it.
package: $(STAMP) schemas check-schemas
	$(PY) -m infra.build --out infra/out
	$(PY) -m infra.checks infra/out/template.json

## Re-lock the runtime closure the Lambda zip is built from (requirements.txt -> requirements.lock, hashed).
lock: $(STAMP)
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--output-file requirements.lock requirements.txt

## Recompute the capacity and cost model into docs/capacity.md.
capacity: $(STAMP)
	$(PY) -m infra.capacity --write docs/capacity.md

## Benchmark the monthly grading: 100,000 accounts on a local moto server vs a raw parallel scan (~45 min).
bench-grading: $(STAMP)
	$(PY) -m local.bench_grading

lint: $(STAMP)
	$(VENV)/bin/ruff check chalicelib local tests infra bench app.py
